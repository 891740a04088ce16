locals {
  prefix     = "${var.environment}-data"
  encryption = "KMS"
  tags = {
    team  = "platform"
    owner = "data@example.com"
  }
}

# Encrypted with the customer key, one stream per entry of var.shards.
resource "aws_kinesis_stream" "orders" {
  for_each        = var.shards
  name            = "${local.prefix}-${each.key}"
  shard_count     = each.value
  encryption_type = local.encryption
  kms_key_id      = aws_kms_key.streams.arn
  tags            = local.tags
}

resource "aws_kinesis_stream" "audit" {
  count            = var.replicas
  name             = format("%s-audit-%02d", local.prefix, count.index)
  shard_count      = 1
  retention_period = 168
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_alias.streams.name
}

resource "aws_kinesis_stream" "managed" {
  name            = "${local.prefix}-managed"
  shard_count     = 1
  encryption_type = upper("kms")
  kms_key_id      = "alias/aws/kinesis"
}

module "clicks" {
  source          = "./modules/stream"
  name            = "${local.prefix}-clicks"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.streams.arn
}

# Unknown until the environment sets it: var.pending_encryption has no default.
resource "aws_kinesis_stream" "pending" {
  name            = "${local.prefix}-pending"
  shard_count     = 1
  encryption_type = var.pending_encryption
  kms_key_id      = var.pending_key
}

resource "aws_kinesis_stream" "lookup" {
  name            = "${local.prefix}-lookup"
  shard_count     = 1
  encryption_type = lookup({ prod = "KMS" }, "staging", "KMS")
  kms_key_id      = aws_kms_key.archive.arn
  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

# Canaries: built unencrypted, whatever a mutation does to the rest of the tree.
module "canary_module" {
  source          = "./modules/stream"
  name            = "${local.prefix}-canary-module"
  encryption_type = "NONE"
}

resource "aws_kinesis_stream" "canary_none" {
  name            = "${local.prefix}-canary-none"
  shard_count     = 1
  encryption_type = "NONE"
  tags            = local.tags
}

resource "aws_kinesis_stream" "canary_absent" {
  count            = 2
  name             = "canary-absent-${count.index}"
  shard_count      = 1
  retention_period = 24
}

resource "aws_kinesis_stream" "canary_kms_only" {
  for_each        = toset(["blue", "green"])
  name            = "canary-kms-only-${each.value}"
  shard_count     = 1
  encryption_type = "KMS"
}

resource "aws_kinesis_stream" "canary_conditional" {
  name            = "canary-conditional"
  shard_count     = 1
  encryption_type = var.environment == "prod" ? "NONE" : null
}
