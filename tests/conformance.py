"""The shared conformance corpus (``../shared/conformance``): other tools' own test inputs, with the verdict the
rulebook requires for each stream. It is not part of the repository, so its tests skip, with that reason, when it
is not beside the checkout; ``.ci/run`` sets ``SSEGUARD_CONFORMANCE=required`` so that there it must be found."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CASES_FILE = CORPUS / "cases.json"
ABSENT = f"the shared conformance corpus is not beside the repository ({CORPUS})"


def present() -> bool:
    """Whether the corpus is there; when it is required and missing, the caller's test fails instead of skipping."""
    if CASES_FILE.is_file():
        return True
    if os.environ.get("SSEGUARD_CONFORMANCE") == "required":
        pytest.fail(ABSENT + ", and SSEGUARD_CONFORMANCE=required")
    return False


def cases(kind: str) -> list[Any]:
    """One ``pytest.param`` per case of ``kind`` (terraform, cloudformation, aws-describe-stream), id'd by its file;
    without the corpus, one param that skips with the reason (each kind's ``count`` test fails when it is
    required)."""
    if not CASES_FILE.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="corpus-absent")]
    listed: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return [pytest.param(c, id=c["file"]) for c in listed if c.get("kind") == kind]


def count(kind: str) -> int:
    """How many cases of ``kind`` the corpus lists (the corpus must be present)."""
    listed: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return sum(1 for c in listed if c.get("kind") == kind)
