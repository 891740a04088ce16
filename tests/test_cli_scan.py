"""`sseguard scan` and `sseguard explain` through the console script (python -m sseguard in a subprocess): exit
codes, formats, --output, variables from every source, --fail-on, --quiet, and one-line errors, never a
traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import TF, validate_report, write

CLI = TF / "cli"
ORDERS = "aws_kinesis_stream.orders"
AUDIT = "aws_kinesis_stream.audit"


def sseguard(*args: str | Path, cwd: Path = CLI, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_")}
    full_env.update(env or {})
    result = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=cwd, env=full_env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def report_of(text: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(text)
    validate_report(report)
    return report


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str, list[str], str, int]]:
    return {f["resource"]["address"]: (f["status"], f["code"], f["advisories"], f["source"]["path"],
                                       f["source"]["line"]) for f in report["findings"]}


def test_json_report_with_var_and_exit_1_on_a_fail() -> None:
    result = sseguard("scan", ".", "--format", "json", "--var", "enc=none")
    assert result.returncode == 1
    assert result.stderr == ""
    report = report_of(result.stdout)
    assert verdicts(report) == {
        ORDERS: ("fail", "KSSE002", [], "main.tf", 5),
        AUDIT: ("pass", "KSSE000", [], "main.tf", 12),
    }
    assert report["summary"] == {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 0}
    assert report["inputs"] == [{"kind": "terraform", "location": "main.tf"}]


def test_text_report_on_a_pipe_has_no_colour_and_a_summary_line() -> None:
    result = sseguard("scan", ".", "--var-file", "kms.tfvars")
    assert result.returncode == 0
    out = result.stdout
    assert "\033[" not in out
    lines = out.splitlines()
    assert lines[0] == "main.tf"
    assert f"  PASS       KSSE000 {ORDERS}:5 [+KSSE010]" in lines
    assert f"  PASS       KSSE000 {AUDIT}:12" in lines
    assert lines[-1] == "2 streams: 2 pass, 0 fail, 0 unknown, 0 suppressed"


def test_tf_var_from_the_environment_and_fail_on_advisory() -> None:
    result = sseguard("scan", ".", "--format", "json", "--fail-on", "advisory", env={"TF_VAR_enc": "KMS"})
    # the AWS-managed key is a pass with advisory KSSE010, which --fail-on advisory counts
    assert result.returncode == 1
    assert verdicts(report_of(result.stdout))[ORDERS] == ("pass", "KSSE000", ["KSSE010"], "main.tf", 5)


def test_unknown_exits_0_by_default_and_1_with_fail_on_unknown_and_quiet_shows_only_it() -> None:
    default = sseguard("scan", ".", "--format", "json")
    assert default.returncode == 0
    assert verdicts(report_of(default.stdout))[ORDERS] == ("unknown", "KSSE020", [], "main.tf", 5)
    quiet = sseguard("scan", ".", "--fail-on", "unknown", "--quiet")
    assert quiet.returncode == 1
    assert f"  UNKNOWN    KSSE020 {ORDERS}:5" in quiet.stdout.splitlines()
    assert AUDIT not in quiet.stdout  # a pass is below --fail-on unknown
    assert quiet.stdout.splitlines()[-1] == "2 streams: 1 pass, 0 fail, 1 unknown, 0 suppressed"


def test_output_path_and_format_equals_path(tmp_path: Path) -> None:
    plain = tmp_path / "report.json"
    sarif = tmp_path / "report.sarif"
    result = sseguard("scan", ".", "--var", "enc=KMS", "--output", plain, "--output", f"sarif={sarif}")
    assert result.returncode == 0
    # a plain --output takes the report off stdout; its format comes from the file's suffix
    assert result.stdout == ""
    assert verdicts(report_of(plain.read_text(encoding="utf-8")))[ORDERS] == (
        "pass", "KSSE000", ["KSSE010"], "main.tf", 5)
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_output_json_equals_path_keeps_text_on_stdout(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = sseguard("scan", ".", "--var", "enc=NONE", "--output", f"json={target}")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "2 streams: 1 pass, 1 fail, 0 unknown, 0 suppressed"
    assert verdicts(report_of(target.read_text(encoding="utf-8")))[ORDERS] == ("fail", "KSSE002", [], "main.tf", 5)


def test_a_single_file_and_an_unknown_path() -> None:
    result = sseguard("scan", "main.tf", "no/such/dir", "--format", "json", "--var", "enc=KMS")
    # the file is judged and reported, but a path that is not there is a mistake in the command: exit 2
    assert result.returncode == 2
    report = report_of(result.stdout)
    assert report["errors"] == [{"location": "no/such/dir", "line": None, "message": "no such file or folder",
                                 "kind": "usage"}]
    assert sorted(verdicts(report)) == [AUDIT, ORDERS]


def test_only_an_unknown_path_exits_2_with_one_error_line() -> None:
    result = sseguard("scan", "no/such/dir")
    assert result.returncode == 2
    assert result.stderr == ""
    error_lines = [line for line in result.stdout.splitlines() if "no/such/dir" in line]
    assert error_lines == ["  error no/such/dir: no such file or folder"]
    assert result.stdout.splitlines()[-1] == "0 streams: 0 pass, 0 fail, 0 unknown, 0 suppressed; 1 input error"


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": b"\0\1\2binary"})
    result = sseguard("scan", tmp_path / "main.tf", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    assert report_of(result.stdout)["errors"] == [
        {"location": "main.tf", "line": None, "message": "binary file (contains NUL bytes); not read"}]


@pytest.mark.parametrize(("args", "message"), [
    (["scan", ".", "--var", "enc"], "sseguard: error: --var takes NAME=VALUE, got 'enc'\n"),
    (["scan", ".", "--var-file", "missing.tfvars"], "sseguard: error: --var-file missing.tfvars: no such file\n"),
    (["scan", ".", "--output", "/nonexistent/dir/report.json"],
     "sseguard: error: cannot write /nonexistent/dir/report.json: No such file or directory\n"),
    (["explain", "KSSE999"], "sseguard: error: unknown reason code 'KSSE999'; known: " + ", ".join(
        ["KSSE000", "KSSE001", "KSSE002", "KSSE003", "KSSE004", "KSSE005", "KSSE010", "KSSE011", "KSSE012",
         "KSSE013", "KSSE014", "KSSE015", "KSSE016", "KSSE020", "KSSE021", "KSSE022"]) + "\n"),
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = sseguard(*args)
    assert result.returncode == 2
    assert result.stderr == message


def test_explain() -> None:
    result = sseguard("explain", "KSSE011")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == ["KSSE011 key-region-mismatch (fail, severity high)",
                         "  The key is in another region than the stream."]
    assert "How to fix:" in lines
    assert lines[-1].startswith("Same control elsewhere: Checkov CKV_AWS_43, Checkov CKV_AWS_185")
    # a code is also found by its slug, however it is spelled
    for spelling in ("encryption-missing", "encryption_missing", "ksse001"):
        first = sseguard("explain", spelling).stdout.splitlines()[0]
        assert first == "KSSE001 encryption-missing (fail, severity high)"


def _on_a_terminal(env: dict[str, str]) -> str:
    """Run a scan with stdout on a pseudo-terminal and return what it printed there."""
    import pty  # POSIX only, and only this test needs it

    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_") and k != "NO_COLOR"}
    full_env.update(env)
    try:
        result = subprocess.run([sys.executable, "-m", "sseguard", "scan", ".", "--var", "enc=NONE"], cwd=CLI,
                                env=full_env, stdout=follower, stderr=subprocess.PIPE, timeout=60, check=False)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert result.returncode == 1
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_colour_on_a_terminal_unless_no_color() -> None:
    coloured = _on_a_terminal({})
    assert "\033[31m" in coloured  # the failing stream in red
    assert f"KSSE002 {ORDERS}:5" in coloured
    plain = _on_a_terminal({"NO_COLOR": "1"})
    assert "\033[" not in plain
    assert f"  FAIL       KSSE002 {ORDERS}:5" in plain.replace("\r\n", "\n").splitlines()
