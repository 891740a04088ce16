"""Functions beyond the common ones, as configurations use them to compute streams: yamldecode(file(...)) tables,
conditions built with alltrue/anytrue/regexall, set arithmetic in for_each, hashes in names, and a key only known
after apply that passes through a function."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(TF / "functions")


def test_streams_from_a_yaml_table(run: ScanRun) -> None:
    assert run.verdict('aws_kinesis_stream.from_yaml["clicks"]') == ("pass", "KSSE000", [], "main.tf", 6)
    assert run.evidence('aws_kinesis_stream.from_yaml["clicks"]')["key_reference"] == "alias/clicks"
    assert run.verdict('aws_kinesis_stream.from_yaml["logs"]') == ("fail", "KSSE002", [], "main.tf", 6)
    assert run.evidence('aws_kinesis_stream.from_yaml["logs"]')["key_reference"] is None


def test_conditions_from_list_and_regex_functions(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.conditions") == ("pass", "KSSE000", [], "main.tf", 13)
    assert run.evidence("aws_kinesis_stream.conditions")["key_reference"] == "alias/abc-3"


def test_set_arithmetic_in_for_each(run: ScanRun) -> None:
    assert [a for a in run.addresses() if ".sets[" in a] == ['aws_kinesis_stream.sets["a"]',
                                                             'aws_kinesis_stream.sets["c"]']
    assert run.verdict('aws_kinesis_stream.sets["a"]') == ("pass", "KSSE000", [], "main.tf", 19)
    assert run.evidence('aws_kinesis_stream.sets["a"]')["key_reference"] == "alias/a-0cc175"


def test_a_key_reference_through_format_is_still_followed(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.computed_through_function") == (
        "fail", "KSSE014", ["KSSE013", "KSSE015"], "main.tf", 26)
    ev = run.evidence("aws_kinesis_stream.computed_through_function")
    assert ev["key_reference"] == "format(...)"
    assert ev["key"]["declared_at"] == "aws_kms_key.k"


def test_regular_expressions_follow_go(run: ScanRun) -> None:
    # replace() expands ${name} and $2 as Go does; regex() with named groups is an object; regexall() drops the
    # empty match right after "aaa" (Python's re would count three matches)
    assert run.verdict("aws_kinesis_stream.go_regexp_semantics") == ("pass", "KSSE000", [], "main.tf", 37)
    assert run.evidence("aws_kinesis_stream.go_regexp_semantics")["encryption_type"] == "KMS"
    assert run.evidence("aws_kinesis_stream.go_regexp_semantics")["key_reference"] == "alias/orders-2"


def test_range_format_and_substr_follow_terraform(run: ScanRun) -> None:
    # range(3, 0) counts down; %03d pads; substr with a negative offset and length 0 is the rest of the string
    assert run.verdict("aws_kinesis_stream.terraform_number_semantics") == ("pass", "KSSE000", [], "main.tf", 43)
    assert run.evidence("aws_kinesis_stream.terraform_number_semantics")["key_reference"] == "alias/007-321-abc"
