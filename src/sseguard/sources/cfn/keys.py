"""The KMS key a stream names: followed into ``AWS::KMS::Key`` / ``AWS::KMS::Alias`` resources of the template, or
read from a key or alias ARN, or left out of reach with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sseguard import keypolicy
from sseguard.model import ErrorKind, InputError, Key, KeyManager, KeyState, OutOfReach, PolicyOrigin, Unknown
from sseguard.sources.cfn.intrinsics import Resolver
from sseguard.sources.cfn.values import NO_VALUE, Choice, Deferred, over, settle
from sseguard.sources.safe_load import LMap

KEY_TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::ReplicaKey"})
ALIAS_TYPE = "AWS::KMS::Alias"

# Placeholders are swapped for a colon-free mark before an ARN is split on colons.
_HOLE = "\x00"
_ARN = re.compile(r"^arn:[^:]+:kms:(?P<region>[^:]*):(?P<account>[^:]*):(?P<kind>key|alias)/.+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_STACK_REGION_ARN = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:]+):kms:\$\{AWS::Region\}:")


_DEFAULT_SOURCE = "KMS's default key policy"


class _Unresolvable(Exception):
    """A key policy part that cannot be resolved; the message names it."""


@dataclass
class KeyFinder:
    """Finds the key facts for a stream's key reference. One per template; key facts are computed once per key."""

    resolver: Resolver
    region: str | None
    path: str
    errors: list[InputError]
    _resource_keys: dict[str, Key] = field(default_factory=dict)
    _aliases: dict[str, str] | None = None

    def key(self, reference: str | Deferred) -> Key:
        """The key a stream's ``KeyId`` names; ``reference`` is the resolved KeyId (text or deferred)."""
        shown = reference.display if isinstance(reference, Deferred) else reference
        found = self._find(reference)
        return dataclasses.replace(found, reference=shown)

    def _find(self, reference: str | Deferred) -> Key:
        resources = self.resolver.template.resources
        if isinstance(reference, Deferred):
            kms = list(dict.fromkeys(logical for logical, _ in reference.refs
                                     if _type(resources.get(logical)) in KEY_TYPES | {ALIAS_TYPE}))
            if len(kms) == 1:
                return self._from_resource(kms[0])
            if kms:
                return _outside(reference.display, f"the key reference combines several KMS resources: "
                                                   f"{', '.join(kms)}")
            if reference.refs:
                origin = ", ".join(f"{logical} ({_type(resources.get(logical))})" for logical, _ in reference.refs)
                return _outside(reference.display, f"the key comes from {origin}, known only after deploy")
            if not reference.declared:
                return _outside(reference.display, reference.reason)
            return self._from_text(reference.text, reference.display)
        alias_target = self.aliases().get(reference)
        if alias_target is not None:
            return self._from_resource(alias_target)
        return self._from_text(reference, reference)

    def aliases(self) -> dict[str, str]:
        """Alias names declared by ``AWS::KMS::Alias`` resources, to their logical ids."""
        if self._aliases is None:
            self._aliases = {}
            for logical, resource in self.resolver.template.resources.items():
                if _type(resource) == ALIAS_TYPE:
                    name = settle(self.resolver.member(_properties(resource), "AliasName"), "alias name")
                    if isinstance(name, str):
                        self._aliases.setdefault(name, logical)
        return self._aliases

    def _from_resource(self, logical: str) -> Key:
        resource = self.resolver.template.resources[logical]
        if _type(resource) == ALIAS_TYPE:
            return self._through_alias(logical, resource)
        if logical not in self._resource_keys:
            self._resource_keys[logical] = self._key_resource(logical, resource)
        return self._resource_keys[logical]

    def _through_alias(self, alias: str, resource: Any) -> Key:
        target = settle(self.resolver.member(_properties(resource), "TargetKeyId"), "alias target")
        if isinstance(target, Deferred):
            kinds = [logical for logical, _ in target.refs if _type(self.resolver.template.resources.get(logical))
                     in KEY_TYPES]
            if len(kinds) == 1:
                key = self._from_resource(kinds[0])
                return dataclasses.replace(key, declared_at=f"{key.declared_at} (through alias {alias})")
            if target.refs or not target.declared:
                return _outside(alias, f"the target of alias {alias} is {target.display}, not a key of the "
                                       "template")
            return self._from_text(target.text, target.display)
        if isinstance(target, str):
            return self._from_text(target, target)
        why = target.reason if isinstance(target, Unknown) else f"TargetKeyId is {target!r}"
        return _outside(alias, f"the target key of alias {alias} is not known: {why}")

    def _from_text(self, text: str, shown: str) -> Key:
        """A key given by id, alias name, or ARN (placeholders allowed), declared outside this template."""
        holed = _PLACEHOLDER.sub(_HOLE, text.strip())
        m = _ARN.match(holed)
        if m is None:
            return _outside(shown, f"key {shown} is not declared in this template",
                            region=OutOfReach("a key id or alias name is looked up in the stream's own region"),
                            in_stream_region=True)
        region: str | OutOfReach = m["region"]
        same_region = False
        if _STACK_REGION_ARN.match(text.strip()):
            region = OutOfReach(f"key ARN {shown} names the stack's own region (${{AWS::Region}})")
            same_region = True
        elif _HOLE in m["region"]:
            region = OutOfReach(f"the region in key ARN {shown} is known only at deploy")
        elif not m["region"]:
            region = OutOfReach(f"key ARN {shown} names no region")
        account = m["account"] if _ACCOUNT.match(m["account"]) else None
        arn = text if _HOLE not in holed else None
        return _outside(shown, f"key {shown} is not declared in this template", region=region, account=account,
                        arn=arn, in_stream_region=same_region)

    def _key_resource(self, logical: str, resource: Any) -> Key:
        props = _properties(resource)
        region: str | OutOfReach = self.region if self.region is not None else OutOfReach(
            f"key {logical} is in the stack's region, which is not known: pass --region")
        policy, source = self._policy(logical, props, resource)
        origin = None if source is None else PolicyOrigin.DEFAULT if source.startswith(_DEFAULT_SOURCE) else \
            PolicyOrigin.GIVEN
        return Key(
            reference=logical,
            region=region,
            manager=KeyManager.CUSTOMER,
            state=self._state(logical, props),
            policy=policy,
            policy_origin=origin,
            policy_source=source,
            declared_at=logical,
            # A key of the same template is created in the same stack, so in the stream's region.
            in_stream_region=True,
            rotation=self._rotation(logical, props, _type(resource)),
            rotation_period_days=self._rotation_period(props),
        )

    def _rotation(self, logical: str, props: Any, kind: str | None) -> bool | OutOfReach:
        """EnableKeyRotation: absent or false is off (CloudFormation's default)."""
        if kind != "AWS::KMS::Key":
            return OutOfReach(f"{logical} is a {kind}, which rotates with its primary key: scan the primary key")
        enabled = settle(over(self.resolver.member(props, "EnableKeyRotation"), _rotation_flag),
                         f"EnableKeyRotation of key {logical}")
        if isinstance(enabled, Unknown):
            return OutOfReach(f"whether key {logical} rotates is not known: {enabled.reason}")
        return bool(enabled)

    def _rotation_period(self, props: Any) -> int | None:
        days = settle(self.resolver.member(props, "RotationPeriodInDays"), "RotationPeriodInDays")
        if isinstance(days, str) and days.strip().isdigit():
            return int(days)
        return days if isinstance(days, int) and not isinstance(days, bool) else None

    def _state(self, logical: str, props: Any) -> KeyState | Unknown:
        # PendingWindowInDays only sets the waiting period of a future deletion; the key is not being deleted.
        enabled = settle(over(self.resolver.member(props, "Enabled"), _enabled), f"Enabled of key {logical}")
        if isinstance(enabled, Unknown):
            return Unknown(f"whether key {logical} is enabled is not known: {enabled.reason}", enabled.resolve)
        return KeyState.ENABLED if enabled else KeyState.DISABLED

    def _policy(self, logical: str, props: Any, resource: Any) -> tuple[dict[str, Any] | OutOfReach, str | None]:
        raw = self.resolver.member(props, "KeyPolicy")
        if raw is NO_VALUE or raw is None:
            return (keypolicy.default_key_policy(None),
                    f"{_DEFAULT_SOURCE} (key {logical} sets no KeyPolicy); ACCOUNT is the stack's account")
        try:
            document = _render(raw)
        except _Unresolvable as err:
            return OutOfReach(f"the policy of key {logical} cannot be resolved: {err}"), None
        if isinstance(document, str):
            try:
                document = keypolicy.parse_policy(document)
            except keypolicy.PolicyError as err:
                line = props.key_lines.get("KeyPolicy") if isinstance(props, LMap) else None
                self.errors.append(InputError(self.path, f"KeyPolicy of {logical}: {err}", line, ErrorKind.INCOMPLETE))
                return OutOfReach(f"the policy of key {logical} cannot be read: {err}"), None
        if not isinstance(document, dict):
            return OutOfReach(f"the policy of key {logical} is {type(document).__name__}, not a mapping"), None
        origin = f"KeyPolicy of {logical}"
        if "${" in repr(document):
            origin += "; ${...} placeholders stand for values known only at deploy"
        return document, origin


def _render(value: Any) -> Any:
    """A resolved policy as plain JSON values; deferred strings keep their placeholders."""
    if isinstance(value, Deferred):
        return value.text
    if isinstance(value, Unknown):
        raise _Unresolvable(value.reason + (f" ({value.resolve})" if value.resolve else ""))
    if isinstance(value, Choice):
        raise _Unresolvable(value.why.reason + (f" ({value.why.resolve})" if value.why.resolve else ""))
    if isinstance(value, Mapping):
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v) for v in value]
    return value


def _rotation_flag(value: Any) -> bool | Unknown:
    return False if value is NO_VALUE or value is None else _enabled(value)


def _enabled(value: Any) -> bool | Unknown:
    if value is NO_VALUE or value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Deferred):
        return value.unknown()
    return Unknown(f"Enabled is {value!r}, not true or false")


def _outside(shown: str, why: str, *, region: str | OutOfReach | None = None, account: str | None = None,
             arn: str | None = None, in_stream_region: bool = False) -> Key:
    """A key whose state and policy this template cannot tell."""
    hint = f"{why}: scan its account (sseguard aws) to check its"
    return Key(
        reference=shown,
        arn=arn,
        region=region if region is not None else OutOfReach(why),
        account=account,
        manager=OutOfReach(f"{hint} manager"),
        state=OutOfReach(f"{hint} state"),
        policy=OutOfReach(f"{hint} policy"),
        in_stream_region=in_stream_region,
    )


def _type(resource: Any) -> str | None:
    kind = resource.get("Type") if isinstance(resource, Mapping) else None
    return kind if isinstance(kind, str) else None


def _properties(resource: Any) -> Any:
    return resource.get("Properties", LMap(0, 0)) if isinstance(resource, Mapping) else LMap(0, 0)
