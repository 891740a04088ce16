"""Corners of the configuration language that decide a verdict: explicit nulls, non-string types,
terraform.workspace, cyclic locals, keys only known after apply that are not KMS keys, meta blocks, and a module
that calls its own folder."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan

EDGES = TF / "edges"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(EDGES)


def test_an_explicit_null_type_is_the_provider_default(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.explicit_null_type") == ("fail", "KSSE001", [], "main.tf", 19)


def test_a_key_variable_defaulting_to_null(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.null_key_variable") == ("fail", "KSSE003", [], "main.tf", 24)


def test_a_number_is_not_a_valid_type(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.number_type") == ("fail", "KSSE004", [], "main.tf", 30)
    assert run.finding("aws_kinesis_stream.number_type")["message"] == (
        "encryption type '1' is not a valid value (KMS or NONE)")


def test_terraform_workspace_defaults_to_default(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.by_workspace") == ("fail", "KSSE002", [], "main.tf", 36)


def test_terraform_workspace_from_tf_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_WORKSPACE", "prod")
    assert scan(EDGES).verdict("aws_kinesis_stream.by_workspace") == ("pass", "KSSE000", [], "main.tf", 36)


def test_cyclic_locals_are_unknown(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.circular") == ("unknown", "KSSE020", [], "main.tf", 42)
    message = run.finding("aws_kinesis_stream.circular")["message"]
    assert message == "encryption_type = local.a: local.a refers to itself"


def test_a_key_only_known_after_apply_that_is_no_kms_key_is_unknown(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.computed_key") == ("unknown", "KSSE020", [], "main.tf", 47)
    finding = run.finding("aws_kinesis_stream.computed_key")
    assert finding["message"].startswith(
        "kms_key_id = aws_s3_bucket.logs.arn is only known after apply and references no KMS key")
    assert finding["remediation"] == "scan the plan JSON"


def test_lifecycle_and_timeouts_blocks_change_nothing(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.with_lifecycle") == ("pass", "KSSE000", [], "main.tf", 57)
    assert run.finding("aws_kinesis_stream.with_lifecycle")["source"]["end_line"] == 70


def test_a_module_calling_its_own_folder_is_reported_once(run: ScanRun) -> None:
    assert [a for a in run.addresses() if a.startswith("module.")] == ["module.loop.aws_kinesis_stream.in_loop"]
    assert run.verdict("module.loop.aws_kinesis_stream.in_loop") == ("pass", "KSSE000", [], "loop/main.tf", 5)
    assert run.errors == [{
        "location": "loop/main.tf", "line": 1, "kind": "incomplete",
        "message": "module.again not scanned: module.again calls loop, which is already on its call path (a module "
                   "cycle) (break the cycle of module sources)",
    }]
