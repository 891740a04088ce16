"""Terraform plan JSON source: real ``terraform show -json`` plans (made by tests/fixtures/plan/generate.py with
Terraform 1.11 and the AWS provider 5.100 against moto) and hand-written plans in the same shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import run_module, scan_file
from sseguard.sources import file_sources, plan, state
from sseguard.sources.tfjson_common import PLAN_SKIPPED, TerraformJsonError, load_terraform_json

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "plan"
REAL = FIXTURES / "real" / "plan.json"
CREATES = FIXTURES / "real" / "creates.json"
HAND = FIXTURES / "hand"


# address -> (status, code, advisories, actions) for every stream of the real plan
REAL_EXPECTED = {
    "aws_kinesis_stream.by_data": ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["no-op"]),
    "aws_kinesis_stream.cbd": ("pass", "KSSE000", ["KSSE010"], ["create", "delete"]),
    "aws_kinesis_stream.cross_region": ("fail", "KSSE011", ["KSSE013", "KSSE015"], ["create"]),
    "aws_kinesis_stream.explicit_none": ("fail", "KSSE002", [], ["create"]),
    "aws_kinesis_stream.good_cmk": ("pass", "KSSE000", ["KSSE015"], ["create"]),
    "aws_kinesis_stream.imported": ("fail", "KSSE005", [], ["no-op"]),
    "aws_kinesis_stream.keep": ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["no-op"]),
    "aws_kinesis_stream.kms_no_key": ("fail", "KSSE003", [], ["create"]),
    "aws_kinesis_stream.omitted": ("fail", "KSSE001", [], ["create"]),
    "aws_kinesis_stream.on_deny": ("fail", "KSSE012", ["KSSE013", "KSSE015"], ["create"]),
    "aws_kinesis_stream.on_disabled": ("fail", "KSSE014", ["KSSE013", "KSSE015"], ["create"]),
    "aws_kinesis_stream.on_off": ("fail", "KSSE014", ["KSSE013", "KSSE015"], ["no-op"]),
    "aws_kinesis_stream.opaque_key": ("unknown", "KSSE020", [], ["create"]),
    "aws_kinesis_stream.plain": ("pass", "KSSE000", ["KSSE010"], ["update"]),
    "aws_kinesis_stream.renamed": ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["delete", "create"]),
    "aws_kinesis_stream.via_alias": ("pass", "KSSE000", ["KSSE015"], ["create"]),
    "aws_kinesis_stream.west": ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["no-op"]),
    "aws_kinesis_stream.west_new": ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["create"]),
    'module.fleet["x"].aws_kinesis_stream.s[0]': ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["no-op"]),
    'module.fleet["y"].aws_kinesis_stream.s[0]': ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["no-op"]),
    'module.fleet["z"].aws_kinesis_stream.s[0]': ("pass", "KSSE000", ["KSSE013", "KSSE015"], ["create"]),
}


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    return scan_file(REAL)


@pytest.mark.parametrize("address", sorted(REAL_EXPECTED))
def test_real_plan_stream(real: dict[str, Any], address: str) -> None:
    status, code, advisories, actions = REAL_EXPECTED[address]
    finding = real["by_address"][address]
    assert (finding["status"], finding["code"], finding["advisories"]) == (status, code, advisories)
    assert finding["evidence"]["source_facts"]["actions"] == actions
    # terraform show -json writes one line
    assert finding["source"] == {"kind": "plan", "path": "tests/fixtures/plan/real/plan.json", "line": 1,
                                 "end_line": None}


def test_real_plan_has_every_stream_but_the_deleted_one(real: dict[str, Any]) -> None:
    assert set(real["by_address"]) == set(REAL_EXPECTED)
    assert "aws_kinesis_stream.gone" not in real["by_address"]
    assert real["summary"] == {"pass": 12, "fail": 8, "unknown": 1, "suppressed": 0}
    assert real["inputs"] == [{"kind": "plan", "location": "tests/fixtures/plan/real/plan.json"}]
    assert real["errors"] == []


def test_omitted_encryption_type_is_missing_although_after_shows_none(real: dict[str, Any]) -> None:
    evidence = real["by_address"]["aws_kinesis_stream.omitted"]["evidence"]
    assert evidence["encryption_type"] is None
    assert evidence["source_facts"]["after.encryption_type"] == "NONE"
    assert evidence["source_facts"]["configuration.encryption_type"] == "omitted"
    explicit = real["by_address"]["aws_kinesis_stream.explicit_none"]["evidence"]
    assert explicit["encryption_type"] == "NONE"


def test_import_of_stream_whose_configuration_omits_encryption(real: dict[str, Any]) -> None:
    finding = real["by_address"]["aws_kinesis_stream.imported"]
    assert finding["evidence"]["importing"] is True
    assert "terraform plan shows no drift" in finding["message"]
    assert finding["resource"]["arn"] == "arn:aws:kinesis:us-east-1:123456789012:stream/legacy-import"


def test_unknown_key_through_a_key_resource_reference(real: dict[str, Any]) -> None:
    finding = real["by_address"]["aws_kinesis_stream.on_disabled"]
    key = finding["evidence"]["key"]
    assert finding["evidence"]["key_reference"] == "aws_kms_key.disabled_key.arn"
    assert finding["evidence"]["source_facts"]["after.kms_key_id"] == "(known after apply)"
    assert (key["state"], key["declared_at"], key["manager"]) == ("Disabled", "aws_kms_key.disabled_key", "CUSTOMER")


def test_planned_policy_of_a_referenced_key(real: dict[str, Any]) -> None:
    deny = real["by_address"]["aws_kinesis_stream.on_deny"]["evidence"]
    assert deny["key_reference"] == "aws_kms_key.deny_key.key_id"
    assert deny["key"]["policy_origin"] == "the policy of aws_kms_key.deny_key"
    assert deny["key"]["policy"]["Statement"][0]["Sid"] == "AdminOnly"
    good = real["by_address"]["aws_kinesis_stream.good_cmk"]["evidence"]["key"]
    assert good["state"] == "Enabled" and good["policy"]["Statement"][1]["Sid"] == "Kinesis"


def test_key_with_no_policy_gets_the_default_policy(real: dict[str, Any]) -> None:
    key = real["by_address"]['module.fleet["z"].aws_kinesis_stream.s[0]']["evidence"]["key"]
    assert key["declared_at"] == 'module.fleet["z"].aws_kms_key.k'
    assert key["policy_origin"].startswith("the default key policy")
    assert key["policy"]["Statement"][0]["Action"] == "kms:*"


def test_alias_reference_resolves_to_its_target_key(real: dict[str, Any]) -> None:
    via = real["by_address"]["aws_kinesis_stream.via_alias"]["evidence"]
    assert via["key_reference"] == "aws_kms_alias.good.arn"
    assert via["key"]["declared_at"] == "aws_kms_alias.good -> aws_kms_key.good"
    renamed = real["by_address"]["aws_kinesis_stream.renamed"]["evidence"]
    assert renamed["key_reference"] == "alias/existing"
    assert renamed["key"]["declared_at"] == "aws_kms_alias.existing -> aws_kms_key.existing"
    assert renamed["key"]["arn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_regions_from_provider_alias_variable_and_arn(real: dict[str, Any]) -> None:
    by = real["by_address"]
    assert by["aws_kinesis_stream.west_new"]["resource"]["region"] == "us-west-2"
    assert by["aws_kinesis_stream.west"]["resource"]["account"] == "123456789012"
    cross = by["aws_kinesis_stream.cross_region"]
    assert (cross["resource"]["region"], cross["evidence"]["key"]["region"]) == ("us-east-1", "us-west-2")


def test_provider_region_variable_is_read_from_the_plan(tmp_path: Path) -> None:
    data = json.loads(REAL.read_text())
    data["variables"]["west_region"]["value"] = "eu-west-3"
    copy = tmp_path / "plan.json"
    copy.write_text(json.dumps(data))
    by = scan_file(copy)["by_address"]
    # both the new stream and its new key sit on provider aws.west, whose region is var.west_region
    new = by["aws_kinesis_stream.west_new"]
    assert (new["resource"]["region"], new["evidence"]["key"]["region"]) == ("eu-west-3", "eu-west-3")
    # an existing stream's ARN still says where it is
    assert by["aws_kinesis_stream.west"]["resource"]["region"] == "us-west-2"


@pytest.fixture(scope="module")
def creates() -> dict[str, Any]:
    return scan_file(CREATES)


def test_count_index_reference_picks_the_streams_own_key(creates: dict[str, Any]) -> None:
    by = creates["by_address"]
    first, second = by["aws_kinesis_stream.indexed[0]"], by["aws_kinesis_stream.indexed[1]"]
    assert (first["status"], first["code"], first["advisories"]) == ("pass", "KSSE000", ["KSSE013", "KSSE015"])
    assert (second["status"], second["code"]) == ("fail", "KSSE014")
    assert second["evidence"]["key_reference"] == "aws_kms_key.k[1]"
    assert second["evidence"]["key"]["declared_at"] == "aws_kms_key.k[1]"


def test_each_key_reference_picks_the_streams_own_key(creates: dict[str, Any]) -> None:
    by = creates["by_address"]
    assert (by['aws_kinesis_stream.byname["a"]']["status"], by['aws_kinesis_stream.byname["a"]']["code"]) == \
        ("pass", "KSSE000")
    b = by['aws_kinesis_stream.byname["b"]']
    assert (b["status"], b["code"], b["evidence"]["key_reference"]) == ("fail", "KSSE014", 'aws_kms_key.byname["b"]')


def test_reference_to_one_of_several_key_instances_is_a_given_key(creates: dict[str, Any]) -> None:
    finding = creates["by_address"]["aws_kinesis_stream.ambiguous"]
    assert (finding["status"], finding["code"], finding["advisories"]) == ("pass", "KSSE000", [])
    skipped = finding["evidence"]["key_checks_not_run"]
    assert sorted(skipped) == ["KSSE011", "KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016"]
    assert skipped["KSSE014"] == "aws_kms_key.k has 2 instances and the configuration does not say which one"


def test_encryption_type_unknown_until_apply(creates: dict[str, Any]) -> None:
    finding = creates["by_address"]["aws_kinesis_stream.enc_unknown"]
    assert (finding["status"], finding["code"]) == ("unknown", "KSSE020")
    assert "terraform_data.enc.output" in finding["message"]


def test_module_own_provider_region_from_module_argument(creates: dict[str, Any]) -> None:
    finding = creates["by_address"]["module.legacy.aws_kinesis_stream.s"]
    assert (finding["status"], finding["code"]) == ("fail", "KSSE011")
    assert finding["resource"]["region"] == "ap-southeast-2"
    assert finding["evidence"]["key"]["region"] == "eu-west-1"


def test_provider_without_region_needs_region_option(creates: dict[str, Any]) -> None:
    finding = creates["by_address"]["aws_kinesis_stream.indexed[0]"]
    assert finding["resource"]["region"] is None
    assert "pass --region" in finding["evidence"]["region"]["not_known"]
    assert "pass --region" in finding["evidence"]["key_checks_not_run"]["KSSE011"]
    with_region = scan_file(CREATES, region="us-east-2")["by_address"]["aws_kinesis_stream.indexed[0]"]
    assert with_region["resource"]["region"] == "us-east-2"
    assert "key_checks_not_run" not in with_region["evidence"]


def test_case_insensitive_types_and_lines_of_a_pretty_plan() -> None:
    by = scan_file(HAND / "case_insensitive.json")["by_address"]
    got = {a: (f["status"], f["code"], f["source"]["line"], f["resource"]["region"]) for a, f in by.items()}
    assert got == {
        "aws_kinesis_stream.lower_kms": ("pass", "KSSE000", 11, "eu-west-1"),
        "aws_kinesis_stream.lower_none": ("fail", "KSSE002", 46, "eu-west-1"),
        "aws_kinesis_stream.invalid": ("fail", "KSSE004", 80, "eu-west-1"),
        "aws_kinesis_stream.null_var": ("fail", "KSSE001", 115, "eu-west-1"),
    }


def test_plan_without_configuration_falls_back_on_planned_values() -> None:
    report = scan_file(HAND / "no_configuration.json")
    got = {a: (f["status"], f["code"], f["source"]["line"], f["resource"]["region"])
           for a, f in report["by_address"].items()}
    assert got == {
        'module.a["x"].aws_kinesis_stream.s[0]': ("fail", "KSSE002", 6, None),
        'module.a["x"].aws_kinesis_stream.s[1]': ("fail", "KSSE011", 26, "eu-west-1"),
        "aws_kinesis_stream.unknown_key": ("unknown", "KSSE020", 52, None),
        # its key is being destroyed by this plan: KMS schedules it for deletion
        "aws_kinesis_stream.doomed_key": ("fail", "KSSE014", 65, "eu-west-1"),
    }
    assert report["by_address"]["aws_kinesis_stream.doomed_key"]["evidence"]["key"]["state"] == "PendingDeletion"
    # the "forget" change (a removed block that keeps the stream) leaves nothing to judge in the plan
    assert "aws_kinesis_stream.leaving" not in report["by_address"]


def test_cli_report_is_valid_and_exit_code_follows_findings() -> None:
    code, report = run_module(str(REAL))
    assert code == 1
    assert len(report["findings"]) == len(REAL_EXPECTED)
    code, report = run_module(str(CREATES), "--region", "us-east-2")
    assert code == 1
    assert report["summary"] == {"pass": 3, "fail": 3, "unknown": 1, "suppressed": 0}


def test_bad_json_is_one_error_and_exit_2() -> None:
    code, report = run_module(str(HAND / "truncated.json"))
    assert code == 2
    # the stream named in the truncated text is still reported, unknown
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.s", "unknown", "KSSE020", 1)]
    assert report["inputs"] == []
    assert len(report["errors"]) == 1
    error = report["errors"][0]
    assert error["location"] == "tests/fixtures/plan/hand/truncated.json"
    assert error["message"].startswith("invalid JSON: ")
    assert error["line"] == 2


def test_wrong_shape_is_one_error() -> None:
    report = scan_file(HAND / "bad_shape.json")
    assert [e["message"] for e in report["errors"]] == ["not a Terraform plan: resource_changes is not a list"]
    assert report["findings"] == []


def test_sniff_by_content_even_past_the_head(tmp_path: Path) -> None:
    head = REAL.read_bytes()[:4096]
    assert plan.sniff(REAL, head)
    # the plan keys beyond the first bytes: sniff reads on
    assert b'"planned_values"' not in head[:40] and plan.sniff(REAL, head[:40])
    show = REPO / "tests" / "fixtures" / "state" / "real" / "show.json"
    assert not plan.sniff(show, show.read_bytes()[:4096])
    renamed = tmp_path / "output.txt"
    renamed.write_bytes(REAL.read_bytes())
    assert plan.sniff(renamed, renamed.read_bytes()[:4096])
    assert not state.sniff(REAL, head)
    assert file_sources().index(plan) == 0


def test_other_resources_are_dropped_while_parsing() -> None:
    _, data = load_terraform_json(REAL)
    changes = data["resource_changes"]
    assert None in changes  # terraform_data.opaque
    kept = {c["type"] for c in changes if c is not None}
    assert kept == {"aws_kinesis_stream", "aws_kms_key", "aws_kms_alias"}


def test_size_limit_is_a_one_line_error(tmp_path: Path) -> None:
    big = tmp_path / "plan.json"
    big.write_bytes(REAL.read_bytes())
    with pytest.raises(TerraformJsonError, match=r"^file is \d+ bytes, larger than the limit of 1000 bytes$"):
        load_terraform_json(big, max_bytes=1000)


def test_skipped_sections_give_the_same_plan_and_a_stray_key_falls_back(tmp_path: Path) -> None:
    _, fast = load_terraform_json(REAL, plan=True)
    _, full = load_terraform_json(REAL)
    assert "planned_values" not in fast and "planned_values" in full
    assert fast == {k: v for k, v in full.items() if k not in PLAN_SKIPPED}
    # a key named like a top-level one, nested in a skipped section, must not cut the section short
    data = json.loads(REAL.read_text())
    data["planned_values"]["root_module"]["resources"][0]["values"]["tags"] = {
        "a": "b", "resource_changes": [{"address": "aws_kinesis_stream.fake"}], "configuration": {}}
    tricky = tmp_path / "tricky.json"
    tricky.write_text(json.dumps(data, separators=(",", ":")))
    _, parsed = load_terraform_json(tricky, plan=True)
    assert parsed["resource_changes"] == fast["resource_changes"]
    assert {f["resource"]["address"] for f in scan_file(tricky)["findings"]} == set(REAL_EXPECTED)


def test_odd_value_types_never_crash_and_never_pass() -> None:
    report = scan_file(HAND / "odd_types.json")
    assert [e["message"] for e in report["errors"]] == ["resource_changes[2] is not a resource change"]
    # a resource whose type is not a string is not a stream; a kms_key_id that is not a string is unknown, and so
    # is a stream whose change holds no planned values
    assert list(report["by_address"]) == ["aws_kinesis_stream.string_change", "aws_kinesis_stream.odd"]
    no_values = report["by_address"]["aws_kinesis_stream.string_change"]
    assert (no_values["status"], no_values["code"], no_values["source"]["line"]) == ("unknown", "KSSE020", 6)
    assert no_values["message"].startswith("the plan gives no planned values (change.after) for "
                                           "aws_kinesis_stream.string_change")
    odd = report["by_address"]["aws_kinesis_stream.odd"]
    assert (odd["status"], odd["code"]) == ("unknown", "KSSE020")
    assert odd["message"].startswith("the plan gives kms_key_id of aws_kinesis_stream.odd as 5, not a key reference")


def test_a_known_key_value_names_its_key_over_the_configuration_reference(tmp_path: Path) -> None:
    # after apply the plan knows the exact key ARN; the configuration reference (here aws_kms_key.existing) is only
    # a guess at the instance, so the value decides which key's facts are checked
    data = json.loads(REAL.read_text())
    changes = {rc["address"]: rc for rc in data["resource_changes"]}
    off_arn = changes["aws_kms_key.off"]["change"]["after"]["arn"]
    changes["aws_kinesis_stream.keep"]["change"]["after"]["kms_key_id"] = off_arn
    copy = tmp_path / "plan.json"
    copy.write_text(json.dumps(data))
    keep = scan_file(copy)["by_address"]["aws_kinesis_stream.keep"]
    assert (keep["status"], keep["code"]) == ("fail", "KSSE014")
    assert keep["evidence"]["key"]["declared_at"] == "aws_kms_key.off"


def test_json_that_only_mentions_plan_keys_is_no_input_in_a_folder_and_an_error_named(tmp_path: Path) -> None:
    # a JSON schema of the plan format names its keys, nested: not a plan
    schema = tmp_path / "plan.schema.json"
    schema.write_text('{"title": "plan", "properties": {"format_version": {"type": "string"},\n'
                      '  "planned_values": {"type": "object"}, "resource_changes": {"type": "array"}}}\n')
    assert plan.sniff(schema, schema.read_bytes())
    code, report = run_module(str(tmp_path))
    assert (report["findings"], report["errors"], report["inputs"]) == ([], [], [])
    (tmp_path / "empty").mkdir()
    assert code == run_module(str(tmp_path / "empty"))[0]  # as a folder with nothing in it
    code, report = run_module(str(schema))
    assert report["errors"] == [{"location": str(schema), "line": None, "message": "not a Terraform plan: expected a "
                                 "JSON object with format_version (terraform show -json tfplan)"}]
    assert code == 2


def test_a_damaged_plan_in_a_folder_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_bytes((HAND / "bad_shape.json").read_bytes())
    code, report = run_module(str(tmp_path))
    assert [e["message"] for e in report["errors"]] == ["not a Terraform plan: resource_changes is not a list"]
    assert code == 2
