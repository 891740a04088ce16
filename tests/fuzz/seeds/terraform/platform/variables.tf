variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "environment" {
  type        = string
  description = "Deployment environment, used in stream names"
  default     = "prod"
}

variable "shards" {
  type = map(number)
  default = {
    orders   = 2
    payments = 1
  }
}

variable "pending_encryption" {
  type        = string
  description = "Set per environment; no default on purpose"
}

variable "pending_key" {
  type    = string
  default = null
}

variable "replicas" {
  type    = number
  default = 2
}
