"""The command line: ``sseguard scan|explain ...``. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage
error or no input could be read."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from sseguard import __version__, cli_evidence
from sseguard.cli_aws import register as register_aws
from sseguard.control.codes import CODES, get_code
from sseguard.control.mappings import mappings
from sseguard.options import ScanOptions
from sseguard.report import FORMATS, RenderOptions, Report
from sseguard.report.core import FAIL_ON_LEVELS
from sseguard.report.escape import text_safe
from sseguard.scan import scan_paths

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_SCAN_EPILOG = """\
exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (at --fail-on unknown, an input error too);
2 the command cannot be honoured (a named path missing or unreadable, a --var or --parameter nothing declares, a
history named by --db that cannot record the run) or no input could be read."""
_FORMAT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class UsageError(Exception):
    """A command-line mistake: reported on one line, exit 2."""


def _key_value(text: str, what: str) -> tuple[str, str]:
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
    p.add_argument("--region", help="the region of a provider that names none; for ASFF, also the region of findings "
                                    "whose stream names none (default there: $AWS_REGION, else $AWS_DEFAULT_REGION)")
    p.add_argument("--account-id", metavar="ACCOUNT",
                   help="for ASFF, the 12-digit AWS account of findings whose stream names none (a live stream's "
                        "own account wins; default: $AWS_ACCOUNT_ID)")
    p.add_argument("--db", metavar="PATH",
                   help="scan history file, created in a folder that exists (default: $SSEGUARD_DB, else the user's "
                        "data dir); when named, a run that cannot be recorded exits 2 after its reports")
    p.add_argument("--no-history", action="store_true", help="do not record this run in the scan history")


def emit_report(report: Report, args: argparse.Namespace) -> int:
    """Write the report in every requested format, then record the run in the history, and return the exit code
    they call for. Every report is written before the history is touched, so a broken history never costs one."""
    from sseguard.report import format_named
    from sseguard.report.escape import text_safe

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
            targets.append((args.format or _format_from_suffix(spec), spec))
            redirected = True
    if not redirected:
        targets.append((args.format or "text", None))
    run = cli_evidence.pending_run(report, args, args.command, getattr(args, "paths", None) or [])
    history = cli_evidence.recent_history(run) if any(fmt == "html" for fmt, _ in targets) else None
    region = getattr(args, "region", None)
    region = region if isinstance(region, str) else None  # aws takes a list of regions to scan instead
    try:
        for fmt, path in targets:
            color = path is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            options = RenderOptions(color=color, quiet=args.quiet, fail_on=args.fail_on, history=history,
                                    account_id=getattr(args, "account_id", None), region=region)
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
        cli_evidence.record_run(run)  # the scan itself ran: its run is evidence even when a report is not
        raise
    if not cli_evidence.record_run(run):
        return EXIT_USAGE
    return report.exit_code(args.fail_on)


def _format_from_suffix(path: str) -> str:
    from sseguard.report import format_named

    suffix = Path(path).suffix.lower().lstrip(".")
    return format_named(suffix, FORMATS) or ("junit" if suffix == "xml" else "text")


def _cmd_scan(args: argparse.Namespace) -> int:
    variables = dict(_key_value(v, "--var") for v in args.var)
    parameters = dict(_key_value(v, "--parameter") for v in args.parameter)
    if any(not p for p in args.paths):
        raise UsageError("an empty PATH was given; name a file or folder (. for the current folder)")
    for vf in args.var_file:
        if not Path(vf).is_file():
            raise UsageError(f"--var-file {text_safe(vf)}: no such file")
    _check_region(args.region)
    options = ScanOptions(
        variables=variables,
        var_files=tuple(Path(v) for v in args.var_file),
        parameters=parameters,
        region=args.region,
        strict_key_policy=args.strict_key_policy,
        full_parse=args.full_parse,
        environ=dict(os.environ),
    )
    report = scan_paths([Path(p) for p in args.paths], options)
    code = emit_report(report, args)
    if not report.inputs and not report.errors:
        sys.stderr.write("sseguard: error: found no Terraform, plan, state, CloudFormation or describe-stream input in "
                         + text_safe(", ".join(args.paths)) + "\n")
    return code


def _check_region(region: str | None) -> None:
    """A malformed --region is a usage error; a well-formed one botocore does not know is a warning (it may be
    newer than the installed botocore)."""
    if region is None:
        return
    from sseguard.sources.aws.session import is_region_name

    if not is_region_name(region):
        raise UsageError(f"--region {text_safe(region)!r}: not a region name (e.g. eu-west-1)")
    import botocore.session  # only a scan given --region pays for loading the endpoint data

    session = botocore.session.get_session()
    if not any(region in session.get_available_regions("kinesis", p) for p in session.get_available_partitions()):
        sys.stderr.write(f"sseguard: warning: --region {region} is not a region botocore knows; using it anyway\n")


def _cmd_explain(args: argparse.Namespace) -> int:
    if args.code is None:
        width = max(len(rc.slug) for rc in CODES.values())
        sys.stdout.write("".join(f"{rc.code}  {rc.slug:<{width}}  {rc.kind:<8}  {rc.title}\n" for rc in CODES.values())
                         + "\nsseguard explain CODE tells what a code means and how to fix it.\n")
        return EXIT_OK
    try:
        rc = get_code(args.code)
    except KeyError:
        raise UsageError(f"unknown reason code {args.code!r}; known: {', '.join(CODES)}") from None
    kind = {"pass": "pass", "fail": "fail", "advisory": "advisory (never hides a fail)", "unknown": "unknown"}
    lines = [
        f"{rc.code} {rc.slug} ({kind[rc.kind]}, severity {rc.severity})",
        f"  {rc.title}.",
        "",
        "Why:",
        f"  {rc.explanation}",
        "",
        "How to fix:",
        f"  {rc.fix}",
        "",
        "Same control elsewhere: " + ", ".join(f"{t['scheme']} {t['id']}" for t in mappings()["tools"]),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from sseguard.schema import report_schema_text

    sys.stdout.write(report_schema_text())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="sseguard",
        description="Prove every Kinesis data stream is encrypted at rest with a usable KMS key.",
    )
    parser.add_argument("--version", action="version", version=f"sseguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="scan Terraform, plans, state, CloudFormation and saved describe-stream output",
                          description="Judge every Kinesis stream declared in the files and folders named.",
                          epilog=_SCAN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help="a folder (its Terraform root modules, and any templates, plan or state JSON and saved "
                           "describe-stream output inside it), or one file: a .tf file (scanned alone), a plan or "
                           "state JSON, a CloudFormation template, describe-stream output")
    scan.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="set a Terraform variable")
    scan.add_argument("--var-file", action="append", default=[], metavar="FILE", help="a .tfvars(.json) file")
    scan.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                      help="set a CloudFormation parameter")
    scan.add_argument("--full-parse", action="store_true",
                      help="in Terraform trees of 1 MiB or more, parse every block (not only those streams depend "
                           "on), so every syntax error is reported; slower")
    add_report_options(scan)
    scan.set_defaults(func=_cmd_scan)
    register_aws(sub)

    explain = sub.add_parser("explain", help="what a reason code means and how to fix it")
    explain.add_argument("code", metavar="CODE", nargs="?",
                         help="a reason code (KSSE011) or its name (key-region-mismatch); without it, every code")
    explain.set_defaults(func=_cmd_explain)
    cli_evidence.register(sub)

    schema = sub.add_parser("schema", help="print the JSON schema of the report (sseguard/report/v1)")
    schema.set_defaults(func=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    # A terminal whose encoding cannot show a file name or message (PYTHONIOENCODING=ascii, an old locale) gets
    # escapes instead of an encoding error halfway through the report.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except UsageError as err:
        sys.stderr.write(f"sseguard: error: {err}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("sseguard: interrupted\n")
        return 130
    except Exception as err:  # a bug must still end in one line, not a traceback; SSEGUARD_DEBUG=1 shows it
        if os.environ.get("SSEGUARD_DEBUG"):
            raise
        sys.stderr.write(f"sseguard: internal error: {type(err).__name__}: {err} (set SSEGUARD_DEBUG=1 for the "
                         "traceback, and please report it)\n")
        return EXIT_USAGE
