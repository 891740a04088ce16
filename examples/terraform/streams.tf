resource "aws_kinesis_stream" "clickstream" {
  name             = "${var.environment}-clickstream"
  retention_period = 48
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_alias.streams.name

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}

resource "aws_kinesis_stream" "audit_log" {
  name            = "${var.environment}-audit-log"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"
}

resource "aws_kinesis_stream" "legacy_events" {
  name        = "${var.environment}-legacy-events"
  shard_count = 2
}

resource "aws_kinesis_stream" "metrics" {
  name            = "${var.environment}-metrics"
  shard_count     = 1
  encryption_type = var.metrics_encryption
  kms_key_id      = aws_kms_key.streams.arn
}

resource "aws_kinesis_stream" "replay" {
  name            = "${var.environment}-replay"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.dr.arn
}

# sseguard:ignore KSSE002 reason="scratch stream for load tests, holds synthetic data only" expires=2027-06-30
resource "aws_kinesis_stream" "loadtest" {
  name            = "${var.environment}-loadtest"
  shard_count     = 1
  encryption_type = "NONE"
}
