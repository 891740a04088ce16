"""Every ``aws-describe-stream`` case of the shared conformance corpus gives exactly the expected verdict.

The corpus lives beside the repository (``../shared/conformance``); without it these tests are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sseguard.options import ScanOptions
from sseguard.scan import scan_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CASES_FILE = CORPUS / "cases.json"


def _cases() -> list[dict[str, Any]]:
    if not CASES_FILE.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return [c for c in cases if c.get("kind") == "aws-describe-stream"]


CASES = _cases()


@pytest.mark.skipif(not CASES_FILE.is_file(), reason=f"conformance corpus not found at {CORPUS}")
def test_corpus_has_describe_cases() -> None:
    assert CASES, "cases.json lists no aws-describe-stream case"


@pytest.mark.skipif(not CASES_FILE.is_file(), reason=f"conformance corpus not found at {CORPUS}")
@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_describe_case(case: dict[str, Any]) -> None:
    path = CORPUS / case["file"]
    report = scan_paths([path], ScanOptions(base=CORPUS)).to_dict()
    assert report["errors"] == []
    assert report["inputs"] == [{"kind": "aws-describe-stream", "location": case["file"]}]
    got = {
        f["resource"]["address"]: (f["status"], f["code"], f["advisories"]) for f in report["findings"]
    }
    want = {e["resource"]: (e["status"], e["code"], e.get("advisories", [])) for e in case["expect"]}
    assert got == want
    for finding in report["findings"]:
        # resources are named by StreamDescription(Summary).StreamName; the ARN is kept beside it
        assert finding["resource"]["arn"].endswith(":stream/" + finding["resource"]["address"])
