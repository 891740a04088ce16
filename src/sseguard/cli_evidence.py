"""``sseguard evidence report|bundle|verify``, and the recording of every scan/aws run in the history.

Exit codes: 0 ok, 1 tampering found (or a bundle refused because the history is broken), 2 usage error or an
unreadable history or bundle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sseguard.report.core import Report

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


def record_run(report: Report, args: argparse.Namespace, kind: str, inputs: Sequence[str | Path]) -> None:
    """Record a scan/aws run in the history unless ``--no-history``. Never raises: a write error is one warning
    line on stderr and the scan goes on."""
    if getattr(args, "no_history", False):
        return
    from sseguard.evidence.recorder import record

    db = db_path(args)
    try:
        record(report, db, command=kind, arguments=_arguments(args), inputs=[str(i) for i in inputs])
    except Exception as err:  # the history must never make a scan fail
        message = str(err).replace("\n", " ")
        sys.stderr.write(f"sseguard: warning: this run was not recorded in the history {db}: {message}\n")


def recent_history(args: argparse.Namespace, days: int = 30) -> tuple[tuple[dt.date, dict[str, int]], ...] | None:
    """Streams per status for each scanned day of the last ``days`` (today included), for the HTML report's chart;
    None without a history (``--no-history``, no file yet, or one that cannot be read)."""
    if getattr(args, "no_history", False):
        return None
    from sseguard.evidence.period import compute_period
    from sseguard.evidence.store import History, HistoryError

    db = db_path(args)
    if not db.exists():
        return None
    today = dt.datetime.now(dt.UTC).date()
    try:
        with History.open(db) as history:
            return tuple(compute_period(history, today - dt.timedelta(days=days - 1), today).chart_history())
    except HistoryError:
        return None


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
    report.add_argument("--format", help="html, md, csv or json (default: from the -o suffix, else md)")
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
    sys.stderr.write(f"sseguard: error: {message}\n")
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
        sys.stderr.write(f"sseguard: note: --to {end} is after today; the period ends today ({today} UTC)\n")
        end = today
    days = (end - args.start).days + 1
    if days > MAX_PERIOD_DAYS:
        return (f"the period {args.start} to {end} is {days} days; one report covers at most {MAX_PERIOD_DAYS} "
                "(ten years): split it into shorter periods")
    return args.start, end


def _report_format(args: argparse.Namespace) -> str:
    from sseguard.evidence.render import PERIOD_FORMATS

    if args.format:
        if args.format not in PERIOD_FORMATS:
            raise _BadFormat(f"--format must be one of {', '.join(sorted(PERIOD_FORMATS))}, not {args.format!r}")
        return str(args.format)
    if args.output:
        suffix = Path(args.output).suffix.lower().lstrip(".")
        suffix = {"htm": "html", "markdown": "md"}.get(suffix, suffix)
        if suffix in PERIOD_FORMATS:
            return suffix
    return "md"


class _BadFormat(ValueError):
    pass


def _cmd_report(args: argparse.Namespace) -> int:
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
    try:
        with History.open(db_path(args)) as history:
            report = compute_period(history, *period)
    except HistoryError as err:
        return _error(str(err))
    text = PERIOD_FORMATS[fmt](report)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as err:
            return _error(f"cannot write {args.output}: {err.strerror or err}")
    else:
        sys.stdout.write(text)
    if not report.integrity.ok:
        sys.stderr.write(f"sseguard: the history's hash chain is broken ({len(report.integrity.problems)} problems); "
                         "run sseguard evidence verify\n")
        return EXIT_TAMPERED
    return EXIT_OK


def _cmd_bundle(args: argparse.Namespace) -> int:
    from sseguard.evidence.bundle import MANIFEST, BrokenHistoryError, BundleError, build_bundle
    from sseguard.evidence.store import History, HistoryError

    period = _period(args)
    if isinstance(period, str):
        return _error(period)
    out = Path(args.output)
    try:
        with History.open(db_path(args)) as history:
            manifest = build_bundle(history, *period, out)
    except HistoryError as err:
        return _error(str(err))
    except BrokenHistoryError as err:
        sys.stderr.write(f"sseguard: {err}\n")
        return EXIT_TAMPERED
    except BundleError as err:
        return _error(str(err))
    head = manifest["history"]
    sys.stdout.write(f"wrote {out}: {len(manifest['files'])} files and {MANIFEST}, period {period[0]} to "
                     f"{period[1]}, history head row {head['head_seq']} sha256 {head['head_hash']}\n")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from sseguard.evidence.store import History, HistoryError

    if args.bundle:
        return _verify_bundle(Path(args.bundle), args.db)
    db = db_path(args)
    try:
        with History.open(db) as history:
            result = history.verify()
    except HistoryError as err:
        return _error(str(err))
    if result.ok:
        sys.stdout.write(f"OK: {db}: {result.rows} rows in {result.runs} runs, hash chain intact, head row "
                         f"{result.head.seq} sha256 {result.head.hash}\n")
        return EXIT_OK
    sys.stdout.write(f"TAMPERED: {db}: {len(result.problems)} problems in {result.rows} rows\n")
    for p in result.problems:
        sys.stdout.write(f"  {p.kind}: {p.message}\n")
    return EXIT_TAMPERED


def _verify_bundle(path: Path, db: str | None) -> int:
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
    if check.ok:
        head = check.manifest.get("history") or {}
        against = f", rows and head match the history {db}" if db else ""
        sys.stdout.write(f"OK: {path}: {check.files} files match the manifest, {check.rows} history rows match "
                         f"their hashes{against}; history head row {head.get('head_seq')} sha256 "
                         f"{head.get('head_hash')}\n")
        return EXIT_OK
    sys.stdout.write(f"TAMPERED: {path}: {len(check.problems)} problems\n")
    for problem in check.problems:
        sys.stdout.write(f"  {problem}\n")
    return EXIT_TAMPERED
