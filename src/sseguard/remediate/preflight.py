"""The preflight of the key a stream would get (CONTROL.md, "Fixing"). Pure: it reads the model, never AWS.

The key is judged by the scan's own judge: the stream is rebuilt as it would be (type KMS, this key) and given to
``control.evaluate``, so KSSE011 (region), KSSE012 and KSSE013 (policy) and KSSE014 (state) are decided by the
same code as in every scan. What the control does not ask is checked here: the stream is ACTIVE, the key is
Enabled (not merely usable), and it is a symmetric encryption key (``SYMMETRIC_DEFAULT``, ``ENCRYPT_DECRYPT``).
A fact that could not be read fails its check: a preflight never passes on what it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sseguard.control.evaluate import evaluate, refocus
from sseguard.model import Key, KeyManager, KeyState, Status, Stream, Verdict, unresolved
from sseguard.remediate.outcome import Check

SYMMETRIC = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
_POLICY_CHECKS = (("key-region", "KSSE011"), ("key-policy", "KSSE012"), ("key-policy-kinesis", "KSSE013"))


def would_be(stream: Stream, reference: str, key: Key) -> Stream:
    """The stream as it would be once encrypted with ``key`` (named ``reference``)."""
    return replace(stream, encryption_type="KMS", key_reference=reference, key=key, updating=False, variants=())


def preflight(stream: Stream, reference: str, key: Key, key_facts: Mapping[str, Any],
              strict_key_policy: bool) -> tuple[Check, ...]:
    """Every check of the stream and the key it would get, in CONTROL.md's order. ``key_facts`` are the key's
    DescribeKey fields (none for the AWS-managed key, which is never described). KSSE013 blocks only under
    ``strict_key_policy``."""
    target = would_be(stream, reference, key)
    # Judged strict, so that KSSE013 is a failing code with its own message; whether it blocks is decided below.
    verdict = evaluate(target, strict_key_policy=True)
    aws_managed = key.manager is KeyManager.AWS
    checks = [_active(stream), _enabled(target, key, verdict, aws_managed)]
    checks.extend(_spec(key_facts, aws_managed))
    for name, code in _POLICY_CHECKS:
        check = _judged(target, verdict, name, code, aws_managed)
        checks.append(replace(check, blocking=strict_key_policy) if code == "KSSE013" else check)
    return tuple(checks)


def passed(checks: tuple[Check, ...]) -> bool:
    """True when no blocking check failed."""
    return all(c.passed or not c.blocking for c in checks)


def _active(stream: Stream) -> Check:
    summary = stream.facts.get("kinesis:DescribeStreamSummary")
    status = summary.get("StreamStatus") if isinstance(summary, Mapping) else None
    if status == "ACTIVE":
        return Check("stream-active", True, "the stream is ACTIVE")
    return Check("stream-active", False, f"the stream is {status or 'of no known status'}; encryption can only be "
                 "started on an ACTIVE stream")


def _enabled(target: Stream, key: Key, verdict: Verdict, aws_managed: bool) -> Check:
    state = key.state
    if aws_managed:  # never described: DescribeKey on alias/aws/kinesis can create the key
        return Check("key-enabled", True, "AWS keeps the AWS-managed key enabled (it cannot be disabled)", "KSSE014")
    if state is KeyState.ENABLED:
        return Check("key-enabled", True, "the key exists and is Enabled", "KSSE014")
    if "KSSE014" in _failing(verdict):
        return Check("key-enabled", False, refocus(target, verdict, "KSSE014").message, "KSSE014")
    if (why := unresolved(state)) is not None:
        return Check("key-enabled", False, f"the key's state is not known: {why.reason}", "KSSE014")
    return Check("key-enabled", False, f"key {key.reference} is {state}, not Enabled", "KSSE014")


def _spec(facts: Mapping[str, Any], aws_managed: bool) -> list[Check]:
    """KeySpec and KeyUsage: Kinesis encrypts only with symmetric encryption keys."""
    if aws_managed:
        why = "the AWS-managed key is a symmetric encryption key"
        return [Check("key-symmetric", True, why), Check("key-usage", True, why)]
    out = []
    for name, field, wanted in (("key-symmetric", "KeySpec", SYMMETRIC), ("key-usage", "KeyUsage", ENCRYPT_DECRYPT)):
        value = facts.get(field)
        if value == wanted:
            out.append(Check(name, True, f"{field} is {wanted}"))
        elif value is None:
            out.append(Check(name, False, f"the key's {field} is not known (kms:DescribeKey did not give it); Kinesis "
                             f"needs {wanted}"))
        else:
            out.append(Check(name, False, f"{field} is {value}, not {wanted}: Kinesis encrypts only with symmetric "
                             "encryption keys"))
    return out


_PASSED = {
    "KSSE011": "the key is in the stream's region",
    "KSSE012": "the key policy lets principals use kms:GenerateDataKey and kms:Decrypt",
    "KSSE013": "the key policy allows kinesis.amazonaws.com kms:GenerateDataKey and kms:Decrypt",
}


def _judged(target: Stream, verdict: Verdict, name: str, code: str, aws_managed: bool) -> Check:
    """A key check as ``control.evaluate`` decided it for the stream as it would be."""
    if code in _failing(verdict):
        return Check(name, False, refocus(target, verdict, code).message, code)
    if code in verdict.skipped_checks:
        return Check(name, False, f"cannot be checked: {verdict.skipped_checks[code]}", code)
    if aws_managed and code != "KSSE011":
        return Check(name, True, "AWS sets the AWS-managed key's policy, and it allows Kinesis", code)
    return Check(name, True, _PASSED[code], code)


def _failing(verdict: Verdict) -> tuple[str, ...]:
    return (verdict.code, *verdict.also_failing) if verdict.status is Status.FAIL else ()
