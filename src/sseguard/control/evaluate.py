"""The decision function: one stream in the model, one verdict. No I/O, and nothing here knows the source.

Each rule of CONTROL.md's table is one small function below, named after its code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sseguard import keypolicy
from sseguard.control.codes import TABLE_ORDER
from sseguard.control.decrypt_access import decrypt_access
from sseguard.kms import is_aws_managed_alias, is_kms, is_none, parse_kms_arn
from sseguard.model import (
    ROTATION_NOT_SAID,
    Key,
    KeyGrant,
    KeyManager,
    KeyState,
    OutOfReach,
    PolicyOrigin,
    Status,
    Stream,
    Unknown,
    Variant,
    Verdict,
    unresolved,
)

# The key checks of CONTROL.md's table; the AWS-managed key is AWS's to keep usable, rotated and closed to other
# accounts, so only its region is checked.
KEY_CHECK_CODES = ("KSSE011", "KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016")
_CUSTOMER_KEY_CHECKS = frozenset({"KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016"})
# Key governance: advisories always, never a fail.
_ADVISORY_CHECKS = frozenset({"KSSE015", "KSSE016"})

_SHOWN_MAX = 300  # characters of an input's value a message shows (key ARNs and alias ARNs fit)


def _is_aws_managed(stream: Stream) -> bool:
    key = stream.key
    if key is not None and isinstance(key.manager, KeyManager):
        return key.manager is KeyManager.AWS
    return isinstance(stream.key_reference, str) and is_aws_managed_alias(stream.key_reference)


def _key_of(stream: Stream) -> Key | None:
    """The key facts the checks run on. The AWS-managed alias says all there is to know of its key: AWS keeps it
    enabled and sets its policy, and its region is the ARN's, or the stream's own for the bare alias name."""
    if stream.key is not None or not isinstance(stream.key_reference, str) or not _is_aws_managed(stream):
        return stream.key
    arn = parse_kms_arn(stream.key_reference)
    region: str | OutOfReach = OutOfReach("the region in the alias ARN is known only later")
    if arn is not None and arn.region is not None:
        region = arn.region
    return Key(stream.key_reference, region=region, account=arn.account if arn else None, manager=KeyManager.AWS,
               state=KeyState.ENABLED, policy=OutOfReach("the AWS-managed key's policy is set by AWS"),
               in_stream_region=arn is None)


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
        policy = self.key.policy
        if (why := unresolved(policy)) is not None:
            self.skipped[code] = why.reason
            return None
        assert isinstance(policy, Mapping)
        if not self._analysed:
            self._analysis = keypolicy.analyze(policy)
            self._analysed = True
            if self.key.policy_origin is PolicyOrigin.DEFAULT or keypolicy.is_default_policy(policy):
                self.notes.append(keypolicy.DEFAULT_POLICY_NOTE)
            self.notes.extend(self._analysis.notes)
        return self._analysis


KeyCheck = Callable[[KeyContext], bool]


def _skip_reason(why: Unknown | OutOfReach) -> str:
    resolve = why.resolve if isinstance(why, Unknown) else ""
    return why.reason + (f"; to resolve: {resolve}" if resolve else "")


def ksse011_region_mismatch(ctx: KeyContext) -> bool:
    """The key's region differs from the stream's."""
    key, stream = ctx.key, ctx.stream
    if key.in_stream_region:
        return False
    for region in (key.region, stream.region):
        if (why := unresolved(region)) is not None:
            ctx.skipped["KSSE011"] = why.reason
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
    state = ctx.key.state
    if (why := unresolved(state)) is not None:
        ctx.skipped["KSSE014"] = why.reason
        return False
    return state in _UNUSABLE


def ksse015_rotation_off(ctx: KeyContext) -> bool:
    """A customer key whose automatic rotation is off."""
    rotation = ctx.key.rotation
    if (why := unresolved(rotation)) is not None:
        if rotation == ROTATION_NOT_SAID:  # equal, not identical: streams cross process boundaries
            why = unresolved(ctx.key.state) or unresolved(ctx.key.manager) or why
        ctx.skipped["KSSE015"] = _skip_reason(why)
        return False
    return rotation is False


def ksse016_decrypt_outside(ctx: KeyContext) -> bool:
    """Someone outside the stream's account, or everyone, can call kms:Decrypt without a pinning condition."""
    access = decrypt_access(ctx.stream, ctx.key)
    if isinstance(access, Unknown | OutOfReach):
        ctx.skipped["KSSE016"] = access.reason  # as KSSE012 and KSSE013 name the policy's absence
        return False
    if any(a.outside and not a.pinned for a in access.principals):
        return True
    undecided = [a.principal for a in access.principals if a.outside is None and not a.pinned]
    if undecided and access.home is None:
        ctx.skipped["KSSE016"] = ("the stream's account is not known, so whether " + ", ".join(undecided)
                                  + " is outside it cannot be told; scan the live stream (sseguard aws) or the state")
    elif undecided:
        # a federated or canonical-user principal, or an account known only at deploy, names no account to compare
        ctx.skipped["KSSE016"] = (f"whether {', '.join(undecided)} is outside account {access.home} cannot be told "
                                  "from the key policy; check these principals by hand")
    elif isinstance(access.grants_unread, Unknown):
        ctx.skipped["KSSE016"] = "the key's grants could not be listed: " + _skip_reason(access.grants_unread)
    return False


_UNUSABLE = frozenset(
    {KeyState.DISABLED, KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION, KeyState.MISSING,
     KeyState.UNAVAILABLE, KeyState.PENDING_IMPORT}
)

_KEY_CHECKS: tuple[tuple[str, KeyCheck], ...] = (
    ("KSSE011", ksse011_region_mismatch),
    ("KSSE012", ksse012_policy_denies),
    ("KSSE013", ksse013_no_service_principal),
    ("KSSE014", ksse014_key_unusable),
    ("KSSE015", ksse015_rotation_off),
    ("KSSE016", ksse016_decrypt_outside),
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
    if is_none(enc):
        return ("KSSE002", f"encryption type is {_shown(enc)}: records are stored unencrypted")
    if not is_kms(enc):
        return ("KSSE004", f"encryption type {_shown(enc)} is not a valid value (KMS or NONE)")
    ref = stream.key_reference
    if isinstance(ref, Unknown):
        return ref
    if ref is None or not ref.strip():
        return ("KSSE003", "encryption type is KMS but no key is given" + (" (empty key)" if ref is not None else ""))
    return None


@dataclass
class _KeyFindings:
    """What the key checks of one stream found."""

    failing: list[str] = field(default_factory=list)
    advisories: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _run_key_checks(stream: Stream, key: Key | None, strict_key_policy: bool) -> _KeyFindings:
    """Every key check that applies to the stream's key; KSSE013 is an advisory unless the policy is strict."""
    found = _KeyFindings()
    if key is None:
        found.skipped.update(dict.fromkeys(KEY_CHECK_CODES, "nothing is known of the key beyond its reference"))
        return found
    ctx = KeyContext(stream, key, found.skipped, found.notes)
    aws_managed = _is_aws_managed(stream)
    for code, check in _KEY_CHECKS:
        if aws_managed and code in _CUSTOMER_KEY_CHECKS:
            continue
        if check(ctx):
            advisory = code in _ADVISORY_CHECKS or (code == "KSSE013" and not strict_key_policy)
            (found.advisories if advisory else found.failing).append(code)
    return found


def evaluate(stream: Stream, *, strict_key_policy: bool = False) -> Verdict:
    """Judge one stream by CONTROL.md. Pure: the same stream always gives the same verdict."""
    if stream.variants:
        return _evaluate_variants(stream, strict_key_policy)
    advisories: list[str] = ["KSSE022"] if stream.updating else []
    rule = _type_rule(stream)
    if isinstance(rule, Unknown):
        return Verdict(Status.UNKNOWN, rule.code, tuple(advisories), _with_resolve(rule), resolve=rule.resolve or None)
    if rule is not None:
        code, message = rule
        return Verdict(Status.FAIL, code, tuple(advisories), message)

    assert isinstance(stream.key_reference, str)
    if _is_aws_managed(stream):
        advisories.append("KSSE010")
    key = _key_of(stream)
    found = _run_key_checks(stream, key, strict_key_policy)
    advisories = sorted([*advisories, *found.advisories], key=TABLE_ORDER.index)
    skipped, notes = found.skipped, tuple(found.notes)
    if found.failing:
        failing = sorted(found.failing, key=TABLE_ORDER.index)
        assert key is not None
        return Verdict(Status.FAIL, failing[0], tuple(advisories), _key_failure_message(failing[0], stream, key),
                       also_failing=tuple(failing[1:]), skipped_checks=skipped, policy_notes=notes)
    unknown_key_fact = _first_unknown_key_fact(key)
    if unknown_key_fact is not None:
        return Verdict(Status.UNKNOWN, unknown_key_fact.code, tuple(advisories), _with_resolve(unknown_key_fact),
                       skipped_checks=skipped, policy_notes=notes, resolve=unknown_key_fact.resolve or None)
    message = f"encrypted with KMS key {_shown(stream.key_reference, quoted=False)}"
    if "KSSE010" in advisories:
        message += " (the AWS-managed key)"
    if skipped:
        checks = "key check" if len(skipped) == 1 else "key checks"
        message += f"; {len(skipped)} {checks} could not run: " + ", ".join(sorted(skipped))
    return Verdict(Status.PASS, "KSSE000", tuple(advisories), message, skipped_checks=skipped, policy_notes=notes)


def _evaluate_variants(stream: Stream, strict_key_policy: bool) -> Verdict:
    """A stream whose source could not decide a condition: every variant is judged, and the stream is decided when
    they agree on the status (a fail's primary code is then the first of theirs in the table's order)."""
    branches = tuple((v, evaluate(v.stream, strict_key_policy=strict_key_policy)) for v in stream.variants)
    verdicts = [verdict for _, verdict in branches]
    statuses = {v.status for v in verdicts}
    each = "; ".join(f"when {variant.when}: {verdict.status.value} {verdict.code}" for variant, verdict in branches)
    undecided = stream.encryption_type if isinstance(stream.encryption_type, Unknown) else \
        stream.key_reference if isinstance(stream.key_reference, Unknown) else Unknown("a condition is not decided")
    if len(statuses) > 1:
        message = f"{undecided.reason}, and the verdict depends on it ({each})"
        resolve = undecided.resolve or None
        return Verdict(Status.UNKNOWN, "KSSE020", (), message + (f"; to resolve: {resolve}" if resolve else ""),
                       resolve=resolve, branches=branches)
    status = verdicts[0].status
    codes = sorted({c for v in verdicts for c in (v.code, *v.also_failing)}, key=TABLE_ORDER.index)
    advisories = tuple(sorted({a for v in verdicts for a in v.advisories}, key=TABLE_ORDER.index))
    skipped: dict[str, str] = {}
    for variant, verdict in branches:
        for code, why in verdict.skipped_checks.items():
            skipped.setdefault(code, f"when {variant.when}: {why}")
    notes = tuple(dict.fromkeys(n for v in verdicts for n in v.policy_notes))
    primary = codes[0]
    message = f"{_same_outcome(status, primary)} whichever way it goes ({undecided.reason}): " + "; ".join(
        f"when {variant.when}: {verdict.message}" for variant, verdict in branches)
    resolve = verdicts[0].resolve if status is Status.UNKNOWN else None
    also = tuple(c for c in codes[1:] if c not in advisories) if status is Status.FAIL else ()
    return Verdict(status, primary, advisories, message, also_failing=also, skipped_checks=skipped,
                   policy_notes=notes, resolve=resolve, branches=branches)


def _same_outcome(status: Status, code: str) -> str:
    if status is Status.PASS:
        return "encrypted with a KMS key"
    if status is Status.FAIL:
        return f"fails ({code})"
    return "unknown"


def _shown(value: str, quoted: bool = True) -> str:
    # a value from hostile input can be megabytes long: a message shows its start and its length, never all of it
    if len(value) <= _SHOWN_MAX:
        return repr(value) if quoted else value
    start = repr(value[:_SHOWN_MAX]) if quoted else value[:_SHOWN_MAX]
    return f"{start}… ({len(value):,} characters)"


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
    message = verdict.message
    for variant, branch in verdict.branches or ((Variant("", stream), verdict),):
        if code in (branch.code, *branch.also_failing) and variant.stream.key is not None:
            message = _key_failure_message(code, variant.stream, variant.stream.key)
            break
    return replace(verdict, code=code, message=message, also_failing=others)


def _key_failure_message(code: str, stream: Stream, key: Key) -> str:
    reference = _shown(key.reference, quoted=False)
    if code == "KSSE011":
        return f"key {reference} is in region {key.region}, the stream is in {stream.region}"
    if code == "KSSE012":
        return f"the policy of key {reference} allows no principal kms:GenerateDataKey and kms:Decrypt"
    if code == "KSSE013":
        return f"the policy of key {reference} does not allow kinesis.amazonaws.com kms:GenerateDataKey and kms:Decrypt"
    state = key.state.value if isinstance(key.state, KeyState) else str(key.state)
    return f"key {reference} is not usable: {state}"


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
            "policy_origin": key.policy_source,
            "declared_at": key.declared_at,
            "rotation": _AWS_ROTATES if _is_aws_managed(stream) else _fact(key.rotation),
            "rotation_period_days": key.rotation_period_days,
            "grants": _grants(key.grants),
            "decrypt_principals": _decryptors(stream, key),
        }
    if verdict.also_failing:
        out["also_failing"] = list(verdict.also_failing)
    if verdict.skipped_checks:
        out["key_checks_not_run"] = dict(sorted(verdict.skipped_checks.items()))
    if verdict.policy_notes:
        out["policy_analysis"] = list(verdict.policy_notes)
    if verdict.branches:
        out["branches"] = [{"when": variant.when, "status": branch.status.value, "code": branch.code,
                            "message": branch.message, **evidence(variant.stream, branch)}
                           for variant, branch in verdict.branches]
    if stream.facts:
        out["source_facts"] = dict(stream.facts)
    return out


# AWS rotates the keys it manages itself, on its own schedule: there is nothing to check (KSSE015 never applies).
_AWS_ROTATES = {"not_known": "AWS rotates the AWS-managed key itself, on its own schedule"}


def _grants(grants: tuple[KeyGrant, ...] | Unknown | OutOfReach) -> Any:
    if not isinstance(grants, tuple):
        return _fact(grants)
    return [{"grant_id": g.grant_id, "grantee": g.grantee, "operations": list(g.operations),
             "constraints": dict(g.constraints), "name": g.name} for g in grants]


def _decryptors(stream: Stream, key: Key) -> Any:
    """Who can decrypt with the key, for the evidence (the list KSSE016 rests on). The AWS-managed key's policy is
    AWS's: only services of the stream's own account use it."""
    if _is_aws_managed(stream):
        return {"not_known": "the AWS-managed key's policy is set by AWS: it lets principals of the account use the "
                              "key only through the AWS services (kms:ViaService, kms:CallerAccount)"}
    access = decrypt_access(stream, key)
    if isinstance(access, Unknown | OutOfReach):
        return _fact(access)
    return [{"principal": a.principal, "via": a.via, "conditions": list(a.conditions), "pinned": a.pinned,
             "outside_account": a.outside} for a in access.principals]


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


__all__ = ["KEY_CHECK_CODES", "evaluate", "evidence", "refocus"]
