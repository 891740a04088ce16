"""count and for_each: one finding per instance with Terraform's instance address; count 0 or an empty for_each
creates no stream; an expansion that cannot be known is judged once for every instance and says so."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(TF / "count_for_each")


def test_instances_and_their_addresses(run: ScanRun) -> None:
    assert run.addresses() == [
        'aws_kinesis_stream.by_map["orders"]', 'aws_kinesis_stream.by_map["payments"]',
        'aws_kinesis_stream.by_set["a"]', 'aws_kinesis_stream.by_set["b"]',
        "aws_kinesis_stream.count_unknown", "aws_kinesis_stream.count_unknown_pass",
        "aws_kinesis_stream.counted[0]", "aws_kinesis_stream.counted[1]",
        'aws_kinesis_stream.filtered["orders"]',
    ]


def test_count_index(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.counted[0]") == ("pass", "KSSE000", [], "main.tf", 18)
    assert run.evidence("aws_kinesis_stream.counted[0]")["key_reference"] == "alias/counted-0"
    assert run.verdict("aws_kinesis_stream.counted[1]") == ("fail", "KSSE002", [], "main.tf", 18)


def test_for_each_over_a_map_of_objects(run: ScanRun) -> None:
    assert run.verdict('aws_kinesis_stream.by_map["orders"]') == ("pass", "KSSE000", [], "main.tf", 30)
    assert run.evidence('aws_kinesis_stream.by_map["orders"]')["key_reference"] == "alias/orders"
    assert run.verdict('aws_kinesis_stream.by_map["payments"]') == ("fail", "KSSE002", [], "main.tf", 30)


def test_for_each_over_a_set_uses_each_value(run: ScanRun) -> None:
    assert run.verdict('aws_kinesis_stream.by_set["a"]') == ("pass", "KSSE000", [], "main.tf", 37)
    assert run.evidence('aws_kinesis_stream.by_set["a"]')["key_reference"] == "alias/a"
    assert run.evidence('aws_kinesis_stream.by_set["b"]')["key_reference"] == "alias/b"


def test_for_each_over_a_filtered_for_expression(run: ScanRun) -> None:
    assert run.verdict('aws_kinesis_stream.filtered["orders"]') == ("pass", "KSSE000", [], "main.tf", 49)


def test_count_zero_and_empty_for_each_make_no_finding(run: ScanRun) -> None:
    names = {a.split("[")[0] for a in run.addresses()}
    assert "aws_kinesis_stream.count_zero" not in names
    assert "aws_kinesis_stream.empty_for_each" not in names


def test_an_unknown_count_is_judged_once_for_every_instance(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.count_unknown") == ("fail", "KSSE002", [], "main.tf", 56)
    assert run.verdict("aws_kinesis_stream.count_unknown_pass") == ("pass", "KSSE000", [], "main.tf", 62)
    facts = run.evidence("aws_kinesis_stream.count_unknown")["source_facts"]
    assert facts["instances"] == ("count = var.unknown_count cannot be resolved: var.unknown_count has no value in "
                                  "this root module; judged once for every instance")


def test_a_count_given_on_the_command_line() -> None:
    run = scan(TF / "count_for_each", args=["--var", "unknown_count=2", "--var", "create=true"])
    assert run.verdict("aws_kinesis_stream.count_unknown[1]") == ("fail", "KSSE002", [], "main.tf", 56)
    assert run.verdict("aws_kinesis_stream.count_unknown_pass[0]") == ("pass", "KSSE000", [], "main.tf", 62)
    assert run.verdict("aws_kinesis_stream.count_zero[0]") == ("fail", "KSSE001", [], "main.tf", 25)
    assert len(run.findings) == 12
