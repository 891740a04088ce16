"""Built-in functions called with arguments that would overflow, hang or build gigabytes: each makes only the stream
that depends on it unknown (KSSE020, naming the expression and the function's error), while its neighbours in the
same module and in a child module are judged as usual."""

from __future__ import annotations

import pytest

from helpers import TF, ScanRun, scan

BOUNDS = TF / "bounds"
RESOLVE = "; to resolve: check the expression with terraform validate"


@pytest.fixture(scope="module")
def run() -> ScanRun:
    return scan(BOUNDS)


@pytest.mark.parametrize(("address", "verdict", "key"), [
    ("aws_kinesis_stream.neighbour_pass", ("pass", "KSSE000", [], "main.tf", 16), "alias/neighbour"),
    ("aws_kinesis_stream.neighbour_fail", ("fail", "KSSE002", [], "main.tf", 22), None),
    ("module.child.aws_kinesis_stream.child_pass", ("pass", "KSSE000", [], "modules/child/main.tf", 1), "alias/child"),
])
def test_the_neighbours_are_judged_as_usual(run: ScanRun, address: str, verdict: tuple[object, ...],
                                            key: str | None) -> None:
    assert run.verdict(address) == verdict
    assert run.evidence(address)["key_reference"] == key


@pytest.mark.parametrize(("name", "line", "message"), [
    ("pow_overflow", 27,
     'encryption_type = pow(10, 400) > 0 ? "KMS" : "NONE": \'pow(10, 400) > 0 ? "KMS" : "NONE"\' (main.tf:29) '
     "cannot be evaluated: pow(): 10 to the power 400 overflows: the result is not a finite number"),
    ("log_base_one", 33,
     'encryption_type = log(10, 1) > 0 ? "KMS" : "NONE": \'log(10, 1) > 0 ? "KMS" : "NONE"\' (main.tf:35) cannot '
     "be evaluated: log(): the logarithm in base 1 is not a finite number: it divides by log(1), which is 0"),
    ("range_huge", 39,
     'encryption_type = length(range(1000000000)) > 0 ? "KMS" : "NONE": \'length(range(1000000000)) > 0 ? "KMS" : '
     "\"NONE\"' (main.tf:41) cannot be evaluated: range(): more than 1024 values were generated; either decrease "
     "the difference between start and end or use a smaller step"),
    ("range_in_local", 45,
     'kms_key_id = "alias/key-${local.many_numbers[0]}": \'range(1000000000)\' (main.tf:5) cannot be evaluated: '
     "range(): more than 1024 values were generated; either decrease the difference between start and end or use "
     "a smaller step"),
    ("format_width", 51,
     'encryption_type = format("%999999999f", 1) != "" ? "KMS" : "NONE": \'format("%999999999f", 1) != "" ? '
     "\"KMS\" : \"NONE\"' (main.tf:53) cannot be evaluated: format(): '%999999999f' would be larger than "
     "1,048,576 characters (sseguard's limit)"),
    ("replace_growth", 57,
     'kms_key_id = replace(format("%02000d", 0), "0", format("%01000d", 0)): \'replace(format("%02000d", 0), "0", '
     "format(\"%01000d\", 0))' (main.tf:60) cannot be evaluated: replace(): the result would be larger than "
     "1,048,576 characters (sseguard's limit)"),
    ("regex_backreference", 75,
     'kms_key_id = regex("alias/(a)\\\\1", "alias/aa"): \'regex("alias/(a)\\\\\\\\1", "alias/aa")\' (main.tf:78) '
     "cannot be evaluated: regex(): invalid regular expression 'alias/(a)\\\\1': invalid escape sequence: \\1"),
    ("json_deep", 81,
     'encryption_type = length(jsondecode(local.deep_json)) > 0 ? "KMS" : "NONE": \'length(jsondecode('
     "local.deep_json)) > 0 ? \"KMS\" : \"NONE\"' (main.tf:83) cannot be evaluated: jsondecode(): invalid JSON: "
     "nested too deeply"),
    ("tonumber_too_large", 87,
     'encryption_type = tonumber("1e400") > 0 ? "KMS" : "NONE": \'tonumber("1e400") > 0 ? "KMS" : "NONE"\' '
     "(main.tf:89) cannot be evaluated: tonumber(): the number 1e400 is too large for sseguard to evaluate"),
    ("element_of_empty", 93,
     "encryption_type = element([], 0): 'element([], 0)' (main.tf:95) cannot be evaluated: element(): cannot use "
     "element function with an empty list"),
])
def test_a_function_past_its_bounds_makes_only_its_stream_unknown(
        run: ScanRun, name: str, line: int, message: str) -> None:
    address = f"aws_kinesis_stream.{name}"
    assert run.verdict(address) == ("unknown", "KSSE020", [], "main.tf", line)
    assert run.finding(address)["message"] == message + RESOLVE


def test_in_a_child_module_too(run: ScanRun) -> None:
    address = "module.child.aws_kinesis_stream.child_chunklist"
    assert run.verdict(address) == ("unknown", "KSSE020", [], "modules/child/main.tf", 7)
    assert run.finding(address)["message"] == (
        "encryption_type = one(chunklist([\"KMS\"], -1))[0]: 'one(chunklist([\"KMS\"], -1))[0]' "
        "(modules/child/main.tf:9) cannot be evaluated: chunklist(): the size argument must be positive" + RESOLVE)


def test_a_catastrophic_pattern_is_matched_as_re2_matches_it(run: ScanRun) -> None:
    # ^(a+)+$ backtracks exponentially in Python's re on 5,000 "a"s and a "b"; RE2 answers in linear time
    assert run.verdict("aws_kinesis_stream.catastrophic_regex_no_match") == ("pass", "KSSE000", [], "main.tf", 63)
    assert run.evidence("aws_kinesis_stream.catastrophic_regex_no_match")["key_reference"] == "alias/no-match"
    assert run.verdict("aws_kinesis_stream.catastrophic_regex_match") == ("pass", "KSSE000", [], "main.tf", 69)
    assert run.evidence("aws_kinesis_stream.catastrophic_regex_match")["key_reference"] == "alias/match-5000"


def test_summary_and_exit_code(run: ScanRun) -> None:
    assert run.report["summary"] == {"pass": 4, "fail": 1, "unknown": 11, "suppressed": 0}
    assert run.exit_code == 1
    assert run.errors == []
    assert run.stderr == ""
