"""A first user's attempts to break `sseguard scan` from the command line (python -m sseguard in a subprocess).

Each test here records a problem found that way and the behaviour a user needs instead; they are strict xfails
until the problem is fixed, so the suite stays green and a fix shows up as an XPASS to turn into a plain test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import validate_report

ACCEPTANCE = Path(__file__).resolve().parent / "fixtures" / "acceptance"
# A Latin-1 file name: on Linux a name is bytes, and Python hands undecodable bytes to sseguard as surrogates.
# It is made at test time because a fixture with such a name would not survive every checkout.
LATIN1_NAME = b"caf\xe9.tf"


def sseguard(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the console entry point as a user would, with stdout and stderr kept as raw bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_")}
    result = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, timeout=60, check=False)
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
    return result


def latin1_named_tree(tmp_path: Path) -> Path:
    """A folder holding one failing stream in a file whose name is not valid UTF-8."""
    folder = tmp_path / "names"
    folder.mkdir()
    shutil.copyfile(ACCEPTANCE / "stream_none.tf", os.path.join(os.fsencode(folder), LATIN1_NAME))
    return folder


def report_of(stdout: bytes) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(stdout.decode("utf-8"))
    validate_report(report)
    return report


@pytest.mark.xfail(strict=True, reason="a non-UTF-8 file name is written as a raw byte (0xe9) into the JSON report, "
                                       "so the report is not valid UTF-8 and json.loads of it fails")
def test_json_report_is_utf8_when_a_file_name_is_not(tmp_path: Path) -> None:
    folder = latin1_named_tree(tmp_path)
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=folder)
    assert result.returncode == 1
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.plain", "fail", "KSSE002", 1)]


@pytest.mark.xfail(strict=True, reason="sarif output of a tree with a non-UTF-8 file name stops with exit 2 and "
                                       "\"sseguard: error: sarif: 'utf-8' codec can't encode character '\\udce9'\"")
def test_sarif_report_is_written_when_a_file_name_is_not_utf8(tmp_path: Path) -> None:
    folder = latin1_named_tree(tmp_path)
    result = sseguard("scan", "--no-history", ".", "--format", "sarif", cwd=folder)
    assert result.stderr == b""
    assert result.returncode == 1
    sarif = json.loads(result.stdout.decode("utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["KSSE002"]


@pytest.mark.xfail(strict=True, reason="a stream the plan creates but gives no planned values for is only an input "
                                       "error: no finding, '0 streams', and exit 0 even with --fail-on unknown")
def test_plan_stream_without_planned_values_is_unknown() -> None:
    result = sseguard("scan", "--no-history", "plan_change_null.json", "--format", "json", "--fail-on", "unknown",
                      cwd=ACCEPTANCE)
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.a", "unknown", "KSSE020")]
    assert result.returncode == 1


@pytest.mark.xfail(strict=True, reason="a path named twice (or a file and its folder) is scanned twice: the same "
                                       "stream is reported, counted and recorded in the history twice")
@pytest.mark.parametrize("paths", [("main.tf", "main.tf"), (".", "main.tf"), (".", "./")])
def test_a_stream_named_twice_on_the_command_line_is_one_finding(paths: tuple[str, str]) -> None:
    result = sseguard("scan", "--no-history", *paths, "--format", "json", cwd=ACCEPTANCE / "twice")
    assert result.returncode == 1
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["path"], f["source"]["line"])
            for f in report["findings"]] == [("aws_kinesis_stream.once", "fail", "KSSE002", "main.tf", 1)]


@pytest.mark.xfail(strict=True, reason="--output yaml=r.yaml is taken as the path 'yaml=r.yaml': the error reads "
                                       "'cannot write yaml=...: No such file or directory', not the format")
def test_output_with_an_unknown_format_names_the_format(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = sseguard("scan", "--no-history", ACCEPTANCE / "twice", "--output", "yaml=out/r.yaml", cwd=tmp_path)
    assert result.returncode == 2
    stderr = result.stderr.decode("utf-8")
    assert "unknown format 'yaml'" in stderr or "format 'yaml'" in stderr, stderr
