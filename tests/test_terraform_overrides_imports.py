"""*_override.tf files merged by Terraform's rules, and import blocks (KSSE005)."""

from __future__ import annotations

from helpers import TF, scan


def test_override_files_replace_attributes_locals_and_variable_defaults() -> None:
    run = scan(TF / "overrides")
    # streams_override.tf sets encryption_type and kms_key_id on a stream main.tf leaves at NONE
    assert run.verdict("aws_kinesis_stream.overridden") == ("pass", "KSSE000", [], "main.tf", 10)
    # override.tf replaces a local and a variable default used by the other streams
    assert run.verdict("aws_kinesis_stream.by_local") == ("pass", "KSSE000", [], "main.tf", 20)
    for name in ("overridden", "by_local", "untouched"):
        assert run.evidence(f"aws_kinesis_stream.{name}")["key_reference"] == "alias/from-override"
    # an override block with nothing to override declares nothing
    assert run.addresses() == ["aws_kinesis_stream.by_local", "aws_kinesis_stream.overridden",
                               "aws_kinesis_stream.untouched"]
    assert run.errors == []
    assert sorted(i["location"] for i in run.report["inputs"]) == ["main.tf", "override.tf", "streams_override.tf"]


def test_import_blocks() -> None:
    run = scan(TF / "imports")
    assert run.verdict("aws_kinesis_stream.imported") == ("fail", "KSSE005", [], "main.tf", 6)
    assert run.finding("aws_kinesis_stream.imported")["message"] == (
        "an import targets this stream and its configuration omits encryption_type: the provider default NONE "
        "matches the unencrypted stream, so terraform plan shows no drift")
    assert run.evidence("aws_kinesis_stream.imported")["importing"] is True
    # an import of a stream that sets its encryption is judged on it
    assert run.verdict("aws_kinesis_stream.imported_encrypted") == ("pass", "KSSE000", [], "main.tf", 16)
    assert run.verdict("aws_kinesis_stream.imported_none") == ("fail", "KSSE002", [], "main.tf", 27)
    # for_each import blocks target some instances only
    assert run.verdict('aws_kinesis_stream.many["a"]') == ("fail", "KSSE005", [], "main.tf", 38)
    assert run.verdict('aws_kinesis_stream.many["b"]') == ("fail", "KSSE005", [], "main.tf", 38)
    assert run.verdict('aws_kinesis_stream.many["c"]') == ("fail", "KSSE001", [], "main.tf", 38)
    assert "importing" not in run.evidence('aws_kinesis_stream.many["c"]')
    # an import into a module's stream
    assert run.verdict("module.mod.aws_kinesis_stream.this") == ("fail", "KSSE005", [], "mod/main.tf", 1)
    assert run.verdict("aws_kinesis_stream.not_imported") == ("fail", "KSSE001", [], "main.tf", 52)
    assert len(run.findings) == 8


def test_import_blocks_targeting_a_count_index_and_a_module_instance() -> None:
    run = scan(TF / "imports_indexed")
    assert run.verdict("aws_kinesis_stream.c[0]") == ("fail", "KSSE001", [], "main.tf", 9)
    assert run.verdict("aws_kinesis_stream.c[1]") == ("fail", "KSSE005", [], "main.tf", 9)
    assert run.verdict('module.m["a"].aws_kinesis_stream.s') == ("fail", "KSSE005", [], "mod/main.tf", 1)
    assert run.verdict('module.m["b"].aws_kinesis_stream.s') == ("fail", "KSSE001", [], "mod/main.tf", 1)
