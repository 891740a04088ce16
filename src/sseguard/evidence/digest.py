"""Signed digests of the history's chain head, after CloudTrail's log file integrity validation.

The hash chain alone catches an edited row, but not a history rewritten from some row on and re-chained: whoever
can write the file can recompute every hash after the edit. ``scan --sign KEYFILE`` and ``aws --sign KEYFILE``
therefore end each recorded run with a ``digest`` row: the chain head (seq and hash) signed with a private key,
naming the signature of the digest before it, as each CloudTrail digest file names the previous one. Verified
with the public key alone, a re-chained history no longer matches the heads its digests signed, a forged digest
does not verify, and a digest removed from the middle breaks the digests' own chain.

What a signature cannot show: digests cut from the end of the history, with the rows after the last one kept.
The newest digest's head tells how far the signed history goes; ``verify`` prints it, so compare it with a copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sseguard.evidence.signing import SignatureDoc, Signer, SigningError, Verifier
from sseguard.evidence.store import ChainHead, History, Problem, Row, canonical, format_time

DIGEST_KIND = "digest"
DIGEST_SCHEMA = "sseguard/history-digest/v1"
_SIGNATURE = "signature"


def signed_content(body: Mapping[str, Any]) -> bytes:
    """The bytes a digest's signature covers: its body without the signature, as canonical JSON."""
    return canonical({k: v for k, v in body.items() if k != _SIGNATURE}).encode("utf-8")


def append_digest(history: History, signer: Signer, run_id: str, *, at: dt.datetime | None = None) -> Row:
    """Sign the history's current chain head and append it as a ``digest`` row of run ``run_id``."""
    signed_at = at or dt.datetime.now(dt.UTC)

    def build(head: ChainHead, previous: Row | None) -> dict[str, Any]:
        before = previous.data() if previous is not None else {}
        previous_signature = before.get(_SIGNATURE)
        body: dict[str, Any] = {
            "schema": DIGEST_SCHEMA,
            "head_seq": head.seq,
            "head_hash": head.hash,
            "previous_digest_seq": previous.seq if previous is not None else None,
            "previous_digest_signature": (previous_signature.get("signature")
                                          if isinstance(previous_signature, Mapping) else None),
            "signed_at": format_time(signed_at),
        }
        body[_SIGNATURE] = signer.sign(signed_content(body)).to_dict()
        return body

    return history.append_record(DIGEST_KIND, run_id, build, at=signed_at)


@dataclass
class DigestCheck:
    """What checking the signed digests found: how many verified, the newest signed head, and the problems."""

    digests: int = 0
    last_head: ChainHead | None = None
    problems: list[Problem] = field(default_factory=list)


def verify_digests(rows: Sequence[Row], trusted: Verifier) -> DigestCheck:
    """Check every digest row's signature with the trusted key, its link to the digest before it, and that the
    row it signed still has the hash it signed (else the history was rewritten and re-chained)."""
    check = DigestCheck()
    hashes = {r.seq: r.hash for r in rows}
    digests = [r for r in rows if r.kind == DIGEST_KIND]
    if not digests:
        check.problems.append(Problem("digest", None, "the history has no signed digest: record runs with --sign "
                                                      "KEYFILE, or the digests were removed"))
        return check
    previous: tuple[int, str] | None = None
    for row in digests:
        body = row.data()
        try:
            doc = SignatureDoc.from_dict(body.get(_SIGNATURE))
        except SigningError as err:
            check.problems.append(Problem("digest", row.seq, f"digest row {row.seq} is not signed: {err}"))
            continue
        problem = trusted.check(doc, signed_content(body))
        if problem is not None:
            check.problems.append(Problem("digest", row.seq, f"digest row {row.seq} is forged or edited: {problem}"))
            continue
        check.digests += 1
        named = (body.get("previous_digest_seq"), body.get("previous_digest_signature"))
        expected = previous if previous is not None else (None, None)
        if named != expected:
            check.problems.append(Problem(
                "digest", row.seq, f"digest row {row.seq} names previous digest row {named[0]}, but the digest "
                                   f"before it is row {expected[0]}: a signed digest was removed or replaced"))
        seq, signed_hash = body.get("head_seq"), body.get("head_hash")
        if isinstance(seq, int) and seq > 0 and seq not in hashes:
            check.problems.append(Problem("deleted", seq, f"row {seq}, whose hash digest row {row.seq} signed, is "
                                                          "gone: rows were deleted"))
        elif isinstance(seq, int) and seq > 0 and hashes[seq] != signed_hash:
            check.problems.append(Problem(
                "rechained", seq, f"row {seq} no longer has the hash signed by digest row {row.seq} "
                                  f"({signed_hash}): the history was rewritten and re-chained at or before row {seq}"))
        if isinstance(seq, int) and isinstance(signed_hash, str):
            check.last_head = ChainHead(seq, signed_hash)
        previous = (row.seq, doc.signature)
    return check
