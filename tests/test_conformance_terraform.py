"""The shared conformance corpus: every `terraform` case of ../shared/conformance/cases.json, each file scanned on
its own as `sseguard scan <file>`, gives exactly the expected findings (status, code, advisories)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import scan

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance"


def _cases() -> list[Any]:
    index = CORPUS / "cases.json"
    if not index.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"conformance corpus not found at {CORPUS}"),
                             id="corpus-absent")]
    cases = [c for c in json.loads(index.read_text(encoding="utf-8")) if c["kind"] == "terraform"]
    return [pytest.param(c, id=c["file"]) for c in cases]


CASES = _cases()


@pytest.mark.parametrize("case", CASES)
def test_terraform_case(case: dict[str, Any]) -> None:
    path = CORPUS / case["file"]
    run = scan(path)
    got = {f["resource"]["address"]: (f["status"], f["code"], f["advisories"]) for f in run.findings}
    expected = {e["resource"]: (e["status"], e["code"], e.get("advisories", [])) for e in case["expect"]}
    assert got == expected
    assert run.errors == []
    assert run.exit_code == (1 if any(e["status"] == "fail" for e in case["expect"]) else 0)
    for finding in run.findings:
        assert finding["source"]["path"] == path.name
        assert finding["source"]["kind"] == "terraform"


def test_the_corpus_has_terraform_cases() -> None:
    if not (CORPUS / "cases.json").is_file():
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    assert len(CASES) >= 13
