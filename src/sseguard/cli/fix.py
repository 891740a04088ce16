"""``sseguard fix PATH...``: rewrite Terraform and CloudFormation so failing streams are encrypted.

Without ``--write`` nothing is changed: the fix is shown as a unified diff (or as JSON). The rules are CONTROL.md's
"Fixing" section; ``sseguard.fix`` holds them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sseguard.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Subcommands, UsageError, add_config_option
from sseguard.cli.inputs import add_input_options, scan_options
from sseguard.fix.plan import FIXABLE, KEY_CODES, StreamFix
from sseguard.fix.run import FixRun, prepare, unified_diff, write
from sseguard.report.escape import text_safe

_EPILOG = """\
fixed: KSSE001 and KSSE005 (encryption_type and kms_key_id added), KSSE002 and KSSE004 (the value replaced), KSSE003
(the key added, or an empty one filled); in CloudFormation, StreamEncryption added or completed. A value is edited
where it is written (a variable default, a tfvars file, a local, a module argument), never where it also sets a
stream that passes. Streams failing on their key (KSSE011, KSSE012, KSSE014) get the exact change to make instead.
The key set is --key, else the customer key the passing streams of the same module and region use, else
alias/aws/kinesis (said, as KSSE010).

exit codes: 0 nothing fails (or, with --write, everything fixed); 1 something would change, or a failing stream is
left as it is; 2 the command cannot be honoured or no input could be read."""


def register(sub: Subcommands) -> None:
    """Add the ``fix`` command to the main parser's subcommands."""
    p = sub.add_parser("fix", help="rewrite Terraform and CloudFormation so failing streams are encrypted",
                       description="Show (or, with --write, make) the source changes that make failing Kinesis "
                                   "streams pass.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(p)
    p.add_argument("--key", metavar="REF",
                   help="the key to set: an ARN, alias/NAME, a key id, a Terraform reference (aws_kms_key.k.arn) "
                        "or a template's key resource (StreamKey, StreamKey.Arn)")
    p.add_argument("--code", action="append", default=[], metavar="CODES",
                   help="fix only streams failing with these codes (comma-separated, repeatable)")
    p.add_argument("--key-policy", action="store_true",
                   help="for KSSE012 (and KSSE013 under --strict-key-policy), add the statement that lets the Kinesis "
                        "service principal use the key to the key's policy where the scanned files write it")
    p.add_argument("--write", action="store_true", help="write the changes (default: only show them)")
    p.add_argument("--format", choices=("text", "json", "patch"), default="text",
                   help="text: each stream's outcome, then the diff; patch: only the diff; json: every planned edit")
    p.add_argument("--region", help="the region of a provider that names none")
    add_config_option(p)
    p.add_argument("--strict-key-policy", action="store_true",
                   help="make KSSE013 (no kinesis.amazonaws.com grant in the key policy) a fail")
    p.set_defaults(func=_cmd_fix)


def _cmd_fix(args: argparse.Namespace) -> int:
    options = scan_options(args)
    codes = _codes(args.code)
    run = prepare([Path(p) for p in args.paths], options, args.key, codes, args.key_policy)
    for error in run.report.errors:
        where = f"{error.location}:{error.line}" if error.line else error.location
        sys.stderr.write(f"sseguard: {text_safe(where)}: {text_safe(error.message)}\n")
    if not run.report.inputs:
        sys.stderr.write("sseguard: error: found no Terraform or CloudFormation input in "
                         + text_safe(", ".join(args.paths)) + "\n")
        return EXIT_USAGE
    if args.write:
        write(run)
    base = os.getcwd()
    if args.format == "json":
        sys.stdout.write(json.dumps(_as_json(run, base, args.write), indent=2) + "\n")
    elif args.format == "patch":
        sys.stdout.write("" if args.write else unified_diff(run, base))
    else:
        sys.stdout.write(_as_text(run, base, args.write))
    if run.not_written or run.unfixed:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if run.edited and not args.write else EXIT_OK


def _codes(values: list[str]) -> frozenset[str] | None:
    if not values:
        return None
    codes = frozenset(c.strip().upper() for v in values for c in v.split(",") if c.strip())
    unknown = sorted(codes - FIXABLE - KEY_CODES)
    if unknown:
        raise UsageError(f"--code {', '.join(unknown)}: not a code sseguard fix acts on (it fixes "
                         f"{', '.join(sorted(FIXABLE))} and advises on {', '.join(sorted(KEY_CODES))})")
    return codes


def _shown(path: str, base: str) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def _as_text(run: FixRun, base: str, wrote: bool) -> str:
    lines: list[str] = []
    for fix in run.fixes:
        stream = fix.stream
        head = f"{stream.address}{stream.location.root_note} ({stream.location.path}:{stream.location.line})"
        code = fix.finding.verdict.code
        if fix.refused:
            lines.append(f"NOT FIXED  {head} {code}: {fix.refused}")
            if fix.advice:
                lines.append(f"           by hand: {fix.advice}")
        elif not fix.edits:
            lines.append(f"BY HAND    {head} {code}: {fix.advice}")
        else:
            places = ", ".join(sorted({f"{_shown(e.path, base)}:{_line_of(run, e.path, e.start)}" for e in fix.edits}))
            verb = "FIXED" if wrote and all(e.path in run.written for e in fix.edits) else "WOULD FIX"
            lines.append(f"{verb:<10} {head} {code}: edits {places}")
    for path, why in sorted(run.not_written.items()):
        lines.append(f"NOT WRITTEN {_shown(path, base)}: {why}")
    notes = Counter(f.key_note for f in run.fixed if f.key_note)
    for note, count in sorted(notes.items()):
        lines.append(f"Key set for {count} stream(s): {note}")
    fixed, unfixed = len(run.fixed), len(run.unfixed)
    if not run.fixes:
        lines.append("Nothing to fix: no stream fails with a code sseguard fix acts on.")
    elif wrote:
        lines.append(f"{fixed} stream(s) fixed in {len(run.written)} file(s); {unfixed} left as they are.")
    else:
        lines.append(f"{fixed} stream(s) would be fixed in {len(run.edited)} file(s); {unfixed} left as they are. "
                     "Run again with --write to make the changes.")
    text = "\n".join(text_safe(line) for line in lines) + "\n"
    if run.edited and not wrote:
        text += "\n" + unified_diff(run, base)
    return text


def _line_of(run: FixRun, path: str, offset: int) -> int:
    return run.original[path].count(b"\n", 0, offset) + 1


def _as_json(run: FixRun, base: str, wrote: bool) -> dict[str, Any]:
    def stream_of(fix: StreamFix) -> dict[str, Any]:
        loc = fix.stream.location
        return {"address": fix.stream.address, "root": loc.root, "file": loc.path, "line": loc.line,
                "code": fix.finding.verdict.code}

    edits = [{**stream_of(f), "edit": {"file": _shown(e.path, base), "start": e.start, "end": e.end,
                                       "line": _line_of(run, e.path, e.start), "old": e.old, "new": e.new,
                                       "why": e.why}, "key_note": f.key_note}
             for f in run.fixed for e in f.edits]
    return {
        "written": wrote,
        "edits": edits,
        "not_fixed": [{**stream_of(f), "why": f.refused} for f in run.fixes if f.refused],
        "by_hand": [{**stream_of(f), "change": f.advice} for f in run.fixes if f.advice and not f.edits],
        "files_written": [_shown(p, base) for p in run.written],
        "files_not_written": {_shown(p, base): why for p, why in sorted(run.not_written.items())},
    }
