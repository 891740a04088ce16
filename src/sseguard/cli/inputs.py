"""The input options of the commands that read files (``scan``, ``fix``): paths, Terraform variables, CloudFormation
parameters, and the scan options built from them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sseguard.cli.common import UsageError, key_value
from sseguard.files import is_file
from sseguard.options import ScanOptions
from sseguard.report.escape import text_safe


def add_input_options(p: argparse.ArgumentParser) -> None:
    """PATH... and the options that give the inputs values."""
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="a folder (its Terraform root modules, and any templates, plan or state JSON and saved "
                        "describe-stream output inside it), or one file: a .tf file (scanned alone), a plan or "
                        "state JSON, a CloudFormation template, describe-stream output")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="set a Terraform variable")
    p.add_argument("--var-file", action="append", default=[], metavar="FILE", help="a .tfvars(.json) file")
    p.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="set a CloudFormation parameter")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths matching GLOB in a folder scan, relative to the folder named (repeatable): "
                        "vendor, modules/legacy/**, **/fixtures, *.template")
    p.add_argument("--full-parse", action="store_true",
                   help="in Terraform trees of 1 MiB or more, parse every block (not only those streams depend "
                        "on), so every syntax error is reported; slower")


def scan_options(args: argparse.Namespace) -> ScanOptions:
    """The scan options the command line asks for; a mistake in it is a ``UsageError``."""
    variables = dict(key_value(v, "--var") for v in args.var)
    parameters = dict(key_value(v, "--parameter") for v in args.parameter)
    if any(not p for p in args.paths):
        raise UsageError("an empty PATH was given; name a file or folder (. for the current folder)")
    for vf in args.var_file:
        if not is_file(Path(vf)):
            raise UsageError(f"--var-file {text_safe(vf)}: no such file")
    _check_region(args.region)
    return ScanOptions(
        variables=variables,
        var_files=tuple(Path(v) for v in args.var_file),
        parameters=parameters,
        region=args.region,
        strict_key_policy=args.strict_key_policy,
        full_parse=args.full_parse,
        exclude=tuple(args.exclude),
        environ=dict(os.environ),
    )


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
