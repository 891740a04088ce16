"""What the commands share: exit codes, the usage error, the report options of ``scan`` and ``aws``, and writing
the reports (then recording the run in the history)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TypeAlias

from sseguard.cli.history import pending_run, recent_history, record_run
from sseguard.report import FORMATS, RenderOptions, Report
from sseguard.report.core import FAIL_ON_LEVELS
from sseguard.report.escape import text_safe

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# The subcommands of the main parser, as each command's ``register`` receives them.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
_FORMAT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class UsageError(Exception):
    """A command-line mistake: reported on one line, exit 2."""


def key_value(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"{what} takes NAME=VALUE, got {text!r}")
    return name.strip(), value


def add_report_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that produces a report (scan, aws)."""
    from sseguard.report import format_named, format_spellings

    p.add_argument("--format", choices=sorted(FORMATS), type=lambda name: format_named(name, FORMATS) or name,
                   help=f"output format: {format_spellings(FORMATS)} (default: text)")
    p.add_argument("--output", action="append", default=[], metavar="[FORMAT=]PATH",
                   help="write a report to PATH instead of stdout; repeatable as FORMAT=PATH")
    p.add_argument("--fail-on", choices=FAIL_ON_LEVELS, default="fail",
                   help="lowest outcome that makes the exit code 1 (default: fail)")
    p.add_argument("--strict-key-policy", action="store_true",
                   help="make KSSE013 (no kinesis.amazonaws.com grant in the key policy) a fail")
    p.add_argument("--quiet", action="store_true", help="show only findings at or above --fail-on")
    p.add_argument("--baseline", metavar="FILE",
                   help="findings this baseline file holds are reported as baselined and do not fail the run")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="write today's failing and unknown findings to FILE as the baseline (sorted, stable)")
    p.add_argument("--sarif-category", default="sseguard", metavar="NAME",
                   help="SARIF runAutomationDetails category (GitHub keeps one analysis per category; default: "
                        "sseguard)")
    add_config_option(p)
    p.add_argument("--soft-fail", action="store_true",
                   help="exit 0 whatever the findings (the reports are written as usual); a command that cannot be "
                        "honoured still exits 2")
    p.add_argument("--region", help="the region of a provider that names none; for ASFF, also the region of findings "
                                    "whose stream names none (default there: $AWS_REGION, else $AWS_DEFAULT_REGION)")
    p.add_argument("--account-id", metavar="ACCOUNT",
                   help="for ASFF, the 12-digit AWS account of findings whose stream names none (a live stream's "
                        "own account wins; default: $AWS_ACCOUNT_ID)")
    p.add_argument("--db", metavar="PATH",
                   help="scan history file, created in a folder that exists (default: $SSEGUARD_DB, else the user's "
                        "data dir); when named, a run that cannot be recorded exits 2 after its reports")
    p.add_argument("--no-history", action="store_true", help="do not record this run in the scan history")
    p.add_argument("--sign", metavar="KEYFILE",
                   help="sign the history's chain head with this Ed25519 private key once the run is recorded (a "
                        "digest row; sseguard evidence verify --public-key checks them)")


def add_config_option(p: argparse.ArgumentParser) -> None:
    """``--config FILE``, for a command that takes settings (see ``sseguard.config``)."""
    p.add_argument("--config", metavar="FILE",
                   help="the settings file (default: the nearest .sseguard.yaml, or pyproject.toml with "
                        "[tool.sseguard], in this folder or a parent up to the repository's top)")


def emit_report(report: Report, args: argparse.Namespace) -> int:
    """Write the report in every requested format, then record the run in the history, and return the exit code
    they call for. Every report is written before the history is touched, so a broken history never costs one."""
    from sseguard.report import format_named

    _apply_baseline(report, args)
    targets: list[tuple[str, str | None]] = []
    redirected = False  # a plain --output PATH takes the main report off stdout
    for spec in args.output:
        fmt, sep, path = spec.partition("=")
        if sep and (named := format_named(fmt, FORMATS)):
            targets.append((named, path))
        elif sep and _FORMAT_NAME.fullmatch(fmt):
            # A word before '=' is a format the user meant, not part of a file name (write ./a=b for that).
            raise UsageError(f"--output {text_safe(spec)}: unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
        else:
            targets.append((args.format or format_from_suffix(spec), spec))
            redirected = True
    if not redirected:
        targets.append((args.format or "text", None))
    if getattr(args, "sign", None) and args.no_history:
        raise UsageError("--sign signs the history's chain head, and --no-history records nothing: drop one")
    run = pending_run(report, args, args.command, getattr(args, "paths", None) or [])
    chart = recent_history(run) if any(fmt == "html" for fmt, _ in targets) else None
    region = getattr(args, "region", None)
    region = region if isinstance(region, str) else None  # aws takes a list of regions to scan instead
    try:
        for fmt, path in targets:
            color = path is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            options = RenderOptions(color=color, quiet=args.quiet, fail_on=args.fail_on, history=chart,
                                    account_id=getattr(args, "account_id", None), region=region,
                                    sarif_category=args.sarif_category)
            try:
                text = FORMATS[fmt](report, options)
            except ValueError as err:  # a format that cannot hold this report (ASFF without an account) says why
                raise UsageError(f"{fmt}: {text_safe(err)}") from err
            if path is None:
                sys.stdout.write(text)
            else:
                try:
                    Path(path).write_text(text, encoding="utf-8")
                except OSError as err:
                    raise UsageError(f"cannot write {text_safe(path)}: {err.strerror or err}") from err
    except UsageError:
        record_run(run)  # the scan itself ran: its run is evidence even when a report is not
        raise
    if not record_run(run):
        return EXIT_USAGE
    if args.write_baseline:
        _write_baseline(report, Path(args.write_baseline))
    code = report.exit_code(args.fail_on)
    return EXIT_OK if code == EXIT_FINDINGS and args.soft_fail else code


def _apply_baseline(report: Report, args: argparse.Namespace) -> None:
    """Mark the findings --baseline accepts; a baseline that cannot be read is a usage error, before any report."""
    if not args.baseline:
        return
    from sseguard import baseline

    try:
        entries = baseline.load(Path(args.baseline))
    except baseline.BaselineError as err:
        raise UsageError(text_safe(str(err))) from err
    report.findings, report.baseline = baseline.apply(report.findings, entries, args.baseline)


def _write_baseline(report: Report, path: Path) -> None:
    from sseguard import baseline

    try:
        count = baseline.write(path, report.findings)
    except baseline.BaselineError as err:
        raise UsageError(text_safe(str(err))) from err
    sys.stderr.write(f"sseguard: wrote {count} finding(s) to the baseline {text_safe(str(path))}\n")


def format_from_suffix(path: str) -> str:
    from sseguard.report import format_named

    suffix = Path(path).suffix.lower().lstrip(".")
    return format_named(suffix, FORMATS) or ("junit" if suffix == "xml" else "text")


