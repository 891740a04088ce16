"""Suppression comments on Terraform streams: sseguard:ignore with a reason and an expiry, checkov:skip and
trivy:ignore; expired, reason-less and wrong-code suppressions do not apply and are reported."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import TF, ScanRun, scan


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(TF / "suppressions")


def suppression(run: ScanRun, name: str) -> Any:
    return run.finding(f"aws_kinesis_stream.{name}")["suppression"]


def notes(run: ScanRun, name: str) -> Any:
    return run.evidence(f"aws_kinesis_stream.{name}").get("suppression_notes")


def test_sseguard_ignore_on_the_line_above(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.ignored_above") == ("suppressed", "KSSE001", [], "main.tf", 2)
    assert suppression(run, "ignored_above") == {"kind": "sseguard", "reason": "legacy stream, retired in Q1",
                                                 "expires": "2099-12-31"}


def test_sseguard_ignore_inside_the_block(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.ignored_inside") == ("suppressed", "KSSE002", [], "main.tf", 6)
    assert suppression(run, "ignored_inside") == {"kind": "sseguard", "reason": "test data only", "expires": None}


def test_an_expired_suppression_no_longer_applies(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.expired") == ("fail", "KSSE001", [], "main.tf", 12)
    assert suppression(run, "expired") is None
    assert notes(run, "expired") == ["sseguard suppression (line 11) expired on 2020-01-31 and no longer applies"]


def test_an_sseguard_suppression_without_a_reason_is_reported_and_not_applied(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.no_reason") == ("fail", "KSSE001", [], "main.tf", 17)
    assert notes(run, "no_reason") == [
        'sseguard suppression (line 16) has no reason and is not applied: give reason="..."']


@pytest.mark.parametrize(("name", "line", "code", "kind", "comment_line"), [
    ("checkov_no_reason", 32, "KSSE001", "checkov", 31),
    ("trivy_ignore", 36, "KSSE003", "trivy", 37),
])
def test_a_peer_suppression_without_a_reason_is_honoured_and_reported(
        run: ScanRun, name: str, line: int, code: str, kind: str, comment_line: int) -> None:
    assert run.verdict(f"aws_kinesis_stream.{name}") == ("suppressed", code, [], "main.tf", line)
    assert suppression(run, name) == {"kind": kind, "reason": "(no reason given)", "expires": None}
    assert notes(run, name) == [
        f"{kind} suppression (line {comment_line}) has no reason: it is honoured, but an auditor will ask why; "
        'replace it with # sseguard:ignore CODE reason="..."']


def test_a_suppression_of_another_code_does_not_apply(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.other_code") == ("fail", "KSSE001", [], "main.tf", 22)
    assert suppression(run, "other_code") is None


def test_checkov_skip_with_a_reason(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.checkov_skip") == ("suppressed", "KSSE001", [], "main.tf", 27)
    assert suppression(run, "checkov_skip") == {"kind": "checkov", "reason": "Encrypted by the consumer before writing",
                                                "expires": None}


def test_trivy_ignore_with_expiry_and_reason(run: ScanRun) -> None:
    # AVD-AWS-0064 also covers the missing key (KSSE003)
    assert run.verdict("aws_kinesis_stream.trivy_with_reason") == ("suppressed", "KSSE003", [], "main.tf", 43)
    assert suppression(run, "trivy_with_reason") == {
        "kind": "trivy", "reason": "key added by the platform team's pipeline", "expires": "2099-06-30"}


def test_a_pass_stays_a_pass(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.on_a_pass") == ("pass", "KSSE000", [], "main.tf", 49)
    assert suppression(run, "on_a_pass") is None


def test_an_unknown_can_be_suppressed_by_its_code(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.unknown_ignored") == ("suppressed", "KSSE020", [], "main.tf", 56)


def test_summary(run: ScanRun) -> None:
    assert run.report["summary"] == {"pass": 1, "fail": 3, "unknown": 0, "suppressed": 7}


def test_a_suppression_of_the_unknown_does_not_cover_the_fail_once_the_value_is_known() -> None:
    known = scan(TF / "suppressions", args=["--var", "from_pipeline=KMS"])
    assert known.verdict("aws_kinesis_stream.unknown_ignored") == ("fail", "KSSE003", [], "main.tf", 56)
    assert known.finding("aws_kinesis_stream.unknown_ignored")["suppression"] is None
