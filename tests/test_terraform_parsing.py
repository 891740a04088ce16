"""Reading Terraform files: the fast block splitter and its fall-backs, layouts fmt never writes, and .tf.json."""

from __future__ import annotations

from helpers import TF, scan

PARSING = TF / "parsing"


def test_formatted_file_every_block_at_its_line() -> None:
    run = scan(PARSING / "formatted")
    assert run.exit_code == 1
    assert run.addresses() == ["aws_kinesis_stream.kms", "aws_kinesis_stream.none", "aws_kinesis_stream.oneline"]
    assert run.verdict("aws_kinesis_stream.kms") == ("pass", "KSSE000", [], "main.tf", 7)
    assert run.verdict("aws_kinesis_stream.oneline") == ("fail", "KSSE001", [], "main.tf", 24)
    assert run.verdict("aws_kinesis_stream.none") == ("fail", "KSSE002", [], "main.tf", 27)
    ends = {f["resource"]["address"]: f["source"]["end_line"] for f in run.findings}
    assert ends == {"aws_kinesis_stream.kms": 21, "aws_kinesis_stream.oneline": 24, "aws_kinesis_stream.none": 31}
    assert run.errors == []
    assert run.report["inputs"] == [{"kind": "terraform", "location": "main.tf"}]


def test_layout_terraform_fmt_never_writes() -> None:
    # indented headers, a closing brace indented, tabs, extra spaces between labels, and a nested block whose
    # closing brace sits at column 0: the splitter must not be misled into cutting blocks short
    run = scan(PARSING / "unformatted")
    assert run.verdict("aws_kinesis_stream.indented") == ("pass", "KSSE000", ["KSSE010"], "main.tf", 1)
    assert run.verdict("aws_kinesis_stream.tabs_and_spaces") == ("fail", "KSSE002", [], "main.tf", 8)
    assert run.verdict("aws_kinesis_stream.nested_close_at_column_0") == ("pass", "KSSE000", [], "main.tf", 13)
    assert run.finding("aws_kinesis_stream.nested_close_at_column_0")["source"]["end_line"] == 20
    assert run.evidence("aws_kinesis_stream.nested_close_at_column_0")["key_reference"] == "alias/nested"
    assert run.errors == []


def test_heredoc_policy_with_a_brace_at_column_0() -> None:
    # the heredoc's closing "}" at column 0 looks like the end of the block to the splitter; the file must
    # fall back to the full parse and read the whole policy (whose Deny of kms:Decrypt fails KSSE012)
    run = scan(PARSING / "heredoc_col0")
    assert run.addresses() == ["aws_kinesis_stream.orders"]
    assert run.verdict("aws_kinesis_stream.orders") == ("fail", "KSSE012", ["KSSE013", "KSSE015"], "main.tf", 30)
    ev = run.evidence("aws_kinesis_stream.orders")
    assert ev["key"]["policy_origin"] == "aws_kms_key.orders.policy"
    assert [s["Sid"] for s in ev["key"]["policy"]["Statement"]] == ["Root", "NoDecryptAnywhere"]
    assert ("no principal is left a way to use kms:Decrypt: allowed by statement 'Root' but denied without "
            "condition by statement 'NoDecryptAnywhere'") in ev["policy_analysis"]
    assert run.errors == []


def test_crlf_line_endings() -> None:
    run = scan(PARSING / "crlf")
    assert run.verdict("aws_kinesis_stream.crlf") == ("fail", "KSSE002", [], "main.tf", 3)
    assert run.verdict("aws_kinesis_stream.crlf2") == ("pass", "KSSE000", [], "main.tf", 8)
    assert run.finding("aws_kinesis_stream.crlf")["source"]["end_line"] == 6
    assert run.errors == []


def test_tf_json_streams_with_templates_and_lines() -> None:
    run = scan(PARSING / "json")
    assert run.verdict("aws_kinesis_stream.json_kms") == ("pass", "KSSE000", [], "main.tf.json", 14)
    assert run.verdict("aws_kinesis_stream.json_missing") == ("fail", "KSSE001", [], "main.tf.json", 20)
    # a "${var.key}" string in JSON is a template; the variable is declared in JSON and used from HCL too
    assert run.evidence("aws_kinesis_stream.json_kms")["key_reference"] == "alias/json"
    assert run.verdict("aws_kinesis_stream.hcl_beside_json") == ("pass", "KSSE000", [], "hcl.tf", 1)
    assert run.evidence("aws_kinesis_stream.hcl_beside_json")["key_reference"] == "alias/json"
    # the JSON provider block gives the region
    assert run.finding("aws_kinesis_stream.json_kms")["resource"]["region"] == "us-east-1"
    assert run.errors == []



def test_a_whole_configuration_in_tf_json() -> None:
    # providers as a list with an alias, locals, for_each and count as templates, a module and an import in JSON
    run = scan(TF / "json_config")
    assert run.verdict('aws_kinesis_stream.each["a"]') == ("pass", "KSSE000", [], "main.tf.json", 34)
    assert run.verdict('aws_kinesis_stream.each["b"]') == ("fail", "KSSE002", [], "main.tf.json", 34)
    for index in (0, 1):
        address = f"aws_kinesis_stream.counted[{index}]"
        assert run.verdict(address) == ("fail", "KSSE011", ["KSSE013", "KSSE015"], "main.tf.json", 40)
        assert run.evidence(address)["also_failing"] == ["KSSE012", "KSSE014"]
        assert run.finding(address)["resource"]["region"] == "us-west-2"
    assert run.verdict("module.m.aws_kinesis_stream.imp_mod") == ("fail", "KSSE002", [], "mod/main.tf.json", 1)
    assert run.verdict("aws_kinesis_stream.imp") == ("fail", "KSSE005", [], "imp.tf.json", 1)
    assert len(run.findings) == 6
    assert run.errors == []


def test_quotes_inside_an_interpolation_in_tf_json() -> None:
    run = scan(TF / "json_quotes")
    assert run.verdict("aws_kinesis_stream.quoted_in_interpolation") == (
        "pass", "KSSE000", ["KSSE015"], "main.tf.json", 12)
    assert run.evidence("aws_kinesis_stream.quoted_in_interpolation")["key"]["policy"]["Statement"][0]["Effect"] == (
        "Allow")
