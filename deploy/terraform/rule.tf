locals {
  # Config takes its rule parameters as one JSON object of strings; an empty exemption list is left out.
  input_parameters = merge(
    {
      strictKeyPolicy = tostring(var.strict_key_policy)
      failOn          = var.fail_on
    },
    var.exempt_streams == "" ? {} : { exemptStreams = var.exempt_streams },
  )
}

resource "aws_config_config_rule" "rule" {
  name             = var.rule_name
  description      = "Every Kinesis data stream is encrypted at rest with a KMS key Kinesis can use (sseguard)."
  input_parameters = jsonencode(local.input_parameters)

  scope {
    compliance_resource_types = ["AWS::Kinesis::Stream"]
  }

  source {
    owner             = "CUSTOM_LAMBDA"
    source_identifier = aws_lambda_function.rule.arn

    source_detail {
      message_type = "ConfigurationItemChangeNotification"
    }

    source_detail {
      message_type = "OversizedConfigurationItemChangeNotification"
    }

    # Re-judges every stream: a key can be disabled or its policy changed while the stream stays the same.
    source_detail {
      message_type                = "ScheduledNotification"
      maximum_execution_frequency = var.maximum_execution_frequency
    }
  }

  depends_on = [aws_lambda_permission.config]
}
