"""``sseguard scan PATH...``: judge every Kinesis stream declared in files and folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sseguard.cli.common import Subcommands, add_report_options, emit_report
from sseguard.cli.inputs import add_input_options, scan_options
from sseguard.report.escape import text_safe
from sseguard.scan import scan_paths

_SCAN_EPILOG = """\
exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (at --fail-on unknown, an input error too);
2 the command cannot be honoured (a named path missing or unreadable, a --var or --parameter nothing declares, a
history named by --db that cannot record the run) or no input could be read."""


def register(sub: Subcommands) -> None:
    """Add the ``scan`` command to the main parser's subcommands."""
    scan = sub.add_parser("scan", help="scan Terraform, plans, state, CloudFormation and saved describe-stream output",
                          description="Judge every Kinesis stream declared in the files and folders named.",
                          epilog=_SCAN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(scan)
    add_report_options(scan)
    scan.set_defaults(func=_cmd_scan)


def _cmd_scan(args: argparse.Namespace) -> int:
    options = scan_options(args)
    report = scan_paths([Path(p) for p in args.paths], options)
    code = emit_report(report, args)
    if not report.inputs and not report.errors:
        sys.stderr.write("sseguard: error: found no Terraform, plan, state, CloudFormation or describe-stream input in "
                         + text_safe(", ".join(args.paths)) + "\n")
    return code
