provider "aws" {
  region = var.region
}

variable "region" {
  type = string
}

variable "env" {
  type = string
}

variable "stream_key_arn" {
  type = string
}

variable "encrypt_orders" {
  type    = bool
  default = true
}

variable "streams" {
  description = "Per-stream settings; entries without a key are not encrypted with one"
  type = map(object({
    encryption = string
    key        = optional(string)
    shards     = optional(number, 1)
  }))
  default = {}
}

variable "canary_encryption" {
  type    = string
  default = "KMS"
}

resource "aws_kinesis_stream" "orders" {
  name            = "${var.env}-orders"
  shard_count     = 2
  encryption_type = var.encrypt_orders ? "KMS" : "NONE"
  kms_key_id      = var.stream_key_arn
}

resource "aws_kinesis_stream" "configured" {
  for_each        = var.streams
  name            = "${var.env}-${each.key}"
  shard_count     = each.value.shards
  encryption_type = each.value.encryption
  kms_key_id      = each.value.key
}

resource "aws_kinesis_stream" "canary_from_vars" {
  name            = "${var.env}-canary-from-vars"
  shard_count     = 1
  encryption_type = var.canary_encryption
}
