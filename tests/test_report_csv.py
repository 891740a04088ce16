"""CSV: parsed back with the csv module; one row per finding keyed by control and code, error rows, inert cells."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import report_cases as rc
from sseguard.control.codes import CODES
from sseguard.report import FORMATS, RenderOptions
from sseguard.report.core import Report
from sseguard.report.csv_format import COLUMNS


def rows(report: Report) -> list[dict[str, str]]:
    text = FORMATS["csv"](report, RenderOptions())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_one_row_per_finding_then_errors() -> None:
    got = rows(rc.report())
    assert [(r["address"], r["status"], r["reason_code"]) for r in got[:-1]] == [
        (address, status, code) for address, status, code, _ in rc.EXPECTED]
    assert all(r["control_id"] == "kinesis_stream_server_side_encryption_enabled" for r in got)
    error = got[-1]
    assert (error["status"], error["reason_code"], error["file"], error["line"]) == ("error", "", "broken/main.tf", "3")
    assert error["message"] == "unexpected token '}' (expected an attribute or block)"


def test_row_fields() -> None:
    by_address = {r["address"]: r for r in rows(rc.report())}
    plain = by_address["aws_kinesis_stream.plain"]
    assert plain == {
        "control_id": "kinesis_stream_server_side_encryption_enabled",
        "reason_code": "KSSE001",
        "reason": "encryption-missing",
        "status": "fail",
        "severity": "high",
        "advisories": "",
        "address": "aws_kinesis_stream.plain",
        "resource_type": "aws_kinesis_stream",
        "arn": "",
        "account": "",
        "region": "us-east-1",
        "source_kind": "terraform",
        "file": "main.tf",
        "line": "1",
        "end_line": "4",
        "message": "encryption type is not set; the default is NONE (no encryption)",
        "remediation": CODES["KSSE001"].remediation_for("terraform"),
        "framework_requirements": plain["framework_requirements"],
        "tool_ids": plain["tool_ids"],
        "suppression_kind": "",
        "suppression_reason": "",
        "suppression_expires": "",
        "notes": "",
    }
    frameworks = plain["framework_requirements"].split("; ")
    assert frameworks[:3] == ["PCI DSS v4.0 3.5.1", "PCI DSS v4.0 3.6", "PCI DSS v4.0 3.7"]
    assert "NIST 800-53 rev5 SC-28" in frameworks and "AWS FSBP Kinesis.1" in frameworks
    assert len(frameworks) == 22
    assert plain["tool_ids"].split("; ")[:2] == ["Checkov CKV_AWS_43", "Checkov CKV_AWS_185"]

    legacy = by_address["aws_kinesis_stream.legacy"]
    assert (legacy["status"], legacy["suppression_kind"], legacy["suppression_reason"],
            legacy["suppression_expires"]) == ("suppressed", "sseguard", "legacy stream, retired in Q1", "2027-01-31")
    moved = by_address["aws_kinesis_stream.moved_key"]
    assert (moved["reason_code"], moved["advisories"], moved["notes"]) == ("KSSE011", "KSSE013", "also failing KSSE014")
    managed = by_address["aws_kinesis_stream.managed"]
    assert (managed["status"], managed["severity"], managed["advisories"]) == ("pass", "low", "KSSE010")
    stale = by_address["aws_kinesis_stream.stale_ignore"]
    assert stale["notes"] == "checkov suppression (line 9) expired on 2025-01-01 and no longer applies"
    live = by_address[rc.LIVE_ARN]
    assert (live["arn"], live["account"], live["source_kind"], live["file"], live["line"]) == (
        rc.LIVE_ARN, "111122223333", "aws", "", "")


def test_formula_cells_are_inert_and_awkward_text_round_trips() -> None:
    base = rc.streams()[0]
    formula = replace(base, address='=HYPERLINK("http://evil.example/","click")')
    awkward = replace(base, address='aws_kinesis_stream.x["a,b \\"c\\"\nd"]', location=rc.tf("main.tf", 40, 44))
    got = {r["line"]: r for r in rows(rc.report([formula, awkward], errors=[]))}
    assert got["1"]["address"] == '\'=HYPERLINK("http://evil.example/","click")'
    assert got["40"]["address"] == 'aws_kinesis_stream.x["a,b \\"c\\"\nd"]'
