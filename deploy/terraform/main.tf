# sseguard as an AWS Config custom rule in one account and region: the function, its least-privilege role, its log
# group, the Config rule on AWS::Kinesis::Stream and the permission for Config to invoke the function.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}

# Created here, not on first invocation, so the role needs no logs:CreateLogGroup and retention is set.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.rule_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "rule" {
  function_name    = var.rule_name
  description      = "sseguard rule - every Kinesis stream encrypted at rest with a usable KMS key"
  runtime          = "python3.12"
  handler          = "sseguard.integrations.config_rule.handler"
  s3_bucket        = var.code_s3_bucket
  s3_key           = var.code_s3_key
  source_code_hash = var.source_code_hash
  role             = aws_iam_role.function.arn
  memory_size      = 128
  timeout          = var.timeout_seconds
  tags             = var.tags

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # The first invocation must find its permissions in place.
  depends_on = [aws_iam_role_policy.function]
}

# Pinned to this account: no other account's Config can invoke the function. source_arn is left out because Config
# checks the permission when the rule is created, so the permission must come first, and a rule's ARN ends in a
# generated id, not its name, so it cannot be written before the rule exists.
resource "aws_lambda_permission" "config" {
  statement_id   = "AllowConfigInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rule.function_name
  principal      = "config.amazonaws.com"
  source_account = local.account_id
}
