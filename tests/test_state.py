"""Terraform state source: a real state (raw ``terraform.tfstate`` v4 and ``terraform show -json`` of it, made by
tests/fixtures/plan/generate.py) and a hand-written raw state for what the real one does not show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import run_module, scan_file
from sseguard.sources import describe_stream, file_sources, plan, state

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "state"
RAW = FIXTURES / "real" / "terraform.tfstate"
SHOW = FIXTURES / "real" / "show.json"
HAND = FIXTURES / "hand" / "hand.tfstate"


# address -> (status, code, advisories, line in the raw state)
REAL_EXPECTED = {
    "aws_kinesis_stream.by_data": ("pass", "KSSE000", ["KSSE013", "KSSE015"], 45),
    "aws_kinesis_stream.cbd": ("pass", "KSSE000", ["KSSE010"], 82),
    "aws_kinesis_stream.gone": ("fail", "KSSE002", [], 115),
    "aws_kinesis_stream.keep": ("pass", "KSSE000", ["KSSE013", "KSSE015"], 147),
    "aws_kinesis_stream.on_off": ("fail", "KSSE014", ["KSSE013", "KSSE015"], 182),
    "aws_kinesis_stream.plain": ("fail", "KSSE002", [], 217),
    "aws_kinesis_stream.renamed": ("pass", "KSSE000", ["KSSE013", "KSSE015"], 249),
    "aws_kinesis_stream.west": ("pass", "KSSE000", ["KSSE013", "KSSE015"], 285),
    'module.fleet["x"].aws_kinesis_stream.s[0]': ("pass", "KSSE000", ["KSSE013", "KSSE015"], 451),
    'module.fleet["y"].aws_kinesis_stream.s[0]': ("pass", "KSSE000", ["KSSE013", "KSSE015"], 522),
}


@pytest.fixture(scope="module", params=["raw", "show"])
def real(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, scan_file(RAW if request.param == "raw" else SHOW)


def test_every_stream_of_the_real_state(real: tuple[str, dict[str, Any]]) -> None:
    kind, report = real
    got = {a: (f["status"], f["code"], f["advisories"], f["source"]["line"]) for a, f in report["by_address"].items()}
    if kind == "raw":
        assert got == REAL_EXPECTED
    else:  # terraform show -json writes one line
        assert got == {a: (*e[:3], 1) for a, e in REAL_EXPECTED.items()}
    assert report["errors"] == []
    shown = "tests/fixtures/state/real/" + ("terraform.tfstate" if kind == "raw" else "show.json")
    assert report["inputs"] == [{"kind": "state", "location": shown}]
    assert {f["source"]["kind"] for f in report["findings"]} == {"state"}


def test_region_account_and_arn_come_from_the_stream_arn(real: tuple[str, dict[str, Any]]) -> None:
    west = real[1]["by_address"]["aws_kinesis_stream.west"]["resource"]
    assert west == {"address": "aws_kinesis_stream.west", "type": "aws_kinesis_stream",
                    "arn": "arn:aws:kinesis:us-west-2:123456789012:stream/west", "region": "us-west-2",
                    "account": "123456789012"}


def test_keys_in_the_same_state_are_resolved(real: tuple[str, dict[str, Any]]) -> None:
    by = real[1]["by_address"]
    renamed = by["aws_kinesis_stream.renamed"]["evidence"]
    assert renamed["key_reference"] == "alias/existing"
    assert renamed["key"]["declared_at"] == "aws_kms_alias.existing -> aws_kms_key.existing"
    assert renamed["key"]["policy_origin"] == "the policy of aws_kms_key.existing"
    off = by["aws_kinesis_stream.on_off"]["evidence"]["key"]
    assert (off["declared_at"], off["state"]) == ("aws_kms_key.off", "Disabled")
    # a key ARN a data source gave: the managed key of the same ARN holds its policy
    assert by["aws_kinesis_stream.by_data"]["evidence"]["key"]["declared_at"] == "aws_kms_key.existing"
    fleet = by['module.fleet["x"].aws_kinesis_stream.s[0]']["evidence"]["key"]
    assert fleet["declared_at"] == 'module.fleet["x"].aws_kms_key.k'


def test_hand_state_addresses_lines_and_verdicts() -> None:
    report = scan_file(HAND)
    got = {a: (f["status"], f["code"], f["advisories"], f["source"]["line"], f["resource"]["region"])
           for a, f in report["by_address"].items()}
    assert got == {
        'module.a["x"].aws_kinesis_stream.s["k"]': ("fail", "KSSE012", ["KSSE013"], 16, "us-west-2"),
        'module.a["x"].aws_kinesis_stream.s["old"]': ("fail", "KSSE002", [], 29, "us-west-2"),
        "aws_kinesis_stream.by_id[0]": ("fail", "KSSE014", ["KSSE013"], 125, "us-east-1"),
        "aws_kinesis_stream.cross_region_alias": ("fail", "KSSE011", [], 139, "us-east-1"),
        "aws_kinesis_stream.old_provider": ("unknown", "KSSE020", [], 159, None),
    }
    # the deposed copy of s["k"] is not a second stream
    assert len(report["findings"]) == 5


def test_alias_in_a_module_resolves_to_its_key() -> None:
    evidence = scan_file(HAND)["by_address"]['module.a["x"].aws_kinesis_stream.s["k"]']["evidence"]
    assert evidence["key"]["declared_at"] == 'module.a["x"].aws_kms_alias.app -> module.a["x"].aws_kms_key.app'
    assert evidence["key"]["region"] == "us-west-2"


def test_missing_encryption_type_is_unknown_not_none() -> None:
    finding = scan_file(HAND, region="eu-north-1")["by_address"]["aws_kinesis_stream.old_provider"]
    assert finding["evidence"]["encryption_type"]["code"] == "KSSE020"
    assert "no encryption_type" in finding["message"]
    assert finding["resource"]["region"] == "eu-north-1"


def test_cli_and_bad_state() -> None:
    code, report = run_module(str(RAW))
    assert code == 1 and len(report["findings"]) == 10
    code, report = run_module(str(FIXTURES / "hand" / "truncated.tfstate"))
    assert code == 2
    assert report["inputs"] == [] and report["findings"] == []
    assert len(report["errors"]) == 1
    assert report["errors"][0]["message"].startswith("invalid JSON: ")
    assert report["errors"][0]["line"] == 7


def test_sniff() -> None:
    for path in (RAW, SHOW, HAND):
        head = path.read_bytes()[:4096]
        assert state.sniff(path, head)
        assert not plan.sniff(path, head)
        assert not describe_stream.sniff(path, head)
    real_plan = REPO / "tests" / "fixtures" / "plan" / "real" / "plan.json"
    assert not state.sniff(real_plan, real_plan.read_bytes()[:4096])
    # plan, then state, then describe, with CloudFormation last
    order = [m.__name__.rsplit(".", 1)[-1] for m in file_sources()]
    assert order[:3] == ["plan", "state", "describe_stream"] and order[-1] == "cloudformation"


def test_a_stream_whose_instances_are_not_a_list_is_unknown_not_dropped() -> None:
    report = scan_file(FIXTURES / "hand" / "instances_null.tfstate")
    assert report["errors"] == []
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.s", "unknown", "KSSE020", 8)]
    assert report["findings"][0]["message"].startswith("the state has no encryption_type for aws_kinesis_stream.s")


def test_json_that_only_mentions_state_keys_is_no_input_in_a_folder(tmp_path: Path) -> None:
    # a schema that names show -json's keys, nested, is not a state; a raw state (terraform state pull) without
    # resources is one, damaged
    (tmp_path / "state.schema.json").write_text(
        '{"properties": {"format_version": {"type": "string"}, "values": {"type": "object"}}}\n')
    (tmp_path / "pulled.json").write_text('{"version": 4, "terraform_version": "1.9.8", "resources": {}}\n')
    code, report = run_module(str(tmp_path))
    assert report["errors"] == [{"location": str(tmp_path / "pulled.json"), "line": None,
                                 "message": "not a Terraform state: expected terraform show -json output or a "
                                            "version 4 terraform.tfstate"}]
    assert (code, report["findings"], report["inputs"]) == (2, [], [])
