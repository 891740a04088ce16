output "organization_config_rule_name" {
  description = "The organization rule; in each member account Config names its rule after it."
  value       = aws_config_organization_custom_rule.rule.name
}

output "function_arn" {
  description = "ARN of the central Lambda function."
  value       = aws_lambda_function.rule.arn
}

output "function_role_arn" {
  description = "The role the member role trusts."
  value       = aws_iam_role.function.arn
}
