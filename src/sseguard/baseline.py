"""The baseline: today's failing and unknown findings, accepted so that only new ones fail the run.

An entry is keyed by file, address, root and code. The file is part of the key on purpose: Checkov's baseline keys
on address and check id alone, so a violation in an unrelated file with the same address is absorbed
(checkov#7647); here a stream moved to another file is a new finding. A baselined finding keeps its verdict and
is shown with status ``baselined``; it never fails the run. An entry nothing matches any more is reported as fixed,
and writing the baseline again drops it. The file is sorted and has no timestamps, so its diffs review well.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sseguard.model import Finding, Status

SCHEMA = "sseguard/baseline/v1"
_KEYS = ("file", "address", "root", "code")
_ACCEPTED = (Status.FAIL, Status.UNKNOWN, Status.BASELINED)


class BaselineError(ValueError):
    """The baseline file cannot be read or written; the message names the file (and the line)."""


@dataclass(frozen=True, order=True)
class Entry:
    """One accepted finding: where it is (a file, or an ARN for a live stream), its address, root and code."""

    file: str
    address: str
    root: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "address": self.address, "root": self.root, "code": self.code}


@dataclass(frozen=True)
class Applied:
    """What a baseline did to a report: the file, how many findings it accepted, and its entries that no finding
    matches any more (fixed since)."""

    file: str
    baselined: int
    fixed: tuple[Entry, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "baselined": self.baselined, "fixed": [e.as_dict() for e in self.fixed]}


def entry_of(f: Finding) -> Entry:
    """A finding's key in a baseline."""
    loc = f.stream.location
    return Entry(loc.path or f.stream.arn or "", f.stream.address, loc.root or "", f.verdict.code)


def load(path: Path) -> list[Entry]:
    """The entries of a baseline file; a file that is not one is a ``BaselineError`` naming it (and the line)."""
    shown = os.fspath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BaselineError(f"baseline {shown}: cannot be read: {getattr(err, 'strerror', None) or err}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise BaselineError(f"baseline {shown}:{err.lineno}: not JSON ({err.msg})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"baseline {shown}: not an sseguard baseline (write one with --write-baseline)")
    entries = []
    for index, item in enumerate(doc["findings"]):
        if not isinstance(item, dict) or set(item) != set(_KEYS) or not all(isinstance(item[k], str) for k in _KEYS):
            raise BaselineError(f"baseline {shown}: finding {index + 1} is not {{file, address, root, code}} text")
        entries.append(Entry(item["file"], item["address"], item["root"], item["code"]))
    return entries


def apply(findings: list[Finding], entries: Iterable[Entry], file: str) -> tuple[list[Finding], Applied]:
    """The findings with those the baseline accepts marked ``baselined``, and what the baseline did."""
    wanted = set(entries)
    matched: set[Entry] = set()
    out = []
    for f in findings:
        key = entry_of(f)
        if f.status in (Status.FAIL, Status.UNKNOWN) and key in wanted:
            matched.add(key)
            f = replace(f, status=Status.BASELINED)
        out.append(f)
    fixed = tuple(sorted(wanted - matched))
    return out, Applied(file, sum(1 for f in out if f.status is Status.BASELINED), fixed)


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Write the failing and unknown findings (and those already baselined) as the baseline; how many."""
    entries = sorted({entry_of(f) for f in findings if f.status in _ACCEPTED})
    doc = {"schema": SCHEMA, "findings": [e.as_dict() for e in entries]}
    try:
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as err:
        raise BaselineError(f"baseline {os.fspath(path)}: cannot be written: {err.strerror or err}") from None
    return len(entries)
