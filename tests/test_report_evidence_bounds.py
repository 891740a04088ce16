"""Evidence values are bounded: a report never echoes a whole file. Long strings are cut with their full length
noted; a parsed key policy stays whole up to KMS's own 32 KiB limit and is cut as text beyond it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sseguard.model import Key, KeyManager, KeyState, Location, SourceKind, Stream
from sseguard.options import ScanOptions
from sseguard.report import FORMATS, RenderOptions
from sseguard.report.core import Report, finding_dict
from sseguard.report.escape import EVIDENCE_TEXT_MAX, POLICY_TEXT_MAX
from sseguard.scan import judge, scan_paths

KEY = "alias/" + "k" * 1994  # 2000 characters
CUT = "alias/" + "k" * (EVIDENCE_TEXT_MAX - 6) + "… (cut: 2000 characters in all)"


def _describe_report(tmp_path: Path) -> Report:
    # NONE fails (KSSE002), so SARIF has a result to carry the evidence; the KeyId is still evidence.
    output = {"StreamDescriptionSummary": {"StreamName": "orders", "EncryptionType": "NONE", "KeyId": KEY,
                                           "StreamARN": "arn:aws:kinesis:eu-west-1:111122223333:stream/orders"}}
    (tmp_path / "orders.json").write_text(json.dumps(output), encoding="utf-8")
    return scan_paths([tmp_path], ScanOptions(base=tmp_path))


def test_long_values_are_cut_in_json_sarif_and_html(tmp_path: Path) -> None:
    report = _describe_report(tmp_path)
    evidence = json.loads(FORMATS["json"](report, RenderOptions()))["findings"][0]["evidence"]
    assert evidence["key_reference"] == CUT
    assert evidence["key"]["reference"] == CUT
    assert evidence["source_facts"]["KeyId"] == CUT
    assert evidence["source_facts"]["StreamName"] == "orders"
    assert len(CUT) == EVIDENCE_TEXT_MAX + len("… (cut: 2000 characters in all)")
    sarif = json.loads(FORMATS["sarif"](report, RenderOptions()))
    [result] = sarif["runs"][0]["results"]
    assert (result["ruleId"], result["properties"]["evidence"]["key_reference"]) == ("KSSE002", CUT)
    page = FORMATS["html"](report, RenderOptions())
    assert CUT in page and KEY not in page


def _policy(size: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "s" * size, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"}]}


def _with_policy(size: int) -> Stream:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key = Key(arn, arn=arn, region="eu-west-1", account="111122223333", manager=KeyManager.CUSTOMER,
              state=KeyState.ENABLED, policy=_policy(size))
    return Stream("aws_kinesis_stream.s", "aws_kinesis_stream", Location(SourceKind.TERRAFORM, "main.tf", 1), "KMS",
                  arn, key=key, region="eu-west-1")


def test_a_parsed_policy_is_kept_whole_up_to_the_kms_limit_and_cut_beyond() -> None:
    small = finding_dict(judge([_with_policy(1000)], ScanOptions())[0])["evidence"]["key"]["policy"]
    assert isinstance(small, dict) and small["Statement"][0]["Sid"] == "s" * 1000  # whole, strings not cut
    large = finding_dict(judge([_with_policy(POLICY_TEXT_MAX)], ScanOptions())[0])["evidence"]["key"]["policy"]
    whole = json.dumps(_policy(POLICY_TEXT_MAX), sort_keys=True, separators=(",", ":"))
    assert large == f"{whole[:EVIDENCE_TEXT_MAX]}… (cut: {len(whole)} characters in all)"
    assert large.startswith('{"Statement":[{"Action":"kms:*","Effect":"Allow","Principal"')
