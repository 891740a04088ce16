"""``sseguard schema``: the JSON schema of the report (``sseguard/report/v1``), as the package ships it."""

from __future__ import annotations

import argparse
import sys

from sseguard.cli.common import EXIT_OK, Subcommands


def register(sub: Subcommands) -> None:
    """Add the ``schema`` command to the main parser's subcommands."""
    schema = sub.add_parser("schema", help="print the JSON schema of the report (sseguard/report/v1)")
    schema.set_defaults(func=_cmd_schema)


def _cmd_schema(args: argparse.Namespace) -> int:
    from sseguard.schema import report_schema_text

    sys.stdout.write(report_schema_text())
    return EXIT_OK


