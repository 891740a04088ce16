"""The KMS key behind each stream, with as few calls as the facts allow.

- ``alias/aws/kinesis`` in any form is the AWS-managed key: no call at all (DescribeKey on that alias can create
  the key in an account that never used it).
- Other aliases: ``ListAliases`` once per account and region, then the target key.
- Each distinct key: ``DescribeKey`` once (manager, state, ARN); ``GetKeyPolicy`` (policy ``default``),
  ``GetKeyRotationStatus`` and ``ListGrants`` (every page) once, for customer keys only. A failure of one of the
  last two leaves only its own check (KSSE015, KSSE016) not run, naming the call: the stream keeps its verdict.
- A key of another account is out of reach: only its region (from the ARN) is known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sseguard.kms import is_aws_managed_alias
from sseguard.model import Key, KeyGrant, KeyManager, KeyState, OutOfReach, PolicyOrigin, Unknown
from sseguard.sources.aws.answers import (
    FLAG,
    INTEGER,
    NAME,
    NAMES,
    OBJECT,
    TEXT,
    Kind,
    Unreadable,
    call,
    call_pages,
)
from sseguard.sources.aws.errors import API_ERROR, error_code_and_message, shown, unreadable_resolve
from sseguard.sources.aws.session import Account, Clients

_KMS_ARN = re.compile(r"^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")
_AWS_POLICY = OutOfReach("the AWS-managed key's policy is set by AWS and always allows Kinesis")
_NOT_READ = OutOfReach("the key's policy was not read")
_ROTATION_NOT_READ = OutOfReach("the key's rotation was not read")
_GRANTS_NOT_READ = OutOfReach("the key's grants were not read")
# The fields of DescribeKey's KeyMetadata kept as evidence, with their shape.
_DESCRIBE_FIELDS: dict[str, Kind] = {
    "KeyId": NAME, "Arn": NAME, "AWSAccountId": NAME, "KeyManager": TEXT, "KeyState": TEXT, "Enabled": FLAG,
    "MultiRegion": FLAG, "KeySpec": TEXT, "KeyUsage": TEXT,
}
# Only AWS's predefined aliases may be listed without a key (AWS has not created it yet); a customer alias always
# names one, so an entry of one without TargetKeyId is an answer that cannot be read.
_PREDEFINED_ALIAS = "alias/aws/"


class KeyKind(StrEnum):
    """How a stream's key reference is looked up."""

    AWS_MANAGED = "aws-managed"  # alias/aws/kinesis: never looked up (DescribeKey could create the key)
    ALIAS = "alias"  # through ListAliases, then the key it targets
    KEY = "key"  # a key id or key ARN of the stream's account
    FOREIGN = "foreign"  # a key of another account: out of reach


@dataclass(frozen=True)
class KeyRef:
    """A stream's key reference, placed: whose key, where, and how to look it up."""

    reference: str
    kind: KeyKind
    account: str
    region: str
    ident: str  # the alias name (alias/NAME) or the key id to describe
    region_from_arn: bool
    names_alias: bool


def place(reference: str, account: str, region: str) -> KeyRef:
    """Where a stream's key lives: the ARN says so, else the stream's own account and region."""
    ref = reference.strip()
    found = _KMS_ARN.match(ref)
    if found:
        key_region, key_account, what, rest = found.groups()
        # A key ARN is described by its id in its own account and region, so the ARN, the bare id and an alias
        # of the same key all share one DescribeKey.
        ident = f"alias/{rest}" if what == "alias" else rest
        names_alias, from_arn = what == "alias", True
    else:
        key_region, key_account, from_arn = region, account, False
        names_alias = ref.lower().startswith("alias/")
        ident = ref
    kind = KeyKind.ALIAS if names_alias else KeyKind.KEY
    if is_aws_managed_alias(ref):
        kind = KeyKind.AWS_MANAGED
    elif key_account != account:
        kind = KeyKind.FOREIGN
    return KeyRef(reference, kind, key_account, key_region, ident, from_arn, names_alias)


@dataclass
class _KeyFacts:
    """What DescribeKey and GetKeyPolicy said of one key (or why they could not)."""

    describe: dict[str, Any] | None = None
    missing: bool = False
    error: Unknown | None = None
    policy: Mapping[str, Any] | Unknown | OutOfReach = _NOT_READ
    rotation: bool | Unknown | OutOfReach = _ROTATION_NOT_READ
    rotation_period_days: int | None = None
    grants: tuple[KeyGrant, ...] | Unknown | OutOfReach = _GRANTS_NOT_READ


@dataclass
class Resolved:
    """A stream's key in the model, with the raw API fields it rests on."""

    key: Key
    facts: dict[str, Any] = field(default_factory=dict)


class KeyResolver:
    """Resolves every key reference of a scan; each alias list and each key is read once."""

    def __init__(self, accounts: Mapping[str, Account], pool: Executor) -> None:
        self._accounts = accounts
        self._pool = pool
        self._aliases: dict[tuple[str, str], dict[str, dict[str, Any]] | Unknown] = {}
        self._keys: dict[tuple[str, str, str], _KeyFacts] = {}

    def resolve(self, refs: Iterable[KeyRef]) -> dict[KeyRef, Resolved]:
        """The key of every reference; calls run in the pool, each alias list and key once."""
        wanted = list(dict.fromkeys(refs))
        alias_places = sorted({(r.account, r.region) for r in wanted if r.kind is KeyKind.ALIAS})
        for place_, listed in zip(alias_places, self._pool.map(self._list_aliases, alias_places), strict=True):
            self._aliases[place_] = listed
        key_ids: set[tuple[str, str, str]] = set()
        for ref in wanted:
            target = self._key_id(ref)
            if target is not None:
                key_ids.add(target)
        ordered = sorted(key_ids)
        for kid, facts in zip(ordered, self._pool.map(self._read_key, ordered), strict=True):
            self._keys[kid] = facts
        return {ref: self._build(ref) for ref in wanted}

    def _list_aliases(self, where: tuple[str, str]) -> dict[str, dict[str, Any]] | Unknown:
        account, region = where
        clients = self._accounts[account].clients
        aliases: dict[str, dict[str, Any]] = {}
        try:
            for page in call_pages("kms:ListAliases", f"aws://{account}/{region}",
                                   lambda: clients.kms(region).get_paginator("list_aliases").paginate()):
                for alias in page.entries("Aliases"):
                    name: str = alias.required("AliasName", NAME)
                    entry = {"AliasName": name, "AliasArn": alias.optional("AliasArn", NAME),
                             "TargetKeyId": alias.optional("TargetKeyId", NAME)}
                    aliases[name] = {k: v for k, v in entry.items() if v is not None}
        except Unreadable as err:
            return err.unknown
        return aliases

    def _alias_entry(self, ref: KeyRef) -> dict[str, Any] | Unknown | None:
        listed = self._aliases[(ref.account, ref.region)]
        if isinstance(listed, Unknown):
            return listed
        return listed.get(ref.ident)

    def _key_id(self, ref: KeyRef) -> tuple[str, str, str] | None:
        """The (account, region, key) to describe for a reference, if any."""
        if ref.kind is KeyKind.KEY:
            return (ref.account, ref.region, ref.ident)
        if ref.kind is KeyKind.ALIAS:
            entry = self._alias_entry(ref)
            if isinstance(entry, dict) and entry.get("TargetKeyId"):
                return (ref.account, ref.region, str(entry["TargetKeyId"]))
        return None

    def _read_key(self, kid: tuple[str, str, str]) -> _KeyFacts:
        account, region, key_id = kid
        clients = self._accounts[account].clients
        try:
            meta = call("kms:DescribeKey", key_id,
                        lambda: clients.kms(region).describe_key(KeyId=key_id)).part("KeyMetadata")
            described = {field: value for field, kind in _DESCRIBE_FIELDS.items()
                         if (value := meta.optional(field, kind)) is not None}
        except Unreadable as err:
            if err.cause is not None and error_code_and_message(err.cause)[0] == "NotFoundException":
                return _KeyFacts(missing=True)
            return _KeyFacts(error=err.unknown)
        if described.get("KeyManager") == "AWS":
            return _KeyFacts(describe=described, policy=_AWS_POLICY)
        arn = described.get("Arn") or key_id
        rotation, period = _read_rotation(clients, region, arn)
        return _KeyFacts(describe=described, policy=_read_policy(clients, region, arn), rotation=rotation,
                         rotation_period_days=period, grants=_read_grants(clients, region, arn))

    def _build(self, ref: KeyRef) -> Resolved:
        if ref.kind is KeyKind.AWS_MANAGED:
            return Resolved(_aws_managed(ref))
        if ref.kind is KeyKind.FOREIGN:
            return Resolved(_foreign(ref))
        facts: dict[str, Any] = {}
        if ref.kind is KeyKind.ALIAS:
            entry = self._alias_entry(ref)
            if isinstance(entry, dict):
                facts["kms:ListAliases"] = entry
            unresolved = _unresolved_alias(ref, entry)
            if unresolved is not None:
                return Resolved(unresolved, facts)
        kid = self._key_id(ref)
        assert kid is not None
        key_facts = self._keys[kid]
        if key_facts.describe is not None:
            facts["kms:DescribeKey"] = key_facts.describe
        return Resolved(_described(ref, kid[2], key_facts), facts)


def _aws_managed(ref: KeyRef) -> Key:
    # AWS-managed keys cannot be disabled or scheduled for deletion, so this key is always enabled. It is not
    # described: DescribeKey on alias/aws/kinesis creates the key where it does not exist yet.
    return Key(ref.reference, region=ref.region, account=ref.account, manager=KeyManager.AWS, state=KeyState.ENABLED,
               policy=_AWS_POLICY, in_stream_region=not ref.region_from_arn)


def _foreign(ref: KeyRef) -> Key:
    why = OutOfReach(f"the key belongs to account {ref.account}, not the stream's; its manager, state and policy can "
                     "only be read in that account")
    region: str | OutOfReach = ref.region if ref.region_from_arn else why
    arn = ref.reference.strip() if ref.region_from_arn and not ref.names_alias else None
    return Key(ref.reference, arn=arn, region=region, account=ref.account, manager=why, state=why, policy=why)


def _unresolved_alias(ref: KeyRef, entry: dict[str, Any] | Unknown | None) -> Key | None:
    """The key of an alias that names none (missing) or could not be looked up (unknown); None when it names one."""
    where = f"aws://{ref.account}/{ref.region}"
    if isinstance(entry, Unknown):
        unknown = entry
    elif entry is not None and entry.get("TargetKeyId"):
        return None
    elif entry is None or ref.ident.lower().startswith(_PREDEFINED_ALIAS):
        return _missing(ref, f"alias {ref.ident} names no key in {where}")
    else:
        unknown = Unknown(f"kms:ListAliases returned alias {ref.ident} without a TargetKeyId: {shown(entry)}",
                          unreadable_resolve("kms:ListAliases", where), API_ERROR)
    return Key(ref.reference, region=ref.region, account=ref.account, manager=unknown, state=unknown,
               policy=OutOfReach("the alias could not be resolved"))


def _described(ref: KeyRef, key_id: str, key_facts: _KeyFacts) -> Key:
    """The key as DescribeKey (and GetKeyPolicy) gave it."""
    if key_facts.missing:
        return _missing(ref, f"key {key_id} does not exist in aws://{ref.account}/{ref.region}")
    if key_facts.error is not None:
        return Key(ref.reference, region=ref.region, account=ref.account, manager=key_facts.error,
                   state=key_facts.error, policy=OutOfReach("the key could not be described"))
    meta = key_facts.describe
    assert meta is not None  # a key is either missing, unreadable, or described
    arn = meta.get("Arn")
    placed = _KMS_ARN.match(arn or "")
    return Key(
        ref.reference,
        arn=arn,
        region=placed.group(1) if placed else ref.region,
        account=meta.get("AWSAccountId") or ref.account,
        manager=_enum(KeyManager, meta, "KeyManager", key_id),
        state=_enum(KeyState, meta, "KeyState", key_id),
        policy=key_facts.policy,
        policy_origin=PolicyOrigin.LIVE if isinstance(key_facts.policy, Mapping) else None,
        policy_source="kms:GetKeyPolicy" if isinstance(key_facts.policy, Mapping) else None,
        declared_at=arn,
        in_stream_region=not ref.region_from_arn,
        rotation=key_facts.rotation,
        rotation_period_days=key_facts.rotation_period_days,
        grants=key_facts.grants,
    )


def _missing(ref: KeyRef, why: str) -> Key:
    gone = OutOfReach(why)
    return Key(ref.reference, arn=ref.reference.strip() if ref.region_from_arn and not ref.names_alias else None,
               region=ref.region if ref.region_from_arn else gone, account=ref.account, manager=gone,
               state=KeyState.MISSING, policy=gone, in_stream_region=not ref.region_from_arn)


def _read_policy(clients: Clients, region: str, key_arn: str) -> Mapping[str, Any] | Unknown:
    """The key's policy ``default``, parsed, or why it could not be read."""
    resolve = "read the policy with aws kms get-key-policy and check it"
    try:
        text: str = call("kms:GetKeyPolicy", key_arn, lambda: clients.kms(region).get_key_policy(
            KeyId=key_arn, PolicyName="default")).required("Policy", TEXT)
    except Unreadable as err:
        return err.unknown
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as err:
        return Unknown(f"kms:GetKeyPolicy returned a policy that is not JSON: {err}", resolve, API_ERROR)
    if not isinstance(document, dict):
        return Unknown("kms:GetKeyPolicy returned a policy that is not a JSON object", resolve, API_ERROR)
    return document


def _read_rotation(clients: Clients, region: str, key_arn: str) -> tuple[bool | Unknown, int | None]:
    """GetKeyRotationStatus: whether automatic rotation is on, and its period in days when the answer gives one."""
    try:
        answer = call("kms:GetKeyRotationStatus", key_arn,
                      lambda: clients.kms(region).get_key_rotation_status(KeyId=key_arn))
        enabled: bool = answer.required("KeyRotationEnabled", FLAG)
        days: int | None = answer.optional("RotationPeriodInDays", INTEGER)
    except Unreadable as err:
        return err.unknown, None
    return enabled, days


def _read_grants(clients: Clients, region: str, key_arn: str) -> tuple[KeyGrant, ...] | Unknown:
    """ListGrants, every page: each grant's grantee, operations and constraints."""
    grants: list[KeyGrant] = []
    try:
        for page in call_pages("kms:ListGrants", key_arn,
                               lambda: clients.kms(region).get_paginator("list_grants").paginate(KeyId=key_arn)):
            for entry in page.entries("Grants"):
                constraints = entry.optional("Constraints", OBJECT) or {}
                grants.append(KeyGrant(
                    grant_id=entry.required("GrantId", NAME), grantee=entry.required("GranteePrincipal", NAME),
                    operations=tuple(entry.optional("Operations", NAMES) or ()),
                    constraints=dict(constraints), name=entry.optional("Name", TEXT) or None))
    except Unreadable as err:
        return err.unknown
    return tuple(grants)


def _enum(kind: type[KeyManager] | type[KeyState], meta: Mapping[str, Any], field: str, key_id: str) -> Any:
    """DescribeKey's ``field`` as ``kind``; unknown when the answer has none, or one sseguard does not know."""
    value = meta.get(field)
    # Missing is sseguard's word for a key that does not exist, never a state DescribeKey gives.
    resolve = (f"check the key with aws kms describe-key --key-id {key_id}; {field} should be one of "
               + ", ".join(m.value for m in kind if m is not KeyState.MISSING))
    if value is None:
        return Unknown(f"kms:DescribeKey returned no {field} for key {key_id}", resolve, API_ERROR)
    try:
        return kind(value)
    except ValueError:
        return Unknown(f"kms:DescribeKey returned {field} {value!r}, which sseguard does not know", resolve,
                       API_ERROR)
