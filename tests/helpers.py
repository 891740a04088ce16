"""Running ``sseguard scan`` in tests, and checking every JSON report it writes against the report schema.

``scan`` runs the command line's own ``main`` in this process (a subprocess costs most of a second of imports;
``test_cli_scan.py`` covers the console script itself). Report paths are shown relative to the folder the scan
runs in, which is the scanned folder (or the scanned file's folder) unless ``cwd`` says otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from sseguard import cli
from sseguard.options import ScanOptions
from sseguard.scan import scan_paths
from sseguard.schema import report_schema

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
TF = TESTS / "fixtures" / "terraform"


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def validate_report(report: dict[str, Any]) -> None:
    """Fail with every schema violation listed when ``report`` is not a valid sseguard/report/v1 document."""
    problems = sorted(_validator().iter_errors(report), key=lambda e: list(e.absolute_path))
    assert not problems, "report does not match the schema:\n" + "\n".join(
        f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in problems
    )


Verdict = tuple[str, str, list[str], str | None, int | None]


@dataclass
class ScanRun:
    """One run of ``sseguard scan --format json``: its exit code, its (schema-valid) report, and stderr."""

    exit_code: int
    report: dict[str, Any]
    stderr: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"])

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.report["errors"])

    def addresses(self) -> list[str]:
        """Every finding's resource address, sorted."""
        return sorted(f["resource"]["address"] for f in self.findings)

    def finding(self, address: str) -> dict[str, Any]:
        """The one finding of ``address`` (fails if there is none or more than one)."""
        found = [f for f in self.findings if f["resource"]["address"] == address]
        assert len(found) == 1, f"{len(found)} findings for {address}; addresses: {self.addresses()}"
        return found[0]

    def verdict(self, address: str) -> Verdict:
        """(status, code, advisories, path, line) of one finding: what most tests pin down exactly."""
        f = self.finding(address)
        return f["status"], f["code"], f["advisories"], f["source"]["path"], f["source"]["line"]

    def evidence(self, address: str) -> dict[str, Any]:
        evidence: dict[str, Any] = self.finding(address)["evidence"]
        return evidence

    def error_lines(self) -> list[tuple[str, int | None]]:
        """(location, line) of every input error, sorted."""
        return sorted((e["location"], e["line"]) for e in self.errors)


def in_process(argv: Sequence[str], cwd: Path) -> tuple[int, str, str]:
    """Run the command line's ``main`` with ``argv`` in this process, in ``cwd``: (exit code, stdout, stderr). No
    traceback may reach stderr."""
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(before)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def scan(*paths: Path | str, args: Sequence[str] = (), cwd: Path | None = None) -> ScanRun:
    """Run ``sseguard scan PATHS --format json --no-history ARGS`` in-process and return its validated report
    (no history: a module-scoped run has no per-test history file to write to)."""
    first = Path(paths[0])
    where = cwd if cwd is not None else (first if first.is_dir() else first.parent)
    code, out, err = in_process(["scan", *(str(p) for p in paths), "--format", "json", "--no-history", *args], where)
    report = json.loads(out)
    validate_report(report)
    return ScanRun(code, report, err)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small tree of files under ``root`` (for cases that cannot live in fixtures: huge, unreadable...)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan_file(path: Path, region: str | None = None) -> dict[str, Any]:
    """Scan one file through ``scan_paths`` in this process, paths shown relative to the repository; the report as
    its JSON dict with an extra ``by_address``: every finding keyed by its resource address."""
    report = scan_paths([path], ScanOptions(region=region, base=REPO)).to_dict()
    report["by_address"] = {f["resource"]["address"]: f for f in report["findings"]}
    return report


def run_module(*args: str) -> tuple[int, dict[str, Any]]:
    """Run ``python -m sseguard scan ARGS --format json --no-history`` in a subprocess from the repository root;
    (exit code, report), the report checked against the schema and stderr free of tracebacks."""
    done = subprocess.run([sys.executable, "-m", "sseguard", "scan", *args, "--format", "json", "--no-history"],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    validate_report(report)
    return done.returncode, report


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m sseguard ARGS`` as a user would, in ``cwd``, with stdout and stderr kept as raw bytes; no
    TF_VAR_ or SSEGUARD_ variable of the test's environment leaks in, and no traceback may reach stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "SSEGUARD_"))}
    result = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, timeout=60, check=False)
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
    return result


def report_of(stdout: bytes) -> dict[str, Any]:
    """A JSON report from raw stdout, checked to be UTF-8 and valid against the report schema."""
    report: dict[str, Any] = json.loads(stdout.decode("utf-8"))
    validate_report(report)
    return report
