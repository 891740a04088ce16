output "config_rule_name" {
  description = "The Config rule; `sseguard evidence collect --config-rule` reads its results."
  value       = aws_config_config_rule.rule.name
}

output "config_rule_arn" {
  description = "ARN of the Config rule."
  value       = aws_config_config_rule.rule.arn
}

output "function_arn" {
  description = "ARN of the rule's Lambda function."
  value       = aws_lambda_function.rule.arn
}

output "function_role_arn" {
  description = "ARN of the function's role."
  value       = aws_iam_role.function.arn
}
