"""SARIF 2.1.0: every log passes GitHub code scanning's ingestion rules (and the OASIS schema when it is present);
rules, levels, locations, fingerprints, suppressions."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import report_cases as rc
import sarif_rules
from sseguard.control.codes import CODES
from sseguard.model import InputError
from sseguard.report import FORMATS, RenderOptions, sarif
from sseguard.report.core import Report


def log_of(report: Report) -> dict[str, Any]:
    """Render through the FORMATS entry (as the CLI does), parse, and check GitHub's ingestion rules (and the OASIS
    schema when it is beside the repository)."""
    text = FORMATS["sarif"](report, RenderOptions())
    data: dict[str, Any] = json.loads(text)
    sarif_rules.check(data)
    return data


def results_of(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["ruleId"], r["level"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
            for r in data["runs"][0]["results"]]


def test_log_validates_and_has_one_rule_per_code() -> None:
    data = log_of(rc.report())
    assert data["version"] == "2.1.0"
    driver = data["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sseguard"
    assert [r["id"] for r in driver["rules"]] == list(CODES)
    by_id = {r["id"]: r for r in driver["rules"]}
    r001 = by_id["KSSE001"]
    assert r001["name"] == "encryption-missing"
    assert r001["shortDescription"]["text"] == "Encryption type is not set"
    assert r001["defaultConfiguration"]["level"] == "error"
    assert CODES["KSSE001"].fix in r001["help"]["markdown"]
    assert "| PCI DSS v4.0 | 3.5.1 | seed, Prowler |" in r001["help"]["markdown"]
    assert r001["properties"]["security-severity"] == "7.5"
    assert "security" in r001["properties"]["tags"]
    assert {"scheme": "Checkov", "id": "CKV_AWS_43", "note": "SSE on"} in r001["properties"]["mappings"]["tools"]
    assert by_id["KSSE020"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["KSSE020"]["properties"]["security-severity"] == "5.5"
    assert by_id["KSSE010"]["defaultConfiguration"]["level"] == "note"
    assert by_id["KSSE010"]["properties"]["security-severity"] == "3.0"
    # Info codes carry no security severity, so code scanning does not rank a pass or an UPDATING stream as a risk.
    assert "security-severity" not in by_id["KSSE000"]["properties"]
    assert "security-severity" not in by_id["KSSE022"]["properties"]


def test_results_levels_and_advisory_notes() -> None:
    data = log_of(rc.report())
    assert results_of(data) == [
        ("KSSE021", "warning", rc.DENIED_ARN),
        ("KSSE002", "error", rc.LIVE_ARN),
        ("KSSE002", "error", "aws_kinesis_stream.legacy"),
        ("KSSE001", "error", "aws_kinesis_stream.stale_ignore"),
        ("KSSE001", "error", "aws_kinesis_stream.plain"),
        ("KSSE011", "error", "aws_kinesis_stream.moved_key"),
        ("KSSE013", "note", "aws_kinesis_stream.moved_key"),
        ("KSSE020", "warning", "aws_kinesis_stream.from_var"),
        ("KSSE010", "note", "aws_kinesis_stream.managed"),
        ("KSSE002", "error", rc.SCRIPT_ADDRESS),
    ]
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    for result in data["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    moved = next(r for r in data["runs"][0]["results"] if r["ruleId"] == "KSSE011")
    assert "Also failing: KSSE014" in moved["message"]["text"]
    assert moved["properties"]["evidence"]["also_failing"] == ["KSSE014"]


def test_physical_location_for_source_and_logical_for_live() -> None:
    results = log_of(rc.report())["runs"][0]["results"]
    plain = next(r for r in results if r["message"]["text"].startswith("aws_kinesis_stream.plain:"))
    assert plain["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "endLine": 4},
    }
    assert plain["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "aws_kinesis_stream.plain", "kind": "resource", "name": "plain"}]
    live = next(r for r in results if r["message"]["text"].startswith(rc.LIVE_ARN))
    assert "physicalLocation" not in live["locations"][0]
    assert live["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": rc.LIVE_ARN, "kind": "resource", "name": "live-orders"}]


def test_absolute_path_becomes_file_uri() -> None:
    outside = replace(rc.streams()[0], location=rc.tf("/srv/other repo/main.tf", 2, 5))
    results = log_of(rc.report([outside], errors=[]))["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///srv/other%20repo/main.tf"}


def _fingerprints(report: Report) -> dict[tuple[str, str], str]:
    data = sarif.to_sarif(report)
    return {(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], r["ruleId"]):
            r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in data["runs"][0]["results"]}


def test_fingerprints_survive_moved_lines_but_not_a_new_code_or_file() -> None:
    before = _fingerprints(rc.report())
    shifted = _fingerprints(rc.report([rc.moved(s, 7) if s.location.line else s for s in rc.streams()]))
    assert shifted == before
    assert len(set(before.values())) == len(before)
    plain = rc.streams()[0]
    as_none = _fingerprints(rc.report([replace(plain, encryption_type="NONE")]))
    assert as_none[("aws_kinesis_stream.plain", "KSSE002")] != before[("aws_kinesis_stream.plain", "KSSE001")]
    other_file = _fingerprints(rc.report([replace(plain, location=rc.tf("other.tf", 1, 4))]))
    assert other_file[("aws_kinesis_stream.plain", "KSSE001")] != before[("aws_kinesis_stream.plain", "KSSE001")]


def test_suppressed_finding_carries_in_source_suppression() -> None:
    results = log_of(rc.report())["runs"][0]["results"]
    legacy = next(r for r in results if r["message"]["text"].startswith("aws_kinesis_stream.legacy:"))
    assert legacy["level"] == "error"
    assert legacy["suppressions"] == [{
        "kind": "inSource", "status": "accepted", "justification": "legacy stream, retired in Q1",
        "properties": {"suppressionKind": "sseguard", "expires": "2027-01-31", "line": 2},
    }]
    # The expired checkov skip no longer applies: a plain error, with the note saying why.
    stale = next(r for r in results if r["message"]["text"].startswith("aws_kinesis_stream.stale_ignore:"))
    assert "suppressions" not in stale
    assert "expired on 2025-01-01" in stale["message"]["text"]
    assert sum(1 for r in results if "suppressions" in r) == 1


def test_invocation_reports_input_errors() -> None:
    data = log_of(rc.report())
    [inv] = data["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is True
    assert inv["exitCode"] == 1
    assert inv["endTimeUtc"] == "2026-11-28T09:30:00Z"
    assert inv["toolExecutionNotifications"] == [{
        "level": "error",
        "message": {"text": "unexpected token '}' (expected an attribute or block)"},
        "descriptor": {"id": "input-error"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "broken/main.tf", "uriBaseId": "%SRCROOT%"},
                                            "region": {"startLine": 3}}}],
    }]


def test_nothing_read_is_an_unsuccessful_run() -> None:
    nothing = rc.report([], inputs=[], errors=[InputError("missing.tf", "no such file or folder"),
                                               InputError("aws://111122223333/us-east-1", "credentials expired")])
    data = log_of(nothing)
    [inv] = data["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is False
    assert inv["exitCode"] == 2
    assert data["runs"][0]["results"] == []
    live_note = inv["toolExecutionNotifications"][1]
    assert live_note["message"]["text"] == "aws://111122223333/us-east-1: credentials expired"
    assert "locations" not in live_note


def test_clean_run_exit_code_zero() -> None:
    passes = [s for s in rc.streams() if s.address in ("aws_kinesis_stream.orders", "aws_kinesis_stream.managed")]
    data = log_of(rc.report(passes, errors=[]))
    inv = data["runs"][0]["invocations"][0]
    assert (inv["executionSuccessful"], inv["exitCode"]) == (True, 0)
    assert [r["ruleId"] for r in data["runs"][0]["results"]] == ["KSSE010"]
