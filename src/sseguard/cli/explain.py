"""``sseguard explain [CODE]``: what a reason code means and how to fix it; every code without one; and
``sseguard explain signing``: how evidence is signed and verified."""

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
                         help="a reason code (KSSE011) or its name (key-region-mismatch), or 'signing'; without it, "
                              "every code")
    explain.set_defaults(func=_cmd_explain)


SIGNING = """Signed evidence
  A bundle's hashes show an edit, but whoever edits a bundle can recompute them all, and whoever can write the
  history can rewrite it and re-chain every hash after the edit. A signature made with a key the editor does not
  hold closes both holes: the auditor verifies with the public key (or the KMS key) alone.

Keys:
  sseguard evidence keygen -o DIR      an Ed25519 pair: DIR/sseguard-signing.key (mode 0600, keep it secret)
                                       and DIR/sseguard-signing.pub (give it to the auditor)
  Or an asymmetric KMS key (KeyUsage SIGN_VERIFY, ECC_NIST_P256 or RSA), through kms:Sign and kms:Verify.

Bundles:
  sseguard evidence bundle --from DATE -o B.zip --sign DIR/sseguard-signing.key   (or --kms-sign-key ARN)
  sseguard evidence verify B.zip --public-key DIR/sseguard-signing.pub            (or --kms-key ARN)
  signature.json in the zip signs manifest.json as stored; with a key given, a bundle without a signature, with
  a cut signature, signed by another key, or whose files and hashes were rewritten is TAMPERED (exit 1).

History:
  sseguard scan PATH --sign KEYFILE, sseguard aws --sign KEYFILE
  end each recorded run with a digest row: the chain head signed, naming the previous digest's signature (after
  CloudTrail's digest files).
  sseguard evidence verify --db HISTORY --public-key FILE
  names every row whose signed hash changed (a history rewritten and re-chained), forged digests, and digests
  removed from the middle. Digests cut from the end cannot be told from a history that stopped earlier: compare
  the newest signed head that verify prints with a copy kept elsewhere.
"""


def _cmd_explain(args: argparse.Namespace) -> int:
    if args.code is None:
        width = max(len(rc.slug) for rc in CODES.values())
        sys.stdout.write("".join(f"{rc.code}  {rc.slug:<{width}}  {rc.kind:<8}  {rc.title}\n" for rc in CODES.values())
                         + "\nsseguard explain CODE tells what a code means and how to fix it; sseguard explain "
                           "signing tells how evidence is signed and verified.\n")
        return EXIT_OK
    if args.code.strip().lower() == "signing":
        sys.stdout.write(SIGNING)
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


