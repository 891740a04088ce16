"""``sseguard explain [CODE]``: what a reason code means and how to fix it; every code without one."""

from __future__ import annotations

import argparse
import sys

from sseguard.cli.common import EXIT_OK, Subcommands, UsageError
from sseguard.control.codes import CODES, get_code
from sseguard.control.mappings import mappings


def register(sub: Subcommands) -> None:
    """Add the ``explain`` command to the main parser's subcommands."""
    explain = sub.add_parser("explain", help="what a reason code means and how to fix it")
    explain.add_argument("code", metavar="CODE", nargs="?",
                         help="a reason code (KSSE011) or its name (key-region-mismatch); without it, every code")
    explain.set_defaults(func=_cmd_explain)


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


