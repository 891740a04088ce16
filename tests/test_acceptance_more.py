"""More of a first user's attempts to break sseguard from the command line (python -m sseguard in a subprocess).

Each test records a problem found that way, as the behaviour a user needs; the inputs are written into tmp_path.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from helpers import report_of
from helpers import run_cli as sseguard

SHARED_MODULE = """\
variable "enc" {}

resource "aws_kinesis_stream" "s" {
  name            = "s"
  shard_count     = 1
  encryption_type = var.enc
  kms_key_id      = "alias/aws/kinesis"
}
"""

BOOL_SWITCH = """\
variable "encrypt" {
  type = bool
}

resource "aws_kinesis_stream" "b" {
  name            = "b"
  shard_count     = 1
  encryption_type = var.encrypt ? "KMS" : "NONE"
  kms_key_id      = "alias/aws/kinesis"
}
"""

DISABLED_KEY_POLICY_SUPPRESSED = """\
provider "aws" {
  region = "eu-west-1"
}

resource "aws_kms_key" "k" {
  is_enabled = false
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "kms:*", Resource = "*" }]
  })
}

# sseguard:ignore KSSE012 reason="the key policy is managed by another team"
resource "aws_kinesis_stream" "t" {
  name            = "t"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.k.arn
}
"""


def two_roots_one_module(tmp_path: Path) -> Path:
    """env/dev and env/prod both call modules/s: dev encrypts its stream, prod does not."""
    tree = tmp_path / "tree"
    (tree / "modules" / "s").mkdir(parents=True)
    (tree / "modules" / "s" / "main.tf").write_text(SHARED_MODULE, encoding="utf-8")
    for env, enc in (("dev", "KMS"), ("prod", "NONE")):
        (tree / "env" / env).mkdir(parents=True)
        (tree / "env" / env / "main.tf").write_text(
            f'module "s" {{\n  source = "../../modules/s"\n  enc    = "{enc}"\n}}\n', encoding="utf-8")
    return tree


def test_streams_of_two_roots_calling_one_module_are_told_apart(tmp_path: Path) -> None:
    tree = two_roots_one_module(tmp_path)
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=tree)
    assert result.returncode == 1
    findings = report_of(result.stdout)["findings"]
    assert sorted((f["status"], f["code"]) for f in findings) == [("fail", "KSSE002"), ("pass", "KSSE000")]
    identities = {json.dumps([f["resource"], f["source"]], sort_keys=True) for f in findings}
    assert len(identities) == 2, identities
    # the shared module's file and line are the same; the root module each stream came through tells them apart
    assert sorted((f["resource"]["address"], f["status"], f["source"]["path"], f["source"]["line"],
                   f["source"]["root"]) for f in findings) == [
        ("module.s.aws_kinesis_stream.s", "fail", "modules/s/main.tf", 3, "env/prod"),
        ("module.s.aws_kinesis_stream.s", "pass", "modules/s/main.tf", 3, "env/dev")]
    text = sseguard("scan", "--no-history", ".", cwd=tree).stdout.decode("utf-8").splitlines()
    assert [line.split()[2:] for line in text if "module.s." in line] == [
        ["module.s.aws_kinesis_stream.s:3", "(root", "env/dev)", "[+KSSE010]"],
        ["module.s.aws_kinesis_stream.s:3", "(root", "env/prod)"]]


def test_evidence_keeps_both_streams_of_two_roots_calling_one_module(tmp_path: Path) -> None:
    tree = two_roots_one_module(tmp_path)
    db = tmp_path / "history.db"
    assert sseguard("scan", "--db", db, ".", "--format", "json", cwd=tree).returncode == 1
    today = dt.datetime.now(dt.UTC).date().isoformat()
    result = sseguard("evidence", "report", "--db", db, "--from", today, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    report = json.loads(result.stdout.decode("utf-8"))
    assert report["summary"]["streams"] == 2
    assert sorted((s["location"], s["last_status"]["status"]) for s in report["streams"]) == [
        ("modules/s/main.tf (root env/dev)", "pass"), ("modules/s/main.tf (root env/prod)", "fail")]


def test_a_suppression_of_one_code_does_not_hide_another_failing_code(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(DISABLED_KEY_POLICY_SUPPRESSED, encoding="utf-8")
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.t", "fail", "KSSE014", 14)]
    [finding] = report["findings"]
    assert finding["message"] == "key aws_kms_key.k.arn is not usable: Disabled"
    assert finding["evidence"]["also_failing"] == ["KSSE012"]
    assert finding["evidence"]["suppression_notes"] == [
        "sseguard suppression (line 13) covers KSSE012, but KSSE014 is not suppressed, so the stream still fails"]
    # suppressing both codes suppresses the stream
    both_codes = DISABLED_KEY_POLICY_SUPPRESSED.replace("KSSE012 reason", "KSSE012,KSSE014 reason")
    (tmp_path / "main.tf").write_text(both_codes, encoding="utf-8")
    both = report_of(sseguard("scan", "--no-history", ".", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["status"], f["code"]) for f in both["findings"]] == [("suppressed", "KSSE012")]


def test_a_tfvars_value_is_converted_to_the_variables_type(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BOOL_SWITCH, encoding="utf-8")
    (tmp_path / "terraform.tfvars").write_text('encrypt = "false"\n', encoding="utf-8")
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=tmp_path)
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.b", "fail", "KSSE002", 5)]
    assert result.returncode == 1


BROKEN_WITH_TEXT_THAT_IS_NOT_A_STREAM = """\
locals {
  doc = <<-EOT
resource "aws_kinesis_stream" "phantom" {
  name = "x"
}
EOT
}
/*
resource "aws_kinesis_stream" "commented" {
}
*/
resource "aws_kinesis_stream" "real" {
  name            = "real"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"
}
resource "aws_kinesis_stream" "bad" {
"""


def test_a_broken_file_does_not_report_streams_from_comments_or_strings(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BROKEN_WITH_TEXT_THAT_IS_NOT_A_STREAM, encoding="utf-8")
    result = sseguard("scan", "--no-history", ".", "--format", "json", cwd=tmp_path)
    report = report_of(result.stdout)
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        ("aws_kinesis_stream.real", "unknown", "KSSE020", 12), ("aws_kinesis_stream.bad", "unknown", "KSSE020", 18)]
    # Terraform reads none of a file with a syntax error: the stream that parsed is not judged on it either
    assert report["findings"][0]["message"].startswith("the block cannot be read (main.tf:12: its file has a syntax "
                                                       "error at line 18)")
    # the line Terraform reports: the unclosed block's header (terraform fmt says "on main.tf line 18")
    assert [(e["location"], e["line"]) for e in report["errors"]] == [("main.tf", 18)]
    # the folder's only file could not be read without error: the scan could not do its job (exit 2)
    assert result.returncode == 2
