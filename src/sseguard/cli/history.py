"""The scan history as ``scan`` and ``aws`` use it: each run recorded after its reports are written, and the recent
days for the HTML report's chart.

When the user named the history (``--db`` or ``$SSEGUARD_DB``) a run that could not be recorded is an error and
the run exits 2; the default history in the user's data folder only warns. The evidence modules (SQLite, zip,
HTML) are imported where they are used, so a scan does not pay for them at start-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sseguard.evidence import DB_ENV
from sseguard.report.core import Report
from sseguard.report.escape import text_safe

if TYPE_CHECKING:
    from sseguard.evidence.signing import Signer

# Values of these options can be secrets (a database password passed as a Terraform variable): the history keeps
# their names only.
_REDACTED_OPTIONS = ("var", "parameter")
_NOT_RECORDED = ("func", "command", "db", "no_history")


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in sorted(vars(args).items()):
        if name in _NOT_RECORDED or callable(value):
            continue
        if name in _REDACTED_OPTIONS and isinstance(value, list):
            value = [f"{str(v).partition('=')[0]}=<redacted>" for v in value]
        out[name] = value
    return out


def db_path(args: argparse.Namespace) -> Path:
    """``--db`` when given, else ``$SSEGUARD_DB``, else the user's data folder."""
    from sseguard.evidence.recorder import default_db_path

    given = getattr(args, "db", None)
    return Path(given) if given else default_db_path()


def named_by(args: argparse.Namespace) -> str | None:
    """How the user named the history: ``--db``, ``SSEGUARD_DB``, or None for the default data folder."""
    if getattr(args, "db", None):
        return "--db"
    return DB_ENV if os.environ.get(DB_ENV) else None


@dataclass(frozen=True)
class PendingRun:
    """A scan/aws run waiting to be recorded once its reports are written: its history, how the user named that
    history (None for the default), and the rows it adds."""

    db: Path
    named_by: str | None
    header: dict[str, Any]
    findings: list[dict[str, Any]]
    # --sign KEYFILE: the run ends with a signed digest of the chain head.
    sign: Path | None = None


def pending_run(report: Report, args: argparse.Namespace, kind: str,
                inputs: Sequence[str | Path]) -> PendingRun | None:
    """The run to record after its reports, or None with ``--no-history``."""
    if getattr(args, "no_history", False):
        return None
    from sseguard.evidence.recorder import run_rows

    header, findings = run_rows(report, command=kind, arguments=_arguments(args), inputs=[str(i) for i in inputs])
    sign = getattr(args, "sign", None)
    return PendingRun(db_path(args), named_by(args), header, findings, Path(sign) if sign else None)


def record_run(run: PendingRun | None) -> bool:
    """Append the run to its history; call it after the reports are written. False when that failed and the user
    named the history: one error line, and the run exits 2. For the default history a failure is one warning line
    and True: the exit code stays the scan's."""
    if run is None:
        return True
    from sseguard.evidence.recorder import record_rows
    from sseguard.evidence.signing import FileSigner, SigningError

    try:
        # The key is read first: a run asked to be signed is not recorded unsigned.
        signer = FileSigner(run.sign) if run.sign is not None else None
        # A named history gets the file only, in a folder that exists: a typo in --db must not make folders.
        appended = record_rows(run.db, run.header, run.findings, make_folder=run.named_by is None)
        if signer is not None:
            _sign_head(run.db, signer, appended.run_id)
    except SigningError as err:
        _err(f"sseguard: error: --sign: {err}; this run's chain head was not signed")
        return False
    except Exception as err:  # the reports are out: whatever went wrong is told in one line, never a traceback
        level = "error" if run.named_by else "warning"
        named = f" (named by {run.named_by})" if run.named_by else ""
        _err(f"sseguard: {level}: this run was not recorded in the history {run.db}{named}: {err}")
        return run.named_by is None
    return True


def _sign_head(db: Path, signer: Signer, run_id: str) -> None:
    from sseguard.evidence.digest import append_digest
    from sseguard.evidence.store import History

    with History.open(db, create=True) as history:  # create: the writable mode (record_rows made the file)
        append_digest(history, signer, run_id)


def recent_history(run: PendingRun | None, days: int = 30) -> tuple[tuple[dt.date, dict[str, int]], ...] | None:
    """Streams per status for each scanned day of the last ``days`` (today included), for the HTML report's chart:
    the recorded runs and this one, which is recorded after its reports. None with ``--no-history``, or when the
    history cannot be read: a chart is never worth failing a scan for."""
    if run is None:
        return None
    import sqlite3

    from sseguard.evidence.period import chart_history
    from sseguard.evidence.store import History, HistoryError, unrecorded_rows

    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=days - 1)
    rows = unrecorded_rows(run.header, run.findings)
    try:
        if not run.db.exists():
            return tuple(chart_history(None, start, today, rows))
        with History.open(run.db) as history:
            return tuple(chart_history(history, start, today, rows))
    except (HistoryError, sqlite3.Error):
        return None


def _err(line: str) -> None:
    sys.stderr.write(text_safe(line) + "\n")
