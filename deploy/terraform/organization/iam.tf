# Every read and PutEvaluations happen in the member account, through the member role, so the function's role holds
# only its own logs and the one AssumeRole.

# No aws:SourceAccount condition: Lambda does not document setting it when it assumes an execution role, and a
# condition on a missing key denies. Only this account can pass the role to a function anyway.
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # Any account: the member accounts are the organization's, named by the role, not listed here.
  statement {
    sid       = "AssumeMemberRole"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:${local.partition}:iam::*:role/${var.member_role_name}"]
  }
}

resource "aws_iam_role" "function" {
  name               = var.function_role_name
  description        = "sseguard organization Config rule function; assumes the member role in each account."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "sseguard-config-rule-organization"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
