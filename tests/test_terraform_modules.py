"""Module calls: local modules with their arguments, nested, with count/for_each and Terraform's module addresses;
outputs; downloaded copies under .terraform/modules; registry and git sources that are not on disk."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan

APP = "modules/app/main.tf"
INNER = "modules/inner/main.tf"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(TF / "modules")


def test_every_module_instance_and_its_address(run: ScanRun) -> None:
    assert run.addresses() == [
        "aws_kinesis_stream.via_output", "aws_kinesis_stream.via_registry",
        "module.app.aws_kinesis_stream.this",
        "module.app.module.inner.aws_kinesis_stream.inner",
        "module.app.module.inner.aws_kinesis_stream.inner_unset",
        'module.per_env["dev"].aws_kinesis_stream.this',
        'module.per_env["dev"].module.inner.aws_kinesis_stream.inner',
        'module.per_env["dev"].module.inner.aws_kinesis_stream.inner_unset',
        'module.per_env["prod"].aws_kinesis_stream.this',
        'module.per_env["prod"].module.inner.aws_kinesis_stream.inner',
        'module.per_env["prod"].module.inner.aws_kinesis_stream.inner_unset',
    ]


def test_arguments_reach_the_module(run: ScanRun) -> None:
    assert run.verdict("module.app.aws_kinesis_stream.this") == ("pass", "KSSE000", [], APP, 9)
    assert run.evidence("module.app.aws_kinesis_stream.this")["key_reference"] == "alias/app"
    # the module's region comes from the root's provider
    assert run.finding("module.app.aws_kinesis_stream.this")["resource"]["region"] == "eu-west-1"


def test_for_each_module_instances(run: ScanRun) -> None:
    assert run.verdict('module.per_env["prod"].aws_kinesis_stream.this') == ("pass", "KSSE000", [], APP, 9)
    assert run.evidence('module.per_env["prod"].aws_kinesis_stream.this')["key_reference"] == "alias/prod"
    assert run.verdict('module.per_env["dev"].aws_kinesis_stream.this') == ("fail", "KSSE002", [], APP, 9)


def test_nested_module_arguments(run: ScanRun) -> None:
    assert run.verdict("module.app.module.inner.aws_kinesis_stream.inner") == ("pass", "KSSE000", [], INNER, 9)
    assert run.verdict('module.per_env["dev"].module.inner.aws_kinesis_stream.inner') == (
        "fail", "KSSE002", [], INNER, 9)


def test_a_module_variable_nobody_passes_is_unknown_and_names_the_call(run: ScanRun) -> None:
    address = 'module.per_env["prod"].module.inner.aws_kinesis_stream.inner_unset'
    assert run.verdict(address) == ("unknown", "KSSE020", [], INNER, 15)
    assert run.finding(address)["message"] == (
        'encryption_type = var.unset: var.unset has no value in the module call module.per_env["prod"].module.inner; '
        "to resolve: pass unset = ... in module 'inner'")


def test_count_zero_module_creates_nothing(run: ScanRun) -> None:
    assert not [a for a in run.addresses() if a.startswith("module.counted")]


def test_a_module_output_feeds_a_root_stream(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.via_output") == ("pass", "KSSE000", [], "main.tf", 43)
    assert run.evidence("aws_kinesis_stream.via_output")["key_reference"] == "alias/app"


def test_a_registry_module_not_on_disk_is_an_error_and_its_values_unknown(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.via_registry") == ("unknown", "KSSE020", [], "main.tf", 37)
    assert run.finding("aws_kinesis_stream.via_registry")["message"] == (
        "kms_key_id = module.registry.key_arn: module.registry.key_arn: module.registry (source "
        "'terraform-aws-modules/kms/aws') is not on disk; to resolve: run terraform init so .terraform/modules "
        "holds it")
    # one error for the root module, however many calls are missing (a monorepo without terraform init has
    # hundreds), with every call in its details
    assert run.errors == [{
        "location": ".", "line": None, "kind": "incomplete",
        "message": "1 module call from a registry or repository is not on disk (registry): streams declared inside it "
                   "were not seen (run terraform init in .)",
        "details": ["main.tf:32: module.registry (source 'terraform-aws-modules/kms/aws') is not on disk"],
    }]


def test_downloaded_modules_from_modules_json() -> None:
    run = scan(TF / "modules_downloaded")
    # the registry module and the module it calls in turn are read from .terraform/modules
    assert run.verdict("module.kinesis.aws_kinesis_stream.this") == (
        "pass", "KSSE000", [], ".terraform/modules/kinesis/main.tf", 10)
    assert run.evidence("module.kinesis.aws_kinesis_stream.this")["key_reference"] == "alias/downloaded"
    # a git module that terraform init has not downloaded
    assert run.verdict("aws_kinesis_stream.from_missing") == ("unknown", "KSSE020", [], "main.tf", 11)
    assert "module.missing (source 'git::https://example.com/org/missing.git?ref=v1') is not on disk" in (
        run.finding("aws_kinesis_stream.from_missing")["message"])
    assert run.error_lines() == [(".", None)]
    assert run.errors[0]["details"] == [
        "main.tf:7: module.missing (source 'git::https://example.com/org/missing.git?ref=v1') is not on disk"]
    assert run.addresses() == ["aws_kinesis_stream.from_missing", "module.kinesis.aws_kinesis_stream.this"]


def test_a_called_folder_scanned_alone_is_a_root_module() -> None:
    run = scan(TF / "modules" / "modules" / "app", args=["--var", "encryption=NONE", "--var", "key=alias/k"])
    assert run.verdict("aws_kinesis_stream.this") == ("fail", "KSSE002", [], "main.tf", 9)
    # a file outside the scanned folder is shown by its absolute path
    inner = str(TF / "modules" / "modules" / "inner" / "main.tf")
    assert run.verdict("module.inner.aws_kinesis_stream.inner") == ("fail", "KSSE002", [], inner, 9)
