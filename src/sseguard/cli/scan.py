"""``sseguard scan PATH...``: judge every Kinesis stream declared in files and folders."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sseguard.cli.common import Subcommands, UsageError, add_report_options, emit_report, key_value
from sseguard.files import is_file
from sseguard.options import ScanOptions
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


def _cmd_scan(args: argparse.Namespace) -> int:
    variables = dict(key_value(v, "--var") for v in args.var)
    parameters = dict(key_value(v, "--parameter") for v in args.parameter)
    if any(not p for p in args.paths):
        raise UsageError("an empty PATH was given; name a file or folder (. for the current folder)")
    for vf in args.var_file:
        if not is_file(Path(vf)):
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


