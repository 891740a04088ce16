"""Every ``aws-describe-stream`` case of the shared conformance corpus gives exactly the expected verdict.

The corpus lives beside the repository (``../shared/conformance``); without it these tests are skipped.
"""

from __future__ import annotations

from typing import Any

import pytest

import conformance
from conformance import CORPUS
from sseguard.options import ScanOptions
from sseguard.scan import scan_paths


def test_corpus_has_describe_cases() -> None:
    if not conformance.present():
        pytest.skip(conformance.ABSENT)
    assert conformance.count("aws-describe-stream") >= 6


@pytest.mark.parametrize("case", conformance.cases("aws-describe-stream"))
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
