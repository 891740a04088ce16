"""Live AWS source: ``sseguard aws`` reads every Kinesis stream of the accounts and regions asked for, and the KMS
key behind each one, into the model. Every failed call, every answer that cannot be read and every call the
``--timeout`` deadline cut off becomes an ``Unknown`` (KSSE021) naming the call."""

from sseguard.sources.aws.scanner import ALL_REGIONS, AwsScan, AwsScanOptions, scan_aws
from sseguard.sources.aws.session import AwsSetupError, is_region_name

__all__ = ["ALL_REGIONS", "AwsScan", "AwsScanOptions", "AwsSetupError", "is_region_name", "scan_aws"]
