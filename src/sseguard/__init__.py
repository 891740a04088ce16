"""sseguard: proves every Amazon Kinesis data stream is encrypted at rest with a usable KMS key."""

__version__ = "0.1.0"
