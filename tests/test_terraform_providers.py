"""The stream's region and its key's region: provider blocks, aliases (provider = aws.west), a region from a
variable, providers passed to modules, and --region for a provider that names none (KSSE011)."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan

EAST_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(TF / "providers")


def region(run: ScanRun, address: str) -> str | None:
    value: str | None = run.finding(address)["resource"]["region"]
    return value


def test_key_and_stream_in_the_default_provider_region(run: ScanRun) -> None:
    # the key has no policy: the default one delegates to the account but names no Kinesis principal
    assert run.verdict("aws_kinesis_stream.same_region") == ("pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 33)
    assert region(run, "aws_kinesis_stream.same_region") == "eu-west-1"
    assert run.evidence("aws_kinesis_stream.same_region")["key"]["region"] == "eu-west-1"


def test_a_stream_on_an_aliased_provider_with_a_key_of_the_default_one(run: ScanRun) -> None:
    address = "aws_kinesis_stream.alias_provider_mismatch"
    assert run.verdict(address) == ("fail", "KSSE011", ["KSSE013", "KSSE015"], "main.tf", 39)
    assert region(run, address) == "us-west-2"
    assert run.finding(address)["message"] == (
        "key aws_kms_key.eu.arn is in region eu-west-1, the stream is in us-west-2")
    assert run.evidence(address)["source_facts"]["provider"] == "aws.west"


def test_stream_and_key_on_the_same_aliased_provider(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.key_on_alias_provider") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 46)
    assert run.evidence("aws_kinesis_stream.key_on_alias_provider")["key"]["region"] == "us-west-2"


def test_a_key_arn_of_another_region(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.arn_other_region") == ("fail", "KSSE011", [], "main.tf", 53)
    assert run.finding("aws_kinesis_stream.arn_other_region")["message"] == (
        f"key {EAST_KEY} is in region us-east-1, the stream is in eu-west-1")
    assert run.verdict("aws_kinesis_stream.arn_same_region") == ("pass", "KSSE000", [], "main.tf", 59)
    # a key given by ARN is not declared here: its state and policy are not known, and the evidence says so
    not_run = run.evidence("aws_kinesis_stream.arn_same_region")["key_checks_not_run"]
    assert sorted(not_run) == ["KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016"]
    assert not_run["KSSE014"].startswith("a key given by ARN is not declared in the scanned files")


def test_a_provider_without_region_skips_the_region_check(run: ScanRun) -> None:
    address = "aws_kinesis_stream.no_region_provider"
    assert run.verdict(address) == ("pass", "KSSE000", [], "main.tf", 65)
    assert region(run, address) is None
    not_run = run.evidence(address)["key_checks_not_run"]
    assert not_run["KSSE011"] == "provider aws.noregion names no region: pass --region"


def test_a_provider_region_from_a_variable(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.by_var") == ("pass", "KSSE000", [], "main.tf", 72)
    assert region(run, "aws_kinesis_stream.by_var") == "ap-south-1"


def test_providers_passed_to_a_module(run: ScanRun) -> None:
    # the same module twice: with aws = aws.west its us-west-2 key matches; with the default provider it does not
    assert run.verdict("module.west_child.aws_kinesis_stream.child") == ("pass", "KSSE000", [], "child/main.tf", 1)
    assert region(run, "module.west_child.aws_kinesis_stream.child") == "us-west-2"
    assert run.verdict("module.default_child.aws_kinesis_stream.child") == ("fail", "KSSE011", [], "child/main.tf", 1)
    assert region(run, "module.default_child.aws_kinesis_stream.child") == "eu-west-1"


def test_region_option_applies_only_to_providers_that_name_none() -> None:
    run = scan(TF / "providers", args=["--region", "us-east-1"])
    assert region(run, "aws_kinesis_stream.no_region_provider") == "us-east-1"
    assert run.verdict("aws_kinesis_stream.no_region_provider") == ("pass", "KSSE000", [], "main.tf", 65)
    assert "KSSE011" not in run.evidence("aws_kinesis_stream.no_region_provider")["key_checks_not_run"]
    # providers with a region keep it
    assert region(run, "aws_kinesis_stream.arn_other_region") == "eu-west-1"
    assert run.verdict("aws_kinesis_stream.arn_other_region") == ("fail", "KSSE011", [], "main.tf", 53)


@pytest.mark.parametrize(("args", "verdict", "stream_region"), [
    ([], ("pass", "KSSE000", [], "main.tf", 1), None),
    (["--region", "us-east-1"], ("pass", "KSSE000", [], "main.tf", 1), "us-east-1"),
    (["--region", "eu-west-1"], ("fail", "KSSE011", [], "main.tf", 1), "eu-west-1"),
])
def test_no_provider_block_at_all(args: list[str], verdict: tuple[object, ...], stream_region: str | None) -> None:
    run = scan(TF / "providers_none", args=args)
    assert run.verdict("aws_kinesis_stream.no_provider_block") == verdict
    assert region(run, "aws_kinesis_stream.no_provider_block") == stream_region


def test_a_resource_level_region_overrides_the_provider() -> None:
    run = scan(TF / "resource_region")
    for key in ("eu-west-1", "us-east-1"):
        address = f'aws_kinesis_stream.per_region["{key}"]'
        assert run.verdict(address) == ("pass", "KSSE000", ["KSSE013", "KSSE015"], "main.tf", 21)
        assert region(run, address) == key
        assert run.evidence(address)["key"]["region"] == key
    assert run.verdict("aws_kinesis_stream.crossed") == ("fail", "KSSE011", ["KSSE013", "KSSE015"], "main.tf", 29)
    assert run.finding("aws_kinesis_stream.crossed")["message"] == (
        'key aws_kms_key.per_region["eu-west-1"].arn is in region eu-west-1, the stream is in us-east-1')
    assert run.verdict("aws_kinesis_stream.arn_in_resource_region") == ("pass", "KSSE000", [], "main.tf", 36)
    assert run.verdict("aws_kinesis_stream.unknown_region") == ("pass", "KSSE000", [], "main.tf", 43)
    assert run.evidence("aws_kinesis_stream.unknown_region")["key_checks_not_run"]["KSSE011"] == (
        "region = var.unset_region cannot be resolved: var.unset_region has no value in this root module")
