"""A newcomer's first hour (issue 10): what the command line says and which exit code it gives, the same rule for
every input kind, and messages a user can act on. Every case runs ``python -m sseguard`` as a user would."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import REPO, report_of, run_cli, write
from sseguard.control.codes import CODES
from sseguard.schema import report_schema

STREAM = '''resource "aws_kinesis_stream" "s" {
  name            = "s"
  encryption_type = var.encryption
  kms_key_id      = "alias/aws/kinesis"
}

variable "encryption" {
  type    = string
  default = "KMS"
}
'''
NONE_STREAM = 'resource "aws_kinesis_stream" "plain" {\n  name            = "plain"\n  encryption_type = "NONE"\n}\n'


def scan(cwd: Path, *args: str | Path) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    done = run_cli("scan", *args, "--format", "json", "--no-history", cwd=cwd)
    return done.returncode, report_of(done.stdout), done.stderr.decode()


# --- the project stands alone -----------------------------------------------------------------------------------

def test_the_report_schema_ships_with_the_package_and_prints(tmp_path: Path) -> None:
    done = run_cli("schema", cwd=tmp_path)
    assert done.returncode == 0
    assert json.loads(done.stdout) == report_schema()
    assert report_schema()["$id"] == "sseguard/report/v1"


# --- one exit-code rule, every input kind ---------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content"), [
    ("main.tf", 'resource "aws_kinesis_stream" "s" {\n  name = "s"\n'),
    ("main.tf.json", '{"resource": {"aws_kinesis_stream": {"s": {"name": "s",}}}}\n'),
    ("template.yaml",
     "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  S:\n    Type: AWS::Kinesis::Stream\n  [\n"),
    ("plan.json", '{"format_version": "1.2", "resource_changes": [\n'),
])
def test_a_folder_whose_only_file_is_broken_exits_2_whatever_its_kind(tmp_path: Path, name: str, content: str) -> None:
    write(tmp_path, {name: content})
    code, report, _ = scan(tmp_path, ".")
    assert code == 2
    assert [e["location"] for e in report["errors"]] == [name]


def test_a_broken_file_beside_a_readable_one_is_judged_by_the_findings(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM, "broken.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n"})
    assert scan(tmp_path, ".")[0] == 0
    assert scan(tmp_path, ".", "--fail-on", "unknown")[0] == 1  # an input error may hide streams


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to scan\n", encoding="utf-8")
    code, report, err = scan(tmp_path, ".")
    assert (code, report["findings"]) == (2, [])
    assert err == "sseguard: error: found no Terraform, plan, state, CloudFormation or describe-stream input in .\n"


def test_a_var_file_that_cannot_be_read_is_like_one_that_does_not_exist(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM, "broken.tfvars": 'encryption = "NONE\n'})
    code, report, _ = scan(tmp_path, ".", "--var-file", "broken.tfvars")
    assert code == 2
    assert [(e["location"], e["line"]) for e in report["errors"]] == [("broken.tfvars", 1)]
    missing = run_cli("scan", ".", "--var-file", "nope.tfvars", "--no-history", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, b"sseguard: error: --var-file nope.tfvars: no such file\n")


def test_an_empty_path_and_a_dangling_link_are_mistakes_in_the_command(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM})
    empty = run_cli("scan", "", "--no-history", cwd=tmp_path)
    assert (empty.returncode, empty.stdout) == (2, b"")
    assert empty.stderr == (b"sseguard: error: an empty PATH was given; name a file or folder (. for the current "
                            b"folder)\n")
    (tmp_path / "gone.tf").symlink_to(tmp_path / "nowhere.tf")
    code, report, _ = scan(tmp_path, "main.tf", "gone.tf")
    assert code == 2
    assert report["errors"] == [{"location": "gone.tf", "line": None, "kind": "usage",
                                 "message": "a broken or looping symbolic link"}]


def test_a_name_too_long_for_the_system_is_a_mistake_in_the_command_not_an_internal_error(tmp_path: Path) -> None:
    # found by the fuzz harness (a module source of 5,000 characters); the same holds for paths on the command line
    write(tmp_path, {"main.tf": NONE_STREAM})
    long_name = "a" * 5000
    code, report, stderr = scan(tmp_path, ".", long_name)
    assert code == 2
    assert report["errors"] == [{"location": long_name, "line": None, "kind": "usage",
                                 "message": "cannot read: File name too long"}]
    assert [f["resource"]["address"] for f in report["findings"]] == ["aws_kinesis_stream.plain"]
    assert "internal error" not in stderr
    var_file = run_cli("scan", ".", "--var-file", "b" * 5000, "--no-history", cwd=tmp_path)
    assert var_file.returncode == 2
    assert var_file.stderr == f"sseguard: error: --var-file {'b' * 5000}: no such file\n".encode()


# --- values the command line gives ----------------------------------------------------------------------------

def test_a_var_for_an_undeclared_variable_is_rejected_as_terraform_does(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM})
    code, report, _ = scan(tmp_path, ".", "--var", "nosuch=1")
    assert code == 2
    assert report["errors"] == [{"location": "--var nosuch", "line": None, "kind": "usage", "message": (
        "no root module scanned declares the variable 'nosuch'; a value for an undeclared variable is rejected")}]
    assert report["findings"][0]["status"] == "pass"  # the scan itself still ran


def test_a_tfvars_entry_for_an_undeclared_variable_is_a_note(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM, "terraform.tfvars": 'encryption = "KMS"\nstale = "x"\n'})
    code, report, _ = scan(tmp_path, ".")
    assert code == 0
    assert report["notes"] == [
        "terraform.tfvars sets stale, which . does not declare as a variable; the value is not used"]


@pytest.mark.parametrize(("parameter", "message"), [
    ("Nope=1", "no template scanned declares the parameter 'Nope'; a value for an undeclared parameter is rejected"),
    ("Mode=maybe", "'maybe' is not one of the AllowedValues of parameter Mode in t.yaml (KMS, NONE); CloudFormation "
                   "would reject it"),
])
def test_a_parameter_cloudformation_would_reject_is_an_error(tmp_path: Path, parameter: str, message: str) -> None:
    write(tmp_path, {"t.yaml": """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Mode:
    Type: String
    AllowedValues: [KMS, NONE]
    Default: KMS
Resources:
  S:
    Type: AWS::Kinesis::Stream
    Properties:
      StreamEncryption:
        EncryptionType: !Ref Mode
        KeyId: alias/aws/kinesis
"""})
    code, report, _ = scan(tmp_path, "t.yaml", "--parameter", parameter)
    assert code == 2
    assert [e["message"] for e in report["errors"]] == [message]


def test_a_region_botocore_does_not_know_is_a_warning_and_a_malformed_one_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": STREAM})
    code, _, err = scan(tmp_path, ".", "--region", "eu-nowhere-9")
    assert (code, err) == (0, "sseguard: warning: --region eu-nowhere-9 is not a region botocore knows; using it "
                              "anyway\n")
    malformed = run_cli("scan", ".", "--region", "euwest1", "--no-history", cwd=tmp_path)
    assert (malformed.returncode, malformed.stderr) == (
        2, b"sseguard: error: --region 'euwest1': not a region name (e.g. eu-west-1)\n")


# --- messages a user acts on ----------------------------------------------------------------------------------

def test_a_file_scanned_alone_says_its_folder_has_more() -> None:
    code, report, _ = scan(REPO, "examples/terraform/streams.tf")
    assert report["notes"] == ["examples/terraform/streams.tf was scanned alone; its folder has 3 more .tf files: "
                               "scan the folder (examples/terraform) for module context"]
    metrics = next(f for f in report["findings"] if f["resource"]["address"] == "aws_kinesis_stream.metrics")
    assert metrics["message"].startswith("encryption_type = var.metrics_encryption: var.metrics_encryption is not "
                                         "declared in the file scanned alone; another .tf file of its folder may "
                                         "declare it")
    assert code == 1


def test_explain_without_a_code_lists_them_all(tmp_path: Path) -> None:
    done = run_cli("explain", cwd=tmp_path)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0
    assert [line.split()[0] for line in lines[:len(CODES)]] == list(CODES)
    assert lines[1].split(None, 3) == ["KSSE001", "encryption-missing", "fail", "Encryption type is not set"]


@pytest.mark.parametrize(("command", "words"), [
    ("scan", ["PATH", "a folder (its Terraform root modules", "exit codes: 0 nothing at or above --fail-on"]),
    ("explain", ["CODE", "a reason code (KSSE011) or its name"]),
])
def test_help_describes_the_arguments(tmp_path: Path, command: str, words: list[str]) -> None:
    done = run_cli(command, "--help", cwd=tmp_path)
    text = " ".join(done.stdout.decode().split())
    for word in words:
        assert word in text


def test_the_live_fix_names_the_stream_quoted_for_a_shell(tmp_path: Path) -> None:
    write(tmp_path, {"out.json": json.dumps({"StreamDescriptionSummary": {
        "StreamName": "orders; rm -rf ~", "StreamARN": "arn:aws:kinesis:eu-west-1:111122223333:stream/orders",
        "StreamStatus": "ACTIVE", "EncryptionType": "NONE"}})})
    _, report, _ = scan(tmp_path, "out.json")
    assert report["findings"][0]["remediation"] == (
        "aws kinesis start-stream-encryption --stream-name 'orders; rm -rf ~' --encryption-type KMS --key-id KEY; "
        "only records written after the change are encrypted, older ones stay plaintext until they age out of "
        "retention.")


def test_a_folder_link_leading_out_of_the_repository_is_not_followed_and_named(tmp_path: Path) -> None:
    write(tmp_path, {"repo/main.tf": NONE_STREAM, "outside/x/main.tf": NONE_STREAM.replace("plain", "far")})
    os.symlink(tmp_path / "outside", tmp_path / "repo" / "linked")
    code, report, _ = scan(tmp_path / "repo", ".")
    assert [f["resource"]["address"] for f in report["findings"]] == ["aws_kinesis_stream.plain"]
    assert report["notes"] == [f"linked: a link to {tmp_path / 'outside'}, outside the repository the scan is in; "
                               "not followed"]
    assert code == 1
