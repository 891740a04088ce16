"""Variable values as Terraform assigns them: defaults, TF_VAR_*, terraform.tfvars, *.auto.tfvars in name order,
--var-file, --var (later wins); typed values from the command line; a variable with no value is unknown."""

from __future__ import annotations

import pytest

from helpers import TF, scan

ROOT = TF / "variables" / "root"
FILES = TF / "variables" / "files"
TYPED = TF / "variables" / "typed"
KEY = "alias/vars"


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_from_env", "KMS")
    monkeypatch.setenv("TF_VAR_env_loses", "KMS")


def test_every_source_of_a_value_in_terraform_precedence(environ: None) -> None:
    run = scan(ROOT)
    assert run.verdict("aws_kinesis_stream.default_only") == ("pass", "KSSE000", [], "main.tf", 46)
    # terraform.tfvars beats the default
    assert run.verdict("aws_kinesis_stream.from_tfvars") == ("pass", "KSSE000", [], "main.tf", 52)
    # a.auto.tfvars beats terraform.tfvars
    assert run.verdict("aws_kinesis_stream.from_auto") == ("pass", "KSSE000", [], "main.tf", 58)
    # b.auto.tfvars.json is read after a.auto.tfvars
    assert run.verdict("aws_kinesis_stream.auto_order") == ("pass", "KSSE000", [], "main.tf", 64)
    # TF_VAR_ alone gives a value, and loses to any file
    assert run.verdict("aws_kinesis_stream.from_env") == ("pass", "KSSE000", [], "main.tf", 70)
    assert run.verdict("aws_kinesis_stream.env_loses") == ("fail", "KSSE002", [], "main.tf", 76)
    assert run.verdict("aws_kinesis_stream.from_var_file") == ("fail", "KSSE002", [], "main.tf", 82)
    assert run.verdict("aws_kinesis_stream.from_cli") == ("fail", "KSSE002", [], "main.tf", 88)
    assert run.evidence("aws_kinesis_stream.from_auto")["key_reference"] == KEY
    assert run.errors == []


def test_var_file_then_var_win(environ: None) -> None:
    run = scan(ROOT, args=["--var-file", str(FILES / "extra.tfvars"), "--var", "from_cli=KMS"])
    assert run.verdict("aws_kinesis_stream.from_var_file") == ("pass", "KSSE000", [], "main.tf", 82)
    # extra.tfvars sets from_cli = "NONE"; --var comes after every file
    assert run.verdict("aws_kinesis_stream.from_cli") == ("pass", "KSSE000", [], "main.tf", 88)
    assert run.verdict("aws_kinesis_stream.env_loses") == ("fail", "KSSE002", [], "main.tf", 76)


def test_var_files_in_the_order_given_and_json_var_files(environ: None) -> None:
    run = scan(ROOT, args=["--var-file", str(FILES / "extra.tfvars"), "--var-file", str(FILES / "extra.tfvars.json")])
    # the JSON file comes second: its lower-case "kms" wins, and its key reaches every stream
    assert run.verdict("aws_kinesis_stream.from_var_file") == ("pass", "KSSE000", [], "main.tf", 82)
    assert run.evidence("aws_kinesis_stream.from_var_file")["encryption_type"] == "kms"
    assert run.evidence("aws_kinesis_stream.default_only")["key_reference"] == "alias/from-json-var-file"
    assert run.verdict("aws_kinesis_stream.from_cli") == ("fail", "KSSE002", [], "main.tf", 88)


def test_a_variable_with_no_value_is_unknown_and_says_how_to_give_it() -> None:
    run = scan(ROOT)
    assert run.verdict("aws_kinesis_stream.no_value") == ("unknown", "KSSE020", [], "main.tf", 94)
    assert run.finding("aws_kinesis_stream.no_value")["message"] == (
        "encryption_type = var.no_value: var.no_value has no value in this root module; to resolve: pass --var "
        "no_value=... or set it in a tfvars file (terraform.tfvars, *.auto.tfvars, --var-file)")
    assert run.finding("aws_kinesis_stream.no_value")["remediation"] == (
        "pass --var no_value=... or set it in a tfvars file (terraform.tfvars, *.auto.tfvars, --var-file)")
    # without TF_VAR_from_env nothing gives from_env a value either
    assert run.verdict("aws_kinesis_stream.from_env") == ("unknown", "KSSE020", [], "main.tf", 70)
    assert run.exit_code == 1
    assert scan(ROOT, args=["--fail-on", "unknown", "--var", "no_value=KMS", "--var", "from_env=KMS",
                            "--var", "env_loses=KMS", "--var", "from_var_file=KMS", "--var", "from_cli=KMS"]
                ).exit_code == 0


def test_typed_values_from_the_command_line() -> None:
    run = scan(TYPED, args=["--var", 'names=["a","b"]', "--var", 'settings={encryption="KMS",key="alias/k"}'])
    assert run.addresses() == ['aws_kinesis_stream.typed["a"]', 'aws_kinesis_stream.typed["b"]']
    assert run.verdict('aws_kinesis_stream.typed["a"]') == ("pass", "KSSE000", [], "main.tf", 22)
    assert run.evidence('aws_kinesis_stream.typed["b"]')["key_reference"] == "alias/k"


def test_a_bool_from_the_environment_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_enabled", "false")
    monkeypatch.setenv("TF_VAR_names", '["only"]')
    run = scan(TYPED, args=["--var", 'settings={encryption="KMS",key="alias/k"}'])
    assert run.addresses() == ['aws_kinesis_stream.typed["only"]']
    assert run.verdict('aws_kinesis_stream.typed["only"]') == ("fail", "KSSE002", [], "main.tf", 22)


def test_an_empty_list_for_for_each_means_no_stream() -> None:
    run = scan(TYPED, args=["--var", "names=[]", "--var", 'settings={encryption="KMS",key="alias/k"}'])
    assert run.findings == []
    assert run.exit_code == 0


def test_optional_attribute_defaults_of_an_object_type() -> None:
    # key = optional(string, "alias/optional-default"): Terraform fills the attribute left out
    run = scan(TYPED, args=["--var", 'names=["a"]', "--var", 'settings={encryption="KMS"}'])
    assert run.verdict('aws_kinesis_stream.typed["a"]') == ("pass", "KSSE000", [], "main.tf", 22)
    assert run.evidence('aws_kinesis_stream.typed["a"]')["key_reference"] == "alias/optional-default"



def test_optional_attributes_through_a_module_map_of_objects() -> None:
    run = scan(TF / "variables" / "optional")
    for key, reference in (("given", "alias/given"), ("default", "alias/module-default"),
                           ("nulled", "alias/module-default")):
        address = f'module.streams.aws_kinesis_stream.this["{key}"]'
        assert run.verdict(address) == ("pass", "KSSE000", [], "mod/main.tf", 9)
        assert run.evidence(address)["key_reference"] == reference


def test_a_variables_file_that_cannot_be_read_leaves_its_values_unknown() -> None:
    broken = TF / "variables" / "broken_tfvars"
    run = scan(broken)
    # enc = = "NONE" cannot be read: the KMS default must not stand in for the NONE the file meant
    assert run.verdict("aws_kinesis_stream.s") == ("unknown", "KSSE020", [], "main.tf", 16)
    assert run.finding("aws_kinesis_stream.s")["message"] == (
        "encryption_type = var.enc: var.enc is set in terraform.tfvars, which cannot be read (error at "
        "terraform.tfvars:2); to resolve: fix terraform.tfvars")
    assert run.verdict("aws_kinesis_stream.t") == ("unknown", "KSSE020", [], "main.tf", 22)
    assert run.errors == [
        {"location": "terraform.tfvars", "line": 2, "message": "syntax error in variables file"},
        {"location": "broken.auto.tfvars.json", "line": 3,
         "message": "invalid JSON: Expecting property name enclosed in double quotes (column 1)"},
    ]
    # Terraform reads none of a broken file: the line that parses does not count either; --var still wins
    fixed = scan(broken, args=["--var", "enc=KMS", "--var", "mode=NONE"])
    assert fixed.verdict("aws_kinesis_stream.s") == ("unknown", "KSSE020", [], "main.tf", 16)
    assert fixed.finding("aws_kinesis_stream.s")["message"] == (
        "kms_key_id = var.key: var.key is set in terraform.tfvars, which cannot be read (error at "
        "terraform.tfvars:2); to resolve: fix terraform.tfvars")
    assert fixed.verdict("aws_kinesis_stream.t") == ("fail", "KSSE002", [], "main.tf", 22)
    given = scan(broken, args=["--var", "enc=KMS", "--var", "key=alias/given"])
    assert given.verdict("aws_kinesis_stream.s") == ("pass", "KSSE000", [], "main.tf", 16)
    assert given.evidence("aws_kinesis_stream.s")["key_reference"] == "alias/given"


def test_tfvars_values_are_converted_to_the_declared_type() -> None:
    run = scan(TF / "variables" / "converted")
    # encrypt = "false" is the bool false, so the conditional picks NONE
    assert run.verdict("aws_kinesis_stream.switched") == ("fail", "KSSE002", [], "main.tf", 15)
    # copies = "2" is the number 2
    assert sorted(run.addresses()) == ["aws_kinesis_stream.copies[0]", "aws_kinesis_stream.copies[1]",
                                       "aws_kinesis_stream.switched"]
    # a bool default of a string variable is the text "true", so it equals "true"
    assert run.verdict("aws_kinesis_stream.copies[1]") == ("pass", "KSSE000", [], "main.tf", 22)
    assert run.errors == []
