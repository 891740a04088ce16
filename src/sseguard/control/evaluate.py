"""The decision function: one stream in the model, one verdict. No I/O, and nothing here knows the source.

Each rule of CONTROL.md's table is one small function below, named after its code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sseguard import keypolicy
from sseguard.control.codes import TABLE_ORDER
from sseguard.model import Key, KeyManager, KeyState, OutOfReach, Status, Stream, Unknown, Verdict

_AWS_MANAGED_ALIAS = re.compile(r"^(?:arn:aws[\w-]*:kms:[\w-]*:\d*:)?alias/aws/kinesis$", re.IGNORECASE)

def is_aws_managed_alias(reference: str) -> bool:
    """True for ``alias/aws/kinesis`` and any alias ARN ending in ``:alias/aws/kinesis`` (exact, not a substring)."""
    return bool(_AWS_MANAGED_ALIAS.match(reference.strip()))


def _is_aws_managed(stream: Stream) -> bool:
    key = stream.key
    if key is not None and isinstance(key.manager, KeyManager):
        return key.manager is KeyManager.AWS
    return isinstance(stream.key_reference, str) and is_aws_managed_alias(stream.key_reference)


@dataclass
class KeyContext:
    """What the key checks of one stream share: the facts, the checks skipped and why, the policy analysis (made
    once, for KSSE012 and KSSE013 alike)."""

    stream: Stream
    key: Key
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _analysis: keypolicy.PolicyAnalysis | None = None
    _analysed: bool = False

    def policy_analysis(self, code: str) -> keypolicy.PolicyAnalysis | None:
        """The key policy's analysis, or None (and ``code`` noted as skipped) when the policy is not known."""
        key = self.key
        if key.manager is KeyManager.AWS:
            return None  # AWS sets the AWS-managed key's policy, and it always allows Kinesis
        if isinstance(key.policy, OutOfReach | Unknown):
            self.skipped[code] = key.policy.reason
            return None
        if not self._analysed:
            self._analysis = keypolicy.analyze(key.policy)
            self._analysed = True
            self.notes.extend(self._analysis.notes)
        return self._analysis


KeyCheck = Callable[[KeyContext], bool]


def ksse011_region_mismatch(ctx: KeyContext) -> bool:
    """The key's region differs from the stream's."""
    key, stream = ctx.key, ctx.stream
    if key.in_stream_region:
        return False
    if isinstance(key.region, OutOfReach | Unknown):
        ctx.skipped["KSSE011"] = key.region.reason
        return False
    if isinstance(stream.region, OutOfReach | Unknown):
        ctx.skipped["KSSE011"] = stream.region.reason
        return False
    return key.region != stream.region


def ksse012_policy_denies(ctx: KeyContext) -> bool:
    """A customer key's known policy lets no principal use kms:GenerateDataKey and kms:Decrypt."""
    analysis = ctx.policy_analysis("KSSE012")
    return analysis is not None and not analysis.data_plane_allowed


def ksse013_no_service_principal(ctx: KeyContext) -> bool:
    """A customer key's known policy does not allow kinesis.amazonaws.com both data-plane actions."""
    analysis = ctx.policy_analysis("KSSE013")
    return analysis is not None and not analysis.service_principal_allowed


def ksse014_key_unusable(ctx: KeyContext) -> bool:
    """The key is disabled, pending deletion, or missing."""
    key = ctx.key
    if key.manager is KeyManager.AWS:
        return False  # AWS-managed keys cannot be disabled or scheduled for deletion
    if isinstance(key.state, OutOfReach | Unknown):
        ctx.skipped["KSSE014"] = key.state.reason
        return False
    return key.state in _UNUSABLE


_UNUSABLE = frozenset(
    {KeyState.DISABLED, KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION, KeyState.MISSING,
     KeyState.UNAVAILABLE, KeyState.PENDING_IMPORT}
)

_KEY_CHECKS: tuple[tuple[str, KeyCheck], ...] = (
    ("KSSE011", ksse011_region_mismatch),
    ("KSSE012", ksse012_policy_denies),
    ("KSSE013", ksse013_no_service_principal),
    ("KSSE014", ksse014_key_unusable),
)


def _type_rule(stream: Stream) -> tuple[str, str] | Unknown | None:
    """KSSE001-005: the encryption type and the key's presence. None when both are fine."""
    enc = stream.encryption_type
    if isinstance(enc, Unknown):
        return enc
    if enc is None:
        if stream.importing:
            return ("KSSE005", "an import targets this stream and its configuration omits encryption_type: the "
                    "provider default NONE matches the unencrypted stream, so terraform plan shows no drift")
        return ("KSSE001", "encryption type is not set; the default is NONE (no encryption)")
    if enc.strip().upper() == "NONE":
        return ("KSSE002", f"encryption type is {enc!r}: records are stored unencrypted")
    if enc.strip().upper() != "KMS":
        return ("KSSE004", f"encryption type {enc!r} is not a valid value (KMS or NONE)")
    ref = stream.key_reference
    if isinstance(ref, Unknown):
        return ref
    if ref is None or not ref.strip():
        return ("KSSE003", "encryption type is KMS but no key is given" + (" (empty key)" if ref is not None else ""))
    return None


def evaluate(stream: Stream, *, strict_key_policy: bool = False) -> Verdict:
    """Judge one stream by CONTROL.md. Pure: the same stream always gives the same verdict."""
    advisories: list[str] = []
    if stream.updating:
        advisories.append("KSSE022")
    rule = _type_rule(stream)
    if isinstance(rule, Unknown):
        return Verdict(Status.UNKNOWN, rule.code, tuple(advisories), _with_resolve(rule), resolve=rule.resolve or None)
    if rule is not None:
        code, message = rule
        return Verdict(Status.FAIL, code, tuple(advisories), message)

    assert isinstance(stream.key_reference, str)
    if _is_aws_managed(stream):
        advisories.insert(0, "KSSE010")
    skipped: dict[str, str] = {}
    notes: list[str] = []
    failing: list[str] = []
    key = stream.key
    if key is None:
        for code, _ in _KEY_CHECKS:
            skipped[code] = "nothing is known of the key beyond its reference"
    else:
        ctx = KeyContext(stream, key, skipped, notes)
        for code, check in _KEY_CHECKS:
            if check(ctx):
                if code == "KSSE013" and not strict_key_policy:
                    advisories.append(code)
                else:
                    failing.append(code)
    unknown_key_fact = _first_unknown_key_fact(key)
    advisories.sort(key=TABLE_ORDER.index)
    if failing:
        failing.sort(key=TABLE_ORDER.index)
        return Verdict(
            Status.FAIL, failing[0], tuple(advisories), _key_failure_message(failing[0], stream, key),
            also_failing=tuple(failing[1:]), skipped_checks=skipped, policy_notes=tuple(notes),
        )
    if unknown_key_fact is not None:
        return Verdict(Status.UNKNOWN, unknown_key_fact.code, tuple(advisories), _with_resolve(unknown_key_fact),
                       skipped_checks=skipped, policy_notes=tuple(notes), resolve=unknown_key_fact.resolve or None)
    message = f"encrypted with KMS key {stream.key_reference}"
    if "KSSE010" in advisories:
        message += " (the AWS-managed key)"
    if skipped:
        checks = "key check" if len(skipped) == 1 else "key checks"
        message += f"; {len(skipped)} {checks} could not run: " + ", ".join(sorted(skipped))
    return Verdict(Status.PASS, "KSSE000", tuple(advisories), message, skipped_checks=skipped,
                   policy_notes=tuple(notes))


def _with_resolve(unknown: Unknown) -> str:
    return unknown.reason + (f"; to resolve: {unknown.resolve}" if unknown.resolve else "")


def _first_unknown_key_fact(key: Key | None) -> Unknown | None:
    """A key fact that a live call failed to fetch makes the stream unknown (an API error is never a pass)."""
    if key is None:
        return None
    for fact in (key.region, key.manager, key.state, key.policy):
        if isinstance(fact, Unknown):
            return fact
    return None


def refocus(stream: Stream, verdict: Verdict, code: str) -> Verdict:
    """The same failing verdict led by ``code``, another of its failing key checks (when its primary code is
    suppressed and this one is not); the others, the suppressed one included, stay in ``also_failing``."""
    others = tuple(c for c in (verdict.code, *verdict.also_failing) if c != code)
    return replace(verdict, code=code, message=_key_failure_message(code, stream, stream.key), also_failing=others)


def _key_failure_message(code: str, stream: Stream, key: Key | None) -> str:
    assert key is not None
    if code == "KSSE011":
        return f"key {key.reference} is in region {key.region}, the stream is in {stream.region}"
    if code == "KSSE012":
        return f"the policy of key {key.reference} allows no principal kms:GenerateDataKey and kms:Decrypt"
    if code == "KSSE013":
        return (f"the policy of key {key.reference} does not allow kinesis.amazonaws.com kms:GenerateDataKey and "
                "kms:Decrypt")
    state = key.state.value if isinstance(key.state, KeyState) else str(key.state)
    return f"key {key.reference} is not usable: {state}"


def evidence(stream: Stream, verdict: Verdict) -> dict[str, Any]:
    """The facts a verdict rests on, as plain JSON values."""
    out: dict[str, Any] = {
        "encryption_type": _fact(stream.encryption_type),
        "key_reference": _fact(stream.key_reference),
        "region": _fact(stream.region),
    }
    if stream.importing:
        out["importing"] = True
    key = stream.key
    if key is not None:
        out["key"] = {
            "reference": key.reference,
            "arn": key.arn,
            "region": _fact(key.region),
            "account": key.account,
            "manager": _fact(key.manager),
            "state": _fact(key.state),
            "policy": _fact(key.policy),
            "policy_origin": key.policy_origin,
            "declared_at": key.declared_at,
        }
    if verdict.also_failing:
        out["also_failing"] = list(verdict.also_failing)
    if verdict.skipped_checks:
        out["key_checks_not_run"] = dict(sorted(verdict.skipped_checks.items()))
    if verdict.policy_notes:
        out["policy_analysis"] = list(verdict.policy_notes)
    if stream.facts:
        out["source_facts"] = dict(stream.facts)
    return out


def _fact(value: object) -> Any:
    if isinstance(value, Unknown):
        return {"unknown": value.reason, "resolve": value.resolve, "code": value.code}
    if isinstance(value, OutOfReach):
        return {"not_known": value.reason}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, KeyManager | KeyState):
        return value.value
    return value
