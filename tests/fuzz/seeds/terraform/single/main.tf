terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "streams" {
  description = "Stream settings by name"
  type = map(object({
    shards = number
    cmk    = optional(bool, true)
  }))
  default = {
    ingest  = { shards = 4 }
    billing = { shards = 1, cmk = true }
  }
}

variable "retention_hours" {
  type    = number
  default = 24
}

locals {
  account_id = "111122223333"
  key_admins = [for name in ["alice", "bob"] : "arn:aws:iam::${local.account_id}:user/${name}"]
  retention  = max(var.retention_hours, 24)
  suffix     = try(regex("^[a-z]+", "prod-1"), "dev")
}

resource "aws_kms_key" "data" {
  description = <<-EOT
    Customer key for the ${local.suffix} streams.
    Rotated yearly.
  EOT
  is_enabled          = true
  enable_key_rotation = true
  policy              = file("${path.module}/policy.json")
}

resource "aws_kms_key" "legacy" {
  is_enabled = false
}

import {
  to = aws_kinesis_stream.imported
  id = "imported-stream"
}

resource "aws_kinesis_stream" "ingest" {
  for_each         = { for name, s in var.streams : name => s if s.cmk }
  name             = "${each.key}-${local.suffix}"
  shard_count      = each.value.shards
  retention_period = local.retention
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.data.arn
}

resource "aws_kinesis_stream" "imported" {
  name            = "imported-stream"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

resource "aws_kinesis_stream" "disabled_key" {
  name            = "disabled-key"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.legacy.id
}

resource "aws_kinesis_stream" "computed" {
  name            = "computed"
  shard_count     = 1
  encryption_type = coalesce(var.retention_hours > 100 ? "KMS" : "", "KMS")
  kms_key_id      = element(concat([aws_kms_key.data.arn], local.key_admins), 0)
}

# Canaries: built unencrypted.
resource "aws_kinesis_stream" "canary_dynamic" {
  count           = length(local.key_admins)
  name            = "canary-dynamic-${count.index}"
  shard_count     = 1
  encryption_type = lower("NONE")
}

resource "aws_kinesis_stream" "canary_template" {
  name            = "canary-template"
  shard_count     = 1
  encryption_type = "%{if local.retention > 0}NONE%{else}NONE%{endif}"
}

resource "aws_kinesis_stream" "canary_plain" {
  name        = "canary-plain"
  shard_count = 2
}
