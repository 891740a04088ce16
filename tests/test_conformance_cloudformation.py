"""Every ``cloudformation`` case of the shared conformance corpus (../shared/conformance/cases.json), scanned on its
own as ``sseguard scan FILE`` does, gives exactly the expected status, code and advisories for each stream.

Skips cleanly when the corpus is not beside the repository.
"""

from __future__ import annotations

from typing import Any

import pytest

import conformance
from conformance import CORPUS as CONFORMANCE
from sseguard.options import ScanOptions
from sseguard.scan import scan_paths


def test_corpus_has_cloudformation_cases() -> None:
    if not conformance.present():
        pytest.skip(conformance.ABSENT)
    assert conformance.count("cloudformation") >= 20


@pytest.mark.parametrize("case", conformance.cases("cloudformation"))
def test_cloudformation_case(case: dict[str, Any]) -> None:
    path = CONFORMANCE / case["file"]
    report = scan_paths([path], ScanOptions(base=CONFORMANCE))
    got = {f.stream.address: (f.status.value, f.verdict.code, list(f.verdict.advisories)) for f in report.findings}
    expected = {e["resource"]: (e["status"], e["code"], e.get("advisories", [])) for e in case["expect"]}
    assert got == expected
    assert all(f.stream.location.kind.value == "cloudformation" for f in report.findings)
    if "Resources" in path.read_text(encoding="utf-8"):
        assert report.errors == []
        assert [(i.kind.value, i.location) for i in report.inputs] == [("cloudformation", case["file"])]
    else:
        # A file with no Resources section is no template (the Guard corpus's "empty" case): reported, not judged.
        assert [e.message for e in report.errors] == [
            "not a Terraform, plan, state, CloudFormation or describe-stream file"]
