"""``sseguard evidence report|bundle|verify|collect|keygen``: the history over a period, as reports and auditor's
bundles, signed with a key file or a KMS key and verified with the public key alone; ``collect`` adds AWS Config
and Security Hub results to it (its own module, ``cli/collect.py``).

Exit codes: 0 ok, 1 tampering found (or a bundle refused because the history is broken), 2 usage error or an
unreadable history or bundle. The reading commands open the history read-only, so they work on read-only media.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sseguard.cli import collect
from sseguard.cli.common import Subcommands
from sseguard.cli.history import db_path
from sseguard.report.escape import text_safe
from sseguard.report.words import counted

if TYPE_CHECKING:
    from sseguard.evidence.bundle import BundleCheck
    from sseguard.evidence.signing import Signer, Verifier

# The evidence modules (SQLite, zip, HTML) are imported where a command uses them.

EXIT_OK, EXIT_TAMPERED, EXIT_USAGE = 0, 1, 2


def _out(line: str) -> None:
    sys.stdout.write(text_safe(line) + "\n")


def _err(line: str) -> None:
    sys.stderr.write(text_safe(line) + "\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _period_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE",
                   help="first day of the period (YYYY-MM-DD, UTC)")
    p.add_argument("--to", dest="end", type=_date, metavar="DATE",
                   help="last day of the period, included (default: today, UTC)")
    p.add_argument("--db", metavar="PATH", help="the history file (default: $SSEGUARD_DB or the user's data folder)")


def register(subparsers: Subcommands) -> None:
    """Add ``evidence`` and its actions to the top-level subparsers."""
    evidence = subparsers.add_parser("evidence", help="scan history and audit evidence for a period")
    actions = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")

    report = actions.add_parser("report", help="every stream's status timeline, fixes and suppressions in a period")
    _period_options(report)
    report.add_argument("--format", help="html (or htm), md (or markdown), csv or json (default: from the -o "
                                         "suffix, else md)")
    report.add_argument("-o", "--output", metavar="PATH", help="write the report to PATH instead of stdout")
    report.set_defaults(func=_cmd_report)

    bundle = actions.add_parser("bundle", help="a zip of the period report, raw findings, mappings and a manifest")
    _period_options(bundle)
    bundle.add_argument("-o", "--output", metavar="PATH", required=True, help="the zip to write")
    signing = bundle.add_mutually_exclusive_group()
    signing.add_argument("--sign", metavar="KEYFILE", help="sign the manifest with this Ed25519 private key "
                                                          "(sseguard evidence keygen writes one)")
    signing.add_argument("--kms-sign-key", metavar="ARN", help="sign the manifest with this asymmetric KMS key "
                                                               "(ECC_NIST_P256 or RSA, key usage SIGN_VERIFY) "
                                                               "through kms:Sign")
    _kms_options(bundle)
    bundle.set_defaults(func=_cmd_bundle)

    verify = actions.add_parser("verify", help="check a bundle's hashes and signature, or the history's hash chain "
                                               "and signed digests")
    verify.add_argument("bundle", nargs="?", metavar="BUNDLE", help="an evidence zip (without it: the history)")
    verify.add_argument("--db", metavar="PATH",
                        help="the history to check (with BUNDLE: also check the bundle's rows against it)")
    trust = verify.add_mutually_exclusive_group()
    trust.add_argument("--public-key", metavar="FILE", help="the signer's public key (PEM): the bundle's signature, "
                                                            "or the history's signed digests, must verify with it")
    trust.add_argument("--kms-key", metavar="ARN", help="the KMS key that signed the bundle (checked through "
                                                        "kms:Verify)")
    _kms_options(verify)
    verify.set_defaults(func=_cmd_verify)

    collect.register(actions)

    keygen = actions.add_parser("keygen", help="write an Ed25519 key pair for signing bundles and history digests")
    keygen.add_argument("-o", "--output", metavar="DIR", required=True,
                        help="the folder to write sseguard-signing.key (mode 0600) and sseguard-signing.pub into")
    keygen.set_defaults(func=_cmd_keygen)


def _kms_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", help="the AWS profile for KMS calls (default: the usual credential chain)")
    p.add_argument("--endpoint-url", metavar="URL", help="the KMS endpoint (default: AWS's, in the key's region)")


def _error(message: str) -> int:
    _err(f"sseguard: error: {message}")
    return EXIT_USAGE


# Ten years of days: longer than any audit period, short enough that a report of every stream's every day stays
# in memory and on a page; a typo like --from 1900-01-01 is caught here instead of filling the machine's memory.
MAX_PERIOD_DAYS = 3660


def _period(args: argparse.Namespace) -> tuple[dt.date, dt.date] | str:
    today = dt.datetime.now(dt.UTC).date()
    if args.start > today:
        return f"--from {args.start} is after today ({today} UTC): there is no history for it yet"
    end = args.end or today
    if end < args.start:
        return f"--to {end} is before --from {args.start}"
    if end > today:
        # Days to come can hold no evidence; counting them as gaps would misstate the coverage.
        _err(f"sseguard: note: --to {end} is after today; the period ends today ({today} UTC)")
        end = today
    days = (end - args.start).days + 1
    if days > MAX_PERIOD_DAYS:
        return (f"the period {args.start} to {end} is {days} days; one report covers at most {MAX_PERIOD_DAYS} "
                "(ten years): split it into shorter periods")
    return args.start, end


def _report_format(args: argparse.Namespace) -> str:
    from sseguard.evidence.render import PERIOD_FORMATS
    from sseguard.report import format_named, format_spellings

    if args.format:
        fmt = format_named(args.format, PERIOD_FORMATS)
        if fmt is None:
            raise _BadFormat(f"--format must be one of {format_spellings(PERIOD_FORMATS)}, not {args.format!r}")
        return fmt
    if args.output:
        fmt = format_named(Path(args.output).suffix.lower().lstrip("."), PERIOD_FORMATS)
        if fmt is not None:
            return fmt
    return "md"


class _BadFormat(ValueError):
    pass


def _cmd_report(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.period import compute_period
    from sseguard.evidence.render import PERIOD_FORMATS
    from sseguard.evidence.store import History, HistoryError

    period = _period(args)
    if isinstance(period, str):
        return _error(period)
    try:
        fmt = _report_format(args)
    except _BadFormat as err:
        return _error(str(err))
    db = db_path(args)
    try:
        with History.open(db) as history:
            report = compute_period(history, *period)
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    text = PERIOD_FORMATS[fmt](report)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as err:
            return _error(f"cannot write {args.output}: {err.strerror or err}")
    else:
        sys.stdout.write(text)
    if report.not_understood:
        _err(f"sseguard: warning: {counted(len(report.not_understood), 'history row')} not understood by this "
             "sseguard (named in the report): " + "; ".join(report.not_understood))
    if not report.integrity.ok:
        _err(f"sseguard: the history's hash chain is broken ({counted(len(report.integrity.problems), 'problem')}); "
             "run sseguard evidence verify")
        return EXIT_TAMPERED
    return EXIT_OK


def _cmd_bundle(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.bundle import MANIFEST, BrokenHistoryError, BundleError, build_bundle
    from sseguard.evidence.signing import SigningError
    from sseguard.evidence.store import History, HistoryError

    period = _period(args)
    if isinstance(period, str):
        return _error(period)
    out = Path(args.output)
    db = db_path(args)
    try:
        signer = _signer(args)
        with History.open(db) as history:
            manifest = build_bundle(history, *period, out, signer=signer)
    except SigningError as err:
        return _error(str(err))
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    except BrokenHistoryError as err:
        _err(f"sseguard: {err}")
        return EXIT_TAMPERED
    except BundleError as err:
        return _error(str(err))
    head = manifest["history"]
    signed = f", signed by {args.kms_sign_key or args.sign}" if signer is not None else ""
    _out(f"wrote {out}: {counted(len(manifest['files']), 'file')} and {MANIFEST}, period {period[0]} to "
         f"{period[1]}, history head row {head['head_seq']} sha256 {head['head_hash']}{signed}")
    return EXIT_OK


def _kms_client(args: argparse.Namespace, key_arn: str) -> object:
    """A KMS client in the key's region (from its ARN), with the profile and endpoint the user named."""
    import boto3
    import botocore.exceptions

    from sseguard.evidence.signing import SigningError
    from sseguard.kms import parse_kms_arn

    arn = parse_kms_arn(key_arn)
    if arn is None or arn.region is None or arn.is_alias:
        raise SigningError(f"{key_arn!r} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")
    try:
        session = boto3.Session(profile_name=args.profile)
        return session.client("kms", region_name=arn.region, endpoint_url=args.endpoint_url)
    except botocore.exceptions.BotoCoreError as err:
        raise SigningError(f"cannot make a KMS client for {key_arn}: {err}") from None


def _signer(args: argparse.Namespace) -> Signer | None:
    from sseguard.evidence.signing import FileSigner, KmsSigner

    if args.sign:
        return FileSigner(Path(args.sign))
    if args.kms_sign_key:
        return KmsSigner(_kms_client(args, args.kms_sign_key), args.kms_sign_key)
    return None


def _verifier(args: argparse.Namespace) -> Verifier | None:
    from sseguard.evidence.signing import kms_verifier, public_key_verifier

    if args.public_key:
        return public_key_verifier(Path(args.public_key))
    if args.kms_key:
        return kms_verifier(_kms_client(args, args.kms_key), args.kms_key)
    return None


def _cmd_keygen(args: argparse.Namespace) -> int:
    from sseguard.evidence.signing import SigningError, generate_keypair

    try:
        private, public = generate_keypair(Path(args.output))
    except SigningError as err:
        return _error(str(err))
    _out(f"wrote {private} (private key, mode 0600: keep it secret) and {public} (give it to whoever verifies)")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    import sqlite3

    from sseguard.evidence.signing import SigningError
    from sseguard.evidence.store import History, HistoryError

    try:
        trusted = _verifier(args)
    except SigningError as err:
        return _error(str(err))
    if args.bundle:
        return _verify_bundle(Path(args.bundle), args.db, trusted)
    db = db_path(args)
    try:
        with History.open(db) as history:
            result = history.verify()
            rows = list(history.rows()) if trusted is not None else []
    except HistoryError as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    signed = ""
    if trusted is not None:
        from sseguard.evidence.digest import verify_digests

        try:
            digests = verify_digests(rows, trusted)
        except SigningError as err:
            return _error(str(err))
        result.problems.extend(digests.problems)
        if digests.last_head is not None:
            signed = (f"; {counted(digests.digests, 'signed digest')} verified with {trusted.describe}, the newest "
                      f"signing head row {digests.last_head.seq}")
    if result.ok:
        _out(f"OK: {db}: {counted(result.rows, 'row')} in {counted(result.runs, 'run')}, hash chain intact, head "
             f"row {result.head.seq} sha256 {result.head.hash}{signed}")
        return EXIT_OK
    _out(f"TAMPERED: {db}: {counted(len(result.problems), 'problem')} in {counted(result.rows, 'row')}")
    for p in result.problems:
        _out(f"  {p.kind}: {p.message}")
    return EXIT_TAMPERED


def _verify_bundle(path: Path, db: str | None, trusted: Verifier | None) -> int:
    import sqlite3

    from sseguard.evidence.bundle import BundleError, verify_bundle
    from sseguard.evidence.signing import SigningError
    from sseguard.evidence.store import History, HistoryError

    try:
        if db:
            with History.open(Path(db)) as history:
                check = verify_bundle(path, history, trusted)
                chain = history.verify()
            check.problems.extend(f"history {db}: {p.message}" for p in chain.problems)
        else:
            check = verify_bundle(path, trusted=trusted)
    except (HistoryError, BundleError, SigningError) as err:
        return _error(str(err))
    except sqlite3.Error as err:
        return _error(f"cannot read history {db}: {err}")
    if check.ok:
        head = check.manifest.get("history") or {}
        against = f", rows and head match the history {db}" if db else ""
        files = f"{counted(check.files, 'file')} {'matches' if check.files == 1 else 'match'} the manifest"
        rows = f"{counted(check.rows, 'history row')} {'matches its hash' if check.rows == 1 else 'match their hashes'}"
        _out(f"OK: {path}: {files}, {rows}{against}; history head row {head.get('head_seq')} sha256 "
             f"{head.get('head_hash')}{_signature_words(check)}")
        return EXIT_OK
    _out(f"TAMPERED: {path}: {counted(len(check.problems), 'problem')}")
    for problem in check.problems:
        _out(f"  {problem}")
    return EXIT_TAMPERED


def _signature_words(check: BundleCheck) -> str:
    if check.signature_checked_with is not None:
        return f"; signature verified with {check.signature_checked_with}"
    if check.signature is not None:
        return (f"; signed by public key sha256 {check.signature.fingerprint}, not checked: give --public-key or "
                "--kms-key to check it")
    return ""
