"""Suppressions: reading them from comments, and applying them to a verdict.

Honoured forms (CONTROL.md): ``# sseguard:ignore KSSE001[,KSSE003] reason="..." expires=YYYY-MM-DD``,
``#checkov:skip=CKV_AWS_43:reason`` and ``#trivy:ignore:AVD-AWS-0064``. CloudFormation metadata forms are read by
the CloudFormation source into the same ``SuppressionRule``.
"""

from __future__ import annotations

import datetime as dt
import re

from sseguard.control.evaluate import refocus
from sseguard.model import (
    AppliedSuppression,
    Finding,
    SourceKind,
    Status,
    Stream,
    SuppressionKind,
    SuppressionRule,
    Verdict,
)

# The codes a peer's check id stands for: CKV_AWS_43 and Trivy AWS-0064 check the encryption type,
# CKV_AWS_185 (and Trivy, which also wants a key) the key's presence.
TYPE_CODES = frozenset({"KSSE001", "KSSE002", "KSSE004", "KSSE005"})
PEER_CODES: dict[str, frozenset[str]] = {
    "CKV_AWS_43": TYPE_CODES,
    "CKV_AWS_185": frozenset({"KSSE003"}),
    "AVD-AWS-0064": TYPE_CODES | {"KSSE003"},
    "AWS-0064": TYPE_CODES | {"KSSE003"},
    "AWS024": TYPE_CODES | {"KSSE003"},
    "AWS-KINESIS-ENABLE-IN-TRANSIT-ENCRYPTION": TYPE_CODES | {"KSSE003"},
    "W49": TYPE_CODES | {"KSSE003"},
    "KINESIS_STREAM_ENCRYPTION_RULE": TYPE_CODES | {"KSSE003"},
}

_SSEGUARD = re.compile(r"sseguard:ignore\b(?P<rest>.*)$", re.IGNORECASE)
_CHECKOV = re.compile(r"checkov:skip=(?P<id>[A-Za-z0-9_]+)(?::(?P<reason>.*))?$", re.IGNORECASE)
_TRIVY = re.compile(r"(?:trivy|tfsec):ignore:(?P<id>[A-Za-z0-9_.-]+)(?P<rest>.*)$", re.IGNORECASE)
_KV = re.compile(r'(?P<k>reason|expires|exp)\s*=\s*(?:"(?P<q>[^"]*)"|(?P<v>\S+))', re.IGNORECASE)
_CODE = re.compile(r"\bKSSE\d{3}\b", re.IGNORECASE)


def parse_comment(text: str, line: int | None = None) -> SuppressionRule | None:
    """Read one comment (with its ``#``/``//`` marker) as a suppression, or None if it is not one."""
    body = text.strip().lstrip("#/").strip()
    if m := _SSEGUARD.search(body):
        rest = m["rest"]
        fields = {kv["k"].lower(): kv["q"] if kv["q"] is not None else kv["v"] for kv in _KV.finditer(rest)}
        head = _KV.split(rest)[0] if _KV.search(rest) else rest
        codes = frozenset(c.upper() for c in _CODE.findall(head))
        return SuppressionRule(SuppressionKind.SSEGUARD, codes, (fields.get("reason") or "").strip(),
                               fields.get("expires") or fields.get("exp"), body, line)
    if m := _CHECKOV.search(body):
        codes = PEER_CODES.get(m["id"].upper(), frozenset())
        return SuppressionRule(SuppressionKind.CHECKOV, codes, (m["reason"] or "").strip(), None, body, line)
    if m := _TRIVY.search(body):
        ident = m["id"].upper()
        fields = {kv["k"].lower(): kv["q"] if kv["q"] is not None else kv["v"] for kv in _KV.finditer(m["rest"])}
        exp = re.search(r":exp:(\d{4}-\d{2}-\d{2})", m["rest"])
        codes = PEER_CODES.get(ident, frozenset())
        return SuppressionRule(SuppressionKind.TRIVY, codes, (fields.get("reason") or "").strip(),
                               exp[1] if exp else None, body, line)
    return None


def apply(stream: Stream, verdict: Verdict, today: dt.date) -> Finding:
    """Turn a verdict into a finding, applying the suppressions that cover its failing codes.

    An sseguard suppression without a reason, any suppression with an unreadable or past expiry date, or naming no
    code this control has, does not apply; the finding says why, so a silenced-but-ignored comment is never
    invisible. A peer's form (checkov, trivy, cfn_nag, Guard) without a reason is honoured, as CONTROL.md asks for
    teams migrating, and the finding notes the missing reason. A stream failing for several codes is suppressed
    only when every one of them is: a suppression of one never hides another, and the finding then fails on the
    first code left unsuppressed.
    """
    cfn = stream.location.kind is SourceKind.CLOUDFORMATION  # there a suppression lives in Metadata, not a comment
    failing = (verdict.code, *verdict.also_failing)
    notes: list[str] = []
    covering: dict[str, SuppressionRule] = {}  # code -> the first rule in force for it
    for rule in stream.suppressions:
        why_not = _not_in_force(rule, failing, today, cfn)
        if why_not:
            notes.append(why_not)
        elif why_not is None:
            for code in rule.codes.intersection(failing):
                covering.setdefault(code, rule)
    if verdict.status is Status.PASS or verdict.code not in covering:
        return Finding(stream, verdict, verdict.status, None, tuple(notes))
    rule = covering[verdict.code]
    where = _where(rule)
    uncovered = [code for code in failing if code not in covering]
    if uncovered:
        notes.append(f"{rule.kind} suppression{where} covers {verdict.code}, but {', '.join(uncovered)} "
                     f"{'is' if len(uncovered) == 1 else 'are'} not suppressed, so the stream still fails")
        return Finding(stream, refocus(stream, verdict, uncovered[0]), verdict.status, None, tuple(notes))
    if not rule.reason:
        # a peer's form is honoured for teams migrating, though some (trivy, Guard) have no place for a reason
        notes.append(f"{rule.kind} suppression{where} has no reason: it is honoured, but an auditor will ask "
                     "why; replace it with " + ("Metadata: {sseguard: {ignore: [{code: CODE, reason: ...}]}}" if cfn
                                                else '# sseguard:ignore CODE reason="..."'))
    applied = AppliedSuppression(rule.kind, rule.reason or "(no reason given)", rule.expires, rule.line)
    return Finding(stream, verdict, Status.SUPPRESSED, applied, tuple(notes))


def _not_in_force(rule: SuppressionRule, failing: tuple[str, ...], today: dt.date, cfn: bool) -> str | None:
    """Why a suppression does not apply, as a note for the finding; "" when it has nothing to say of these codes
    (it suppresses others), None when it is in force."""
    where = _where(rule)
    if not rule.codes:
        return f"{rule.kind} suppression{where} names no code of this control: {rule.text!r}"
    if not rule.codes.intersection(failing):
        return ""
    if not rule.reason and rule.kind is SuppressionKind.SSEGUARD:
        return (f"{rule.kind} suppression{where} has no reason and is not applied: give "
                + ("it a reason" if cfn else 'reason="..."'))
    if rule.expires:
        try:
            expires = dt.date.fromisoformat(rule.expires)
        except ValueError:
            return (f"{rule.kind} suppression{where} has an unreadable expiry {rule.expires!r} and is not applied: "
                    "use YYYY-MM-DD")
        if expires < today:
            return f"{rule.kind} suppression{where} expired on {rule.expires} and no longer applies"
    return None


def _where(rule: SuppressionRule) -> str:
    return f" (line {rule.line})" if rule.line else ""
