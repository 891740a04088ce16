variable "code_s3_bucket" {
  type        = string
  description = "S3 bucket holding the zip `sseguard config-rule package` builds (same region as the function)."
}

variable "code_s3_key" {
  type        = string
  description = "S3 key of the zip in code_s3_bucket."
  default     = "sseguard-config-rule.zip"
}

variable "source_code_hash" {
  type        = string
  description = "filebase64sha256 of the zip, so a new zip uploaded under the same key redeploys the function; null to skip."
  default     = null
}

variable "rule_name" {
  type        = string
  description = "Name of the Config rule; also the name of the function and of its log group."
  default     = "sseguard-kinesis-stream-encrypted"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.rule_name))
    error_message = "rule_name is also a Lambda function name: 1-64 letters, digits, hyphens and underscores."
  }
}

variable "maximum_execution_frequency" {
  type        = string
  description = "How often the periodic evaluation re-judges every stream (a key can be disabled without the stream changing)."
  default     = "TwentyFour_Hours"

  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.maximum_execution_frequency)
    error_message = "maximum_execution_frequency is one of One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours."
  }
}

variable "strict_key_policy" {
  type        = bool
  description = "Rule parameter strictKeyPolicy, as `sseguard scan --strict-key-policy`."
  default     = false
}

variable "fail_on" {
  type        = string
  description = "Rule parameter failOn; \"advisory\" also marks streams with advisories NON_COMPLIANT."
  default     = "fail"

  validation {
    condition     = contains(["fail", "advisory"], var.fail_on)
    error_message = "fail_on is \"fail\" or \"advisory\"."
  }
}

variable "exempt_streams" {
  type        = string
  description = "Rule parameter exemptStreams (stream ARNs, each with a reason and an expiry, as the rule handler reads them); empty for none."
  default     = ""
}

variable "timeout_seconds" {
  type        = number
  description = "Function timeout. A periodic run describes every stream of the account and region (about 20 a second before Kinesis throttles)."
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 30 && var.timeout_seconds <= 900
    error_message = "timeout_seconds is between 30 and 900."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the function's log group keeps its logs."
  default     = 90
}

variable "tags" {
  type        = map(string)
  description = "Tags for the function, its role and its log group."
  default     = {}
}
