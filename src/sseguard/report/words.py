"""Counts in words: ``1 problem``, ``2 problems``."""

from __future__ import annotations


def noun_for(number: int, noun: str, plural: str | None = None) -> str:
    """``noun`` as it reads after ``number``: the plural (``plural``, else an added s) unless the number is 1."""
    return noun if number == 1 else (plural or noun + "s")


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun`` in the form it calls for: ``1 row``, ``0 rows``, ``2 rows``."""
    return f"{number} {noun_for(number, noun, plural)}"
