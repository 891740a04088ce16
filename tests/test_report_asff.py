"""ASFF for Security Hub: required fields and limits validated, statuses, stable ids, account/region fallbacks."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import report_cases as rc
from sseguard.report import asff
from sseguard.report.core import Report

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "reports" / "asff-finding.schema.json").read_text("utf-8"))
ENV = {"AWS_ACCOUNT_ID": "444455556666", "AWS_REGION": "us-east-1"}


def findings(report: Report, environ: dict[str, str] | None = None) -> list[dict[str, Any]]:
    data = json.loads(asff.render(report, None, environ=ENV if environ is None else environ))
    assert isinstance(data, list)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for item in data:
        validator.validate(item)
    return data


def by_address(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["ProductFields"]["sseguard/Address"]: f for f in items}


def test_every_finding_validates_with_status_and_workflow() -> None:
    items = findings(rc.report())
    assert len(items) == len(rc.EXPECTED)
    got = {addr: (f["Compliance"]["Status"], f["Workflow"]["Status"], f["Severity"]["Label"])
           for addr, f in by_address(items).items()}
    assert got == {
        rc.DENIED_ARN: ("NOT_AVAILABLE", "NEW", "MEDIUM"),
        rc.LIVE_ARN: ("FAILED", "NEW", "HIGH"),
        "aws_kinesis_stream.legacy": ("FAILED", "SUPPRESSED", "HIGH"),
        "aws_kinesis_stream.stale_ignore": ("FAILED", "NEW", "HIGH"),
        "aws_kinesis_stream.plain": ("FAILED", "NEW", "HIGH"),
        "aws_kinesis_stream.moved_key": ("FAILED", "NEW", "HIGH"),
        "aws_kinesis_stream.from_var": ("WARNING", "NEW", "MEDIUM"),
        "aws_kinesis_stream.managed": ("PASSED", "RESOLVED", "INFORMATIONAL"),
        "aws_kinesis_stream.orders": ("PASSED", "RESOLVED", "INFORMATIONAL"),
        rc.SCRIPT_ADDRESS: ("FAILED", "NEW", "HIGH"),
    }


def test_live_finding_uses_its_own_account_region_and_arn() -> None:
    live = by_address(findings(rc.report()))[rc.LIVE_ARN]
    assert live["AwsAccountId"] == "111122223333"
    assert live["ProductArn"] == "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    assert live["GeneratorId"] == "sseguard/kinesis_stream_server_side_encryption_enabled"
    assert live["CreatedAt"] == live["UpdatedAt"] == "2026-11-28T09:30:00.000Z"
    assert live["Resources"] == [{
        "Type": "AwsKinesisStream", "Id": rc.LIVE_ARN, "Partition": "aws", "Region": "us-east-1",
        "Details": {"AwsKinesisStream": {"Name": "live-orders", "Arn": rc.LIVE_ARN,
                                         "StreamEncryption": {"EncryptionType": "NONE"}}},
    }]
    assert live["Title"] == f"Kinesis stream {rc.LIVE_ARN}: Encryption type is NONE"
    assert live["Remediation"]["Recommendation"]["Text"].startswith("aws kinesis start-stream-encryption")
    audit = by_address(findings(rc.report()))[rc.DENIED_ARN]
    assert (audit["AwsAccountId"], audit["Resources"][0]["Region"]) == ("111122223333", "eu-west-1")


def test_source_finding_falls_back_to_environment() -> None:
    plain = by_address(findings(rc.report()))["aws_kinesis_stream.plain"]
    assert plain["AwsAccountId"] == "444455556666"
    assert plain["ProductArn"] == "arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default"
    # No ARN is made up from an account the stream itself does not name: the address identifies it.
    assert plain["Resources"][0]["Id"] == "aws_kinesis_stream.plain"
    assert plain["ProductFields"]["sseguard/Source"] == "main.tf:1"
    assert plain["ProductFields"]["sseguard/ReasonCode"] == "KSSE001"


def test_related_requirements_and_product_fields() -> None:
    items = by_address(findings(rc.report()))
    reqs = items["aws_kinesis_stream.plain"]["Compliance"]["RelatedRequirements"]
    assert reqs[:3] == ["PCI DSS v4.0 3.5.1", "PCI DSS v4.0 3.6", "PCI DSS v4.0 3.7"]
    assert "NIST 800-53 rev5 SC-28" in reqs and len(reqs) == 22
    legacy = items["aws_kinesis_stream.legacy"]["ProductFields"]
    assert (legacy["sseguard/SuppressionKind"], legacy["sseguard/SuppressionReason"],
            legacy["sseguard/SuppressionExpires"]) == ("sseguard", "legacy stream, retired in Q1", "2027-01-31")
    moved = items["aws_kinesis_stream.moved_key"]
    assert (moved["ProductFields"]["sseguard/AlsoFailing"], moved["ProductFields"]["sseguard/Advisories"]) == (
        "KSSE014", "KSSE013")
    assert "Advisory KSSE013" in moved["Description"]


def test_id_is_stable_when_the_stream_is_fixed_and_distinct_per_stream() -> None:
    plain = rc.streams()[0]
    before = findings(rc.report([plain], errors=[]))[0]
    fixed = findings(rc.report([rc.moved(replace(plain, encryption_type="KMS", key_reference="alias/orders"), 3)],
                               errors=[]))[0]
    assert fixed["Compliance"]["Status"] == "PASSED"
    assert fixed["Id"] == before["Id"]
    ids = [f["Id"] for f in findings(rc.report())]
    assert len(set(ids)) == len(ids)


def test_missing_account_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError) as err:
        findings(rc.report(), environ={})
    # Live streams name their own account and region; the eight source streams do not.
    assert str(err.value) == (
        "ASFF needs the AWS account and region of every stream: no account is known for aws_kinesis_stream.legacy, "
        "aws_kinesis_stream.stale_ignore, aws_kinesis_stream.plain and 5 more (give --account-id ACCOUNT or set "
        "AWS_ACCOUNT_ID)")
    with pytest.raises(ValueError, match=r"^AWS_ACCOUNT_ID must be a 12-digit AWS account id, not 'prod'$"):
        findings(rc.report(), environ={"AWS_ACCOUNT_ID": "prod", "AWS_REGION": "us-east-1"})
    live_only = [s for s in rc.streams() if s.account]
    assert len(findings(rc.report(live_only), environ={})) == 2


def test_long_texts_are_cut_to_the_limits() -> None:
    long = replace(rc.streams()[0], address="aws_kinesis_stream.s" + "x" * 1500)
    [item] = findings(rc.report([long], errors=[]))
    assert len(item["Title"]) == 256 and item["Title"].endswith("…")
    assert len(item["Description"]) == 1024
    assert item["Resources"][0]["Id"] == long.address
