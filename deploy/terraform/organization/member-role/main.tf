# The role sseguard's organization rule function assumes in one member account (use a provider for that account):
# read-only Kinesis, KMS and Config calls, and PutEvaluations for the account's rule. The organization module's
# StackSet gives the same role to whole organizational units.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

# Trusts the account and names the role in a condition, rather than naming the role as principal: a role principal
# is pinned to the role's unique id, and would stop matching if that role were ever recreated.
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.rule_account_id}:root"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = ["arn:${local.partition}:iam::${var.rule_account_id}:role/${var.function_role_name}"]
    }
  }
}

data "aws_iam_policy_document" "member" {
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

  # Any region: IAM is global, and the organization rule can be deployed in several regions.
  statement {
    sid       = "DescribeStreams"
    actions   = ["kinesis:DescribeStreamSummary"]
    resources = ["arn:${local.partition}:kinesis:*:${local.account_id}:stream/*"]
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

resource "aws_iam_role" "member" {
  name               = var.member_role_name
  description        = "Assumed by sseguard's organization Config rule function to judge this account's Kinesis streams."
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "member" {
  name   = "sseguard-config-rule-member"
  role   = aws_iam_role.member.id
  policy = data.aws_iam_policy_document.member.json
}
