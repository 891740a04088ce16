"""``sseguard scan PATH...``: judge every Kinesis stream declared in files and folders."""

from __future__ import annotations

import argparse
import os
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
    scan.add_argument("--changed", action="store_true",
                      help="the PATHs are changed files (as a pre-commit hook passes them): each Terraform file is "
                           "scanned as part of its module folder, each CloudFormation template as a file, and other "
                           "files are left out")
    add_report_options(scan)
    scan.set_defaults(func=_cmd_scan)


def _cmd_scan(args: argparse.Namespace) -> int:
    options = scan_options(args)
    paths = changed_inputs(args.paths) if args.changed else [Path(p) for p in args.paths]
    if args.changed and not paths:
        sys.stderr.write("sseguard: no Terraform or CloudFormation file among the changed files\n")
        return 0
    report = scan_paths(paths, options)
    code = emit_report(report, args)
    if not report.inputs and not report.errors:
        sys.stderr.write("sseguard: error: found no Terraform, plan, state, CloudFormation or describe-stream input in "
                         + text_safe(", ".join(args.paths)) + "\n")
    return code


def changed_inputs(files: list[str]) -> list[Path]:
    """What to scan for a set of changed files: the module folder of each Terraform file (a file alone loses its
    variables and module calls), and each CloudFormation template; other files (workflows, docs) are left out."""
    from sseguard.sources.cfn.load import looks_like_template

    out: dict[str, Path] = {}
    for name in files:
        path = Path(name)
        if name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
            folder = path.parent
            if folder.is_dir():
                out.setdefault(os.path.realpath(folder), folder)
        elif path.is_file():
            try:
                with path.open("rb") as fh:
                    head = fh.read(4096)
            except OSError:
                head = b""
            if looks_like_template(path, head):
                out.setdefault(os.path.realpath(path), path)
    return list(out.values())
