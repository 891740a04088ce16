locals {
  # ExecutionRoleName names the member role the handler assumes in the stream's account (rdk's convention).
  input_parameters = merge(
    {
      strictKeyPolicy   = tostring(var.strict_key_policy)
      failOn            = var.fail_on
      ExecutionRoleName = var.member_role_name
    },
    var.exempt_streams == "" ? {} : { exemptStreams = var.exempt_streams },
  )
}

resource "aws_config_organization_custom_rule" "rule" {
  name                        = var.rule_name
  description                 = "Every Kinesis data stream is encrypted at rest with a KMS key Kinesis can use (sseguard)."
  lambda_function_arn         = aws_lambda_function.rule.arn
  resource_types_scope        = ["AWS::Kinesis::Stream"]
  input_parameters            = jsonencode(local.input_parameters)
  maximum_execution_frequency = var.maximum_execution_frequency
  excluded_accounts           = var.excluded_accounts

  trigger_types = [
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
    "ScheduledNotification",
  ]

  depends_on = [aws_lambda_permission.config]
}
