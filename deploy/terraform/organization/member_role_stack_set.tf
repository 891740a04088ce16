# The member role, org-wide: a service-managed StackSet of the same member-role.yaml the CloudFormation form uses,
# deployed to the given organizational units and to every account that joins them later. A service-managed
# StackSet never deploys to the management account: give that account the role with the member-role module.

resource "aws_cloudformation_stack_set" "member_role" {
  count = length(var.member_role_stack_set_ou_ids) > 0 ? 1 : 0

  name             = "${var.rule_name}-member-role"
  description      = "The role sseguard's organization Config rule function assumes in each member account."
  permission_model = "SERVICE_MANAGED"
  call_as          = var.stack_set_call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = file("${path.module}/../../cloudformation/member-role.yaml")

  parameters = {
    RuleAccountId    = local.account_id
    FunctionRoleName = var.function_role_name
    MemberRoleName   = var.member_role_name
  }

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }
}

# IAM is global: one stack per account, in the provider's region, gives the role everywhere.
resource "aws_cloudformation_stack_set_instance" "member_role" {
  count = length(var.member_role_stack_set_ou_ids) > 0 ? 1 : 0

  stack_set_name = aws_cloudformation_stack_set.member_role[0].name
  call_as        = var.stack_set_call_as

  deployment_targets {
    organizational_unit_ids = var.member_role_stack_set_ou_ids
  }
}
