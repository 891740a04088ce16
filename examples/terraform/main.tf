terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

module "ingest" {
  source   = "./modules/ingest"
  for_each = toset(["orders", "payments"])

  stream_name = "ingest-${each.key}"
  kms_key_arn = aws_kms_key.streams.arn
}
