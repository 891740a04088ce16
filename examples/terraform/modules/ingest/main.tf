variable "stream_name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

resource "aws_kinesis_stream" "this" {
  name            = var.stream_name
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = var.kms_key_arn
}

output "stream_arn" {
  value = aws_kinesis_stream.this.arn
}
