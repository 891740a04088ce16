"""``sseguard evidence report|bundle|verify``, and the recording of every scan/aws run in the history.

Exit codes: 0 ok, 1 tampering found (or a bundle refused because the history is broken), 2 usage error or an
unreadable history or bundle. The reading commands open the history read-only, so they work on read-only media.

A scan/aws run is recorded after its reports are written, so a history that cannot be written never costs the
reports. When the user named the history (``--db`` or ``$SSEGUARD_DB``) a run that could not be recorded is an
error and the run exits 2; the default history in the user's data folder only warns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sseguard.evidence import DB_ENV
from sseguard.report.core import Report
from sseguard.report.escape import text_safe
from sseguard.report.words import counted

# The evidence modules (SQLite, zip, HTML) are imported where a command uses them, so a scan does not pay for
# them at start-up.

EXIT_OK, EXIT_TAMPERED, EXIT_USAGE = 0, 1, 2
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


def _named_by(args: argparse.Namespace) -> str | None:
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


def pending_run(report: Report, args: argparse.Namespace, kind: str,
                inputs: Sequence[str | Path]) -> PendingRun | None:
    """The run to record after its reports, or None with ``--no-history``."""
    if getattr(args, "no_history", False):
        return None
    from sseguard.evidence.recorder import run_rows

    header, findings = run_rows(report, command=kind, arguments=_arguments(args), inputs=[str(i) for i in inputs])
    return PendingRun(db_path(args), _named_by(args), header, findings)


def record_run(run: PendingRun | None) -> bool:
    """Append the run to its history; call it after the reports are written. False when that failed and the user
    named the history: one error line, and the run exits 2. For the default history a failure is one warning line
    and True: the exit code stays the scan's."""
    if run is None:
        return True
    from sseguard.evidence.recorder import record_rows

    try:
        # A named history gets the file only, in a folder that exists: a typo in --db must not make folders.
        record_rows(run.db, run.header, run.findings, make_folder=run.named_by is None)
    except Exception as err:  # the reports are out: whatever went wrong is told in one line, never a traceback
        level = "error" if run.named_by else "warning"
        named = f" (named by {run.named_by})" if run.named_by else ""
        _err(f"sseguard: {level}: this run was not recorded in the history {run.db}{named}: {err}")
        return run.named_by is None
    return True


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


def _out(line: str) -> None:
    sys.stdout.write(text_safe(line) + "\n")


def _err(line: str) -> None:
    sys.stderr.write(text_safe(line) + "\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _period_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE",
                   help="first day of the period (YYYY-MM-DD, UTC)")
    p.add_argument("--to", dest="end", type=_date, metavar="DATE",
                   help="last day of the period, included (default: today, UTC)")
    p.add_argument("--db", metavar="PATH", help="the history file (default: $SSEGUARD_DB or the user's data folder)")


def register(subparsers: Any) -> None:
    """Add ``evidence`` and its actions to the top-level subparsers."""
    evidence = subparsers.add_parser("evidence", help="scan history and audit evidence for a period")
    actions = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")

    report = actions.add_parser("report", help="every stream's status timeline, fixes and suppressions in a period")
    _period_options(report)
    report.add_argument("--format", help="html (or htm), md (or markdown), csv or json (default: from the -o "
                                         "suffix, else md)")
    report.add_argument("-o", "--output", metavar="PATH", help="write the report to PATH instead of stdout")
    report.set_defaults(func=_cmd_report)

    bundle = actions.add_parser("bundle", help="a zip of the period report, raw findings, mappings and a manifest")
    _period_options(bundle)
    bundle.add_argument("-o", "--output", metavar="PATH", required=True, help="the zip to write")
    bundle.set_defaults(func=_cmd_bundle)

    verify = actions.add_parser("verify", help="check a bundle's hashes, or the history's hash chain")
    verify.add_argument("bundle", nargs="?", metavar="BUNDLE", help="an evidence zip (without it: the history)")
    verify.add_argument("--db", metavar="PATH",
                        help="the history to check (with BUNDLE: also check the bundle's rows against it)")
    verify.set_defaults(func=_cmd_verify)


def _error(message: str) -> int:
    _err(f"sseguard: error: {message}")
    return EXIT_USAGE


# Ten years of days: longer than any audit period, short enough that a report of every stream's every day stays
# in memory and on a page; a typo like --from 1900-01-01 is caught here instead of filling the machine's memory.
MAX_PERIOD_DAYS = 3660


def _period(args: argparse.Namespace) -> tuple[dt.date, dt.date] | str:
    today = dt.datetime.now(dt.UTC).date()
    if args.start > today:
        return f"--from {args.start} is after today ({today} UTC): there is no history for it yet"
    end = args.end or today
    if end < args.start:
        return f"--to {end} is before --from {args.start}"
    if end > today:
        # Days to come can hold no evidence; counting them as gaps would misstate the coverage.
        _err(f"sseguard: note: --to {end} is after today; the period ends today ({today} UTC)")
        end = today
    days = (end - args.start).days + 1
    if days > MAX_PERIOD_DAYS:
        return (f"the period {args.start} to {end} is {days} days; one report covers at most {MAX_PERIOD_DAYS} "
                "(ten years): split it into shorter periods")
    return args.start, end


def _report_format(args: argparse.Namespace) -> str:
    from sseguard.evidence.render import PERIOD_FORMATS
    from sseguard.report import format_named, format_spellings

    if args.format:
        fmt = format_named(args.format, PERIOD_FORMATS)
        if fmt is None:
            raise _BadFormat(f"--format must be one of {format_spellings(PERIOD_FORMATS)}, not {args.format!r}")
        return fmt
    if args.output:
        fmt = format_named(Path(args.output).suffix.lower().lstrip("."), PERIOD_FORMATS)
        if fmt is not None:
            return fmt
    return "md"


class _BadFormat(ValueError):
    pass


def _cmd_report(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.period import compute_period
    from sseguard.evidence.render import PERIOD_FORMATS
    from sseguard.evidence.store import History, HistoryError

    period = _period(args)
    if isinstance(period, str):
        return _error(period)
    try:
        fmt = _report_format(args)
    except _BadFormat as err:
        return _error(str(err))
    db = db_path(args)
    try:
        with History.open(db) as history:
            report = compute_period(history, *period)
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    text = PERIOD_FORMATS[fmt](report)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as err:
            return _error(f"cannot write {args.output}: {err.strerror or err}")
    else:
        sys.stdout.write(text)
    if report.not_understood:
        _err(f"sseguard: warning: {counted(len(report.not_understood), 'history row')} not understood by this "
             "sseguard (named in the report): " + "; ".join(report.not_understood))
    if not report.integrity.ok:
        _err(f"sseguard: the history's hash chain is broken ({counted(len(report.integrity.problems), 'problem')}); "
             "run sseguard evidence verify")
        return EXIT_TAMPERED
    return EXIT_OK


def _cmd_bundle(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.bundle import MANIFEST, BrokenHistoryError, BundleError, build_bundle
    from sseguard.evidence.store import History, HistoryError

    period = _period(args)
    if isinstance(period, str):
        return _error(period)
    out = Path(args.output)
    db = db_path(args)
    try:
        with History.open(db) as history:
            manifest = build_bundle(history, *period, out)
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    except BrokenHistoryError as err:
        _err(f"sseguard: {err}")
        return EXIT_TAMPERED
    except BundleError as err:
        return _error(str(err))
    head = manifest["history"]
    _out(f"wrote {out}: {counted(len(manifest['files']), 'file')} and {MANIFEST}, period {period[0]} to "
         f"{period[1]}, history head row {head['head_seq']} sha256 {head['head_hash']}")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.store import History, HistoryError

    if args.bundle:
        return _verify_bundle(Path(args.bundle), args.db)
    db = db_path(args)
    try:
        with History.open(db) as history:
            result = history.verify()
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    if result.ok:
        _out(f"OK: {db}: {counted(result.rows, 'row')} in {counted(result.runs, 'run')}, hash chain intact, head "
             f"row {result.head.seq} sha256 {result.head.hash}")
        return EXIT_OK
    _out(f"TAMPERED: {db}: {counted(len(result.problems), 'problem')} in {counted(result.rows, 'row')}")
    for p in result.problems:
        _out(f"  {p.kind}: {p.message}")
    return EXIT_TAMPERED


def _verify_bundle(path: Path, db: str | None) -> int:
    import sqlite3

    from sseguard.evidence.bundle import BundleError, verify_bundle
    from sseguard.evidence.store import History, HistoryError

    try:
        if db:
            with History.open(Path(db)) as history:
                check = verify_bundle(path, history)
                chain = history.verify()
            check.problems.extend(f"history {db}: {p.message}" for p in chain.problems)
        else:
            check = verify_bundle(path)
    except (HistoryError, BundleError) as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    if check.ok:
        head = check.manifest.get("history") or {}
        against = f", rows and head match the history {db}" if db else ""
        files = f"{counted(check.files, 'file')} {'matches' if check.files == 1 else 'match'} the manifest"
        rows = f"{counted(check.rows, 'history row')} {'matches its hash' if check.rows == 1 else 'match their hashes'}"
        _out(f"OK: {path}: {files}, {rows}{against}; history head row {head.get('head_seq')} sha256 "
             f"{head.get('head_hash')}")
        return EXIT_OK
    _out(f"TAMPERED: {path}: {counted(len(check.problems), 'problem')}")
    for problem in check.problems:
        _out(f"  {problem}")
    return EXIT_TAMPERED
