"""``sseguard fix``: the source changes that make failing streams pass, proved on real trees copied from
``fixtures/fix``. Each test pins the exact diff (so nothing else moved), writes it, and scans the result again."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, TESTS, in_process, scan, write
from sseguard.fix.run import prepare
from sseguard.fix.run import write as write_fix
from sseguard.options import ScanOptions

FIXTURES = TESTS / "fixtures" / "fix"
# The exact diffs: every line the fix adds or changes, with the lines around them that must not move.
GOLDEN = TESTS / "golden" / "fix"
TERRAFORM = shutil.which("terraform") or shutil.which("tofu")


def tree(tmp_path: Path, name: str) -> Path:
    """A copy of one fixture tree, which the test may change."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def fix(where: Path, *args: str) -> tuple[int, str, str]:
    """Run ``sseguard fix ARGS`` in-process in ``where``: (exit code, stdout, stderr)."""
    return in_process(["fix", *args], where)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["orders", "origins", "crlf", "foreach"])
def test_edited_files_pass_terraform_fmt(tmp_path: Path, name: str) -> None:
    """``terraform fmt -check`` accepts every file the fix edits (skipped without a terraform or tofu binary)."""
    if TERRAFORM is None:
        pytest.skip("no terraform or tofu on PATH: the fmt check of the edited files is not run")
    root = tree(tmp_path, name)
    before = files_of(root)
    fix(root, ".", "--write")
    edited = [root / name for name, data in files_of(root).items() if before[name] != data]
    assert edited
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    for path in edited:
        done = subprocess.run([TERRAFORM, "fmt", "-check", "-diff", str(path)], capture_output=True, text=True,
                              env=env, check=False)
        assert done.returncode == 0, done.stdout


def diff_of(stdout: str) -> str:
    return stdout[stdout.index("--- "):]


ORDERS_DIFF = (GOLDEN / "orders.diff").read_text()


def test_a_missing_and_a_none_type_get_the_module_s_customer_key(tmp_path: Path) -> None:
    root = tree(tmp_path, "orders")
    before = files_of(root)
    code, out, _ = fix(root, ".")
    assert code == 1
    assert out.splitlines()[:4] == [
        "WOULD FIX  aws_kinesis_stream.clicks (main.tf:15) KSSE001: edits main.tf:23",
        "WOULD FIX  aws_kinesis_stream.audit (main.tf:25) KSSE002: edits main.tf:27, main.tf:31",
        "Key set for 2 stream(s): the customer key the other streams here use (aws_kms_key.stream.arn)",
        "2 stream(s) would be fixed in 1 file(s); 0 left as they are. Run again with --write to make the changes.",
    ]
    assert diff_of(out) == ORDERS_DIFF
    assert files_of(root) == before  # nothing changes without --write

    code, out, _ = fix(root, ".", "--write")
    assert code == 0
    assert out.splitlines()[-1] == "2 stream(s) fixed in 1 file(s); 0 left as they are."
    after = scan(root)
    assert after.verdict("aws_kinesis_stream.clicks") == ("pass", "KSSE000", ["KSSE013"], "main.tf", 15)
    assert after.verdict("aws_kinesis_stream.audit")[:2] == ("pass", "KSSE000")
    # a second run has nothing to do
    code, out, _ = fix(root, ".")
    assert (code, out) == (0, "Nothing to fix: no stream fails with a code sseguard fix acts on.\n")


ORIGINS_DIFF = (GOLDEN / "origins.diff").read_text()


def test_values_are_fixed_where_they_are_written(tmp_path: Path) -> None:
    """The tfvars file that wins over the default, the local, and the one module call's argument: the module's own
    block (shared with module.dev, which passes) and the variable's default stay as they are."""
    root = tree(tmp_path, "origins")
    code, out, _ = fix(root, ".")
    assert code == 1
    assert out.splitlines()[:3] == [
        "WOULD FIX  aws_kinesis_stream.events (main.tf:10) KSSE002: edits terraform.tfvars:2",
        "WOULD FIX  aws_kinesis_stream.audit (main.tf:17) KSSE003: edits main.tf:7",
        "WOULD FIX  module.prod.aws_kinesis_stream.this (modules/stream/main.tf:5) KSSE002: edits main.tf:34",
    ]
    assert "Key set for 1 stream(s): KSSE010: alias/aws/kinesis is the AWS-managed key" in out
    assert diff_of(out) == ORIGINS_DIFF
    assert fix(root, ".", "--write")[0] == 0
    after = scan(root)
    assert [(f["resource"]["address"], f["status"]) for f in after.findings] == [
        ("aws_kinesis_stream.events", "pass"), ("aws_kinesis_stream.audit", "pass"),
        ("module.dev.aws_kinesis_stream.this", "pass"), ("module.prod.aws_kinesis_stream.this", "pass")]


def test_a_value_that_also_sets_another_stream_is_not_edited(tmp_path: Path) -> None:
    root = tree(tmp_path, "shared")
    before = files_of(root)
    code, out, _ = fix(root, ".", "--write")
    assert code == 1
    assert out.splitlines() == [
        'NOT FIXED  aws_kinesis_stream.a (main.tf:5) KSSE002: variable "encryption" default (main.tf:2) also sets '
        "aws_kinesis_stream.b, which is suppressed: editing it would change that stream too; give this stream its "
        "own value",
        'NOT FIXED  aws_kinesis_stream.c (main.tf:18) KSSE002: encryption_type: the value is computed by var.kind == '
        '"x" ? "KMS" : "NONE" (main.tf:20); sseguard rewrites literals, and the variables and locals that pass them '
        "on",
        "0 stream(s) fixed in 0 file(s); 2 left as they are.",
    ]
    assert files_of(root) == before


def test_crlf_files_stay_crlf(tmp_path: Path) -> None:
    root = tree(tmp_path, "crlf")
    assert fix(root, ".", "--write")[0] == 0
    assert (root / "main.tf").read_bytes() == (
        b'resource "aws_kinesis_stream" "win" {\r\n  name        = "win"\r\n  shard_count = 1\r\n\r\n'
        b'  encryption_type = "KMS"\r\n  kms_key_id      = "alias/aws/kinesis"\r\n}\r\n')
    assert scan(root).verdict("aws_kinesis_stream.win") == ("pass", "KSSE000", ["KSSE010"], "main.tf", 1)


TFJSON_DIFF = (GOLDEN / "tfjson.diff").read_text()


def test_terraform_json_keeps_its_indentation_and_stays_json(tmp_path: Path) -> None:
    root = tree(tmp_path, "tfjson")
    code, out, _ = fix(root, ".")
    assert code == 1
    assert diff_of(out) == TFJSON_DIFF
    assert fix(root, ".", "--write")[0] == 0
    json.loads((root / "main.tf.json").read_text())
    after = scan(root)
    assert after.verdict("aws_kinesis_stream.json_stream") == ("pass", "KSSE000", ["KSSE010"], "main.tf.json", 4)
    assert after.verdict("aws_kinesis_stream.json_none") == ("pass", "KSSE000", ["KSSE010"], "main.tf.json", 10)


YAML_DIFF = (GOLDEN / "cfn-template.yaml.diff").read_text()


def test_cloudformation_yaml_keeps_comments_quoting_and_short_tags(tmp_path: Path) -> None:
    root = tree(tmp_path, "cfn")
    code, out, _ = fix(root, "template.yaml", "--region", "eu-west-1")
    assert code == 1
    assert out.splitlines()[:3] == [
        "WOULD FIX  Clicks (template.yaml:27) KSSE001: edits template.yaml:32",
        "WOULD FIX  Audit (template.yaml:32) KSSE002: edits template.yaml:36, template.yaml:37",
        "Key set for 2 stream(s): the customer key the other streams here use (StreamKey.Arn)",
    ]
    assert diff_of(out) == YAML_DIFF
    assert fix(root, "template.yaml", "--region", "eu-west-1", "--write")[0] == 0
    after = scan(root / "template.yaml", args=["--region", "eu-west-1"])
    assert after.verdict("Clicks")[:2] == ("pass", "KSSE000")
    assert after.verdict("Audit")[:2] == ("pass", "KSSE000")


JSON_TEMPLATE_DIFF = (GOLDEN / "cfn-stack.json.diff").read_text()


def test_cloudformation_json_keeps_its_indentation(tmp_path: Path) -> None:
    root = tree(tmp_path, "cfn")
    code, out, _ = fix(root, "stack.json")
    assert code == 1
    assert diff_of(out) == JSON_TEMPLATE_DIFF
    assert fix(root, "stack.json", "--write")[0] == 0
    json.loads((root / "stack.json").read_text())
    after = scan(root / "stack.json")
    assert [(f["resource"]["address"], f["status"], f["code"]) for f in after.findings] == [
        ("Plain", "pass", "KSSE000"), ("None", "pass", "KSSE000"), ("Bare", "pass", "KSSE000")]


@pytest.mark.parametrize("tool", ["git apply", "patch -p0"])
def test_the_patch_applies_with_git_apply_and_patch(tmp_path: Path, tool: str) -> None:
    if shutil.which(tool.split()[0]) is None:
        pytest.skip(f"{tool.split()[0]} is not installed")
    root = tree(tmp_path, "origins")
    code, patch, _ = fix(root, ".", "--format", "patch")
    assert code == 1
    assert patch == ORIGINS_DIFF
    written = tree(tmp_path / "written", "origins")
    fix(written, ".", "--write")
    if tool == "git apply":
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(tool.split(), input=patch, text=True, cwd=root, check=True, capture_output=True)
    assert {k: v for k, v in files_of(root).items() if not k.startswith(".git")} == files_of(written)


def test_json_lists_every_planned_edit(tmp_path: Path) -> None:
    root = tree(tmp_path, "origins")
    code, out, _ = fix(root, ".", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["written"] is False
    assert doc["edits"][0] == {
        "address": "aws_kinesis_stream.events", "root": None, "file": "main.tf", "line": 10, "code": "KSSE002",
        "edit": {"file": "terraform.tfvars", "start": 46, "end": 52, "line": 2, "old": '"NONE"', "new": '"KMS"',
                 "why": "aws_kinesis_stream.events: encrypt with KMS (alias/aws/kinesis)"},
        "key_note": None,
    }
    assert [(e["address"], e["edit"]["file"], e["edit"]["old"], e["edit"]["new"]) for e in doc["edits"]] == [
        ("aws_kinesis_stream.events", "terraform.tfvars", '"NONE"', '"KMS"'),
        ("aws_kinesis_stream.audit", "main.tf", '""', '"alias/aws/kinesis"'),
        ("module.prod.aws_kinesis_stream.this", "main.tf", '"none"', '"KMS"'),
    ]
    data = (root / "terraform.tfvars").read_bytes()
    assert data[46:52] == b'"NONE"'
    assert (doc["not_fixed"], doc["by_hand"], doc["files_written"]) == ([], [], [])


KEYS = {
    "main.tf": '''\
provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

resource "aws_kms_key" "locked" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:role/admin" }
      Action    = "kms:Describe*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_key" "far" {
  provider = aws.us
}

resource "aws_kms_key" "off" {
  is_enabled = false
}

resource "aws_kinesis_stream" "locked" {
  name            = "locked"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.locked.arn
}

resource "aws_kinesis_stream" "far" {
  name            = "far"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.far.arn
}

resource "aws_kinesis_stream" "off" {
  name            = "off"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.off.arn
}
''',
}


def test_key_failures_get_the_exact_change_to_make(tmp_path: Path) -> None:
    root = write(tmp_path, KEYS)
    before = files_of(root)
    code, out, _ = fix(root, ".", "--write")
    assert code == 1
    assert out.splitlines() == [
        "BY HAND    aws_kinesis_stream.locked (main.tf:30) KSSE012: add this statement to the key policy of "
        "aws_kms_key.locked (ACCOUNT: the account that owns the key, which these inputs do not say): "
        '{"Sid": "AllowAccountUseOfTheKeyForKinesis", "Effect": "Allow", "Principal": {"AWS": '
        '"arn:aws:iam::ACCOUNT:root"}, "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}',
        "BY HAND    aws_kinesis_stream.far (main.tf:36) KSSE011: use a key of region eu-west-1: "
        "aws_kms_key.far.arn is in us-east-1, and Kinesis uses only keys of the stream's own region (pass --key, or "
        "create the key in that region)",
        "BY HAND    aws_kinesis_stream.off (main.tf:42) KSSE014: the key aws_kms_key.off.arn is Disabled: enable it "
        "(aws kms enable-key), cancel its deletion (aws kms cancel-key-deletion), or use another key with --key",
        "0 stream(s) fixed in 0 file(s); 3 left as they are.",
    ]
    assert files_of(root) == before


def test_a_fix_that_would_not_pass_is_not_written(tmp_path: Path) -> None:
    """A --key naming a key the module does not declare: the stream would be unknown after the edit."""
    root = tree(tmp_path, "crlf")
    before = files_of(root)
    code, out, _ = fix(root, ".", "--key", "aws_kms_key.missing.arn", "--write")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("NOT FIXED  aws_kinesis_stream.win (main.tf:1) KSSE001: after the edit the stream would "
                            "be unknown KSSE020: ")
    assert first.endswith("; not written")
    assert files_of(root) == before


def test_unknown_and_suppressed_streams_are_never_touched(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": '''\
variable "enc" {}

resource "aws_kinesis_stream" "unknown" {
  name            = "unknown"
  encryption_type = var.enc
}

resource "aws_kinesis_stream" "accepted" {
  # sseguard:ignore KSSE001 reason="test stream" expires=2099-01-01
  name = "accepted"
}
'''})
    before = files_of(root)
    code, out, _ = fix(root, ".", "--write")
    assert (code, out) == (0, "Nothing to fix: no stream fails with a code sseguard fix acts on.\n")
    assert files_of(root) == before


def test_code_selects_the_streams_to_fix(tmp_path: Path) -> None:
    root = tree(tmp_path, "orders")
    code, out, _ = fix(root, ".", "--code", "ksse002")
    assert out.splitlines()[0] == ("WOULD FIX  aws_kinesis_stream.audit (main.tf:25) KSSE002: edits main.tf:27, "
                                   "main.tf:31")
    assert "clicks" not in out
    code, _, err = fix(root, ".", "--code", "KSSE020")
    assert code == 2
    assert err == ("sseguard: error: --code KSSE020: not a code sseguard fix acts on (it fixes KSSE001, KSSE002, "
                   "KSSE003, KSSE004, KSSE005 and advises on KSSE011, KSSE012, KSSE013, KSSE014)\n")


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    root = tree(tmp_path, "crlf")
    run = prepare([root], ScanOptions(base=root))
    assert len(run.fixed) == 1
    (root / "main.tf").write_bytes(b"# edited by someone else\n" + (root / "main.tf").read_bytes())
    write_fix(run)
    assert run.written == []
    assert run.not_written == {str(root / "main.tf"): "changed on disk since sseguard read it; run sseguard fix "
                                                      "again"}


def test_writes_keep_the_file_mode(tmp_path: Path) -> None:
    root = tree(tmp_path, "crlf")
    (root / "main.tf").chmod(0o640)
    assert fix(root, ".", "--write")[0] == 0
    assert stat.S_IMODE((root / "main.tf").stat().st_mode) == 0o640
    assert [p.name for p in root.iterdir()] == ["main.tf"]  # no temporary file left behind


def test_the_whole_benchmark_corpus_is_fixed(tmp_path: Path) -> None:
    """Property over the 2,000-file corpus: after fix --write, no fixable failure is left, nothing that passed or
    was unknown changed, and every file still parses."""
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_corpus.py"), str(corpus), "2000"], check=True,
                   capture_output=True)
    before = scan(corpus)
    fixable = {"KSSE001", "KSSE002", "KSSE003", "KSSE004", "KSSE005"}
    failing = [f["resource"]["address"] for f in before.findings if f["code"] in fixable]
    assert len(failing) > 700
    code, out, _ = fix(corpus, ".", "--write")
    assert code == 0, out.splitlines()[-1]
    after = scan(corpus)
    assert after.errors == []
    assert [f for f in after.findings if f["code"] in fixable] == []
    was = {f["resource"]["address"]: f["status"] for f in before.findings}
    now = {f["resource"]["address"]: f["status"] for f in after.findings}
    assert {a for a, s in now.items() if s == "pass"} == {a for a, s in was.items() if s == "pass"} | set(failing)
    assert {a for a, s in now.items() if s == "unknown"} == {a for a, s in was.items() if s == "unknown"}


def test_a_key_that_is_no_key_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path, "cfn")
    before = files_of(root)
    code, out, _ = fix(root, "stack.json", "--key", "StreamKye.Arn", "--write")
    assert code == 1
    assert out.splitlines()[0] == ("NOT FIXED  Plain (stack.json:3) KSSE001: --key StreamKye.Arn: not a key id, "
                                   "alias/NAME or key ARN, and the template declares no AWS::KMS::Key or "
                                   "AWS::KMS::Alias StreamKye")
    code, out, _ = fix(root, "template.yaml", "--key", "my key", "--region", "eu-west-1", "--write")
    assert out.splitlines()[0].endswith("KSSE001: --key my key: not a key id, alias/NAME or key ARN, and the "
                                        "template declares no AWS::KMS::Key or AWS::KMS::Alias my key")
    crlf = tree(tmp_path, "crlf")
    code, out, _ = fix(crlf, ".", "--key", "my-key", "--write")
    assert out.splitlines()[0] == ("NOT FIXED  aws_kinesis_stream.win (main.tf:1) KSSE001: --key my-key: not a key "
                                   "id, alias/NAME, key ARN or Terraform reference")
    assert files_of(root) == before
    code, out, _ = fix(crlf, ".", "--key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-"
                                            "1234567890ab", "--write")
    assert code == 0
    assert b'kms_key_id      = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"' in \
        (crlf / "main.tf").read_bytes()


def test_key_policy_gets_the_statement_where_it_is_written(tmp_path: Path) -> None:
    """--key-policy: jsonencode(), a JSON heredoc, an aws_iam_policy_document, a YAML and a JSON KeyPolicy."""
    root = tree(tmp_path, "keypolicy")
    code, out, _ = fix(root, ".", "--region", "eu-west-1")
    assert code == 1
    assert out.splitlines()[0].startswith("BY HAND    aws_kinesis_stream.encoded (main.tf:55) KSSE012: add this "
                                          "statement to the key policy of aws_kms_key.encoded")
    code, patch, _ = fix(root, ".", "--region", "eu-west-1", "--key-policy", "--format", "patch")
    assert code == 1
    assert patch == (GOLDEN / "keypolicy.diff").read_text()
    assert fix(root, ".", "--region", "eu-west-1", "--key-policy", "--write")[0] == 0
    json.loads((root / "stack.json").read_text())
    after = scan(root, args=["--region", "eu-west-1"])
    assert [(f["resource"]["address"], f["status"], f["code"], f["advisories"]) for f in after.findings] == [
        # KSSE013 is gone; the keys still leave rotation off (KSSE015), which no fix of the stream changes
        ("aws_kinesis_stream.encoded", "pass", "KSSE000", ["KSSE015"]),
        ("aws_kinesis_stream.heredoc", "pass", "KSSE000", ["KSSE015"]),
        ("aws_kinesis_stream.document", "pass", "KSSE000", ["KSSE015"]),
        ("Stream", "pass", "KSSE000", ["KSSE015"]),
        ("Stream", "pass", "KSSE000", ["KSSE015"]),
    ]
    if TERRAFORM is not None:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
        done = subprocess.run([TERRAFORM, "fmt", "-check", "-diff", "main.tf"], cwd=root, capture_output=True,
                              text=True, env=env, check=False)
        assert done.returncode == 0, done.stdout


def test_a_stream_encryption_that_is_not_a_mapping_is_left_alone(tmp_path: Path) -> None:
    """Found by fuzzing: ``StreamEncryption:`` left empty ended the command with an internal error."""
    root = write(tmp_path, {"template.yaml": "Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties:\n"
                                             "      StreamEncryption:\n"})
    code, out, err = fix(root, "template.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == ("NOT FIXED  S (template.yaml:2) KSSE001: StreamEncryption is written empty, not as "
                                   "a mapping; remove the empty key (or write the mapping) and run sseguard fix again")


@pytest.mark.parametrize("kind", ["terraform", "tf.json", "tfvars", "cloudformation-yaml", "cloudformation-json"])
def test_fix_on_mutants_never_fails_and_what_it_fixes_passes(tmp_path: Path, kind: str) -> None:
    """The fuzz harness's mutants (tests/fuzz) through ``fix --write``: no internal error, an exit code of 0, 1 or
    2, and every stream it says it fixed passes a scan afterwards. (1,680 mutants were run this way at length.)"""
    from fuzz.runner import make_mutant

    for index in range(12):
        mutant = make_mutant(kind, 1, index)
        area = tmp_path / str(index)
        mutant.seed.lay_out(area, "outside")
        (area / mutant.target).write_bytes(mutant.data)
        options = [o for o in mutant.options if o in ("--region", "--strict-key-policy", "--parameter", "--var")
                   or not o.startswith("--")] if "--fail-on" not in mutant.options else []
        options = [] if "--full-parse" in mutant.options else options
        code, out, err = fix(area, *mutant.seed.args, *options, "--write")
        assert code in (0, 1, 2), mutant.id
        assert "internal error" not in err, (mutant.id, err)
        fixed = [line.split()[1] for line in out.splitlines() if line.startswith("FIXED ")]
        if fixed:
            after = scan(*mutant.seed.args, args=options, cwd=area)
            assert {f["resource"]["address"]: f["status"] for f in after.findings
                    if f["resource"]["address"] in fixed} == dict.fromkeys(fixed, "pass"), mutant.id


def test_for_each_instances_share_one_edit_and_a_per_instance_value_is_not_rewritten(tmp_path: Path) -> None:
    root = tree(tmp_path, "foreach")
    code, out, _ = fix(root, ".", "--write")
    assert code == 1
    assert out.splitlines()[:3] == [
        'FIXED      aws_kinesis_stream.team["data"] (main.tf:6) KSSE001: edits main.tf:10',
        'FIXED      aws_kinesis_stream.team["web"] (main.tf:6) KSSE001: edits main.tf:10',
        'NOT FIXED  aws_kinesis_stream.tier["bronze"] (main.tf:12) KSSE002: encryption_type: the value is computed by '
        "each.value (main.tf:15); sseguard rewrites literals, and the variables and locals that pass them on",
    ]
    text = (root / "main.tf").read_text()
    assert text.count('encryption_type = "KMS"') == 1
    after = scan(root)
    assert after.verdict('aws_kinesis_stream.team["web"]') == ("pass", "KSSE000", ["KSSE010"], "main.tf", 6)
    assert after.verdict('aws_kinesis_stream.team["data"]') == ("pass", "KSSE000", ["KSSE010"], "main.tf", 6)
    assert after.verdict('aws_kinesis_stream.tier["bronze"]')[:2] == ("fail", "KSSE002")
