"""JUnit XML: parsed back with xml.etree; one test case per stream, failures, skipped with reasons, input errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import report_cases as rc
from sseguard.report import FORMATS, RenderOptions
from sseguard.report.core import Report


def parse(report: Report) -> ET.Element:
    text = FORMATS["junit"](report, RenderOptions())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_counts_and_one_case_per_stream() -> None:
    root = parse(rc.report())
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "kinesis_stream_server_side_encryption_enabled"
    for el in (root, suite):
        assert (el.get("tests"), el.get("failures"), el.get("errors"), el.get("skipped")) == ("11", "5", "1", "3")
    assert suite.get("timestamp") == "2026-11-28T09:30:00Z"
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == [address for address, *_ in rc.EXPECTED] + ["broken/main.tf"]


def test_failure_skipped_and_passing_cases() -> None:
    by_name = cases(parse(rc.report()))
    plain = by_name["aws_kinesis_stream.plain"]
    assert (plain.get("classname"), plain.get("file"), plain.get("line")) == ("main.tf", "main.tf", "1")
    failure = plain.find("failure")
    assert failure is not None
    assert failure.get("type") == "KSSE001"
    assert failure.get("message") == ("KSSE001 encryption-missing: encryption type is not set; the default is NONE "
                                      "(no encryption)")
    assert failure.text is not None and "how to fix: Set encryption_type = \"KMS\"" in failure.text

    unknown = by_name["aws_kinesis_stream.from_var"]
    skipped = unknown.find("skipped")
    assert skipped is not None and unknown.find("failure") is None
    assert skipped.get("message") == ("unknown: KSSE020 unresolved: var.encryption has no value; to resolve: give "
                                      "--var encryption=KMS or a tfvars file")

    legacy = by_name["aws_kinesis_stream.legacy"]
    sup = legacy.find("skipped")
    assert sup is not None
    assert sup.get("message") == ("suppressed (sseguard, expires 2027-01-31): legacy stream, retired in Q1; finding: "
                                  "KSSE002 encryption type is 'none': records are stored unencrypted")

    managed = by_name["aws_kinesis_stream.managed"]
    assert managed.find("failure") is None and managed.find("skipped") is None
    out = managed.find("system-out")
    assert out is not None and "advisory KSSE010 aws-managed-key" in (out.text or "")
    orders = by_name["aws_kinesis_stream.orders"]
    assert list(orders) == []


def test_live_streams_are_classed_by_account_and_region() -> None:
    by_name = cases(parse(rc.report()))
    live = by_name[rc.LIVE_ARN]
    assert live.get("classname") == "111122223333/us-east-1"
    assert live.get("file") is None
    assert by_name[rc.DENIED_ARN].get("classname") == "111122223333/eu-west-1"
    skipped = by_name[rc.DENIED_ARN].find("skipped")
    assert skipped is not None and "AccessDeniedException" in (skipped.get("message") or "")


def test_input_error_is_an_error_case() -> None:
    case = cases(parse(rc.report()))["broken/main.tf"]
    assert (case.get("classname"), case.get("line")) == ("input errors", "3")
    error = case.find("error")
    assert error is not None
    assert error.get("message") == "unexpected token '}' (expected an attribute or block)"
    assert error.text == "broken/main.tf:3: unexpected token '}' (expected an attribute or block)"


def test_markup_and_control_characters_stay_well_formed() -> None:
    odd = 'aws_kinesis_stream.x["a\x01b</testcase>&"]'
    stream = replace(rc.streams()[0], address=odd)
    by_name = cases(parse(rc.report([stream], errors=[])))
    assert list(by_name) == ['aws_kinesis_stream.x["a\\x01b</testcase>&"]']
    script = cases(parse(rc.report()))[rc.SCRIPT_ADDRESS]
    assert script.find("failure") is not None
