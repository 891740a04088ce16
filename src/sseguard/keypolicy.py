"""KMS key-policy analysis for KSSE012, KSSE013 and KSSE016. Pure: a parsed policy document in, an analysis out,
no I/O.

Two questions are asked of a key policy, for the two data-plane actions Kinesis server-side encryption needs
(``kms:GenerateDataKey`` for producers, ``kms:Decrypt`` for consumers):

- is some principal left a way to use each action (KSSE012)?
- is the ``kinesis.amazonaws.com`` service principal allowed both (KSSE013)?

Principals are reasoned about as sets: everyone, a finite list, or everyone except a list (``NotPrincipal``). An
action is usable when some principal of some Allow covering it is not taken away by a Deny without a condition. A
Deny with a condition may or may not apply at request time, so it never takes anything away; an Allow with a
condition still counts as a way to use the key. Both are noted, so the evidence shows what was assumed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sseguard.model import KeyGrant

GENERATE_DATA_KEY = "kms:GenerateDataKey"
DECRYPT = "kms:Decrypt"
DATA_PLANE_ACTIONS = (GENERATE_DATA_KEY, DECRYPT)
KINESIS_SERVICE = "kinesis.amazonaws.com"

_KINESIS_ID = f"service:{KINESIS_SERVICE}"
# Stands for any principal no statement names: it is in every "everyone" and "everyone except" set.
_SOMEONE_ELSE = "\x00someone else"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[^:]+:iam::([^:]+):root$")
_PRINCIPAL_KINDS = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical"}


class PolicyError(ValueError):
    """A key-policy text that is not a JSON object. The message is one line, fit to show a user."""


@dataclass(frozen=True)
class PolicyAnalysis:
    """What a key policy allows of the Kinesis data-plane actions.

    ``data_plane_allowed``: some principal can use kms:GenerateDataKey and some (maybe another) kms:Decrypt.
    ``service_principal_allowed``: kinesis.amazonaws.com is allowed both actions.
    ``notes``: short facts naming the statements each conclusion rests on, and what was ignored and why.
    """

    data_plane_allowed: bool
    service_principal_allowed: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Principals:
    """A set of principals: everyone, only ``ids``, or everyone except ``ids``."""

    kind: Literal["all", "only", "except"]
    ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Statement:
    label: str
    effect: Literal["Allow", "Deny"]
    principals: _Principals
    actions: frozenset[str]  # which of DATA_PLANE_ACTIONS the statement covers
    conditional: bool
    condition: Mapping[str, Any] | None = None


class _Malformed(Exception):
    """A statement that cannot be read; it grants and denies nothing."""


def parse_policy(text: str) -> dict[str, Any]:
    """Parse key-policy JSON text into an object; raise ``PolicyError`` with a one-line message if it is not one."""
    if not text.strip():
        raise PolicyError("key policy is empty")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"key policy is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (RecursionError, ValueError) as exc:
        raise PolicyError(f"key policy is not valid JSON: {exc}".splitlines()[0]) from None
    if not isinstance(value, dict):
        raise PolicyError(f"key policy must be a JSON object, not {_json_type(value)}")
    return value


# How the default key policy names the key's own account when it is not known.
KEY_ACCOUNT = "ACCOUNT"


def default_key_policy(account: str | None) -> dict[str, Any]:
    """The policy KMS gives a key created without one: the account root is allowed ``kms:*`` (IAM delegation).

    With the account unknown, the principal names the account literally as ``ACCOUNT``.
    """
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account or KEY_ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


DEFAULT_POLICY_NOTE = (
    "the key has KMS's default key policy (no policy is set): it gives the account root kms:*, so IAM policies in "
    "the account decide who can use the key, and it grants the kinesis.amazonaws.com principal nothing; producers "
    "and consumers then need kms:GenerateDataKey and kms:Decrypt in their IAM policies"
)


def is_default_policy(policy: Mapping[str, Any]) -> bool:
    """Whether a policy is KMS's default key policy (one statement delegating kms:* to the account root), as a
    state or a live key shows it when no policy was ever set."""
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], Mapping):
        return False
    only = statements[0]
    principal = only.get("Principal")
    root = principal.get("AWS") if isinstance(principal, Mapping) else None
    return (only.get("Effect") == "Allow" and only.get("Action") == "kms:*" and only.get("Resource") == "*"
            and isinstance(root, str) and bool(_ROOT_ARN.match(root)) and "Condition" not in only)


def analyze(policy: Mapping[str, Any]) -> PolicyAnalysis:
    """Analyse a parsed key policy for the Kinesis data-plane actions. Never raises: what cannot be read is noted."""
    notes: list[str] = []
    statements = _statements(policy, notes)
    allows = [s for s in statements if s.effect == "Allow"]
    denies = [s for s in statements if s.effect == "Deny" and not s.conditional]

    data_plane = True
    service = True
    for action in DATA_PLANE_ACTIONS:
        granting = [s for s in allows if action in s.actions]
        taking = [s for s in denies if action in s.actions]
        if not _usable(granting, taking):
            data_plane = False
            notes.append(f"no principal is left a way to use {action}: " + _why_not(granting, taking))
        service_grants = [s for s in granting if _contains(s.principals, _KINESIS_ID)]
        service_denies = [s for s in taking if _denies(s.principals, _KINESIS_ID)]
        if not service_grants or service_denies:
            service = False
            why = (f"denied without condition by {_labels(service_denies)}" if service_denies
                   else "no Allow statement covering it includes that principal")
            notes.append(f"{KINESIS_SERVICE} is not allowed {action}: {why}")
    return PolicyAnalysis(data_plane, service, tuple(notes))


# Condition keys that tie a caller to an account, an organization or a service acting for the key's account: with
# one of them an Allow of kms:Decrypt to someone outside (or to *) does not open the key to the world (KSSE016).
PINNING_CONDITION_KEYS = ("kms:CallerAccount", "aws:PrincipalAccount", "aws:PrincipalOrgID", "kms:ViaService")
_PINNING = frozenset(k.lower() for k in PINNING_CONDITION_KEYS)
EVERYONE = "*"
# arn:PARTITION:SERVICE:REGION:ACCOUNT:..., the account maybe a placeholder holding colons (${AWS::AccountId})
_PRINCIPAL_ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:(\$\{[^}]*\}|[^:]*):")
_PLACEHOLDER_ACCOUNT = re.compile(r"^\$\{[^}]*\}$")
# Placeholders that stand for the account the stack or configuration is deployed in: that is the key's own account.
_OWN_ACCOUNT_PLACEHOLDER = re.compile(r"AWS::AccountId|caller_identity|account_id", re.IGNORECASE)


@dataclass(frozen=True)
class DecryptAccess:
    """One way a principal can call kms:Decrypt: who (``*`` for everyone), through which policy statement or grant,
    and the conditions that limit it. ``pinned``: a condition ties callers to an account, organization or service."""

    principal: str
    via: str
    conditions: tuple[str, ...] = ()
    pinned: bool = False

    @property
    def account(self) -> str | None:
        """The account an ARN principal belongs to (a placeholder such as ``${AWS::AccountId}`` kept as written);
        None for everyone, a service or a principal without an account."""
        return principal_account(self.principal)

    @property
    def is_service(self) -> bool:
        return self.principal.startswith("service:")


def principal_account(principal: str) -> str | None:
    """The account field of an IAM/STS ARN principal, as written; None when the principal names no account."""
    m = _PRINCIPAL_ARN.match(principal)
    return m.group(1) if m is not None and m.group(1) else None


def is_own_account_placeholder(account: str) -> bool:
    """Whether an account written as a placeholder stands for the key's own account (``${AWS::AccountId}``,
    ``${data.aws_caller_identity.current.account_id}``, or ``ACCOUNT`` in a default policy whose account is not
    known)."""
    if account == KEY_ACCOUNT:
        return True
    return bool(_PLACEHOLDER_ACCOUNT.match(account)) and bool(_OWN_ACCOUNT_PLACEHOLDER.search(account))


def decrypt_access(policy: Mapping[str, Any]) -> tuple[DecryptAccess, ...]:
    """Every principal a key policy lets call kms:Decrypt (through ``kms:Decrypt``, ``kms:*``, ``*`` or a
    NotAction), minus those a Deny without condition takes it from. Never raises: unreadable statements grant
    nothing, as in :func:`analyze`."""
    statements = _statements(policy, [])
    taking = [s for s in statements if s.effect == "Deny" and not s.conditional and DECRYPT in s.actions]
    out: list[DecryptAccess] = []
    for grant in statements:
        if grant.effect != "Allow" or DECRYPT not in grant.actions:
            continue
        conditions = _condition_texts(grant.condition)
        pinned = _pins(grant.condition)
        if grant.principals.kind != "only":
            # Everyone, or everyone but a few (NotPrincipal): either way the world, for this question.
            out.append(DecryptAccess(EVERYONE, grant.label, conditions, pinned))
            continue
        for pid in sorted(grant.principals.ids):
            if not any(_denies(d.principals, pid) for d in taking):
                out.append(DecryptAccess(_shown_principal(pid), grant.label, conditions, pinned))
    return tuple(out)


def grant_decrypt_access(grants: Iterable[KeyGrant]) -> tuple[DecryptAccess, ...]:
    """The grantees of grants whose operations include Decrypt. A grant's constraints narrow
    the encryption context; they never tie the grantee to an account, so they do not pin."""
    out = []
    for grant in grants:
        if "Decrypt" not in grant.operations:
            continue
        conditions = tuple(f"{name} {json.dumps(value, sort_keys=True)}" for name, value in
                           sorted(grant.constraints.items()))
        grantee = grant.grantee if grant.grantee.startswith("arn:") or grant.grantee == EVERYONE else \
            f"service:{grant.grantee.lower()}"
        out.append(DecryptAccess(grantee, f"grant {grant.grant_id}", conditions))
    return tuple(out)


def _shown_principal(pid: str) -> str:
    kind, _, name = pid.partition(":")
    return name if kind == "aws" else pid


def _pins(condition: Mapping[str, Any] | None) -> bool:
    if not condition:
        return False
    for operator, block in condition.items():
        op = str(operator).lower()
        # StringNotEquals kms:CallerAccount lets every other account in; Null only tests that a key is present.
        if "not" in op or op.startswith("null") or not isinstance(block, Mapping):
            continue
        if any(str(key).lower() in _PINNING for key in block):
            return True
    return False


def _condition_texts(condition: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not condition:
        return ()
    out = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            out.append(f"{operator} {json.dumps(block, sort_keys=True, default=str)}")
            continue
        for key, value in block.items():
            out.append(f"{operator} {key} = {json.dumps(value, sort_keys=True, default=str)}")
    return tuple(sorted(out))


def _statements(policy: Mapping[str, Any], notes: list[str]) -> list[_Statement]:
    if not isinstance(policy, Mapping):
        notes.append(f"the key policy is not a JSON object but {_json_type(policy)}; it grants nothing")
        return []
    raw = policy.get("Statement")
    if raw is None:
        notes.append("the key policy has no Statement; it grants nothing")
        return []
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        notes.append(f"the key policy's Statement is {_json_type(raw)}, not an object or a list; it grants nothing")
        return []
    out: list[_Statement] = []
    for index, item in enumerate(raw):
        label = _label(item, index)
        try:
            statement = _statement(item, label)
        except _Malformed as exc:
            notes.append(f"{label} is malformed ({exc}); ignored")
            continue
        if statement is None:
            notes.append(f"{label} does not apply to this key (its Resource names no KMS key); ignored")
            continue
        if statement.actions:
            notes.extend(_describe(statement, item))
        out.append(statement)
    return out


def _label(item: object, index: int) -> str:
    if isinstance(item, Mapping):
        sid = item.get("Sid")
        if isinstance(sid, str) and sid.strip():
            return f"statement {sid!r}"
    return f"statement [{index}]"


def _statement(item: object, label: str) -> _Statement | None:
    """Read one statement; None when it names resources other than a KMS key (so not this key)."""
    if not isinstance(item, Mapping):
        raise _Malformed(f"{_json_type(item)}, not an object")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        # IAM spells the effect exactly so; a policy with any other spelling is rejected by KMS.
        shown = "missing" if effect is None else repr(effect)
        raise _Malformed(f"Effect is {shown}, not 'Allow' or 'Deny'")
    principals = _principals(item)
    actions = _covered_actions(item)
    if not _applies_to_key(item):
        return None
    condition = item.get("Condition")
    if condition is not None and not isinstance(condition, Mapping):
        raise _Malformed(f"Condition is {_json_type(condition)}, not an object")
    return _Statement(label, effect, principals, actions, bool(condition), condition)


def _principals(item: Mapping[str, Any]) -> _Principals:
    field, value, negated = _either(item, "Principal")
    ids = _principal_ids(value, field)
    if negated:
        # NotPrincipal "*" spares everyone, so the statement is about nobody.
        return _Principals("only") if ids is None else _Principals("except", ids)
    return _Principals("all") if ids is None else _Principals("only", ids)


def _principal_ids(value: object, field: str) -> frozenset[str] | None:
    """The principal ids a Principal value names; None for everyone."""
    if value == "*":
        return None
    if not isinstance(value, Mapping) or not value:
        raise _Malformed(f"{field} is {_json_type(value)}; expected '*' or an object such as {{\"AWS\": ...}}")
    ids: set[str] = set()
    for kind, names in value.items():
        prefix = _PRINCIPAL_KINDS.get(kind)
        if prefix is None:
            raise _Malformed(f"{field} has an unknown principal type {kind!r}")
        for name in _strings(names, f"{field}.{kind}"):
            if prefix == "aws" and name == "*":
                return None
            ids.add(_principal_id(prefix, name))
    return frozenset(ids)


def _principal_id(prefix: str, name: str) -> str:
    name = name.strip()
    if prefix == "service":
        return f"service:{name.lower()}"
    if prefix == "aws" and _ACCOUNT_ID.match(name):
        # A bare account id and its root ARN are the same principal.
        return f"aws:arn:aws:iam::{name}:root"
    return f"{prefix}:{name}"


def _covered_actions(item: Mapping[str, Any]) -> frozenset[str]:
    patterns, negated = _listed(item, "Action")
    matched = {a for a in DATA_PLANE_ACTIONS if any(wildcard_match(p, a) for p in patterns)}
    return frozenset(set(DATA_PLANE_ACTIONS) - matched if negated else matched)


def wildcard_match(pattern: str, text: str) -> bool:
    """IAM's wildcards, case-insensitively: ``*`` any run of characters, ``?`` one. Matched with one backtrack point,
    in time bounded by the product of the two lengths: a policy with a pattern such as ``kms:****...x`` (a regular
    expression would backtrack exponentially on it) cannot stall a scan."""
    pattern, text = pattern.strip().lower(), text.lower()
    p = t = 0
    star, mark = -1, 0  # the last * seen in the pattern, and where in the text it started matching
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            mark += 1
            p, t = star + 1, mark
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def _applies_to_key(item: Mapping[str, Any]) -> bool:
    """Whether the statement's resources take in this key. In a key policy ``*`` means the key itself."""
    values, negated = _listed(item, "Resource")
    # The key's own ARN is not known here, so any value that can name a KMS key is taken to name this one.
    names_key = any(_may_name_kms_key(v) for v in values)
    return not names_key if negated else names_key


def _may_name_kms_key(value: str) -> bool:
    value = value.strip().lower()
    if ":kms:" in value or value == "*":
        return True
    literal = re.split(r"[*?]", value, maxsplit=1)
    return len(literal) == 2 and "arn:aws:kms:".startswith(literal[0])


def _either(item: Mapping[str, Any], name: str) -> tuple[str, object, bool]:
    """An IAM element that comes in two forms (``Action``/``NotAction``...): the one field the statement uses, its
    value, and whether it is the ``Not`` form."""
    has, has_not = name in item, f"Not{name}" in item
    if has == has_not:
        raise _Malformed(f"it needs exactly one of {name} and Not{name}")
    field = f"Not{name}" if has_not else name
    return field, item[field], has_not


def _listed(item: Mapping[str, Any], name: str) -> tuple[list[str], bool]:
    """A two-form element whose value is a string or a non-empty list of strings: the strings, and the ``Not`` form."""
    field, value, negated = _either(item, name)
    values = _strings(value, field)
    if not values:
        raise _Malformed(f"{field} is empty")
    return values, negated


def _strings(value: object, field: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _Malformed(f"{field} is {_json_type(value)}; expected a string or a list of strings")


def _contains(principals: _Principals, pid: str) -> bool:
    if principals.kind == "all":
        return True
    if principals.kind == "only":
        return pid in principals.ids
    return pid not in principals.ids


def _denies(principals: _Principals, pid: str) -> bool:
    """Whether a Deny naming these principals applies to ``pid``."""
    if principals.kind == "only":
        # A Deny naming an account applies to every identity of that account.
        return any(d == pid or _account_covers(d, pid) for d in principals.ids)
    return _contains(principals, pid)


def _account_covers(deny_id: str, pid: str) -> bool:
    root = _ROOT_ARN.match(deny_id.removeprefix("aws:")) if deny_id.startswith("aws:") else None
    if root is None or not pid.startswith("aws:arn:"):
        return False
    parts = pid.removeprefix("aws:").split(":", 5)
    return len(parts) == 6 and parts[2] in ("iam", "sts") and parts[4] == root.group(1)


def _usable(granting: list[_Statement], taking: list[_Statement]) -> bool:
    """Whether some principal of some granting statement is not denied by any of ``taking``."""
    # Besides someone no statement names, only a principal a NotPrincipal Deny spares can escape the denies.
    spared = {pid for s in taking if s.principals.kind == "except" for pid in s.principals.ids}
    for grant in granting:
        candidates = grant.principals.ids if grant.principals.kind == "only" else {_SOMEONE_ELSE, *spared}
        for pid in candidates:
            if _contains(grant.principals, pid) and not any(_denies(d.principals, pid) for d in taking):
                return True
    return False


def _why_not(granting: list[_Statement], taking: list[_Statement]) -> str:
    if not granting:
        return "no Allow statement covers it"
    if not taking:
        return f"{_labels(granting)} name no principal"
    return f"allowed by {_labels(granting)} but denied without condition by {_labels(taking)}"


def _labels(statements: Iterable[_Statement]) -> str:
    return ", ".join(s.label for s in statements)


def _describe(statement: _Statement, item: Mapping[str, Any]) -> list[str]:
    """The notes a statement that touches the data-plane actions earns."""
    actions = " and ".join(a for a in DATA_PLANE_ACTIONS if a in statement.actions)
    verb = "allows" if statement.effect == "Allow" else "denies"
    via = " (through NotAction: everything not listed)" if "NotAction" in item else ""
    notes = [f"{statement.label} {verb} {_who(statement.principals)} {actions}{via}"]
    if statement.conditional:
        keys = _condition_keys(item.get("Condition"))
        if statement.effect == "Deny":
            notes.append(f"{statement.label} Deny has a condition ({keys}); not treated as a blanket deny")
        else:
            notes.append(f"{statement.label} Allow has a condition ({keys}); still counted as a way to use the key")
    if statement.effect == "Allow" and statement.principals.kind == "only":
        for pid in sorted(statement.principals.ids):
            root = _ROOT_ARN.match(pid.removeprefix("aws:")) if pid.startswith("aws:") else None
            if root is not None:
                notes.append(f"{statement.label} delegates to account {root.group(1)}: IAM policies in that account "
                             "can grant use of the key")
    return notes


def _who(principals: _Principals) -> str:
    names = ", ".join(_display(pid) for pid in sorted(principals.ids))
    if principals.kind == "all":
        return "everyone (*)"
    if principals.kind == "except":
        return f"everyone except {names} (NotPrincipal)"
    return names or "nobody"


def _display(pid: str) -> str:
    kind, _, name = pid.partition(":")
    return f"service {name}" if kind == "service" else name


def _condition_keys(condition: object) -> str:
    keys: set[str] = set()
    if isinstance(condition, Mapping):
        for operator, block in condition.items():
            if isinstance(block, Mapping):
                keys.update(f"{operator} {key}" for key in block)
            else:
                keys.add(str(operator))
    return "; ".join(sorted(keys))


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
