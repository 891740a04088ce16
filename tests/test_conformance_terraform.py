"""The shared conformance corpus: every `terraform` case of ../shared/conformance/cases.json, each file scanned on
its own as `sseguard scan <file>`, gives exactly the expected findings (status, code, advisories)."""

from __future__ import annotations

from typing import Any

import pytest

import conformance
from conformance import CORPUS
from helpers import scan


@pytest.mark.parametrize("case", conformance.cases("terraform"))
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
    if not conformance.present():
        pytest.skip(conformance.ABSENT)
    assert conformance.count("terraform") >= 13
