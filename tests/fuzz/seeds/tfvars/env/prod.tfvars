# Production values, passed with --var-file
region         = "eu-west-1"
env            = "prod"
stream_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
encrypt_orders = true

streams = {
  clicks = {
    encryption = "KMS"
    key        = "arn:aws:kms:eu-west-1:111122223333:alias/clicks"
    shards     = 4
  }
  sessions = {
    encryption = "KMS"
    key        = "alias/aws/kinesis"
  }
  canary_none = {
    encryption = "NONE"
  }
  canary_kms_only = {
    encryption = "KMS"
    shards     = 2
  }
}

canary_encryption = "NONE"
