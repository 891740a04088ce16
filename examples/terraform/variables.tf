variable "region" {
  type    = string
  default = "us-east-1"
}

variable "environment" {
  type = string
}

# No default and no value in terraform.tfvars: the metrics stream cannot be judged until it is given.
variable "metrics_encryption" {
  type = string
}
