"""``sseguard config-rule package -o FILE``: the AWS Config custom rule's Lambda zip (handler
``sseguard.integrations.config_rule.handler``), from the installed package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sseguard.cli.common import EXIT_OK, Subcommands, UsageError
from sseguard.integrations.lambda_zip import HANDLER, PackageError, build

DEFAULT_OUTPUT = "sseguard-config-rule.zip"


def register(sub: Subcommands) -> None:
    """Add the ``config-rule`` command to the main parser's subcommands."""
    rule = sub.add_parser("config-rule", help="the AWS Config custom rule (a Lambda function)")
    actions = rule.add_subparsers(dest="action", required=True, metavar="ACTION")
    package = actions.add_parser("package", help="build the Lambda zip: the handler's modules only; boto3 comes "
                                                 "from the Lambda runtime; the same bytes on every build")
    package.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE",
                         help=f"where to write the zip (default {DEFAULT_OUTPUT})")
    package.set_defaults(func=_cmd_package)


def _cmd_package(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.is_dir() or not output.parent.is_dir():
        raise UsageError(f"--output {output}: not a file in an existing folder")
    try:
        built = build(output)
    except PackageError as err:
        raise UsageError(str(err)) from None
    sys.stdout.write(f"wrote {built.path} ({built.size:,} bytes, {len(built.entries)} modules); Lambda handler: "
                     f"{HANDLER}, runtime python3.11 or later\n")
    return EXIT_OK
