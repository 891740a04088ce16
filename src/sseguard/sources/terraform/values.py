"""Values the evaluator computes beside plain Python ones (str, int, float, bool, None, list, dict).

- ``model.Unknown``: could not be resolved here (a variable with no value); it propagates through everything.
- ``Computed``: exists but is only known after apply (a resource attribute): the key ARN of ``aws_kms_key.k.arn``.
  It keeps the references it came from, so a key given as ``aws_kms_key.k.arn`` can be followed to its block, and a
  text with placeholders, so ``arn:aws:iam::${data.x.account_id}:root`` is still recognisable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sseguard.model import Unknown


class EvalError(Exception):
    """An expression Terraform itself would reject (missing key, wrong type); ``try`` and ``can`` catch it."""


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


@dataclass(frozen=True)
class Computed:
    """A value known only after apply. ``text`` renders it with ``${...}`` placeholders for the unknown parts."""

    text: str
    refs: tuple[Ref, ...]

    @staticmethod
    def of(ref: Ref) -> Computed:
        return Computed("${" + str(ref) + "}", (ref,))


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
