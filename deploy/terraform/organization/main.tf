# sseguard as an AWS Config organization custom rule, deployed in the management account or Config's delegated
# administrator: the central function, its role (logs, and assuming the member role in each account), the invoke
# permissions for Config in the member accounts, and the organization rule on AWS::Kinesis::Stream.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.rule_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "rule" {
  function_name    = var.rule_name
  description      = "sseguard organization rule - every Kinesis stream encrypted at rest with a usable KMS key"
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

  depends_on = [aws_iam_role_policy.function]
}

# Config invokes the function from each member account, as config.amazonaws.com. AWS's documented pattern for a
# central rule function is one permission per member account pinned with source_account. principal_org_id cannot
# replace it: aws:PrincipalOrgID is set for IAM principals of the organization's accounts, not for a service
# principal such as Config. A function policy holds 20 KB, about 100 such permissions.
resource "aws_lambda_permission" "config" {
  for_each = toset(concat([local.account_id], var.member_account_ids))

  statement_id   = "AllowConfigInvoke${each.value}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rule.function_name
  principal      = "config.amazonaws.com"
  source_account = each.value
}
