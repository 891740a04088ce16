terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # logging_config on aws_lambda_function arrived in 5.27.
      version = ">= 5.27"
    }
  }
}
