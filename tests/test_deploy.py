"""deploy/: the Config rule as CloudFormation and as Terraform, single-account and organisation-wide.

Each template passes cfn-lint, `sseguard scan deploy` reads every file without an input error, the Terraform is
`terraform fmt` clean (when a binary is on PATH), every IAM policy holds exactly the calls the rule handler makes
(with "*" resources only where IAM accepts nothing else), and every rule is scoped to AWS::Kinesis::Stream with a
change trigger and a periodic one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from helpers import REPO, run_module
from sseguard.sources.cfn.load import load_template

DEPLOY = REPO / "deploy"
CFN = DEPLOY / "cloudformation"
TF = DEPLOY / "terraform"
TEMPLATES = ("config-rule.yaml", "config-rule-organization.yaml", "member-role.yaml")
TF_MODULES = ("deploy/terraform", "deploy/terraform/organization", "deploy/terraform/organization/member-role")

# The calls sseguard.integrations.config_rule.handler makes in the account it judges.
HANDLER_ACTIONS = {
    "config:PutEvaluations", "config:GetResourceConfigHistory",
    "kinesis:ListStreams", "kinesis:DescribeStreamSummary",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListAliases", "kms:GetKeyRotationStatus", "kms:ListGrants",
}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Actions IAM gives no resource type: "*" is the only resource they accept.
NO_RESOURCE_TYPE = {"config:PutEvaluations", "config:GetResourceConfigHistory", "kinesis:ListStreams",
                    "kms:ListAliases"}
TRIGGERS = ["ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification",
            "ScheduledNotification"]


# ---- CloudFormation -------------------------------------------------------------------------------------------

def cfn_resources(name: str) -> dict[str, Any]:
    return dict(load_template(CFN / name).resources)


def cfn_statements(name: str, role: str) -> list[tuple[set[str], list[Any]]]:
    """(actions, resources) of each statement of a role's inline policies."""
    found = []
    for policy in cfn_resources(name)[role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions, resources = statement["Action"], statement["Resource"]
            found.append(({actions} if isinstance(actions, str) else set(actions),
                          resources if isinstance(resources, list) else [resources]))
    return found


@pytest.mark.parametrize("name", TEMPLATES)
def test_cfn_lint_passes_on_each_template(name: str) -> None:
    # cfn-lint's library API, with its default rules: errors, warnings and informational matches all count.
    assert [str(match) for match in lint_file(CFN / name)] == []


def assert_least_privilege(statements: list[tuple[set[str], list[Any]]], expected: set[str]) -> None:
    """A policy holds exactly ``expected``, no wildcard action, and ``*`` as a resource only for the actions IAM
    gives no resource type."""
    actions = set().union(*(a for a, _ in statements))
    assert actions == expected
    assert not any("*" in action for action in actions)
    for statement_actions, resources in statements:
        if "*" in resources:
            assert resources == ["*"] and statement_actions <= NO_RESOURCE_TYPE, statement_actions


@pytest.mark.parametrize(("name", "role", "expected"), [
    ("config-rule.yaml", "FunctionRole", HANDLER_ACTIONS | LOGS),
    ("config-rule-organization.yaml", "FunctionRole", LOGS | {"sts:AssumeRole"}),
    ("member-role.yaml", "MemberRole", HANDLER_ACTIONS),
])
def test_cfn_policies_hold_exactly_the_handlers_calls(name: str, role: str, expected: set[str]) -> None:
    assert_least_privilege(cfn_statements(name, role), expected)


def test_cfn_rule_is_a_kinesis_rule_with_both_trigger_kinds() -> None:
    resources = cfn_resources("config-rule.yaml")
    rule = resources["ConfigRule"]["Properties"]
    assert rule["Scope"] == {"ComplianceResourceTypes": ["AWS::Kinesis::Stream"]}
    assert rule["Source"]["Owner"] == "CUSTOM_LAMBDA"
    details = rule["Source"]["SourceDetails"]
    assert [d["MessageType"] for d in details] == TRIGGERS
    assert details[2]["MaximumExecutionFrequency"] == {"Ref": "MaximumExecutionFrequency"}
    assert set(rule["InputParameters"]) == {"strictKeyPolicy", "failOn", "exemptStreams"}
    assert resources["ConfigRule"]["DependsOn"] == "ConfigPermission"
    permission = resources["ConfigPermission"]["Properties"]
    assert (permission["Principal"], permission["SourceAccount"]) == ("config.amazonaws.com", {"Ref": "AWS::AccountId"})


def test_cfn_parameters_default_as_documented() -> None:
    parameters = load_template(CFN / "config-rule.yaml").parameters
    assert parameters["RuleName"]["Default"] == "sseguard-kinesis-stream-encrypted"
    assert parameters["MaximumExecutionFrequency"]["Default"] == "TwentyFour_Hours"
    assert {"CodeBucket", "CodeKey", "StrictKeyPolicy", "FailOn", "ExemptStreams"} <= set(parameters)


@pytest.mark.parametrize("name", ["config-rule.yaml", "config-rule-organization.yaml"])
def test_cfn_function_runs_the_handler_on_128_mb(name: str) -> None:
    function = cfn_resources(name)["Function"]["Properties"]
    assert (function["Runtime"], function["Handler"], function["MemorySize"]) == \
        ("python3.12", "sseguard.integrations.config_rule.handler", 128)


def test_cfn_organization_rule_is_a_kinesis_rule_with_both_trigger_kinds() -> None:
    resources = cfn_resources("config-rule-organization.yaml")
    metadata = resources["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]
    assert metadata["ResourceTypesScope"] == ["AWS::Kinesis::Stream"]
    assert metadata["OrganizationConfigRuleTriggerTypes"] == TRIGGERS
    assert metadata["InputParameters"]["Fn::ToJsonString"]["ExecutionRoleName"] == {"Ref": "MemberRoleName"}
    _, _, body = resources["Fn::ForEach::MemberPermissions"]
    (permission,) = body.values()
    assert permission["Properties"]["Principal"] == "config.amazonaws.com"
    assert permission["Properties"]["SourceAccount"] == {"Ref": "AccountId"}


def test_cfn_member_role_trusts_the_function_role_the_organization_template_names() -> None:
    org = load_template(CFN / "config-rule-organization.yaml").parameters
    member = load_template(CFN / "member-role.yaml").parameters
    for name in ("FunctionRoleName", "MemberRoleName"):
        assert org[name]["Default"] == member[name]["Default"]


# ---- Terraform ------------------------------------------------------------------------------------------------

def tf_statements(module: str, document: str) -> list[tuple[set[str], list[str]]]:
    """(actions, resources) of each statement of one aws_iam_policy_document, read with a regex: the module's
    statements hold only flat string lists, so the regex sees all there is."""
    text = "".join(p.read_text() for p in sorted((REPO / module).glob("*.tf")))
    blocks = re.split(r'^data "aws_iam_policy_document" "(\w+)" \{$', text, flags=re.M)
    body = dict(zip(blocks[1::2], blocks[2::2], strict=True))[document]
    body = re.split(r"^(?:data|resource) ", body, maxsplit=1, flags=re.M)[0]
    found = []
    for statement in re.split(r"^  statement \{$", body, flags=re.M)[1:]:
        lists = {key: re.findall(r'"([^"]+)"', values) for key, values in
                 re.findall(r"^    (actions|resources)\s*=\s*\[([^\]]*)\]", statement, flags=re.M)}
        found.append((set(lists["actions"]), lists.get("resources", [])))
    return found


@pytest.mark.parametrize(("module", "document", "expected"), [
    ("deploy/terraform", "function", HANDLER_ACTIONS | LOGS),
    ("deploy/terraform/organization", "function", LOGS | {"sts:AssumeRole"}),
    ("deploy/terraform/organization/member-role", "member", HANDLER_ACTIONS),
])
def test_tf_policies_hold_exactly_the_handlers_calls(module: str, document: str, expected: set[str]) -> None:
    assert_least_privilege(tf_statements(module, document), expected)


def test_tf_rule_is_a_kinesis_rule_with_both_trigger_kinds() -> None:
    text = (TF / "rule.tf").read_text()
    assert 'compliance_resource_types = ["AWS::Kinesis::Stream"]' in text
    assert 'owner             = "CUSTOM_LAMBDA"' in text
    assert re.findall(r'message_type\s+= "(\w+)"', text) == TRIGGERS
    assert "maximum_execution_frequency = var.maximum_execution_frequency" in text
    main = (TF / "main.tf").read_text()
    assert 'principal      = "config.amazonaws.com"' in main
    assert "source_account = local.account_id" in main
    for line in ('runtime          = "python3.12"', 'handler          = "sseguard.integrations.config_rule.handler"',
                 "memory_size      = 128"):
        assert line in main
        assert line in (TF / "organization" / "main.tf").read_text()


def test_tf_organization_rule_is_a_kinesis_rule_with_both_trigger_kinds() -> None:
    text = (TF / "organization" / "rule.tf").read_text()
    assert 'resource "aws_config_organization_custom_rule" "rule"' in text
    assert 'resource_types_scope        = ["AWS::Kinesis::Stream"]' in text
    (triggers,) = re.findall(r"trigger_types = \[([^\]]*)\]", text)
    assert re.findall(r'"(\w+)"', triggers) == TRIGGERS
    assert "ExecutionRoleName = var.member_role_name" in text


def test_tf_variables_have_types_and_descriptions() -> None:
    for module in TF_MODULES:
        text = (REPO / module / "variables.tf").read_text()
        blocks = re.split(r'^variable "\w+" \{$', text, flags=re.M)[1:]
        assert blocks, module
        for block in blocks:
            assert re.search(r"^  type\s+=", block, flags=re.M), block
            assert re.search(r"^  description\s+=", block, flags=re.M), block


def test_terraform_fmt_is_clean() -> None:
    binary = shutil.which("terraform") or shutil.which("tofu")
    if binary is None:
        pytest.skip("no terraform or tofu binary on PATH")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", str(TF)], capture_output=True, text=True,
                          env=env, check=False, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# ---- the scanner reads them all -------------------------------------------------------------------------------

def test_scan_reads_every_deploy_file_without_errors() -> None:
    code, report = run_module("deploy")
    assert code == 0
    assert report["errors"] == []
    assert report["findings"] == []  # no template declares a Kinesis stream
    assert report["summary"] == {"pass": 0, "fail": 0, "unknown": 0, "suppressed": 0}
    inputs = {(i["kind"], i["location"]) for i in report["inputs"]}
    assert {loc for kind, loc in inputs if kind == "cloudformation"} == \
        {f"deploy/cloudformation/{name}" for name in TEMPLATES}
    terraform = {loc for kind, loc in inputs if kind == "terraform"}
    assert {str(Path(loc).parent) for loc in terraform} == set(TF_MODULES)
    assert terraform == {str(p.relative_to(REPO)) for p in TF.rglob("*.tf")}
    assert {kind for kind, _ in inputs} == {"cloudformation", "terraform"}
