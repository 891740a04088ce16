"""What the plan and state sources share: loading big Terraform JSON, addresses, ARNs, and KMS keys in the model.

Terraform JSON (``terraform show -json``, raw ``terraform.tfstate``) can be hundreds of megabytes for a large
configuration, and sseguard needs only streams, keys and aliases out of it. ``load_terraform_json`` therefore drops
every other resource while the file is being parsed, so memory stays near the size of the text itself.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sseguard.keypolicy import PolicyError, default_key_policy, parse_policy
from sseguard.kms import is_aws_managed_alias
from sseguard.model import Key, KeyManager, KeyState, OutOfReach, PolicyOrigin, Unknown
from sseguard.sources.safe_load import LoadError, decode, json_decoder, loads

MAX_JSON_BYTES = 512 * 1024 * 1024
STREAM_TYPE = "aws_kinesis_stream"
KEY_TYPE = "aws_kms_key"
ALIAS_TYPE = "aws_kms_alias"
KEPT_TYPES = frozenset({STREAM_TYPE, KEY_TYPE, ALIAS_TYPE})

_BOM = b"\xef\xbb\xbf"
_SCAN_CHUNK = 1 << 20
_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):(?P<service>[\w-]+):(?P<region>[\w-]*):(?P<account>\d*):(?P<resource>.+)$"
)


_REGION_NOT_KNOWN = OutOfReach("the key's region is not known")
_POLICY_NOT_KNOWN = OutOfReach("the key's policy is not known")
_ROTATION_NOT_KNOWN = OutOfReach("the key's rotation is not known")


class TerraformJsonError(Exception):
    """A Terraform JSON file that cannot be read: a one-line message and, when known, the line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- sniffing and loading -----------------------------------------------------------------------------------------


def json_start(head: bytes) -> bytes:
    """The head with a BOM and leading blanks removed (sniffers look at its first character)."""
    return head.removeprefix(_BOM).lstrip(b" \t\r\n")


def file_contains(path: Path, needles: Iterable[bytes]) -> bool:
    """True when any of ``needles`` occurs in the file; reads it in chunks and stops at the first hit."""
    wanted = tuple(needles)
    overlap = max(len(n) for n in wanted) - 1
    try:
        with path.open("rb") as fh:
            tail = b""
            while chunk := fh.read(_SCAN_CHUNK):
                window = tail + chunk
                if any(n in window for n in wanted):
                    return True
                tail = window[-overlap:] if overlap else b""
    except OSError:
        return False
    return False


def _prune(obj: dict[str, Any]) -> Any:
    # Called for every JSON object, innermost first: a resource of a type sseguard never reads becomes None as soon
    # as it is complete, so its attributes are freed before the next resource is parsed.
    mode = obj.get("mode")
    if mode == "managed" or mode == "data":
        rtype = obj.get("type")
        if rtype is not None and (not isinstance(rtype, str) or rtype not in KEPT_TYPES):
            return None
    return obj


# The top-level keys of ``terraform show -json tfplan``, in the order Terraform writes them (its Go struct's order).
PLAN_KEYS = (
    "format_version", "terraform_version", "variables", "planned_values", "resource_drift", "resource_changes",
    "deferred_changes", "output_changes", "prior_state", "configuration", "relevant_attributes", "checks",
    "timestamp", "applyable", "complete", "errored",
)
# What a plan reader never needs: planned_values repeats resource_changes' "after", drift and outputs are not streams.
PLAN_SKIPPED = frozenset({"planned_values", "resource_drift", "output_changes", "relevant_attributes", "checks"})
_WS = re.compile(r"[ \t\n\r]*")
# The stdlib's C string scanner; typeshed does not declare it.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _next_key(text: str, start: int, keys: Iterable[str]) -> int | None:
    """Where the nearest of ``keys`` begins as the next key of a compact top-level object (at its comma)."""
    nearest: int | None = None
    for key in keys:
        at = text.find(f',"{key}":', start, len(text) if nearest is None else nearest)
        if at >= 0:
            nearest = at
    return nearest


def _parse_skipping(text: str, decoder: json.JSONDecoder, keys: tuple[str, ...],
                    skipped: frozenset[str]) -> dict[str, Any] | None:
    """Parse a top-level object whose keys come in the order ``keys`` gives, jumping over the values of ``skipped``
    keys to where the next known key starts. None when the text is not laid out so (pretty-printed, a key out of
    order or unknown, a stray key of the same name nested in a skipped value): the caller then parses it all."""
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", pos):
        return None
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    out: dict[str, Any] = {}
    last = -1
    while text.startswith('"', pos):
        key, pos = _scanstring(text, pos + 1, True)
        if key not in keys or keys.index(key) <= last:
            return None
        last = keys.index(key)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if not text.startswith(":", pos):
            return None
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        # The last key is always parsed, so the closing brace is reached by parsing and an imbalance shows.
        after = _next_key(text, pos, keys[last + 1:]) if key in skipped else None
        if after is None:
            out[key], pos = decoder.raw_decode(text, pos)
        else:
            pos = after
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("}", pos) and _WS.match(text, pos + 1).end() == len(text):  # type: ignore[union-attr]
            return out
        return None
    return None


def load_terraform_json(path: Path, max_bytes: int = MAX_JSON_BYTES, *, plan: bool = False) -> tuple[str, Any]:
    """Read and parse a Terraform JSON file, keeping only stream, key and alias resources (others become None).

    With ``plan``, the top-level sections a plan reader never uses (``PLAN_SKIPPED``) are jumped over rather than
    parsed when the file is laid out as Terraform writes it. Numbers follow ``safe_load``'s rules. Returns the text
    too (for line numbers). Raises ``TerraformJsonError`` with a one-line message.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            limit = f"{max_bytes >> 20} MiB" if max_bytes >= 1 << 20 else f"{max_bytes} bytes"
            raise TerraformJsonError(f"file is {size} bytes, larger than the limit of {limit}")
        data = path.read_bytes()
    except OSError as err:
        raise TerraformJsonError(f"cannot read: {err.strerror or err}") from None
    try:
        text = decode(data)
    except LoadError as err:
        raise TerraformJsonError(err.message, err.line) from None
    del data
    # JSON makes no reference cycles, so the cycle collector has nothing to find while parsing; left on, it walks
    # the growing heap again and again and costs more than the parse itself on a large plan.
    collecting = gc.isenabled()
    gc.disable()
    try:
        value: Any = None
        if plan:
            try:
                value = _parse_skipping(text, json_decoder(_prune), PLAN_KEYS, PLAN_SKIPPED)
            except (ValueError, RecursionError):
                value = None  # the full parse below reports the error where it is
        if value is None:
            value = loads(text, object_hook=_prune)
    except LoadError as err:
        problem = TerraformJsonError(err.message, err.line)
    else:
        return text, value
    finally:
        if collecting:
            gc.enable()
    # Raised outside the handler, so nothing of the failed parse is kept alive while the caller recovers streams.
    raise problem


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (Terraform JSON is read defensively)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text_or_none(value: Any) -> str | None:
    """The value when it is a string, else None."""
    return value if isinstance(value, str) else None


# --- line numbers -------------------------------------------------------------------------------------------------


class LineFinder:
    """Lines of JSON string values of one key (``"address"``), found in one pass from an offset.

    Terraform writes ``show -json`` output on one line, where every line is 1 and nothing needs searching.
    """

    def __init__(self, text: str, key: str, start: int = 0) -> None:
        self.text = text
        end = len(text)
        while end and text[end - 1] in "\r\n":
            end -= 1
        self.one_line = text.find("\n", 0, end) < 0
        self.pattern = re.compile(r'"' + re.escape(key) + r'"\s*:\s*"((?:[^"\\]|\\.)*)"')
        self.start = start

    def lines(self, wanted: Iterable[str]) -> dict[str, int]:
        """The line of the first ``"key": "value"`` for each wanted value at or after the start offset."""
        todo = set(wanted)
        if self.one_line:
            return dict.fromkeys(todo, 1)
        found: dict[str, int] = {}
        line, last = 1, 0
        for m in self.pattern.finditer(self.text, self.start):
            raw = m.group(1)
            value = json.loads(f'"{raw}"') if "\\" in raw else raw
            if value in todo and value not in found:
                line += self.text.count("\n", last, m.start())
                last = m.start()
                found[value] = line
                if len(found) == len(todo):
                    break
        return found


def lines_at(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """The 1-based line of each offset in a text, counted in one pass over the text."""
    out: dict[int, int] = {}
    line, last = 1, 0
    for offset in sorted(set(offsets)):
        line += text.count("\n", last, offset)
        last = offset
        out[offset] = line
    return out


# --- addresses and ARNs -------------------------------------------------------------------------------------------


def index_suffix(index: Any) -> str:
    """An instance key as Terraform writes it in an address: ``[0]`` or ``["key"]``; empty for no key."""
    if index is None:
        return ""
    if isinstance(index, bool):
        return f"[{json.dumps(index)}]"
    if isinstance(index, int):
        return f"[{index}]"
    return "[" + json.dumps(str(index), ensure_ascii=False) + "]"


def resource_address(module: str | None, rtype: str, name: str, index: Any = None, mode: str = "managed") -> str:
    """A Terraform resource instance address: ``module.a["x"].aws_kinesis_stream.s[0]``."""
    local = f"{'data.' if mode == 'data' else ''}{rtype}.{name}{index_suffix(index)}"
    return f"{module}.{local}" if module else local


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: Any) -> Arn | None:
    """Split an ARN; None for anything that is not one."""
    if not isinstance(text, str):
        return None
    m = _ARN.match(text.strip())
    if m is None:
        return None
    return Arn(m["partition"], m["service"], m["region"], m["account"], m["resource"])


# --- keys ---------------------------------------------------------------------------------------------------------


@dataclass
class KeyFacts:
    """What a Terraform file says of one KMS key (a managed ``aws_kms_key`` or a ``data.aws_kms_key``).

    ``policy``: the policy text; None when the key has no policy of its own (KMS gives it the default one);
    an ``OutOfReach`` when the text is not known (computed at apply).
    """

    address: str
    arn: str | None = None
    key_id: str | None = None
    region: str | Unknown | OutOfReach = _REGION_NOT_KNOWN
    enabled: bool | None = None
    key_state: str | None = None
    manager: str | None = None
    policy: str | OutOfReach | None = _POLICY_NOT_KNOWN
    pending_deletion: bool = False
    rotation: bool | OutOfReach = _ROTATION_NOT_KNOWN
    rotation_period_days: int | None = None


@dataclass
class AliasFacts:
    """What a Terraform file says of one ``aws_kms_alias``: its name and ARN, and the key it points at."""

    address: str
    name: str | None
    arn: str | None
    target_key_id: str | None
    target_key_arn: str | None


class KeyIndex:
    """Keys and aliases of one file, found by any reference a stream may give: key id, key ARN, alias name or ARN."""

    def __init__(self) -> None:
        self._keys: dict[str, KeyFacts] = {}
        self._aliases: dict[str, AliasFacts] = {}

    def add_key(self, facts: KeyFacts) -> None:
        """Register a key under its id and ARN; the first key registered under a name wins."""
        for name in (facts.key_id, facts.arn):
            if name:
                self._keys.setdefault(name, facts)

    def add_alias(self, alias: AliasFacts) -> None:
        """Register an alias under its name and ARN."""
        for name in (alias.name, alias.arn):
            if name:
                self._aliases.setdefault(name, alias)

    def find(self, reference: str) -> tuple[KeyFacts | None, AliasFacts | None]:
        """The key a reference names (through its alias when it is one), and that alias; (None, None) if unknown."""
        ref = reference.strip()
        if ref in self._keys:
            return self._keys[ref], None
        alias = self._aliases.get(ref)
        if alias is None:
            return None, None
        for target in (alias.target_key_arn, alias.target_key_id):
            if target and target in self._keys:
                return self._keys[target], alias
        return None, alias


def provider_region(key_arn: str | None, fallback: str | Unknown | OutOfReach) -> str | Unknown | OutOfReach:
    """A key's region: from its ARN when there is one, else the region of the provider that manages it."""
    arn = parse_arn(key_arn)
    if arn is not None and arn.region:
        return arn.region
    return fallback


def key_from_facts(reference: str, facts: KeyFacts, via: AliasFacts | None = None) -> Key:
    """The model's Key for a reference that resolved to a key declared in the same file."""
    arn = parse_arn(facts.arn)
    account = arn.account if arn is not None and arn.account else None
    manager: KeyManager | OutOfReach = KeyManager.CUSTOMER
    if facts.manager is not None:
        try:
            manager = KeyManager(facts.manager)
        except ValueError:
            manager = OutOfReach(f"{facts.address} reports an unknown key manager {facts.manager!r}")
    policy: dict[str, Any] | OutOfReach
    origin: PolicyOrigin | None = None
    source: str | None = None
    if isinstance(facts.policy, OutOfReach):
        policy = facts.policy
    elif facts.policy is None:
        policy = default_key_policy(account)
        origin, source = PolicyOrigin.DEFAULT, f"the default key policy: {facts.address} gives no policy of its own"
    else:
        try:
            policy = parse_policy(facts.policy)
            origin, source = PolicyOrigin.GIVEN, f"the policy of {facts.address}"
        except PolicyError as err:
            policy = OutOfReach(f"the policy of {facts.address} cannot be read: {err}")
    declared = facts.address if via is None else f"{via.address} -> {facts.address}"
    return Key(
        reference=reference,
        arn=facts.arn,
        region=provider_region(facts.arn, facts.region),
        account=account,
        manager=manager,
        state=_key_state(facts),
        policy=policy,
        policy_origin=origin,
        policy_source=source,
        declared_at=declared,
        rotation=facts.rotation,
        rotation_period_days=facts.rotation_period_days,
    )


def rotation_of(values: dict[str, Any], *, absent: bool | OutOfReach) -> tuple[bool | OutOfReach, int | None]:
    """``enable_key_rotation`` and ``rotation_period_in_days`` of a managed key's values; ``absent`` is what a
    missing or null enable_key_rotation means in this input."""
    enabled = values.get("enable_key_rotation")
    period = values.get("rotation_period_in_days")
    rotation = enabled if isinstance(enabled, bool) else absent
    # the provider reports 0 when the period was never set
    days = period if isinstance(period, int) and not isinstance(period, bool) and period > 0 else None
    return rotation, days


def _key_state(facts: KeyFacts) -> KeyState | OutOfReach:
    if facts.key_state:
        try:
            return KeyState(facts.key_state)
        except ValueError:
            return OutOfReach(f"{facts.address} reports an unknown key state {facts.key_state!r}")
    if facts.pending_deletion:
        return KeyState.PENDING_DELETION
    if facts.enabled is False:
        return KeyState.DISABLED
    if facts.enabled is True:
        return KeyState.ENABLED
    return OutOfReach(f"whether {facts.address} is enabled is known only after apply")


def literal_key(reference: str, stream_region: str | Unknown | OutOfReach, why_not_known: str) -> Key:
    """The model's Key for a reference that names no key in the file: only what the reference itself says.

    An ARN gives the key's region and account. A bare key id or alias name is looked up by KMS in the stream's own
    region, so that is the key's region. The AWS-managed alias is marked as such; its policy is AWS's.
    """
    ref = reference.strip()
    arn = parse_arn(ref)
    reach = OutOfReach(why_not_known)
    region: str | Unknown | OutOfReach
    if arn is not None:
        region = arn.region or reach
    elif isinstance(stream_region, str):
        region = stream_region
    else:
        region = OutOfReach(f"the key is named without an ARN and the stream's region is not known "
                            f"({stream_region.reason})")
    is_key_arn = arn is not None and arn.service == "kms" and arn.resource.startswith("key/")
    return Key(
        reference=ref,
        arn=ref if is_key_arn else None,
        region=region,
        account=(arn.account or None) if arn is not None else None,
        manager=KeyManager.AWS if is_aws_managed_alias(ref) else reach,
        state=reach,
        policy=reach,
        in_stream_region=arn is None,
    )


def walk_modules(root: dict[str, Any], child_key: str) -> Iterator[dict[str, Any]]:
    """Every module object under a root module, depth first (``child_modules`` of state and plan values)."""
    stack = [root]
    while stack:
        module = stack.pop()
        yield module
        stack.extend(reversed([as_dict(c) for c in as_list(module.get(child_key))]))


def alias_facts(address: str, values: dict[str, Any]) -> AliasFacts:
    """An ``aws_kms_alias`` (managed or data) from its attribute values."""
    return AliasFacts(
        address=address,
        name=text_or_none(values.get("name")),
        arn=text_or_none(values.get("arn")),
        target_key_id=text_or_none(values.get("target_key_id")),
        target_key_arn=text_or_none(values.get("target_key_arn")),
    )


def data_key_facts(address: str, values: dict[str, Any]) -> KeyFacts:
    """A ``data.aws_kms_key`` from its attribute values: DescribeKey's state and manager, but no policy."""
    arn = text_or_none(values.get("arn"))
    parsed = parse_arn(arn)
    enabled = values.get("enabled")
    return KeyFacts(
        address=address,
        arn=arn,
        key_id=text_or_none(values.get("id")),
        region=parsed.region if parsed is not None and parsed.region else OutOfReach(f"{address} has no ARN"),
        enabled=enabled if isinstance(enabled, bool) else None,
        key_state=text_or_none(values.get("key_state")),
        manager=text_or_none(values.get("key_manager")),
        policy=OutOfReach(f"{address} is a data source, which does not give the key's policy"),
        rotation=OutOfReach(f"{address} is a data source, which does not give the key's rotation"),
    )
