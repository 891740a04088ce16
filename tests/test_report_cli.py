"""Each report format end to end: ``python -m sseguard scan main.tf --output FORMAT=PATH`` on a real Terraform file.

The fixture (tests/fixtures/reports/main.tf) holds one stream of each outcome: ``plain`` fails (KSSE001, line 5),
``encrypted`` passes (line 10), ``legacy`` is suppressed (KSSE002, line 18), ``from_var`` is unknown (KSSE020,
line 28). The scan runs in a copy of the file so report paths are relative, and without the history store.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

import sarif_rules
from test_report_asff import SCHEMA as ASFF_SCHEMA

FIXTURE = Path(__file__).parent / "fixtures" / "reports" / "main.tf"
STREAMS = [
    ("aws_kinesis_stream.plain", "fail", "KSSE001", 5),
    ("aws_kinesis_stream.encrypted", "pass", "KSSE000", 10),
    ("aws_kinesis_stream.legacy", "suppressed", "KSSE002", 18),
    ("aws_kinesis_stream.from_var", "unknown", "KSSE020", 28),
]


def scan(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    shutil.copy(FIXTURE, tmp_path / "main.tf")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSEGUARD_"))}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "sseguard", "scan", "main.tf", "--no-history", *args],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120, check=False)


def output(tmp_path: Path, fmt: str, name: str, env: dict[str, str] | None = None) -> str:
    done = scan(tmp_path, "--output", f"{fmt}={name}", env=env)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    return (tmp_path / name).read_text(encoding="utf-8")


def test_sarif(tmp_path: Path) -> None:
    data = json.loads(output(tmp_path, "sarif", "out.sarif"))
    sarif_rules.check(data)
    results: list[dict[str, Any]] = data["runs"][0]["results"]
    got = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
            "suppressions" in r) for r in results]
    assert got == [("KSSE001", "error", 5, False), ("KSSE002", "error", 18, True), ("KSSE020", "warning", 28, False)]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "main.tf", "uriBaseId": "%SRCROOT%"}
    assert results[1]["suppressions"][0]["justification"] == "legacy stream, retired in Q1"
    assert data["runs"][0]["invocations"][0]["exitCode"] == 1


def test_junit(tmp_path: Path) -> None:
    root = ET.fromstring(output(tmp_path, "junit", "junit.xml"))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == [address for address, *_ in STREAMS]
    assert [c.get("line") for c in cases.values()] == ["5", "10", "18", "28"]
    assert cases["aws_kinesis_stream.plain"].find("failure") is not None
    assert cases["aws_kinesis_stream.legacy"].find("skipped") is not None
    assert cases["aws_kinesis_stream.from_var"].find("skipped") is not None
    assert list(cases["aws_kinesis_stream.encrypted"]) == []
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "2")


def test_csv(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(output(tmp_path, "csv", "findings.csv"), newline="")))
    assert [(r["address"], r["status"], r["reason_code"], int(r["line"])) for r in rows] == STREAMS
    assert {r["file"] for r in rows} == {"main.tf"}
    assert rows[2]["suppression_reason"] == "legacy stream, retired in Q1"
    assert rows[2]["suppression_expires"] == "2099-01-31"


def test_markdown(tmp_path: Path) -> None:
    text = output(tmp_path, "markdown", "comment.md")
    assert text.startswith("<!-- sseguard-report -->\n")
    failing = text.split("### ❌ Failing")[1].split("###")[0]
    assert "| `aws_kinesis_stream.plain` | `main.tf:5` | KSSE001 encryption-missing |" in failing
    assert text.index("### ❓ Unknown") < text.index("### 🔕 Suppressed") < text.index("<details>")
    assert "| `aws_kinesis_stream.encrypted` | `main.tf:10` |" in text.split("<details>")[1]


def test_asff(tmp_path: Path) -> None:
    env = {"AWS_ACCOUNT_ID": "444455556666", "AWS_REGION": "us-east-1"}
    items = json.loads(output(tmp_path, "asff", "findings.asff.json", env=env))
    validator = jsonschema.Draft202012Validator(ASFF_SCHEMA)
    for item in items:
        validator.validate(item)
    got = [(f["ProductFields"]["sseguard/Address"], f["Compliance"]["Status"], f["Workflow"]["Status"]) for f in items]
    assert got == [("aws_kinesis_stream.plain", "FAILED", "NEW"),
                   ("aws_kinesis_stream.encrypted", "PASSED", "RESOLVED"),
                   ("aws_kinesis_stream.legacy", "FAILED", "SUPPRESSED"),
                   ("aws_kinesis_stream.from_var", "WARNING", "NEW")]
    # The streams' region comes from their provider block; the account from the environment.
    assert {(f["AwsAccountId"], f["Resources"][0]["Region"]) for f in items} == {("444455556666", "us-east-1")}


def test_html(tmp_path: Path) -> None:
    text = output(tmp_path, "html", "report.html")
    assert text.startswith("<!DOCTYPE html>")
    statuses = [part.split('"')[0] for part in text.split('<tbody class="finding" data-status="')[1:]]
    assert statuses == ["fail", "unknown", "suppressed", "pass"]
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_several_formats_from_one_scan(tmp_path: Path) -> None:
    names = {"sarif": "a.sarif", "junit": "a.xml", "csv": "a.csv", "markdown": "a.md", "html": "a.html",
             "json": "a.json"}
    args = [arg for fmt, name in names.items() for arg in ("--output", f"{fmt}={name}")]
    done = scan(tmp_path, *args, "--format", "text")
    assert done.returncode == 1, done.stderr
    assert "4 streams: 1 pass, 1 fail, 1 unknown, 1 suppressed" in done.stdout
    for name in names.values():
        assert (tmp_path / name).stat().st_size > 200, name
    report = json.loads((tmp_path / "a.json").read_text("utf-8"))
    assert [f["status"] for f in report["findings"]] == [status for _, status, *_ in STREAMS]


def test_asff_without_an_account_is_a_usage_error(tmp_path: Path) -> None:
    done = scan(tmp_path, "--output", "asff=findings.asff.json")
    assert done.returncode == 2
    assert done.stderr == (
        "sseguard: error: asff: ASFF needs the AWS account and region of every stream: no account is known for "
        "aws_kinesis_stream.plain, aws_kinesis_stream.encrypted, aws_kinesis_stream.legacy and 1 more (give "
        "--account-id ACCOUNT or set AWS_ACCOUNT_ID)\n")
    assert not (tmp_path / "findings.asff.json").exists()
