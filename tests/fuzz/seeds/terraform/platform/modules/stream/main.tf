variable "name" {
  type = string
}

variable "encryption_type" {
  type    = string
  default = "KMS"
}

variable "kms_key_id" {
  type    = string
  default = null
}

variable "shard_count" {
  type    = number
  default = 1
}

resource "aws_kinesis_stream" "this" {
  name             = var.name
  shard_count      = var.shard_count
  retention_period = 48
  encryption_type  = var.encryption_type
  kms_key_id       = var.kms_key_id

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

output "arn" {
  value = aws_kinesis_stream.this.arn
}
