"""The command line: ``sseguard scan|fix|aws|remediate|evidence|explain|schema|config|config-rule``, one module per
command (``settings`` holds ``config``), ``common`` for what they share and ``live`` for the options of the commands
that reach live accounts. Exit codes: 0 clean, 1 findings at or above --fail-on (for remediate: a targeted stream still
not encrypted), 2 the command cannot be honoured or no input could be read (``scan --help`` has the whole rule)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sseguard import __version__
from sseguard.cli import aws, config_rule, evidence, explain, fix, remediate, scan, schema, settings
from sseguard.cli.common import EXIT_USAGE, UsageError
from sseguard.config import ConfigError
from sseguard.report.escape import text_safe


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="sseguard",
        description="Prove every Kinesis data stream is encrypted at rest with a usable KMS key.",
    )
    parser.add_argument("--version", action="version", version=f"sseguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (scan, fix, aws, remediate, explain, evidence, schema, settings, config_rule):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    # A terminal whose encoding cannot show a file name or message (PYTHONIOENCODING=ascii, an old locale) gets
    # escapes instead of an encoding error halfway through the report.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        settings.apply(parser, argv)
    except ConfigError as err:
        sys.stderr.write(f"sseguard: error: {text_safe(str(err))}\n")
        return EXIT_USAGE
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
