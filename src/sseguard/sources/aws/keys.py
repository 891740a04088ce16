"""The KMS key behind each stream, with as few calls as the facts allow.

- ``alias/aws/kinesis`` in any form is the AWS-managed key: no call at all (DescribeKey on that alias can create
  the key in an account that never used it).
- Other aliases: ``ListAliases`` once per account and region, then the target key.
- Each distinct key: ``DescribeKey`` once (manager, state, ARN); ``GetKeyPolicy`` (policy ``default``) once, for
  customer keys only.
- A key of another account is out of reach: only its region (from the ARN) is known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sseguard.control.evaluate import is_aws_managed_alias
from sseguard.model import Key, KeyManager, KeyState, OutOfReach, Unknown
from sseguard.sources.aws.errors import API_ERROR, api_unknown, error_code_and_message
from sseguard.sources.aws.session import Account

_KMS_ARN = re.compile(r"^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")
_AWS_POLICY = OutOfReach("the AWS-managed key's policy is set by AWS and always allows Kinesis")
_NOT_READ = OutOfReach("the key's policy was not read")
_DESCRIBE_FIELDS = ("KeyId", "Arn", "AWSAccountId", "KeyManager", "KeyState", "Enabled", "MultiRegion")


@dataclass(frozen=True)
class KeyRef:
    """A stream's key reference, placed: whose key, where, and how to look it up."""

    reference: str
    kind: str  # "aws-managed", "alias", "key", "foreign"
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
    kind = "alias" if names_alias else "key"
    if is_aws_managed_alias(ref):
        kind = "aws-managed"
    elif key_account != account:
        kind = "foreign"
    return KeyRef(reference, kind, key_account, key_region, ident, from_arn, names_alias)


@dataclass
class _KeyFacts:
    """What DescribeKey and GetKeyPolicy said of one key (or why they could not)."""

    describe: dict[str, Any] | None = None
    missing: bool = False
    error: Unknown | None = None
    policy: Mapping[str, Any] | Unknown | OutOfReach = _NOT_READ


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
        alias_places = sorted({(r.account, r.region) for r in wanted if r.kind == "alias"})
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
        client = self._accounts[account].clients.kms(region)
        aliases: dict[str, dict[str, Any]] = {}
        try:
            for page in client.get_paginator("list_aliases").paginate():
                for alias in page.get("Aliases", []):
                    if alias.get("AliasName"):
                        aliases[alias["AliasName"]] = {k: v for k, v in alias.items() if k in
                                                       ("AliasName", "AliasArn", "TargetKeyId")}
        except (ClientError, BotoCoreError) as err:
            return api_unknown("kms:ListAliases", err, f"aws://{account}/{region}")
        return aliases

    def _alias_entry(self, ref: KeyRef) -> dict[str, Any] | Unknown | None:
        listed = self._aliases[(ref.account, ref.region)]
        if isinstance(listed, Unknown):
            return listed
        return listed.get(ref.ident)

    def _key_id(self, ref: KeyRef) -> tuple[str, str, str] | None:
        """The (account, region, key) to describe for a reference, if any."""
        if ref.kind == "key":
            return (ref.account, ref.region, ref.ident)
        if ref.kind == "alias":
            entry = self._alias_entry(ref)
            if isinstance(entry, dict) and entry.get("TargetKeyId"):
                return (ref.account, ref.region, str(entry["TargetKeyId"]))
        return None

    def _read_key(self, kid: tuple[str, str, str]) -> _KeyFacts:
        account, region, key_id = kid
        client = self._accounts[account].clients.kms(region)
        try:
            meta = client.describe_key(KeyId=key_id).get("KeyMetadata")
        except (ClientError, BotoCoreError) as err:
            if error_code_and_message(err)[0] == "NotFoundException":
                return _KeyFacts(missing=True)
            return _KeyFacts(error=api_unknown("kms:DescribeKey", err, key_id))
        if not meta:
            return _KeyFacts(error=Unknown(f"kms:DescribeKey returned no KeyMetadata for {key_id}",
                                           f"check the key with aws kms describe-key --key-id {key_id}", API_ERROR))
        described = {k: meta[k] for k in _DESCRIBE_FIELDS if k in meta}  # type: ignore[literal-required]
        facts = _KeyFacts(describe=described)
        if meta.get("KeyManager") == "AWS":
            facts.policy = _AWS_POLICY
            return facts
        key_arn = str(meta.get("Arn") or key_id)
        try:
            text = client.get_key_policy(KeyId=key_arn, PolicyName="default").get("Policy")
        except (ClientError, BotoCoreError) as err:
            facts.policy = api_unknown("kms:GetKeyPolicy", err, key_arn)
            return facts
        try:
            document = json.loads(text or "")
        except ValueError as err:
            facts.policy = Unknown(f"kms:GetKeyPolicy returned a policy that is not JSON: {err}",
                                   "read the policy with aws kms get-key-policy and check it", API_ERROR)
            return facts
        facts.policy = document if isinstance(document, dict) else Unknown(
            "kms:GetKeyPolicy returned a policy that is not a JSON object",
            "read the policy with aws kms get-key-policy and check it", API_ERROR)
        return facts

    def _build(self, ref: KeyRef) -> Resolved:
        if ref.kind == "aws-managed":
            # AWS-managed keys cannot be disabled or scheduled for deletion, so this key is always enabled. It is
            # not described: DescribeKey on alias/aws/kinesis creates the key where it does not exist yet.
            return Resolved(Key(ref.reference, region=ref.region, account=ref.account, manager=KeyManager.AWS,
                                state=KeyState.ENABLED, policy=_AWS_POLICY,
                                in_stream_region=not ref.region_from_arn))
        if ref.kind == "foreign":
            why = OutOfReach(f"the key belongs to account {ref.account}, not the stream's; its manager, state and "
                             "policy can only be read in that account")
            region: str | OutOfReach = ref.region if ref.region_from_arn else why
            arn = ref.reference.strip() if ref.region_from_arn and not ref.names_alias else None
            return Resolved(Key(ref.reference, arn=arn, region=region, account=ref.account, manager=why, state=why,
                                policy=why))
        facts: dict[str, Any] = {}
        if ref.kind == "alias":
            entry = self._alias_entry(ref)
            if isinstance(entry, Unknown):
                return Resolved(Key(ref.reference, region=ref.region, account=ref.account, manager=entry,
                                    state=entry, policy=OutOfReach("the alias could not be resolved")))
            if entry is None or not entry.get("TargetKeyId"):
                if entry is not None:
                    facts["kms:ListAliases"] = entry
                return Resolved(self._missing(ref, f"alias {ref.ident} names no key in "
                                                   f"aws://{ref.account}/{ref.region}"), facts)
            facts["kms:ListAliases"] = entry
        kid = self._key_id(ref)
        assert kid is not None
        key_facts = self._keys[kid]
        if key_facts.missing:
            return Resolved(self._missing(ref, f"key {kid[2]} does not exist in aws://{ref.account}/{ref.region}"),
                            facts)
        if key_facts.error is not None or key_facts.describe is None:
            error = key_facts.error or Unknown("kms:DescribeKey returned no key metadata", "scan again", API_ERROR)
            return Resolved(Key(ref.reference, region=ref.region, account=ref.account, manager=error, state=error,
                                policy=OutOfReach("the key could not be described")), facts)
        meta = key_facts.describe
        facts["kms:DescribeKey"] = meta
        arn = str(meta.get("Arn") or "") or None
        placed = _KMS_ARN.match(arn or "")
        return Resolved(Key(
            ref.reference,
            arn=arn,
            region=placed.group(1) if placed else ref.region,
            account=str(meta.get("AWSAccountId") or ref.account),
            manager=_enum(KeyManager, meta.get("KeyManager"), "KeyManager"),
            state=_enum(KeyState, meta.get("KeyState"), "KeyState"),
            policy=key_facts.policy,
            policy_origin="kms:GetKeyPolicy" if isinstance(key_facts.policy, Mapping) else None,
            declared_at=arn,
            in_stream_region=not ref.region_from_arn,
        ), facts)

    @staticmethod
    def _missing(ref: KeyRef, why: str) -> Key:
        gone = OutOfReach(why)
        return Key(ref.reference, arn=ref.reference.strip() if ref.region_from_arn and not ref.names_alias else None,
                   region=ref.region if ref.region_from_arn else gone, account=ref.account, manager=gone,
                   state=KeyState.MISSING, policy=gone, in_stream_region=not ref.region_from_arn)


def _enum(kind: type[KeyManager] | type[KeyState], value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        return Unknown(f"kms:DescribeKey returned {name} {value!r}, which sseguard does not know",
                       f"check the key with aws kms describe-key; {name} should be one of "
                       + ", ".join(m.value for m in kind), API_ERROR)
