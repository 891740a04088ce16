"""A plan, state, template or describe-stream file that cannot be parsed: its streams are found in its text and
reported unknown with the read error, never dropped; input errors and exit codes as a CI job needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, run_module, scan_file
from sseguard.options import ScanOptions
from sseguard.scan import scan_paths

UNREADABLE = REPO / "tests" / "fixtures" / "unreadable"
RESOLVE_CFN = "fix the template so it parses (cfn-lint shows where)"


def found(name: str) -> list[tuple[str, str, str, str, int]]:
    report = scan_file(UNREADABLE / name)
    assert len(report["errors"]) == 1
    return [(f["resource"]["address"], f["resource"]["type"], f["status"], f["code"], f["source"]["line"])
            for f in report["findings"]]


def test_a_broken_yaml_template_keeps_its_streams_as_unknown() -> None:
    report = scan_file(UNREADABLE / "template.yaml")
    assert report["errors"] == [{"location": "tests/fixtures/unreadable/template.yaml", "line": 10,
                                 "message": "invalid YAML: did not find expected ',' or ']'"}]
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("Good", "unknown", "KSSE020", 4), ("Bad", "unknown", "KSSE020", 10)]
    assert report["by_address"]["Bad"]["message"] == (
        "the file cannot be read (tests/fixtures/unreadable/template.yaml: invalid YAML: did not find expected ',' "
        f"or ']'); to resolve: {RESOLVE_CFN}")


@pytest.mark.parametrize(("name", "expected"), [
    ("minified.template.json", [("Min", "AWS::Kinesis::Stream", "unknown", "KSSE020", 1)]),
    ("pretty.template.json", [("Pretty", "AWS::Kinesis::Stream", "unknown", "KSSE020", 5)]),
    ("flow.yaml", [("Flow", "AWS::Kinesis::Stream", "unknown", "KSSE020", 2),
                   ("Other", "AWS::Kinesis::Stream", "unknown", "KSSE020", 4)]),
    # a commented-out resource is not a stream
    ("commented.yaml", [("New", "AWS::Kinesis::Stream", "unknown", "KSSE020", 5)]),
    # a Type with no logical id above it is still a stream, named by its line and column
    ("no_logical_id.yaml", [("AWS::Kinesis::Stream at line 3, column 3", "AWS::Kinesis::Stream", "unknown",
                             "KSSE020", 3)]),
    ("describe.json", [("orders", "AWS::Kinesis::Stream", "unknown", "KSSE020", 4)]),
    # a raw tfstate: the module's managed stream, not the data source
    ("terraform.tfstate", [("module.m.aws_kinesis_stream.s", "aws_kinesis_stream", "unknown", "KSSE020", 6)]),
    # a truncated plan: each address once, at its first mention; the data source is not a stream to judge
    ("plan.json", [("aws_kinesis_stream.root", "aws_kinesis_stream", "unknown", "KSSE020", 8),
                   ('module.pipe["eu"].aws_kinesis_stream.events', "aws_kinesis_stream", "unknown", "KSSE020", 17)]),
])
def test_streams_in_a_truncated_file_are_unknown(name: str, expected: list[tuple[str, str, str, str, int]]) -> None:
    assert found(name) == expected


def test_a_named_file_that_cannot_be_read_is_a_mistake_in_the_command() -> None:
    # a readable failing stream beside a broken template named on the command line: the broken one's streams are
    # reported unknown, and the run exits 2 whatever --fail-on says, as for a named path that does not exist
    args = ("examples/terraform", "tests/fixtures/unreadable/pretty.template.json")
    for fail_on in ("fail", "unknown"):
        code, report = run_module(*args, "--fail-on", fail_on)
        assert code == 2
        assert ("Pretty", "unknown") in [(f["resource"]["address"], f["status"]) for f in report["findings"]]


def test_an_input_error_alone_fails_at_fail_on_unknown(tmp_path: Path) -> None:
    # a folder whose one readable file holds no stream, and one broken template in which no stream can be seen
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    code, report = run_module(str(tmp_path), "--fail-on", "unknown")
    assert (code, report["findings"], len(report["errors"])) == (1, [], 1)
    code, _ = run_module(str(tmp_path))
    assert code == 0  # at the default --fail-on fail an input error is reported, not a failure


def test_a_folder_with_nothing_to_scan_says_so(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no infrastructure here\n")
    done = subprocess.run([sys.executable, "-m", "sseguard", "scan", "--no-history", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    # nothing to judge is not a clean bill: the scan could not do what it was asked (a wrong folder, say)
    assert (done.returncode, done.stdout) == (2, "0 streams: 0 pass, 0 fail, 0 unknown, 0 suppressed\n")
    assert done.stderr == ("sseguard: error: found no Terraform, plan, state, CloudFormation or describe-stream input "
                           f"in {tmp_path}\n")


def test_a_real_plan_cut_short_keeps_every_stream_and_invents_none(tmp_path: Path) -> None:
    real = REPO / "tests" / "fixtures" / "plan" / "real" / "plan.json"
    whole = {f["resource"]["address"] for f in scan_file(real)["findings"]}
    cut = tmp_path / "plan.json"
    cut.write_bytes(real.read_bytes()[:-300])
    report = scan_file(cut)
    assert [e["message"][:13] for e in report["errors"]] == ["invalid JSON:"]
    assert {f["status"] for f in report["findings"]} == {"unknown"}
    # every stream of the whole plan, and the one it deletes (the text cannot say so); the configuration's
    # module-relative aws_kinesis_stream.s is not taken for a root stream
    assert {f["resource"]["address"] for f in report["findings"]} == whole | {"aws_kinesis_stream.gone"}
    assert "aws_kinesis_stream.s" not in report["by_address"]
    assert len(whole) == 21


def findings_of(report: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]]


@pytest.mark.parametrize(("name", "key", "stream", "line"), [
    ("misspelled_resources.yaml", "Resource", ("Orders", "unknown", "KSSE020", 5), 3),
    ("lowercase_resources.template.json", "resources", ("Clicks", "unknown", "KSSE020", 5), 3),
])
def test_a_misspelled_resources_section_is_an_error_not_an_empty_template(
        name: str, key: str, stream: tuple[str, str, str, int], line: int) -> None:
    code, report = run_module(f"tests/fixtures/unreadable/{name}")
    message = f"unknown top-level section {key!r} (did you mean Resources?); CloudFormation rejects the template"
    assert report["errors"] == [{"location": f"tests/fixtures/unreadable/{name}", "line": line, "message": message}]
    # the stream its text declares is still reported, unknown with the reason
    assert findings_of(report) == [stream]
    assert report["findings"][0]["message"] == (
        f"the file cannot be read (tests/fixtures/unreadable/{name}: {message}); to resolve: {RESOLVE_CFN}")
    assert (code, report["inputs"]) == (2, [])


def test_streams_without_a_readable_logical_id_keep_unique_names_and_none_is_dropped() -> None:
    # minified over two lines: Type last gives no logical id in the raw text, so each such stream is named by where
    # its Type is (columns in characters: "Flüsse und Bäche" comes before them on line 1)
    assert findings_of(scan_file(UNREADABLE / "type_last.template.json")) == [
        ("AWS::Kinesis::Stream at line 1, column 197", "unknown", "KSSE020", 1),
        ("AWS::Kinesis::Stream at line 1, column 267", "unknown", "KSSE020", 1),
        ("First", "unknown", "KSSE020", 1),
        ("AWS::Kinesis::Stream at line 2, column 26", "unknown", "KSSE020", 2),
        ("Last", "unknown", "KSSE020", 2),
    ]


def test_a_logical_id_far_along_a_minified_line_is_still_found(tmp_path: Path) -> None:
    buckets = ",".join(f'"Bucket{i}":{{"Type":"AWS::S3::Bucket","Properties":{{"BucketName":"b-{i}"}}}}'
                       for i in range(3000))
    path = tmp_path / "long.template.json"
    path.write_text('{"Resources":{' + buckets + ',"Far":{"Type":"AWS::Kinesis::Stream"},"Late":{"Properties":{},'
                    '"Type":"AWS::Kinesis::Stream"},"Broken":{"Type" "AWS::S3::Bucket"}}}')
    column = path.read_text().index('"Type":"AWS::Kinesis::Stream"},"Broken"') + 1
    report = scan_paths([path], ScanOptions(base=tmp_path)).to_dict()
    assert len(report["errors"]) == 1
    assert findings_of(report) == [(f"AWS::Kinesis::Stream at line 1, column {column}", "unknown", "KSSE020", 1),
                                   ("Far", "unknown", "KSSE020", 1)]


def test_a_stream_of_a_module_named_data_is_not_taken_for_a_data_source() -> None:
    # data.aws_kinesis_stream.* and module.data.data.aws_kinesis_stream.* are data sources; module.data.aws_kinesis_
    # stream.events is a stream of the module "data", and a module key or module name may hold any words
    assert found("data_sources_plan.json") == [
        ("aws_kinesis_stream.root", "aws_kinesis_stream", "unknown", "KSSE020", 8),
        ("module.data.aws_kinesis_stream.events", "aws_kinesis_stream", "unknown", "KSSE020", 14),
        ('module.m["x.data.y"].aws_kinesis_stream.keyed', "aws_kinesis_stream", "unknown", "KSSE020", 21),
    ]


def test_a_broken_raw_state_saved_with_a_bom_keeps_its_streams() -> None:
    report = scan_file(UNREADABLE / "bom.tfstate")
    assert [e["line"] for e in report["errors"]] == [20]
    assert findings_of(report) == [("aws_kinesis_stream.saved_with_bom", "unknown", "KSSE020", 9)]
