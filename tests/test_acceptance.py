"""A first user's attempts to break `sseguard scan` from the command line (python -m sseguard in a subprocess).

Each test here records a problem found that way and the behaviour a user needs instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import report_of
from helpers import run_cli as sseguard

ACCEPTANCE = Path(__file__).resolve().parent / "fixtures" / "acceptance"
# A Latin-1 file name: on Linux a name is bytes, and Python hands undecodable bytes to sseguard as surrogates.
# It is made at test time because a fixture with such a name would not survive every checkout.
LATIN1_NAME = b"caf\xe9.tf"


def latin1_named_tree(tmp_path: Path) -> Path:
    """A folder holding one failing stream in a file whose name is not valid UTF-8."""
    folder = tmp_path / "names"
    folder.mkdir()
    shutil.copyfile(ACCEPTANCE / "stream_none.tf", os.path.join(os.fsencode(folder), LATIN1_NAME))
    return folder


def test_json_report_is_utf8_when_a_file_name_is_not(tmp_path: Path) -> None:
    folder = latin1_named_tree(tmp_path)
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=folder)
    assert result.returncode == 1
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.plain", "fail", "KSSE002", 1)]


def test_sarif_report_is_written_when_a_file_name_is_not_utf8(tmp_path: Path) -> None:
    folder = latin1_named_tree(tmp_path)
    result = sseguard("scan", "--no-history", ".", "--format", "sarif", cwd=folder)
    assert result.stderr == b""
    assert result.returncode == 1
    sarif = json.loads(result.stdout.decode("utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["KSSE002"]


def test_plan_stream_without_planned_values_is_unknown() -> None:
    result = sseguard("scan", "--no-history", "plan_change_null.json", "--format", "json", "--fail-on", "unknown",
                      cwd=ACCEPTANCE)
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.a", "unknown", "KSSE020")]
    assert result.returncode == 1


@pytest.mark.parametrize("paths", [("main.tf", "main.tf"), (".", "main.tf"), (".", "./")])
def test_a_stream_named_twice_on_the_command_line_is_one_finding(paths: tuple[str, str]) -> None:
    result = sseguard("scan", "--no-history", *paths, "--format", "json", cwd=ACCEPTANCE / "twice")
    assert result.returncode == 1
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["path"], f["source"]["line"])
            for f in report["findings"]] == [("aws_kinesis_stream.once", "fail", "KSSE002", "main.tf", 1)]


def test_a_folder_named_before_its_parent_and_a_linked_copy_are_read_once(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ACCEPTANCE / "twice", tree / "sub")
    shutil.copyfile(ACCEPTANCE / "plan_change_null.json", tree / "plan.json")
    (tree / "link").symlink_to(tree / "sub")
    result = sseguard("scan", "--no-history", "sub", "plan.json", ".", "--format", "json", cwd=tree)
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["code"], f["source"]["path"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.a", "KSSE020", "plan.json"), ("aws_kinesis_stream.once", "KSSE002", "sub/main.tf")]


def test_a_terminal_that_cannot_show_a_file_name_gets_escapes(tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    shutil.copyfile(ACCEPTANCE / "stream_none.tf", folder / "café.tf")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_")} | {"PYTHONIOENCODING": "ascii"}
    result = subprocess.run([sys.executable, "-m", "sseguard", "scan", "--no-history", "."], cwd=folder, env=env,
                            capture_output=True, timeout=60, check=False)
    assert (result.returncode, result.stderr) == (1, b"")
    assert result.stdout.splitlines()[0] == b"caf\\xe9.tf"


def test_output_with_an_unknown_format_names_the_format(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = sseguard("scan", "--no-history", ACCEPTANCE / "twice", "--output", "yaml=out/r.yaml", cwd=tmp_path)
    assert result.returncode == 2
    stderr = result.stderr.decode("utf-8")
    assert stderr == ("sseguard: error: --output yaml=out/r.yaml: unknown format 'yaml'; known: asff, csv, gitlab, "
                      "html, json, junit, markdown, sarif, text\n")
    assert not (tmp_path / "out" / "r.yaml").exists()
