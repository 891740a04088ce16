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
  description = "Name of the organization Config rule; also the name of the function and of its log group."
  default     = "sseguard-kinesis-stream-encrypted"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.rule_name))
    error_message = "rule_name is also a Lambda function name: 1-64 letters, digits, hyphens and underscores."
  }
}

variable "maximum_execution_frequency" {
  type        = string
  description = "How often the periodic evaluation re-judges every stream in every member account."
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

variable "member_account_ids" {
  type        = list(string)
  description = "Member accounts whose Config may invoke the function (one source_account-pinned permission each; this account is always included)."

  validation {
    condition     = alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids holds 12-digit account ids."
  }
}

variable "excluded_accounts" {
  type        = list(string)
  description = "Accounts the organization rule is not deployed to."
  default     = []
}

variable "function_role_name" {
  type        = string
  description = "Name of the function's role; the member role trusts exactly this role."
  default     = "sseguard-config-rule-function"
}

variable "member_role_name" {
  type        = string
  description = "Name of the role in each member account that the function assumes (passed to the handler as ExecutionRoleName)."
  default     = "sseguard-config-rule-member"
}

variable "member_role_stack_set_ou_ids" {
  type        = list(string)
  description = "Organizational units to deploy the member role to with a service-managed StackSet of member-role.yaml (new accounts get it too); empty to deploy the member role yourself (the member-role module)."
  default     = []
}

variable "stack_set_call_as" {
  type        = string
  description = "SELF from the management account, DELEGATED_ADMIN from a CloudFormation StackSets delegated administrator."
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.stack_set_call_as)
    error_message = "stack_set_call_as is SELF or DELEGATED_ADMIN."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Function timeout; a periodic run describes every stream of one account and region."
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
