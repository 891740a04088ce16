"""Saved ``aws kinesis describe-stream(-summary)`` output: real CLI output (saved by tests/fixtures/plan/generate.py
from the AWS CLI talking to moto) and hand-written outputs for the shapes a live stream rarely shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_module, scan_file
from sseguard.sources import describe_stream, plan, state

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "tests" / "fixtures" / "describe" / "real"
HAND = REPO / "tests" / "fixtures" / "describe" / "hand"


# file -> (stream name, status, code, advisories, region, line of "StreamName")
REAL_EXPECTED = {
    "describe-stream.keep.json": ("keep", "pass", "KSSE000", [], "us-east-1", 16),
    "describe-stream-summary.plain.json": ("plain", "fail", "KSSE002", [], "us-east-1", 3),
    "describe-stream-summary.cbd-1.json": ("cbd-1", "pass", "KSSE000", ["KSSE010"], "us-east-1", 3),
    "describe-stream-summary.legacy-import.json": ("legacy-import", "fail", "KSSE002", [], "us-east-1", 3),
    "describe-stream-summary.west.json": ("west", "pass", "KSSE000", [], "us-west-2", 3),
}


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_cli_output(name: str) -> None:
    stream, status, code, advisories, region, line = REAL_EXPECTED[name]
    report = scan_file(REAL / name)
    assert [f["resource"]["address"] for f in report["findings"]] == [stream]
    finding = report["findings"][0]
    assert (finding["status"], finding["code"], finding["advisories"]) == (status, code, advisories)
    assert finding["resource"]["region"] == region
    assert finding["resource"]["arn"] == f"arn:aws:kinesis:{region}:123456789012:stream/{stream}"
    assert finding["resource"]["account"] == "123456789012"
    assert finding["source"] == {"kind": "aws-describe-stream", "path": f"tests/fixtures/describe/real/{name}",
                                 "line": line, "end_line": None}
    assert report["inputs"] == [{"kind": "aws-describe-stream", "location": f"tests/fixtures/describe/real/{name}"}]


def test_key_arn_facts_and_what_is_out_of_reach() -> None:
    finding = scan_file(REAL / "describe-stream-summary.west.json")["findings"][0]
    evidence = finding["evidence"]
    assert evidence["source_facts"] == {
        "output": "StreamDescriptionSummary",
        "StreamName": "west",
        "StreamARN": "arn:aws:kinesis:us-west-2:123456789012:stream/west",
        "StreamStatus": "ACTIVE",
        "EncryptionType": "KMS",
        "KeyId": "arn:aws:kms:us-west-2:123456789012:key/31d8c96a-fc56-4cfc-9b0c-00627db1fb77",
    }
    key = evidence["key"]
    assert (key["arn"], key["region"], key["account"]) == (
        "arn:aws:kms:us-west-2:123456789012:key/31d8c96a-fc56-4cfc-9b0c-00627db1fb77", "us-west-2", "123456789012")
    reason = ("saved describe-stream output does not include the key's state or policy; scan live with "
              "sseguard aws")
    assert evidence["key_checks_not_run"] == {code: reason for code in ("KSSE012", "KSSE013", "KSSE014", "KSSE015",
                                                                        "KSSE016")}


def test_updating_stream_carries_the_advisory() -> None:
    finding = scan_file(HAND / "updating.json")["by_address"]["orders"]
    assert (finding["status"], finding["code"], finding["advisories"]) == ("pass", "KSSE000", ["KSSE022"])
    assert finding["source"]["line"] == 3


def test_missing_encryption_type_is_unknown_never_none() -> None:
    finding = scan_file(HAND / "no_encryption_field.json")["by_address"]["trimmed"]
    assert (finding["status"], finding["code"]) == ("unknown", "KSSE020")
    assert finding["message"].startswith("the saved output for trimmed has no EncryptionType field")


def test_kms_without_key_field_is_unknown() -> None:
    finding = scan_file(HAND / "kms_without_keyid.json")["by_address"]["cut"]
    assert (finding["status"], finding["code"]) == ("unknown", "KSSE020")
    assert "no KeyId field" in finding["message"]


def test_array_of_outputs_with_lines_and_a_bad_item() -> None:
    report = scan_file(HAND / "several.json")
    got = {a: (f["status"], f["code"], f["advisories"], f["source"]["line"], f["resource"]["region"])
           for a, f in report["by_address"].items()}
    assert got == {
        "clicks": ("pass", "KSSE000", ["KSSE010"], 4, "us-east-1"),
        "payments": ("fail", "KSSE011", [], 13, "us-east-1"),
        "audit": ("pass", "KSSE000", [], 22, "us-east-1"),
        "legacy": ("fail", "KSSE002", [], 34, None),
    }
    assert report["errors"] == [{"location": "tests/fixtures/describe/hand/several.json", "line": 29,
                                 "kind": "incomplete", "message": "item 4: not describe-stream output: expected an "
                                 "object with StreamDescription or StreamDescriptionSummary"}]
    # a key named by alias, without an ARN, is in the stream's own region: nothing to skip for KSSE011
    assert "KSSE011" not in report["by_address"]["audit"]["evidence"]["key_checks_not_run"]


def test_region_option_for_an_output_without_arn() -> None:
    legacy = scan_file(HAND / "several.json", region="ca-central-1")["by_address"]["legacy"]
    assert legacy["resource"]["region"] == "ca-central-1"
    assert legacy["resource"]["arn"] is None


def test_bad_json_is_one_error_and_exit_2() -> None:
    code, report = run_module(str(HAND / "bad.json"))
    assert code == 2
    assert report["findings"] == [] and report["inputs"] == []
    assert report["errors"] == [{"location": "tests/fixtures/describe/hand/bad.json", "line": 4,
                                 "message": "invalid JSON: expected a key in double quotes, found ','"}]


def test_cli_report_is_valid() -> None:
    code, report = run_module(str(HAND / "several.json"), str(REAL / "describe-stream.keep.json"))
    assert code == 1
    assert report["summary"] == {"pass": 3, "fail": 2, "unknown": 0, "suppressed": 0}


def test_sniff() -> None:
    for path in [*REAL.glob("*.json"), HAND / "several.json", HAND / "updating.json"]:
        head = path.read_bytes()[:4096]
        assert describe_stream.sniff(path, head), path
        assert not plan.sniff(path, head) and not state.sniff(path, head)
    plan_file = REPO / "tests" / "fixtures" / "plan" / "real" / "plan.json"
    assert not describe_stream.sniff(plan_file, plan_file.read_bytes()[:4096])


FOLDER = REPO / "tests" / "fixtures" / "describe" / "folder"
NOT_AN_INPUT = "not a Terraform, plan, state, CloudFormation or describe-stream file"


def test_a_folder_scan_takes_only_what_has_the_shape_of_output() -> None:
    # SDK examples, a DynamoDB stream's description, a recorded HTTP body and a test snapshot mention a
    # StreamDescription but are not inputs; a template with a parameter of that name is a template; saved output and
    # output cut short (its streams unknown) are read
    code, report = run_module(str(FOLDER.relative_to(REPO)))
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["path"], f["source"]["line"])
            for f in report["findings"]] == [
        ("first", "unknown", "KSSE020", "tests/fixtures/describe/folder/cut.json", 5),
        ("second", "unknown", "KSSE020", "tests/fixtures/describe/folder/cut.json", 14),
        ("Orders", "pass", "KSSE000", "tests/fixtures/describe/folder/parameter.template.json", 6),
        ("saved", "fail", "KSSE002", "tests/fixtures/describe/folder/saved.json", 3),
    ]
    assert report["errors"] == [{"location": "tests/fixtures/describe/folder/cut.json", "line": 15,
                                 "message": "invalid JSON: a control character (a line break?) inside a string"}]
    assert report["inputs"] == [
        {"kind": "cloudformation", "location": "tests/fixtures/describe/folder/parameter.template.json"},
        {"kind": "aws-describe-stream", "location": "tests/fixtures/describe/folder/saved.json"}]
    assert code == 1


@pytest.mark.parametrize(("name", "line", "message"), [
    ("sdk-examples-1.json", None, NOT_AN_INPUT),
    ("recorded-http.json", None, NOT_AN_INPUT),
    ("snapshot.json", None, NOT_AN_INPUT),
    ("dynamodb-stream.json", 2, "not describe-stream output: no StreamDescription or StreamDescriptionSummary names "
                                "a stream (StreamName or StreamARN)"),
])
def test_the_same_file_named_on_the_command_line_is_an_error(name: str, line: int | None, message: str) -> None:
    code, report = run_module(f"tests/fixtures/describe/folder/{name}")
    assert report["errors"] == [{"location": f"tests/fixtures/describe/folder/{name}", "line": line,
                                 "message": message}]
    assert (code, report["findings"], report["inputs"]) == (2, [], [])


def test_a_folder_holding_only_a_file_of_another_shape_is_as_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "dynamodb-stream.json").write_bytes((FOLDER / "dynamodb-stream.json").read_bytes())
    code, report = run_module(str(tmp_path / "other"))
    assert (report["findings"], report["errors"], report["inputs"]) == ([], [], [])
    assert code == run_module(str(tmp_path / "empty"))[0]


def test_sniff_recognises_output_by_how_it_opens() -> None:
    for name, expected in [("saved.json", True), ("cut.json", True), ("dynamodb-stream.json", True),
                           ("sdk-examples-1.json", False), ("recorded-http.json", False), ("snapshot.json", False),
                           ("parameter.template.json", False)]:
        path = FOLDER / name
        assert describe_stream.sniff(path, path.read_bytes()[:4096]) is expected, name
