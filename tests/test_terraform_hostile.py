"""Hostile and invalid Terraform (issue 9): nothing Terraform rejects is judged as if it were valid, a value that
cannot be read never leaves a stream passing, one bad value costs only the streams that use it, work is bounded,
and nothing outside the repository the scan is in is read.

Each case is a real tree written to disk and scanned as a user would (``sseguard scan DIR --format json``). Trees
under ``tmp_path`` are outside any git checkout, so the scanned folder itself is the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import ScanRun, scan, write

NONE_STREAM = '''resource "aws_kinesis_stream" "plain" {
  name            = "plain"
  shard_count     = 1
  encryption_type = "NONE"
}
'''


def tree(root: Path, files: dict[str, str | bytes]) -> ScanRun:
    write(root, files)
    return scan(root)


# --- silent passes: a key that cannot be read ------------------------------------------------------------------

KEY_USER = '''resource "aws_kinesis_stream" "orders" {
  name            = "orders"
  shard_count     = 1
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.k.arn
}
'''
KEY = '''resource "aws_kms_key" "k" {
  description = "orders"
  is_enabled  = false
}
'''


@pytest.mark.parametrize(("name", "content", "why"), [
    ("nul", KEY.encode() + b"\0", "kms.tf: binary file (contains NUL bytes); not read"),
    ("latin1", KEY.replace('"orders"', '"caf\xe9"').encode("latin-1"),
     "kms.tf:2: not UTF-8 text (byte 0xe9); Terraform requires UTF-8"),
    # the parser still reads the key block around the error, but not what the broken line says
    ("syntax", KEY.replace("is_enabled  = false", "is_enabled  = ").encode() + b"\n}\n",
     "aws_kms_key.k (kms.tf:1) cannot be read: it has a syntax error"),
    # the key block parses whole, but Terraform reads none of its file
    ("syntax_after_the_key", KEY.encode() + b"\n}\n",
     "aws_kms_key.k (kms.tf:1) cannot be read: its file has a syntax error at line 6"),
])
def test_a_key_declared_in_a_file_that_cannot_be_read_makes_its_stream_unknown(
        tmp_path: Path, name: str, content: bytes, why: str) -> None:
    run = tree(tmp_path, {"main.tf": KEY_USER, "kms.tf": content})
    status, code, _, path, line = run.verdict("aws_kinesis_stream.orders")
    assert (status, code, path, line) == ("unknown", "KSSE020", "main.tf", 1)
    message = run.finding("aws_kinesis_stream.orders")["message"]
    if name.startswith("syntax"):
        assert why in message
    else:
        assert f"aws_kms_key.k is declared in a part of the module Terraform cannot read ({why})" in message
    assert run.exit_code == 0  # unknown is not a fail; --fail-on unknown makes it one


def test_a_stray_brace_after_intact_blocks_makes_every_stream_of_the_file_unknown(tmp_path: Path) -> None:
    # Terraform reads none of a file with a syntax error, wherever the error is: no stream in it is judged on the
    # blocks that happen to parse (a NONE stream would fail, an encrypted one would pass, on a file never applied)
    managed = NONE_STREAM.replace('"plain"', '"managed"').replace(
        'encryption_type = "NONE"', 'encryption_type = "KMS"\n  kms_key_id      = "alias/aws/kinesis"')
    elsewhere = NONE_STREAM.replace('"plain"', '"elsewhere"')
    run = tree(tmp_path, {"main.tf": NONE_STREAM + "\n" + managed + "}\n", "good.tf": elsewhere})
    line_of_brace = (NONE_STREAM + "\n" + managed).count("\n") + 1
    assert run.verdict("aws_kinesis_stream.plain") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.managed") == ("unknown", "KSSE020", [], "main.tf", 7)
    assert run.finding("aws_kinesis_stream.managed")["message"] == (
        f"the block cannot be read (main.tf:7: its file has a syntax error at line {line_of_brace}); to resolve: fix "
        "the syntax error (terraform validate shows it)")
    assert run.error_lines() == [("main.tf", line_of_brace)]
    assert run.verdict("aws_kinesis_stream.elsewhere") == ("fail", "KSSE002", [], "good.tf", 1)


def test_a_local_or_variable_declared_in_a_broken_file_decides_nothing(tmp_path: Path) -> None:
    user = '''resource "aws_kinesis_stream" "s" {
  name            = "s"
  encryption_type = local.enc
  kms_key_id      = var.key
}
'''
    values = '''locals {
  enc = "KMS"
}

variable "key" {
  default = "alias/aws/kinesis"
}
}
'''
    run = tree(tmp_path, {"main.tf": user, "values.tf": values})
    assert run.verdict("aws_kinesis_stream.s") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.finding("aws_kinesis_stream.s")["message"] == (
        "encryption_type = local.enc: the value at values.tf:2 cannot be used: its file has a syntax error at line 8, "
        "and Terraform reads none of it; to resolve: fix the syntax error (terraform validate shows it)")
    fixed = tree(tmp_path, {"values.tf": values.removesuffix("}\n")})
    assert fixed.verdict("aws_kinesis_stream.s") == ("pass", "KSSE000", ["KSSE010"], "main.tf", 1)


def test_a_reference_to_a_key_declared_nowhere_is_unknown(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": KEY_USER})
    assert run.verdict("aws_kinesis_stream.orders") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.finding("aws_kinesis_stream.orders")["message"] == (
        "kms_key_id = aws_kms_key.k.arn: aws_kms_key.k is not declared in this module; Terraform rejects a "
        "reference to it; to resolve: declare aws_kms_key.k, or correct the reference")


def test_a_misspelled_resource_keyword_is_an_error_and_hides_nothing(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": KEY_USER + "\n" + KEY.replace("resource", "resouce")})
    assert run.errors == [{"location": "main.tf", "line": 8, "kind": "incomplete",
                           "message": "unsupported block type 'resouce'; Terraform rejects it"}]
    assert run.verdict("aws_kinesis_stream.orders") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.finding("aws_kinesis_stream.orders")["message"].startswith(
        "kms_key_id = aws_kms_key.k.arn: aws_kms_key.k is declared in a part of the module Terraform cannot read "
        "(main.tf:8: unsupported block type 'resouce'; Terraform rejects it)")


def test_a_file_scanned_alone_keeps_references_to_its_siblings_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": KEY_USER, "kms.tf": KEY})
    alone = scan(tmp_path / "main.tf")
    # the key may be declared in kms.tf, which a one-file scan does not read: the control (KMS, a key given) holds
    assert alone.verdict("aws_kinesis_stream.orders") == ("pass", "KSSE000", [], "main.tf", 1)
    whole = scan(tmp_path)
    # the key has KMS's default policy: no grant to kinesis.amazonaws.com (KSSE013), disabled (KSSE014)
    assert whole.verdict("aws_kinesis_stream.orders") == ("fail", "KSSE014", ["KSSE013", "KSSE015"], "main.tf", 1)


# --- invalid Terraform never drops a stream ----------------------------------------------------------------------

def test_blocks_terraform_rejects_are_errors_and_their_streams_unknown(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''resouce "aws_kinesis_stream" "typo" {
  name = "typo"
}

resource "aws_kinesis_stream" {
  name = "one label"
}

resource "aws_kinesis_stream" "a" "b" {
  name = "three labels"
}
''' + NONE_STREAM})
    assert run.error_lines() == [("main.tf", 1), ("main.tf", 5), ("main.tf", 9)]
    assert [e["message"] for e in run.errors] == [
        "unsupported block type 'resouce'; Terraform rejects it",
        "a resource block takes 2 labels, this one has 1; Terraform rejects it",
        "a resource block takes 2 labels, this one has 3; Terraform rejects it",
    ]
    assert run.verdict("aws_kinesis_stream.typo") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.(unnamed, line 5)") == ("unknown", "KSSE020", [], "main.tf", 5)
    assert run.verdict("aws_kinesis_stream.a") == ("unknown", "KSSE020", [], "main.tf", 9)
    assert run.finding("aws_kinesis_stream.typo")["message"] == (
        "the block cannot be read (main.tf:1: unsupported block type 'resouce'; Terraform rejects it); to resolve: "
        "fix the block so Terraform accepts it (terraform validate)")
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 12)
    assert run.exit_code == 1


def test_an_unterminated_label_keeps_both_streams(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": 'resource "aws_kinesis_stream "x" {\n  name = "x"\n}\n\n' + NONE_STREAM})
    assert run.error_lines() == [("main.tf", 1)]
    assert run.verdict("aws_kinesis_stream.x") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.plain") == ("unknown", "KSSE020", [], "main.tf", 5)


def test_a_misspelled_block_type_in_tf_json_is_an_error_and_its_stream_unknown(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf.json": '{\n  "resources": {\n    "aws_kinesis_stream": {\n      "s": {\n'
                                          '        "name": "s"\n      }\n    }\n  }\n}\n'})
    assert run.errors == [{"location": "main.tf.json", "line": 2, "kind": "incomplete",
                           "message": "unsupported block type 'resources'; Terraform rejects it"}]
    assert run.verdict("aws_kinesis_stream.s") == ("unknown", "KSSE020", [], "main.tf.json", 2)


def test_an_argument_defined_twice_is_an_error_and_the_stream_unknown(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''resource "aws_kinesis_stream" "twice" {
  name            = "twice"
  encryption_type = "NONE"
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"
}
'''})
    message = "argument 'encryption_type' is defined twice (lines 3 and 4); Terraform rejects a redefined argument"
    assert run.errors == [{"location": "main.tf", "line": 1, "message": message, "kind": "incomplete"}]
    assert run.verdict("aws_kinesis_stream.twice") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert run.finding("aws_kinesis_stream.twice")["message"].startswith(
        f"the block cannot be read (main.tf:1: {message})")


def test_a_key_with_an_argument_defined_twice_makes_its_stream_unknown(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": KEY_USER + KEY.replace("is_enabled  = false",
                                                           "is_enabled  = false\n  is_enabled  = true")})
    assert run.verdict("aws_kinesis_stream.orders") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert "aws_kms_key.k (main.tf:7) cannot be read: argument 'is_enabled' is defined twice" in run.finding(
        "aws_kinesis_stream.orders")["message"]


def test_an_exponent_without_a_fraction_parses(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": NONE_STREAM.replace('  name ', '  retention_period = 1e3\n  name ') + '''
resource "aws_kinesis_stream" "counted" {
  count           = 2e0 == 2 ? 1 : 0
  name            = "1e3 stays text"
  encryption_type = "KMS"
  kms_key_id      = "alias/1e3"
}
'''})
    assert run.errors == []
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.counted[0]") == ("pass", "KSSE000", [], "main.tf", 8)
    assert run.evidence("aws_kinesis_stream.counted[0]")["key_reference"] == "alias/1e3"
    assert run.exit_code == 1


def test_a_syntax_error_is_reported_at_the_line_terraform_names(tmp_path: Path) -> None:
    # terraform fmt: "Argument or block definition required ... on main.tf line 8" (a name left without "=")
    run = tree(tmp_path, {"main.tf": NONE_STREAM + '''
resource "aws_kinesis_stream" "broken" {
  name = "broken"
  kms_key_id
  encryption_type = "KMS"
}
'''})
    assert run.error_lines() == [("main.tf", 9)]


# --- blast radius -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "error"), [
    ("pow(10, 400)", "pow()"),
    ("log(10, 1)", "log()"),
    ("length(range(1e9))", "range()"),
    ("1" + "0" * 5000, "the number 10000000000000000000... has 5001 characters"),
    ("[for i in range(1000) : [for j in range(1000) : j]]", "would iterate more than 200,000 times"),
])
def test_a_value_that_cannot_be_evaluated_costs_only_its_stream(tmp_path: Path, expression: str, error: str) -> None:
    run = tree(tmp_path, {
        "main.tf": f'''locals {{
  bad = {expression}
}}

resource "aws_kinesis_stream" "uses_bad" {{
  name            = "uses-bad"
  encryption_type = local.bad == null ? "NONE" : "KMS"
  kms_key_id      = "alias/k"
}}

module "other" {{
  source = "./other"
}}
''' + NONE_STREAM,
        "other/main.tf": NONE_STREAM.replace('"plain"', '"other"'),
    })
    assert run.verdict("aws_kinesis_stream.uses_bad") == ("unknown", "KSSE020", [], "main.tf", 5)
    assert error in run.finding("aws_kinesis_stream.uses_bad")["message"]
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 14)
    assert run.verdict("module.other.aws_kinesis_stream.other") == ("fail", "KSSE002", [], "other/main.tf", 1)
    assert run.exit_code == 1


@pytest.mark.parametrize(("meta", "count"), [
    ("count = 100000", "100,000"),
    ('for_each = toset(flatten([for i in range(200) : [for j in range(100) : "${i}-${j}"]]))', "20,000"),
])
def test_too_many_instances_are_unknown_not_expanded(tmp_path: Path, meta: str, count: str) -> None:
    run = tree(tmp_path, {"main.tf": NONE_STREAM.replace('  name ', f"  {meta}\n  name ")})
    assert run.verdict("aws_kinesis_stream.plain") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert f"gives {count} instances: too many instances to expand (sseguard expands at most 10,000" in \
        run.finding("aws_kinesis_stream.plain")["message"]


@pytest.mark.parametrize("value", ['[{ a = 1 }]', '[["a"]]', '["a", { b = 2 }]'])
def test_for_each_over_a_list_of_objects_is_unknown_and_costs_only_its_stream(tmp_path: Path, value: str) -> None:
    # found by the fuzz harness: Terraform takes only sets of strings, and the error ended the whole root module
    broken = NONE_STREAM.replace("  name ", f"  for_each = {value}\n  name ").replace('"plain"', '"each"', 1)
    run = tree(tmp_path, {"main.tf": broken + "\n" + NONE_STREAM})
    assert run.verdict("aws_kinesis_stream.each") == ("unknown", "KSSE020", [], "main.tf", 1)
    assert f"for_each = {value} holds a value that is not a known string" in \
        run.finding("aws_kinesis_stream.each")["message"]
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 8)


# --- nothing read outside the scanned tree -------------------------------------------------------------------------

@pytest.mark.parametrize("call", ['file("/etc/passwd")', 'templatefile("/proc/self/environ", {})',
                                  'file("${path.module}/../outside.txt")'])
def test_files_outside_the_repository_are_not_read(tmp_path: Path, call: str) -> None:
    write(tmp_path, {"outside.txt": "root:x:0:0:secret\n"})
    run = tree(tmp_path / "repo", {"main.tf": f'''resource "aws_kms_key" "k" {{
  policy = {call}
}}
''' + KEY_USER})
    assert run.verdict("aws_kinesis_stream.orders") == ("unknown", "KSSE020", ["KSSE015"], "main.tf", 4)
    message = run.finding("aws_kinesis_stream.orders")["message"]
    assert "not read: outside the scanned tree" in message
    assert "root:x" not in str(run.report) and "secret" not in str(run.report)


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": '''resource "aws_kms_key" "k" {
  policy = file("${path.module}/policy.json")
}
''' + KEY_USER})
    os.mkfifo(tmp_path / "policy.json")  # opening it for reading would wait for a writer forever
    run = scan(tmp_path)
    assert run.verdict("aws_kinesis_stream.orders") == ("unknown", "KSSE020", ["KSSE015"], "main.tf", 4)
    assert "not read: not a regular file (a FIFO)" in run.finding("aws_kinesis_stream.orders")["message"]


def test_a_fifo_named_like_a_configuration_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": NONE_STREAM})
    os.mkfifo(tmp_path / "pipe.tf")
    run = scan(tmp_path)
    assert run.errors == [{"location": "pipe.tf", "line": None, "message": "cannot read: not a regular file (a FIFO)"}]
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 1)


def test_a_module_outside_the_repository_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, {"elsewhere/main.tf": NONE_STREAM})
    run = tree(tmp_path / "repo", {"main.tf": 'module "far" {\n  source = "../elsewhere"\n}\n'})
    assert run.findings == []
    assert run.errors == [{"location": "main.tf", "line": 1, "kind": "incomplete", "message": (
        "module.far not scanned: module.far (source '../elsewhere') is outside the repository the scan is in: not "
        "read (scan from the repository that holds the module)")}]


def test_a_module_source_too_long_for_the_system_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # found by the fuzz harness: the path lookup raised ENAMETOOLONG and ended the whole root module
    source = "./m" + "0" * 5000
    run = tree(tmp_path, {"main.tf": f'module "m" {{\n  source = "{source}"\n}}\n\n' + NONE_STREAM})
    assert run.verdict("aws_kinesis_stream.plain") == ("fail", "KSSE002", [], "main.tf", 5)
    [error] = run.errors
    shown = repr(source[:117] + "...")
    assert error == {"location": "main.tf", "line": 1, "kind": "incomplete", "message": (
        f"module.m not scanned: module.m (source {shown}) cannot be read: File name too long (correct the module's "
        "source)")}


def test_a_huge_expression_is_shown_cut_in_messages(tmp_path: Path) -> None:
    path = "a/" * 3000
    stream = NONE_STREAM.replace('"NONE"', f'file("{path}")')
    run = tree(tmp_path, {"main.tf": stream})
    assert run.verdict("aws_kinesis_stream.plain") == ("unknown", "KSSE020", [], "main.tf", 1)
    message = run.finding("aws_kinesis_stream.plain")["message"]
    assert message.startswith(f'encryption_type = file("{path[:194]}… (6,008 characters): ')
    assert f"file({path[:200]}… (6,000 characters)) cannot be read: File name too long" in message
    assert len(message) < 1000


def test_a_module_elsewhere_in_the_same_git_checkout_is_read(tmp_path: Path) -> None:
    write(tmp_path, {"modules/s/main.tf": NONE_STREAM,
                     "env/dev/main.tf": 'module "s" {\n  source = "../../modules/s"\n}\n'})
    (tmp_path / ".git").mkdir()
    run = scan(tmp_path / "env" / "dev")
    assert run.verdict("module.s.aws_kinesis_stream.plain") == (
        "fail", "KSSE002", [], str(tmp_path / "modules" / "s" / "main.tf"), 1)


def test_a_configuration_file_linking_outside_the_repository_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, {"secret.tf": NONE_STREAM, "repo/main.tf": KEY_USER.replace("aws_kms_key.k.arn", '"alias/k"')})
    (tmp_path / "repo" / "linked.tf").symlink_to(tmp_path / "secret.tf")
    run = scan(tmp_path / "repo")
    assert run.addresses() == ["aws_kinesis_stream.orders"]
    assert run.errors == [{"location": "linked.tf", "line": None, "message": (
        f"a link to {tmp_path / 'secret.tf'}, outside the repository the scan is in; not read")}]


# --- Terraform's own logic on real modules (issue 10) ----------------------------------------------------------

ENABLED = '''variable "enabled" {
  type = bool
}

variable "kinesis_enabled" {
  type    = bool
  default = false
}
'''


@pytest.mark.parametrize("condition", ["var.enabled && var.kinesis_enabled", "var.kinesis_enabled && var.enabled"])
def test_and_decides_whichever_side_is_unknown(tmp_path: Path, condition: str) -> None:
    counted = NONE_STREAM.replace('  name ', f"  count = {condition} ? 1 : 0\n  name ")
    run = tree(tmp_path, {"main.tf": ENABLED + counted})
    assert run.findings == []  # false && unknown is false: the stream is never created
    assert run.exit_code == 0


@pytest.mark.parametrize("condition", ["!var.kinesis_enabled || var.enabled", "var.enabled || !var.kinesis_enabled"])
def test_or_decides_whichever_side_is_unknown(tmp_path: Path, condition: str) -> None:
    counted = NONE_STREAM.replace('  name ', f"  count = {condition} ? 1 : 0\n  name ")
    run = tree(tmp_path, {"main.tf": ENABLED + counted})
    assert run.verdict("aws_kinesis_stream.plain[0]") == ("fail", "KSSE002", [], "main.tf", 9)


def test_a_condition_whose_branches_agree_is_decided_with_the_evidence_of_each(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''data "aws_kms_key" "shared" {
  key_id = "alias/shared"
}

locals {
  k = data.aws_kms_key.shared.arn
}

resource "aws_kinesis_stream" "either" {
  name            = "either"
  encryption_type = "KMS"
  kms_key_id      = local.k != null ? local.k : "alias/aws/kinesis"
}

variable "use_default" {
  type = bool
}

resource "aws_kinesis_stream" "depends" {
  name            = "depends"
  encryption_type = var.use_default ? "KMS" : "NONE"
  kms_key_id      = "alias/aws/kinesis"
}
'''})
    # data.aws_kms_key.shared.arn is unknown until apply but never null: local.k != null is true
    assert run.verdict("aws_kinesis_stream.either") == ("pass", "KSSE000", [], "main.tf", 9)
    assert run.evidence("aws_kinesis_stream.either")["key_reference"] == "data.aws_kms_key.shared.arn"
    # an undecidable condition whose branches disagree stays unknown, naming both outcomes
    assert run.verdict("aws_kinesis_stream.depends") == ("unknown", "KSSE020", [], "main.tf", 19)
    branches = run.evidence("aws_kinesis_stream.depends")["branches"]
    assert [(b["when"], b["status"], b["code"]) for b in branches] == [
        ("var.use_default is true", "pass", "KSSE000"), ("var.use_default is false", "fail", "KSSE002")]


def test_branches_that_agree_on_a_key_decide_the_stream(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''variable "use_shared_key" {
  type = bool
}

data "aws_kms_key" "shared" {
  key_id = "alias/shared"
}

resource "aws_kinesis_stream" "either" {
  name            = "either"
  encryption_type = "KMS"
  kms_key_id      = var.use_shared_key ? data.aws_kms_key.shared.arn : "alias/aws/kinesis"
}
'''})
    # var.use_shared_key has no value: the condition cannot be decided, but a key is given either way
    assert run.verdict("aws_kinesis_stream.either") == ("pass", "KSSE000", ["KSSE010"], "main.tf", 9)
    finding = run.finding("aws_kinesis_stream.either")
    assert finding["message"].startswith(
        "encrypted with a KMS key whichever way it goes (kms_key_id = var.use_shared_key ? "
        "data.aws_kms_key.shared.arn : \"alias/aws/kinesis\": the condition 'var.use_shared_key' cannot be decided: "
        "var.use_shared_key has no value in this root module): when var.use_shared_key is true: encrypted with KMS "
        "key data.aws_kms_key.shared.arn; 6 key checks could not run")
    branches = finding["evidence"]["branches"]
    assert [(b["when"], b["status"], b["code"], b["key_reference"]) for b in branches] == [
        ("var.use_shared_key is true", "pass", "KSSE000", "data.aws_kms_key.shared.arn"),
        ("var.use_shared_key is false", "pass", "KSSE000", "alias/aws/kinesis")]
    assert sorted(finding["evidence"]["key_checks_not_run"]) == ["KSSE011", "KSSE012", "KSSE013", "KSSE014",
                                                                 "KSSE015", "KSSE016"]


def test_an_arn_compared_with_null_is_decided(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''variable "kms_key_arn" {
  type    = string
  default = null
}

module "stream" {
  source      = "./stream"
  kms_key_arn = aws_kms_key.k.arn
}

resource "aws_kms_key" "k" {
  description = "streams"
}
''', "stream/main.tf": '''variable "kms_key_arn" {
  type    = string
  default = null
}

resource "aws_kinesis_stream" "s" {
  name            = "s"
  encryption_type = var.kms_key_arn == null ? "NONE" : "KMS"
  kms_key_id      = var.kms_key_arn
}
'''})
    assert run.verdict("module.stream.aws_kinesis_stream.s") == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"], "stream/main.tf", 6)


def test_the_aws_managed_alias_with_unknown_region_and_account_is_recognised(tmp_path: Path) -> None:
    run = tree(tmp_path, {"main.tf": '''data "aws_region" "current" {}
data "aws_caller_identity" "me" {}

resource "aws_kinesis_stream" "managed" {
  name            = "managed"
  encryption_type = "KMS"
  kms_key_id      = "arn:aws:kms:${data.aws_region.current.name}:${data.aws_caller_identity.me.account_id}:${local.a}"
}

locals {
  a = "alias/aws/kinesis"
}
'''})
    assert run.verdict("aws_kinesis_stream.managed") == ("pass", "KSSE000", ["KSSE010"], "main.tf", 4)
    assert run.evidence("aws_kinesis_stream.managed").get("key_checks_not_run") == {
        "KSSE011": "the region in key ARN arn:aws:kms:${data.aws_region.current.name}:"
                   "${data.aws_caller_identity.me.account_id}:alias/aws/kinesis is known only after apply"}


def test_in_a_large_tree_a_block_left_open_loses_no_stream(tmp_path: Path) -> None:
    # From 1 MiB on, blocks are found without parsing the whole file; a block whose closing brace is missing ends
    # where the next block starts, so the streams after it are found at their own lines, not lost to the parser's
    # recovery. Terraform reads none of the file, so they are unknown.
    filler = "".join(f'resource "aws_sqs_queue" "q{i}" {{\n  name = "q{i}"\n}}\n\n' for i in range(22_000))
    broken = NONE_STREAM.replace('"plain"', '"open"').replace("}\n", "\n")  # no closing brace
    run = tree(tmp_path, {"main.tf": filler + broken + "\n" + NONE_STREAM})
    open_line = filler.count("\n") + 1
    assert run.verdict("aws_kinesis_stream.open") == ("unknown", "KSSE020", [], "main.tf", open_line)
    assert run.verdict("aws_kinesis_stream.plain") == ("unknown", "KSSE020", [], "main.tf", open_line + 6)
    # the line Terraform reports for an unclosed block: its header
    assert run.error_lines() == [("main.tf", open_line)]
