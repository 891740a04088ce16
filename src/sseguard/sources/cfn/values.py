"""The values CloudFormation templates resolve to, and the markers for what a template on disk cannot tell.

A resolved value is a plain value (str, number, bool, None, dict, list) or one of four markers:

- ``NO_VALUE``: ``AWS::NoValue``, the property is absent;
- ``Unknown`` (from the model): the value cannot be known from the template and options, with how to give it;
- ``Deferred``: a string that will exist at deploy time but whose text is not known now (a resource's physical id
  or attribute, ``AWS::AccountId``), kept in a placeholder form with the template resources it is built from, so a
  key reference through ``!Ref MyKey`` or ``!GetAtt MyKey.Arn`` still leads to the key;
- ``Choice``: an ``Fn::If`` whose condition cannot be decided and whose two branches differ. Functions applied to
  a choice are applied to each branch; branches that come out equal collapse back into one value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sseguard.model import Unknown


class _NoValue:
    """``AWS::NoValue``: the property it is given to is left out."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_WHOLE_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Deferred:
    """A string known only at deploy time. ``text`` shows it with ``${...}`` placeholders for what is not known.

    ``refs``: the template resources it is built from, as (logical id, attribute; "" for a Ref).
    ``declared``: False when it comes from a Ref to a name the template does not declare.
    """

    text: str
    reason: str
    resolve: str = ""
    refs: tuple[tuple[str, str], ...] = ()
    declared: bool = True

    @property
    def display(self) -> str:
        """The text, or the bare name when the whole value is one placeholder (``MyKey`` for ``${MyKey}``)."""
        m = _WHOLE_PLACEHOLDER.fullmatch(self.text)
        return m[1] if m else self.text

    def unknown(self) -> Unknown:
        """This value where a literal is needed (an encryption type, a comparison): unknown, with its reason."""
        return Unknown(self.reason, self.resolve)


@dataclass(frozen=True)
class Choice:
    """An ``Fn::If`` on condition ``condition`` that cannot be decided (``why``), with differing branches."""

    condition: str
    why: Unknown
    if_true: Any
    if_false: Any


def choose(condition: str, why: Unknown, if_true: Any, if_false: Any) -> Any:
    """A choice between two values, or the value itself when both branches agree."""
    if if_true == if_false and type(if_true) is type(if_false):
        return if_true
    return Choice(condition, why, if_true, if_false)


def over(value: Any, fn: Callable[[Any], Any]) -> Any:
    """Apply ``fn`` to a value, or to each branch of a choice, merging branches that come out equal."""
    if isinstance(value, Choice):
        return choose(value.condition, value.why, over(value.if_true, fn), over(value.if_false, fn))
    return fn(value)


def settle(value: Any, what: str, describe: Callable[[Any], str] = repr) -> Any:
    """A value without choices: a choice left at this point becomes ``Unknown`` naming its condition.

    ``what`` names the fact (``"encryption type"``) for the message; ``describe`` shows a branch's value.
    """
    if not isinstance(value, Choice):
        return value
    branches = _branches(value)
    shown = " or ".join(dict.fromkeys(describe(b) for b in branches))
    return Unknown(f"{value.why.reason}; the {what} is {shown} depending on it", value.why.resolve)


def _branches(value: Any) -> list[Any]:
    if isinstance(value, Choice):
        return _branches(value.if_true) + _branches(value.if_false)
    return [value]


def as_text(value: Any) -> Any:
    """CloudFormation compares and joins scalars as strings (``true``, ``3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def first_choice(value: Any) -> tuple[Choice, Any, Any] | None:
    """The first choice inside a value, with the value rebuilt once with each of its branches."""
    if isinstance(value, Choice):
        return value, value.if_true, value.if_false
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = first_choice(item)
            if found is not None:
                choice, t, f = found
                return choice, [*value[:i], t, *value[i + 1:]], [*value[:i], f, *value[i + 1:]]
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_choice(item)
            if found is not None:
                choice, t, f = found
                return choice, {**value, key: t}, {**value, key: f}
    return None


def first_unknown(value: Any) -> Unknown | None:
    """The first unknown inside a value: a function given an unknown argument gives that unknown."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return None
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None


def concat(parts: list[Any]) -> str | Deferred | Unknown:
    """Join string parts; any deferred part makes the whole deferred, keeping its placeholders and refs."""
    texts: list[str] = []
    deferred: list[Deferred] = []
    for part in parts:
        if isinstance(part, Deferred):
            deferred.append(part)
            texts.append(part.text)
        elif isinstance(part, str | int | float | bool):
            texts.append(str(as_text(part)))
        elif part is None:
            texts.append("")
        else:
            return Unknown(f"a list or mapping cannot be joined into a string: {part!r}")
    text = "".join(texts)
    if not deferred:
        return text
    refs = tuple(dict.fromkeys(r for d in deferred for r in d.refs))
    return Deferred(text, deferred[0].reason, deferred[0].resolve, refs, all(d.declared for d in deferred))


def derived(source: Deferred, text: str) -> Deferred:
    return Deferred(text, source.reason, source.resolve, source.refs, source.declared)
