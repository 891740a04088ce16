variable "rule_account_id" {
  type        = string
  description = "The account running the organization rule's function."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.rule_account_id))
    error_message = "rule_account_id is a 12-digit account id."
  }
}

variable "function_role_name" {
  type        = string
  description = "Name of the function's role in rule_account_id (function_role_name of the organization module)."
  default     = "sseguard-config-rule-function"
}

variable "member_role_name" {
  type        = string
  description = "Name of this role; the organization rule passes it to the handler as ExecutionRoleName."
  default     = "sseguard-config-rule-member"
}

variable "tags" {
  type        = map(string)
  description = "Tags for the role."
  default     = {}
}
