# Only the calls the rule handler makes, scoped as far as IAM allows.

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

  # PutEvaluations and GetResourceConfigHistory have no resource type in IAM: only "*" is accepted.
  statement {
    sid       = "ConfigEvaluations"
    actions   = ["config:PutEvaluations", "config:GetResourceConfigHistory"]
    resources = ["*"]
  }

  # ListStreams has no resource type in IAM; it lists only this account's streams anyway.
  statement {
    sid       = "ListStreams"
    actions   = ["kinesis:ListStreams"]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeStreams"
    actions   = ["kinesis:DescribeStreamSummary"]
    resources = ["arn:${local.partition}:kinesis:${local.region}:${local.account_id}:stream/*"]
  }

  # A stream may be encrypted with a key of another account or region, and that key is the one to judge, so any
  # key ARN; the key's own policy still has to allow these read-only calls.
  statement {
    sid       = "ReadKeys"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants"]
    resources = ["arn:${local.partition}:kms:*:*:key/*"]
  }

  # ListAliases has no resource type in IAM; it lists this account's aliases only.
  statement {
    sid       = "ListAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "function" {
  name_prefix        = "sseguard-config-rule-"
  description        = "sseguard Config rule function; reads streams and keys, writes evaluations and its own logs."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "sseguard-config-rule"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
