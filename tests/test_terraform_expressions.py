"""Expressions as Terraform evaluates them: locals, conditionals, templates, heredocs, for expressions, splats and
the common functions; what cannot be evaluated is unknown and names the expression."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import TF, ScanRun, scan

EXPR = TF / "expressions"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(EXPR)


@pytest.mark.parametrize(("name", "line", "key"), [
    ("local_upper", 30, "alias/prod-streams"),  # upper(local), a local built from a template of a variable
    ("conditional_true", 36, "alias/on"),  # bool variable as the condition, null on the other branch
    ("template", 59, "alias/prod/kms-2"),  # "${...}" alone keeps its value; arithmetic inside a template
    ("functions", 65, "alias/coalesced"),  # format, lookup with the key present, coalesce skipping "" and null
    ("try_fallback", 76, "alias/try"),  # try() falls back past a missing map key
    ("merge_concat", 82, "alias/second"),  # merge (later map wins), concat, index
    ("tostring_lower", 88, "alias/first"),  # lower(tostring(local)), element()
    ("for_exprs", 94, "alias/b"),  # list and object for expressions
    ("heredoc_type", 134, "alias/heredoc"),  # trimspace of an indented heredoc
    ("splat_and_compare", 143, "alias/splat"),  # comparisons on traversals, ! and &&, one() of a splat
    ("directive", 149, "alias/directive"),  # %{if}...%{else}...%{endif} in a quoted template
])
def test_expressions_that_pass(run: ScanRun, name: str, line: int, key: str) -> None:
    address = f"aws_kinesis_stream.{name}"
    assert run.verdict(address) == ("pass", "KSSE000", [], "main.tf", line)
    assert run.evidence(address)["key_reference"] == key


def test_conditional_on_a_comparison_picks_the_else_branch(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.conditional_false") == ("fail", "KSSE002", [], "main.tf", 42)
    assert run.evidence("aws_kinesis_stream.conditional_false")["encryption_type"] == "NONE"


def test_lookup_default_keeps_its_case(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.lookup_default") == ("fail", "KSSE002", [], "main.tf", 71)
    assert run.evidence("aws_kinesis_stream.lookup_default")["encryption_type"] == "none"


def test_an_undecidable_condition_with_equal_branches_is_decided(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.conditional_unknown_same") == ("pass", "KSSE000", [], "main.tf", 47)


def test_an_undecidable_condition_is_unknown_and_names_it(run: ScanRun) -> None:
    assert run.verdict("aws_kinesis_stream.conditional_unknown") == ("unknown", "KSSE020", [], "main.tf", 53)
    assert run.finding("aws_kinesis_stream.conditional_unknown")["message"] == (
        "encryption_type = var.unset == \"x\" ? \"KMS\" : \"NONE\": the condition 'var.unset == \"x\"' cannot be "
        "decided: var.unset has no value in this root module, and the verdict depends on it (when var.unset == \"x\" "
        "is true: pass KSSE000; when var.unset == \"x\" is false: fail KSSE002); to resolve: pass --var unset=... or "
        "set it in a tfvars file (terraform.tfvars, *.auto.tfvars, --var-file)")


@pytest.mark.parametrize(("name", "line", "code", "facts"), [
    ("invalid_type", 100, "KSSE004", {"encryption_type": "AES256"}),
    ("empty_key", 106, "KSSE003", {"encryption_type": "KMS", "key_reference": ""}),
    ("null_key", 112, "KSSE003", {"encryption_type": "KMS", "key_reference": None}),
])
def test_literal_failures(run: ScanRun, name: str, line: int, code: str, facts: dict[str, Any]) -> None:
    address = f"aws_kinesis_stream.{name}"
    assert run.verdict(address) == ("fail", code, [], "main.tf", line)
    ev = run.evidence(address)
    assert {k: ev[k] for k in facts} == facts


@pytest.mark.parametrize(("name", "line", "message"), [
    ("undeclared_local", 118,
     "encryption_type = local.nope: local.nope is not declared in this module; Terraform rejects a reference to it; "
     "to resolve: declare local 'nope'"),
    ("unevaluated_function", 123,
     "kms_key_id = uuid(): function uuid() is not evaluated by sseguard (main.tf:126); to resolve: scan the plan JSON "
     "instead"),
    ("bad_index", 129,
     "encryption_type = local.keys[5]: 'local.keys[5]' (main.tf:131) cannot be evaluated: index 5 is out of range "
     "for a list of 2; to resolve: check the expression with terraform validate"),
    ("directive_unknown", 155,
     "encryption_type = \"%{if var.unset == \"x\"}KMS%{else}NONE%{endif}\": the condition of %{if var.unset == "
     "\"x\"} cannot be resolved: var.unset has no value in this root module; to resolve: pass --var unset=... or "
     "set it in a tfvars file (terraform.tfvars, *.auto.tfvars, --var-file)"),
])
def test_what_cannot_be_evaluated_is_unknown_and_names_the_expression(
        run: ScanRun, name: str, line: int, message: str) -> None:
    address = f"aws_kinesis_stream.{name}"
    assert run.verdict(address) == ("unknown", "KSSE020", [], "main.tf", line)
    assert run.finding(address)["message"] == message


def test_summary_and_exit_code(run: ScanRun) -> None:
    assert run.report["summary"] == {"pass": 12, "fail": 5, "unknown": 5, "suppressed": 0}
    assert run.exit_code == 1
    assert run.errors == []
