"""sseguard inside other engines: the AWS Config custom rule (``config_rule.handler``). Modules here import boto3
and the control only, never the file sources (no tree-sitter, no YAML), so a Lambda function loads them fast."""
