"""``sseguard remediate``: turn encryption on for live streams that fail the control, after a preflight of the key;
a plan unless ``--apply``. See ``docs/remediate.md``."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sseguard.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Subcommands, UsageError, add_config_option
from sseguard.cli.history import db_path, named_by
from sseguard.cli.live import add_live_options, live_options
from sseguard.report.escape import text_safe

if TYPE_CHECKING:
    from sseguard.remediate.run import Remediation

_PRINCIPAL = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:(?:role|user)/[\w+=,.@/-]+$")
_EPILOG = """\
Without --apply nothing is changed: each failing stream is listed with the key it would get and that key's
preflight (stream ACTIVE; key exists, Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, in the stream's region; its
policy passes KSSE012, and KSSE013 with --strict-key-policy). A stream failing KSSE001-004 gets --key, else
alias/aws/kinesis (advisory KSSE010); a stream failing on its key (KSSE011-014) is re-keyed only with --key.
Passing, suppressed and unknown streams are never touched.
--apply: kinesis:StartStreamEncryption, then kinesis:DescribeStreamSummary until the stream is ACTIVE with the
key (bounded by --timeout). Records written before the change stay plaintext until they age out of the retention
period; each changed stream says when that is. A stream with 25 key changes recorded in the history in the last
24 hours is refused until one ages out.
IAM actions used: those of sseguard aws, with --check-principal iam:SimulatePrincipalPolicy, and with --apply
kinesis:StartStreamEncryption on each stream and kms:GenerateDataKey on the key.
history: with --apply every applied, skipped, refused and not-changed stream is recorded (who, which key, before,
after) in the history (--db, else $SSEGUARD_DB, else the user's data folder).
exit codes: 0 every targeted stream is encrypted or had nothing to do; 1 any is not (a plan with changes to make
included); 2 usage error, or the accounts or the history could not be read (nothing was changed)."""


def register(subparsers: Subcommands) -> None:
    """Add the ``remediate`` command to the main parser's subcommands."""
    p = subparsers.add_parser("remediate", help="turn encryption on for failing live streams, after a key preflight "
                                                "(a plan unless --apply)",
                              epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_live_options(p, "remediate", "seconds for the whole run, waits for streams to become ACTIVE included; a "
                                     "stream not verified by then is reported unverified (default 300)")
    p.add_argument("--stream", action="append", default=[], metavar="NAME|ARN",
                   help="only this stream (repeatable; default: every stream of the regions read)")
    p.add_argument("--key", metavar="REF", help="the KMS key to encrypt with: key id, key ARN, alias name or alias "
                                                "ARN (default: alias/aws/kinesis, the AWS-managed key)")
    p.add_argument("--check-principal", action="append", default=[], metavar="ARN",
                   help="refuse a change after which this IAM role or user could not use the key for the stream "
                        "(kms:GenerateDataKey and kms:Decrypt, asked of iam:SimulatePrincipalPolicy; repeatable)")
    p.add_argument("--apply", action="store_true", help="make the changes (default: only show the plan)")
    add_config_option(p)
    p.add_argument("--strict-key-policy", action="store_true",
                   help="refuse a key whose policy does not allow kinesis.amazonaws.com (KSSE013)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--db", metavar="PATH",
                   help="history file the 24-hour limit is counted from and changes are recorded in (default: "
                        "$SSEGUARD_DB, else the user's data dir); when named, changes that cannot be recorded exit 2")
    p.set_defaults(func=_cmd_remediate)


def _cmd_remediate(args: argparse.Namespace) -> int:
    from sseguard.evidence.store import HistoryError
    from sseguard.remediate.render import render_json, render_text
    from sseguard.remediate.run import RemediateOptions, StreamsNotFound, remediate
    from sseguard.sources.aws import AwsSetupError

    key = args.key.strip() if args.key is not None else None
    if key == "":
        raise UsageError("--key must name a key (key id, key ARN, alias name or alias ARN)")
    principals = tuple(p.strip() for p in args.check_principal)
    for principal in principals:
        if not _PRINCIPAL.match(principal):
            raise UsageError(f"--check-principal {principal!r}: not an IAM role or user ARN "
                             "(arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)")
    db = db_path(args)
    if args.apply:
        _writable(db, named_by(args))
    options = RemediateOptions(live_options(args), db, tuple(s.strip() for s in args.stream), key, args.apply,
                               args.strict_key_policy, principals)
    try:
        outcome = remediate(options)
    except (AwsSetupError, StreamsNotFound) as err:
        raise UsageError(str(err)) from None
    except HistoryError as err:
        raise UsageError(f"the 24-hour limit cannot be counted, so nothing was changed: {err}") from None
    text = render_json(outcome, dt.datetime.now(dt.UTC)) if args.format == "json" else render_text(outcome)
    sys.stdout.write(text)
    if outcome.apply and not _record(outcome, db, named_by(args)):
        return EXIT_USAGE
    return EXIT_OK if outcome.settled else EXIT_FINDINGS


def _writable(db: Path, named: str | None) -> None:
    """Make sure the history can take the records before any change is made: a change must never go
    unrecorded for want of a folder or a writable file."""
    from sseguard.evidence.store import History, HistoryError

    try:
        History.open(db, create=True, make_folder=named is None).close()
    except HistoryError as err:
        raise UsageError(f"the history cannot be written, so nothing was changed: {err}") from None


def _record(outcome: Remediation, db: Path, named: str | None) -> bool:
    """Append the entries to the history; False when that failed and the user named the history."""
    from sseguard.evidence.store import REMEDIATION, History
    from sseguard.remediate.record import history_records

    if not outcome.entries:
        return True
    try:
        with History.open(db, create=True, make_folder=named is None) as history:
            history.append_records(REMEDIATION, history_records(outcome.entries, outcome.principals))
    except Exception as err:  # the changes are made and told: a history failure is one line, never a traceback
        level = "error" if named else "warning"
        sys.stderr.write(text_safe(f"sseguard: {level}: the changes were not recorded in the history {db}"
                                   f"{f' (named by {named})' if named else ''}: {err}") + "\n")
        return named is None
    return True
