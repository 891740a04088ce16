"""How much work sseguard does for one Terraform expression: what a built-in function may produce or look at.

Terraform itself bounds almost nothing (``range()`` is the exception: 1,024 values), so a hostile or broken
configuration could make a scan build gigabytes or run for hours. Values nest at most ``safe_load.MAX_DEPTH`` levels
deep in what a function looks at. Past a limit, the expression is an evaluation
error, which makes the streams that depend on it ``unknown``, never a silent pass, and leaves the others alone.
"""

from __future__ import annotations

import reprlib
from typing import Any

from sseguard.sources.terraform.values import EvalError

MAX_TEXT_LENGTH = 1024 * 1024
"""Characters in a string a function produces, and in all the text one call writes (``formatlist``, ``regexall``)."""

MAX_ELEMENTS = 100_000
"""Elements of a list or map a function produces (all levels for ``flatten``, ``jsondecode``, ``yamldecode``)."""

MAX_VISITS = 250_000
"""Elements one call may look at inside its arguments. A list can hold the same big list many times over: its
size as Terraform sees it is far larger than the memory it takes, and walking it must stop early."""

MAX_MATCH_STEPS = 500_000_000
"""Steps of regular-expression matching one call may take, counted as RE2's worst case: the instructions of the
pattern (once more for each capture group, whose positions every step carries) for each byte a search may read.
RE2's time is linear in the text, but a search that finds its match near the start may still read to the end of the
text, and regexall() and replace() search again after every match."""


def too_large(what: str, limit: int, unit: str) -> EvalError:
    """The error for a value past one of sseguard's limits (to raise)."""
    return EvalError(f"{what} would be larger than {limit:,} {unit} (sseguard's limit)")


def check_text(text: str, what: str = "the result") -> str:
    """``text`` when it is within MAX_TEXT_LENGTH characters; else the limit's error."""
    if len(text) > MAX_TEXT_LENGTH:
        raise too_large(what, MAX_TEXT_LENGTH, "characters")
    return text


def check_count(count: int, what: str = "the result") -> None:
    """Raise the limit's error when ``count`` elements are more than MAX_ELEMENTS."""
    if count > MAX_ELEMENTS:
        raise too_large(what, MAX_ELEMENTS, "elements")


class _Shown(reprlib.Repr):
    """reprlib's short repr, with huge integers described: Python refuses to print one of over 4,300 digits."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 60
        self.maxlist = self.maxdict = 4

    def repr_int(self, x: int, level: int) -> str:
        return f"a {x.bit_length()}-bit number" if x.bit_length() > 200 else super().repr_int(x, level)


_SHOWN = _Shown()


def shown(value: Any) -> str:
    """A value as a message quotes it, cut short: a message stays one readable line whatever the input."""
    return _SHOWN.repr(value)
