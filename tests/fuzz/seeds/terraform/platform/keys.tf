data "aws_caller_identity" "current" {}

resource "aws_kms_key" "streams" {
  description             = "Kinesis streams of ${var.environment}"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Root"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "KinesisService"
        Effect    = "Allow"
        Principal = { Service = "kinesis.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "streams" {
  name          = "alias/${var.environment}-streams"
  target_key_id = aws_kms_key.streams.key_id
}

data "aws_iam_policy_document" "archive" {
  statement {
    sid     = "Admins"
    effect  = "Allow"
    actions = ["kms:*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/KeyAdmin"]
    }
    resources = ["*"]
  }
}

resource "aws_kms_key" "archive" {
  provider = aws.west
  policy   = data.aws_iam_policy_document.archive.json
}
