"""Following kms_key_id to the key: aws_kms_key (is_enabled, policy), aws_kms_alias, aws_kms_key_policy, policy
documents (jsonencode, heredoc, data aws_iam_policy_document), key ARNs, keys in child modules, and keys out of
reach (data sources, undeclared aliases) whose checks are skipped and named."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import TF, ScanRun, scan

KEYS = TF / "keys"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(KEYS)


@pytest.fixture(scope="module")
def strict() -> ScanRun:
    return scan(KEYS, args=["--strict-key-policy"])


def key_of(run: ScanRun, name: str) -> dict[str, Any]:
    key: dict[str, Any] = run.evidence(f"aws_kinesis_stream.{name}")["key"]
    return key


def test_a_good_key_passes_every_check(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.good") == ("pass", "KSSE000", ["KSSE015"], "streams.tf", 1)
    ev = run.evidence("aws_kinesis_stream.good")
    # the policy names account 111122223333, and HCL does not say which account the stream is in
    assert ev["key_checks_not_run"] == {"KSSE016": (
        "the stream's account is not known, so whether arn:aws:iam::111122223333:root is outside it cannot be told; "
        "scan the live stream (sseguard aws) or the state")}
    assert ev["key"]["declared_at"] == "aws_kms_key.good"
    assert ev["key"]["state"] == "Enabled"
    assert ev["key"]["region"] == "eu-west-1"
    assert ev["key"]["policy_origin"] == "aws_kms_key.good.policy"
    assert [s["Sid"] for s in ev["key"]["policy"]["Statement"]] == ["Root", "Kinesis"]


def test_ksse014_is_enabled_false(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.disabled") == ("fail", "KSSE014", ["KSSE015"], "streams.tf", 7)
    assert run.finding("aws_kinesis_stream.disabled")["message"] == (
        "key aws_kms_key.disabled.key_id is not usable: Disabled")
    assert key_of(run, "disabled")["state"] == "Disabled"


def test_ksse013_default_policy_is_an_advisory(run: ScanRun, strict: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.default_policy") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "streams.tf", 13)
    assert key_of(run, "default_policy")["policy_origin"] == "the default key policy (no policy is set)"
    assert strict.verdict("aws_kinesis_stream.default_policy") == ("fail", "KSSE013", ["KSSE015"], "streams.tf", 13)


def test_ksse012_heredoc_policy_denying_producers(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.heredoc_deny") == (
        "fail", "KSSE012", ["KSSE013", "KSSE015"], "streams.tf", 19)
    notes = run.evidence("aws_kinesis_stream.heredoc_deny")["policy_analysis"]
    assert ("no principal is left a way to use kms:GenerateDataKey: allowed by statement 'Root' but denied without "
            "condition by statement 'NoProducers'") in notes


def test_policy_document_data_source(run: ScanRun, strict: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.document") == ("pass", "KSSE000", ["KSSE013", "KSSE015"], "streams.tf", 25)
    key = key_of(run, "document")
    assert key["policy_origin"] == "aws_kms_key.document.policy from data.aws_iam_policy_document.producers_only"
    assert key["policy"] == {"Version": "2012-10-17", "Statement": [{
        "Sid": "Producers", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": ["*"],
        "Principal": {"AWS": ["arn:aws:iam::111122223333:role/producer"]},
    }]}
    assert strict.verdict("aws_kinesis_stream.document") == ("fail", "KSSE013", ["KSSE015"], "streams.tf", 25)


def test_aws_kms_key_policy_resource_replaces_the_key_policy(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.separate_policy") == (
        "fail", "KSSE012", ["KSSE013", "KSSE015"], "streams.tf", 31)
    assert key_of(run, "separate_policy")["policy_origin"] == "aws_kms_key_policy.separate_policy"


def test_policy_with_parts_known_only_after_apply(run: ScanRun) -> None:
    # the root principal's account comes from a data source: kept as ${...}, still a delegation of kms:*
    assert run.verdict("aws_kinesis_stream.unresolved_policy") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "streams.tf", 37)
    assert key_of(run, "unresolved_policy")["policy_origin"] == (
        "aws_kms_key.unresolved_policy.policy (parts known only after apply kept as ${...})")


def test_several_key_failures_in_table_order(run: ScanRun, strict: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.everything_wrong") == (
        "fail", "KSSE011", ["KSSE013", "KSSE015"], "streams.tf", 43)
    assert run.evidence("aws_kinesis_stream.everything_wrong")["also_failing"] == ["KSSE012", "KSSE014"]
    assert run.finding("aws_kinesis_stream.everything_wrong")["message"] == (
        "key aws_kms_key.east.arn is in region us-east-1, the stream is in eu-west-1")
    assert strict.evidence("aws_kinesis_stream.everything_wrong")["also_failing"] == ["KSSE012", "KSSE013", "KSSE014"]


def test_counted_keys_by_index(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.counted_enabled") == ("pass", "KSSE000", ["KSSE015"], "streams.tf", 49)
    assert run.verdict("aws_kinesis_stream.counted_disabled") == ("fail", "KSSE014", ["KSSE015"], "streams.tf", 55)
    assert key_of(run, "counted_disabled")["declared_at"] == "aws_kms_key.counted[1]"


@pytest.mark.parametrize(("name", "line", "verdict", "declared_at"), [
    ("alias_name", 61, ("pass", "KSSE000", ["KSSE015"]), "aws_kms_alias.good -> aws_kms_key.good"),
    ("alias_ref", 67, ("fail", "KSSE014", ["KSSE015"]), "aws_kms_alias.disabled -> aws_kms_key.disabled"),
    ("alias_arn_literal", 73, ("fail", "KSSE014", ["KSSE015"]), "aws_kms_alias.disabled -> aws_kms_key.disabled"),
])
def test_an_alias_leads_to_its_target_key(run: ScanRun, name: str, line: int, verdict: tuple[str, str, list[str]],
                                          declared_at: str) -> None:
    assert run.verdict(f"aws_kinesis_stream.{name}") == (*verdict, "streams.tf", line)
    assert key_of(run, name)["declared_at"] == declared_at


def test_an_alias_not_declared_passes_with_its_checks_named(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.undeclared_alias") == ("pass", "KSSE000", [], "streams.tf", 79)
    not_run = run.evidence("aws_kinesis_stream.undeclared_alias")["key_checks_not_run"]
    # an alias is in the stream's region
    assert sorted(not_run) == ["KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016"]
    assert not_run["KSSE014"] == ("alias alias/declared-elsewhere is not declared in the scanned files: scan the "
                                  "live stream with sseguard aws to check the key's state and policy")


def test_aws_managed_alias_arn(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.aws_managed_arn") == ("pass", "KSSE000", ["KSSE010"], "streams.tf", 85)
    assert key_of(run, "aws_managed_arn")["manager"] == "AWS"


@pytest.mark.parametrize(("name", "line", "declared_at"), [
    ("key_from_module", 91, "module.keymod.aws_kms_key.inner"),
    ("key_from_module_instance", 107, 'module.keyset["a"].aws_kms_key.inner'),
])
def test_a_key_declared_in_a_child_module(run: ScanRun, name: str, line: int, declared_at: str) -> None:
    assert run.verdict(f"aws_kinesis_stream.{name}") == ("fail", "KSSE014", ["KSSE013", "KSSE015"], "streams.tf", line)
    assert key_of(run, name)["declared_at"] == declared_at


def test_a_key_from_a_data_source_is_out_of_reach(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.data_key") == ("pass", "KSSE000", [], "streams.tf", 97)
    not_run = run.evidence("aws_kinesis_stream.data_key")["key_checks_not_run"]
    assert not_run == {code: ("the key comes from data.aws_kms_key.shared, known only at plan time: scan the plan "
                              "JSON or the live stream") for code in ("KSSE011", "KSSE012", "KSSE013", "KSSE014",
                                                                      "KSSE015", "KSSE016")}


def test_summary(run: ScanRun, strict: ScanRun) -> None:
    assert run.report["summary"] == {"pass": 9, "fail": 9, "unknown": 0, "suppressed": 0}
    assert strict.report["summary"] == {"pass": 6, "fail": 12, "unknown": 0, "suppressed": 0}
    assert run.errors == []


# --- policies written in other ways (fixtures/terraform/policies) ------------------------------------------------

@pytest.fixture(scope="module")
def policies() -> ScanRun:
    return scan(TF / "policies")


def test_policy_read_with_file(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.from_file") == ("pass", "KSSE000", ["KSSE015"], "main.tf", 108)
    assert [s["Sid"] for s in key_of(policies, "from_file")["policy"]["Statement"]] == ["Root", "Kinesis"]


def test_policy_rendered_with_templatefile_and_a_not_principal_deny(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.from_template") == (
        "fail", "KSSE012", ["KSSE013", "KSSE015"], "main.tf", 114)
    statement = key_of(policies, "from_template")["policy"]["Statement"][1]
    assert statement["NotPrincipal"] == {"AWS": "arn:aws:iam::111122223333:role/admin"}


def test_document_composed_from_a_source_document_and_a_dynamic_statement(policies: ScanRun) -> None:
    # reached through the alias's ARN; the Kinesis grant carries a condition, which still counts
    assert policies.verdict("aws_kinesis_stream.composed_via_alias_arn") == (
        "pass", "KSSE000", ["KSSE015"], "main.tf", 120)
    key = key_of(policies, "composed_via_alias_arn")
    assert key["declared_at"] == "aws_kms_alias.composed -> aws_kms_key.composed"
    assert key["policy"] == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"],
         "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}},
        {"Sid": "Service0", "Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": ["*"],
         "Principal": {"Service": ["kinesis.amazonaws.com"]},
         "Condition": {"StringEquals": {"aws:SourceAccount": ["111122223333"]}}},
    ]}


def test_override_document_replaces_a_statement_by_sid(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.overridden") == (
        "fail", "KSSE012", ["KSSE013", "KSSE015"], "main.tf", 126)
    statements = key_of(policies, "overridden")["policy"]["Statement"]
    assert [(s["Sid"], s["Effect"]) for s in statements] == [("Service0", "Allow"), ("Root", "Deny")]


def test_not_action_leaving_decrypt_out(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.not_actions") == (
        "fail", "KSSE012", ["KSSE013", "KSSE015"], "main.tf", 132)
    assert "no principal is left a way to use kms:Decrypt: no Allow statement covers it" in (
        policies.evidence("aws_kinesis_stream.not_actions")["policy_analysis"])


def test_a_disabled_replica_key(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.replica") == ("fail", "KSSE014", ["KSSE013"], "main.tf", 138)
    key = key_of(policies, "replica")
    assert (key["state"], key["region"], key["declared_at"]) == ("Disabled", "us-east-1", "aws_kms_replica_key.replica")


def test_policy_rendered_by_a_for_directive_in_templatefile(policies: ScanRun) -> None:
    assert policies.verdict("aws_kinesis_stream.loop_template") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 153)
    statements = key_of(policies, "loop_template")["policy"]["Statement"]
    assert [(s["Sid"], s["Principal"]["AWS"]) for s in statements] == [
        ("Role0", "arn:aws:iam::111122223333:role/producer"), ("Role1", "arn:aws:iam::111122223333:role/consumer")]


# --- keys with instances (fixtures/terraform/key_instances) --------------------------------------------------------

@pytest.fixture(scope="module")
def instances() -> ScanRun:
    return scan(TF / "key_instances")


def test_each_stream_instance_follows_its_own_key_instance(instances: ScanRun) -> None:
    assert instances.verdict('aws_kinesis_stream.per["a"]') == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 12)
    assert instances.verdict('aws_kinesis_stream.per["b"]') == (
        "fail", "KSSE014", ["KSSE013", "KSSE015"], "main.tf", 12)
    assert key_of(instances, 'per["b"]')["declared_at"] == 'aws_kms_key.per["b"]'
    assert instances.verdict("aws_kinesis_stream.counted[0]") == (
        "fail", "KSSE014", ["KSSE013", "KSSE015"], "main.tf", 22)
    assert instances.verdict("aws_kinesis_stream.counted[1]") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 22)


def test_element_of_a_splat_picks_that_key(instances: ScanRun) -> None:
    # counted[0] is disabled, counted[1] is not: the element picked decides the verdict
    assert instances.verdict("aws_kinesis_stream.splat_key") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 43)
    assert key_of(instances, "splat_key")["declared_at"] == "aws_kms_key.counted[1]"


def test_a_key_from_a_map_output_of_a_module(instances: ScanRun) -> None:
    assert instances.verdict("aws_kinesis_stream.from_map_output") == (
        "fail", "KSSE014", ["KSSE013", "KSSE015"], "main.tf", 31)
    assert key_of(instances, "from_map_output")["declared_at"] == "module.keys.aws_kms_key.orders"


def test_an_aliased_provider_passed_to_a_module_with_configuration_aliases(instances: ScanRun) -> None:
    assert instances.verdict("module.child.aws_kinesis_stream.east") == ("fail", "KSSE011", [], "child/main.tf", 9)
    assert instances.finding("module.child.aws_kinesis_stream.east")["resource"]["region"] == "us-east-1"
