"""Values the evaluator computes beside plain Python ones (str, int, float, bool, None, list, dict).

- ``model.Unknown``: could not be resolved here (a variable with no value); it propagates through everything.
- ``Computed``: exists but is only known after apply (a resource attribute): the key ARN of ``aws_kms_key.k.arn``.
  It keeps the references it came from, so a key given as ``aws_kms_key.k.arn`` can be followed to its block, and a
  text with placeholders, so ``arn:aws:iam::${data.x.account_id}:root`` is still recognisable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sseguard.model import Unknown


class EvalError(Exception):
    """An expression Terraform itself would reject (missing key, wrong type); ``try`` and ``can`` catch it."""


# Terraform's number syntax (for literals and for text converted to a number): no inf, nan, hex or underscores.
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
# Longer number texts than this are not evaluated (a 5,000-digit literal would not even convert).
MAX_NUMBER_CHARS = 64
MAX_NUMBER_BITS = 256


def parse_number(text: str) -> int | float:
    """A number written in Terraform's syntax. Terraform has one arbitrary-precision number type; here whole values
    are ints and the rest floats, and what a float cannot hold (1e400, thousands of digits) is an error, never
    infinity."""
    stripped = text.strip()
    if len(stripped) > MAX_NUMBER_CHARS:
        raise EvalError(f"the number {stripped[:20]}... has {len(stripped)} characters, more than sseguard evaluates "
                        f"({MAX_NUMBER_CHARS})")
    if not _NUMBER.fullmatch(stripped):
        raise EvalError(f"{text!r} is not a number")
    try:
        return int(stripped)
    except ValueError:
        pass
    value = float(stripped)
    if not math.isfinite(value):
        raise EvalError(f"the number {stripped} is too large for sseguard to evaluate")
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


@dataclass(frozen=True)
class Ref:
    """A reference to a resource or data source instance of one module instance."""

    module_path: str  # "" for the root, else "module.a.module.b[\"k\"]"
    mode: str  # "managed" or "data"
    type: str
    name: str
    key: str | int | None  # instance key, None when the resource has neither count nor for_each
    attr: str | None
    declared: bool

    @property
    def address(self) -> str:
        base = f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"
        if self.key is not None:
            base += f"[{self.key}]" if isinstance(self.key, int) else f'["{self.key}"]'
        return f"{self.module_path}.{base}" if self.module_path else base

    def __str__(self) -> str:
        return f"{self.address}.{self.attr}" if self.attr else self.address


# Attributes a resource always has once it exists: unknown until apply, but never null.
NEVER_NULL_ATTRIBUTES = frozenset({"arn", "id", "key_id", "json", "minified_json", "account_id", "target_key_arn",
                                   "target_key_id"})


@dataclass(frozen=True)
class Computed:
    """A value known only after apply. ``text`` renders it with ``${...}`` placeholders for the unknown parts.

    ``not_null``: known not to be null though its value is not known (a resource's ARN, any string template), so
    ``x == null`` and ``coalesce`` over it are decided.
    """

    text: str
    refs: tuple[Ref, ...]
    not_null: bool = False

    @staticmethod
    def of(ref: Ref) -> Computed:
        return Computed("${" + str(ref) + "}", (ref,), ref.attr in NEVER_NULL_ATTRIBUTES)


def with_placeholders(value: Any) -> Any:
    """``value`` with every Computed part replaced by its ``${...}`` text, as ``jsonencode`` and a policy document
    show a value known only after apply."""
    if isinstance(value, Computed):
        return value.text
    if isinstance(value, list):
        return [with_placeholders(x) for x in value]
    if isinstance(value, dict):
        return {k: with_placeholders(x) for k, x in value.items()}
    return value


@dataclass(frozen=True)
class Branch:
    """A condition that could not be decided where a conditional expression chose between two different values.

    ``key`` names the conditional (module instance, file, line of the attribute, condition text): a stream's
    values can be computed again with its outcome forced, so each way it can go is judged.
    """

    key: tuple[str, str, int, str]
    condition: str


def is_known(value: Any) -> bool:
    """True when a value holds no Unknown and no Computed anywhere inside."""
    if isinstance(value, Unknown | Computed):
        return False
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    return True


def first_unknown(value: Any) -> Unknown | None:
    """The first Unknown inside a value, if any."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for v in value:
            if (u := first_unknown(v)) is not None:
                return u
    if isinstance(value, dict):
        for v in value.values():
            if (u := first_unknown(v)) is not None:
                return u
    return None


def collect_refs(value: Any) -> tuple[Ref, ...]:
    """Every reference a value was computed from."""
    if isinstance(value, Computed):
        return value.refs
    out: list[Ref] = []
    if isinstance(value, list):
        for v in value:
            out.extend(collect_refs(v))
    elif isinstance(value, dict):
        for v in value.values():
            out.extend(collect_refs(v))
    return tuple(out)


def type_name(value: Any) -> str:
    """Terraform's name for a value's type, for messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "unknown"


def to_text(value: Any) -> str | Unknown | Computed:
    """Terraform's string conversion, used in templates: numbers and bools become text; null is an error."""
    if isinstance(value, Unknown | Computed):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        raise EvalError("a null value cannot be used in a string template")
    raise EvalError(f"a {type_name(value)} value cannot be used in a string template")
