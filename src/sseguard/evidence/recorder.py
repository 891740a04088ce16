"""What a run leaves in the history: its header (time, tool, command, inputs, accounts, regions, git commit) and
every finding as the JSON report holds it."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import platformdirs

from sseguard import __version__
from sseguard.control.mappings import mappings
from sseguard.evidence import DB_ENV
from sseguard.evidence.store import Appended, History
from sseguard.report.core import Report, error_dict

GIT_TIMEOUT = 5.0


def default_db_path() -> Path:
    """``$SSEGUARD_DB`` when set, else ``history.sqlite3`` in the user's data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env)
    return platformdirs.user_data_path("sseguard") / "history.sqlite3"


def git_commit(path: Path, timeout: float = GIT_TIMEOUT) -> dict[str, str] | None:
    """The commit checked out where ``path`` lies, and the checkout's root; None when the path does not exist, is
    outside a git checkout, or git is not installed (or takes longer than ``timeout``)."""
    if not path.exists():
        return None
    folder = path if path.is_dir() else path.parent
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD", "--show-toplevel"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2:
        return None
    return {"commit": lines[0], "root": lines[1]}


def stored_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as the history stores it: the report's JSON without the mapping block, which is the same for
    every finding of a run and is kept once in the run header instead. A finding the run's baseline accepted is
    stored with its verdict's status: a baseline quiets CI, it does not make a stream compliant."""
    stored = {k: v for k, v in finding.items() if k != "mappings"}
    if isinstance(finding.get("baselined"), Mapping):
        stored["status"] = finding["baselined"]["status"]
    return stored


def run_header(report: Report, findings: Sequence[Mapping[str, Any]], *, command: str,
               arguments: Mapping[str, Any], inputs: Sequence[str], git: Mapping[str, str] | None) -> dict[str, Any]:
    """The run row's body (the store adds run id, time and finding count); ``findings`` as the JSON report has
    them."""
    accounts = {str(f["resource"]["account"]) for f in findings if f["resource"].get("account")}
    regions = {str(f["resource"]["region"]) for f in findings if f["resource"].get("region")}
    live = [i.location for i in report.inputs if i.location.startswith("aws://")]
    for where in live:
        # A live input is aws://ACCOUNT/REGION: the accounts and regions scanned, streams found there or not.
        account, _, region = where.removeprefix("aws://").partition("/")
        accounts.add(account)
        if region:
            regions.add(region)
    if command == "aws" and not inputs:
        inputs = live
    return {
        "tool": {"name": "sseguard", "version": __version__},
        "command": command,
        "arguments": dict(arguments),
        "inputs": list(inputs),
        "scanned_inputs": [{"kind": i.kind.value, "location": i.location} for i in report.inputs],
        "accounts": sorted(accounts),
        "regions": sorted(regions),
        "git": dict(git) if git else None,
        "host": platform.node(),
        "cwd": os.getcwd(),
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "summary": report.summary(),
        "errors": [error_dict(e) for e in report.errors],
        "mappings": mappings(),
    }


def run_rows(report: Report, *, command: str, arguments: Mapping[str, Any],
             inputs: Sequence[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What recording ``report`` appends: the run header and the findings as stored."""
    git = git_commit(Path(inputs[0])) if inputs and command != "aws" else None
    findings = report.finding_dicts()
    header = run_header(report, findings, command=command, arguments=arguments, inputs=inputs, git=git)
    return header, [stored_finding(f) for f in findings]


def record(report: Report, db: Path, *, command: str, arguments: Mapping[str, Any], inputs: Sequence[str],
           at: dt.datetime | None = None, make_folder: bool = True) -> Appended:
    """Append one run and its findings to the history at ``db`` (see :func:`record_rows`)."""
    header, findings = run_rows(report, command=command, arguments=arguments, inputs=inputs)
    return record_rows(db, header, findings, at=at, make_folder=make_folder)


def record_rows(db: Path, header: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], *,
                at: dt.datetime | None = None, make_folder: bool = True) -> Appended:
    """Append a run prepared by :func:`run_rows` to the history at ``db``, created when absent (its folder too
    unless ``make_folder`` is false). A history that cannot be opened or written is a ``HistoryError``."""
    with History.open(db, create=True, make_folder=make_folder) as history:
        return history.append_run(header, findings, at=at)
