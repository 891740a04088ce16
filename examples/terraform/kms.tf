data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "streams_key" {
  statement {
    sid       = "RootDelegation"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "KinesisService"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["kinesis.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "streams" {
  description         = "Kinesis streams (${var.environment})"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.streams_key.json
}

resource "aws_kms_alias" "streams" {
  name          = "alias/${var.environment}-streams"
  target_key_id = aws_kms_key.streams.key_id
}

# A key made in the disaster-recovery region by mistake: a stream in us-east-1 cannot use it.
resource "aws_kms_key" "dr" {
  provider            = aws.dr
  description         = "DR key"
  enable_key_rotation = true
}
