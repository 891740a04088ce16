"""The built-in functions called directly, as the evaluator calls them (they are pure): Terraform's results for the
edge cases, one EvalError naming the function for whatever Terraform would reject or sseguard will not evaluate,
and work refused before it is done when a result would pass sseguard's limits."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import pytest

from sseguard.model import Unknown
from sseguard.sources.terraform.functions import FUNCTIONS, build_functions
from sseguard.sources.terraform.limits import MAX_ELEMENTS, MAX_TEXT_LENGTH
from sseguard.sources.terraform.values import Computed, EvalError, Ref

KEY = Ref("", "managed", "aws_kms_key", "k", None, "arn", True)
OTHER_KEY = Ref("", "managed", "aws_kms_key", "other", None, "arn", True)
MIB = "a" * MAX_TEXT_LENGTH


def call(name: str, *args: Any) -> Any:
    return FUNCTIONS[name](*args)


def nested(depth: int) -> list[Any]:
    """A list nested ``depth`` levels deep, built without recursion."""
    root: list[Any] = []
    inner = root
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return root


# (function, arguments, result): compared as JSON, so 1 and 1.0, or 1 and true, are different results
RESULTS: list[tuple[str, tuple[Any, ...], Any]] = [
    ("range", (3,), [0, 1, 2]),
    ("range", (3, 0), [3, 2, 1]),
    ("range", (-3,), [0, -1, -2]),
    ("range", (10, 0, -3), [10, 7, 4, 1]),
    ("range", (0, 1, 0.25), [0, 0.25, 0.5, 0.75]),
    ("range", (0, 0.5, 0.1), [0, 0.1, 0.2, 0.3, 0.4]),
    ("range", (1, 1), []),
    ("substr", ("hello", 1, 3), "ell"),
    ("substr", ("hello", -3, 2), "ll"),
    ("substr", ("hello", -10, 2), "he"),
    ("substr", ("hello", 1, -1), "ello"),
    ("substr", ("hello", 1, 0), ""),
    ("substr", ("hello", -2, 0), "lo"),  # Terraform's rest-of-string for length 0 after a negative offset
    ("substr", ("hello", 10, 2), ""),
    ("element", (["a", "b", "c"], 4), "b"),
    ("element", (["a", "b", "c"], -1), "c"),
    ("chunklist", ([1, 2, 3], 0), [[1, 2, 3]]),
    ("chunklist", ([], 0), []),
    ("chunklist", ([1, 2, 3], 2), [[1, 2], [3]]),
    ("slice", ([1, 2, 3], 1, 3), [2, 3]),
    ("format", ("%5d|%-5d|%05d|%+d|%x|%#x|%X|%b|%o|%.3d", 1, 2, 3, 4, 255, 255, 255, 5, 8, 7),
     "    1|2    |00003|+4|ff|0xff|FF|101|10|007"),
    ("format", ("%5s|%-4s|%.2s|%q", "ab", "c", "xyz", 'say "hi"'), '   ab|c   |xy|"say \\"hi\\""'),
    ("format", ("%v %v %v %v %#v", "s", 1.5, [1, "x"], None, "s"), 's 1.5 [1,"x"] null "s"'),
    ("format", ("%t %d%%", "true", "50"), "true 50%"),
    ("format", ("%08.3f %e", 3.14159, 1500), "0003.142 1.500000e+03"),
    ("formatlist", ("%s=%s", ["a", "b"], "v"), ["a=v", "b=v"]),
    ("formatlist", ("%s", []), []),
    ("formatlist", ("x",), ["x"]),
    ("join", (",", ["a"], ["b", 1, True]), "a,b,1,true"),
    ("split", ("", "abc"), ["a", "b", "c"]),
    ("split", (",", ""), [""]),
    ("split", (",", "a,,b"), ["a", "", "b"]),
    ("replace", ("a.b", ".", "-"), "a-b"),
    ("replace", ("ab", "", "-"), "-a-b-"),
    ("replace", ("x/y", "/", "-"), "x-y"),
    ("replace", ("abxd", "/x*/", "-"), "-a-b-d-"),  # Go's: no empty match right after the match of "x"
    ("replace", ("hello world", "/(\\w+) (\\w+)/", "$2 $1"), "world hello"),
    # ${n} and $n name the group; $$ is "$"; $1x is the group named "1x" (none); a $ that names nothing stays
    ("replace", ("ab", "/(?P<n>a)/", "${n}$n!$$$1x${1}x$"), "aa!$ax$b"),
    ("replace", ("café", "/é/", "e"), "cafe"),
    ("regex", ("(?P<user>\\w+)@(?P<host>\\w+)", "me@there"), {"user": "me", "host": "there"}),
    ("regex", ("(\\d+)-(x)?", "12-"), ["12", None]),
    ("regex", ("[a-z]+", "12abc3"), "abc"),
    ("regex", ("^.", "€x"), "€"),
    ("regex", ("^(a+)+$", "a" * 5000), ["a" * 5000]),
    ("regexall", ("a*", "baaa"), ["", "aaa"]),
    ("regexall", ("(a)|(b)", "ab"), [["a", None], [None, "b"]]),
    ("regexall", ("^(a+)+$", "a" * 5000 + "b"), []),
    ("parseint", ("ff", 16), 255),
    ("parseint", ("FF", 16), 255),
    ("parseint", ("-101", 2), -5),
    ("parseint", ("zZ", 62), 35 * 62 + 61),
    ("parseint", ("0" * 5000 + "1", 2), 1),
    ("tonumber", ("12",), 12),
    ("tonumber", ("1.5",), 1.5),
    ("tonumber", (None,), None),
    ("pow", (2, 10), 1024),
    ("pow", (2, 0.5), 2 ** 0.5),
    ("log", (8, 2), 3),
    ("ceil", (1.2,), 2),
    ("floor", (-1.2,), -2),
    ("abs", ("-3",), 3),
    ("signum", (-7,), -1),
    ("min", (3, "1", 2), 1),
    ("max", (1, 2.5), 2.5),
    ("sum", ([1, 2.5, "3"],), 6.5),
    ("jsondecode", ('{"a":[1,2.5,null,true]}',), {"a": [1, 2.5, None, True]}),
    ("yamldecode", ("a: &x [1]\nb: *x\n",), {"a": [1], "b": [1]}),
    ("jsonencode", ({"a": [1, "x", None]},), '{"a":[1,"x",null]}'),
    ("toset", (["b", "a", "b"],), ["a", "b"]),
    ("distinct", ([1, True, 1, "1", [1], [1]],), [1, True, "1", [1]]),
    ("contains", ([1], True), False),
    ("index", ([1, True], True), 1),
    ("setunion", (["b"], ["a", "b"]), ["a", "b"]),
    ("setintersection", (["a", "b"], ["b", "c"]), ["b"]),
    ("setsubtract", (["a", "b"], ["b"]), ["a"]),
    ("matchkeys", (["i", "j"], ["a", "b"], ["b"]), ["j"]),
    ("transpose", ({"a": ["x", "y"], "b": ["x"]},), {"x": ["a", "b"], "y": ["a"]}),
    ("zipmap", (["a", "b"], [1, 2]), {"a": 1, "b": 2}),
    ("flatten", ([[1, [2, [3]]], [], 4],), [1, 2, 3, 4]),
    ("compact", (["a", "", None],), ["a"]),
    ("reverse", ([1, 2],), [2, 1]),
    ("sort", (["b", 1, "a"],), ["1", "a", "b"]),
    ("keys", ({"b": 1, "a": 2},), ["a", "b"]),
    ("values", ({"b": 1, "a": 2},), [2, 1]),
    ("lookup", ({"a": 1}, "b", 2), 2),
    ("coalesce", (None, "", "x"), "x"),
    ("coalescelist", ([], [1]), [1]),
    ("merge", ({"a": 1}, None, {"a": 2, "b": 3}), {"a": 2, "b": 3}),
    ("concat", ([1], [], [2]), [1, 2]),
    ("one", ([],), None),
    ("length", ("abc",), 3),
    ("alltrue", ([True, None],), False),
    ("anytrue", ([None, "true"],), True),
    ("base64encode", ("hi",), "aGk="),
    ("base64decode", ("aGk=",), "hi"),
    ("md5", ("",), "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha256", ("\ud800",), hashlib.sha256("\ufffd".encode()).hexdigest()),  # a lone surrogate is U+FFFD, as in Go
    ("strrev", ("abc",), "cba"),
    ("chomp", ("a\r\n\n",), "a"),
    ("trim", ("--a--", "-"), "a"),
]


@pytest.mark.parametrize(("name", "args", "result"), RESULTS, ids=[f"{n}{i}" for i, (n, _, _) in enumerate(RESULTS)])
def test_results_as_terraform_computes_them(name: str, args: tuple[Any, ...], result: Any) -> None:
    assert json.dumps(call(name, *args)) == json.dumps(result)


# (function, arguments, the one error message)
ERRORS: list[tuple[str, tuple[Any, ...], str]] = [
    ("pow", (10, 400), "pow(): 10 to the power 400 overflows: the result is not a finite number"),
    ("pow", (0, -1), "pow(): 0 to the power -1 is not a finite real number"),
    ("log", (10, 1), "log(): the logarithm in base 1 is not a finite number: it divides by log(1), which is 0"),
    ("log", (-1, 10),
     "log(): the logarithm of -1 in base 10 is not a finite number: both must be positive"),
    ("range", (1e9,), "range(): more than 1024 values were generated; either decrease the difference between start "
                      "and end or use a smaller step"),
    ("range", (1, 5, 0), "range(): step must not be zero"),
    ("range", (5, 1, 1), "range(): end must be greater than start when step is positive"),
    ("range", (), "range(): must have one, two, or three arguments"),
    ("format", ("%999999999f", 1), "format(): '%999999999f' would be larger than 1,048,576 characters (sseguard's "
                                   "limit)"),
    ("format", ("%.2000000f", 1), "format(): '%.2000000f' would be larger than 1,048,576 characters (sseguard's "
                                  "limit)"),
    ("format", ("%d", 1.5), "format(): unsupported value for '%d' at 0: an integer is required"),
    ("format", ("%s",), "format(): not enough arguments for '%s' at 0: need index 1 but have 0 total"),
    ("format", ("x", 1), "format(): too many arguments; no verbs in format string"),
    ("format", ("%s", 1, 2), "format(): too many arguments; only 1 used by format string"),
    ("format", ("%y", 1), "format(): unsupported format verb 'y' at offset 0"),
    ("format", ("%s", None), "format(): unsupported value for '%s' at 0: null value cannot be formatted"),
    ("format", ("%t", 1), "format(): a bool is required, got a number"),
    ("formatlist", ("%s%s", ["a", "b"], ["c"]),
     "formatlist(): argument 2 has length 1, which is inconsistent with argument 1 of length 2"),
    ("tonumber", (True,), "tonumber(): cannot convert a bool to a number"),
    ("tonumber", (float("inf"),), "tonumber(): inf is not a finite number"),
    ("abs", ([1],), "abs(): a number is required, got a list"),
    ("ceil", ({},), "ceil(): a number is required, got a map"),
    ("floor", (None,), "floor(): a number is required, got null"),
    ("signum", (0.5,), "signum(): the number must be a whole number, got 0.5"),
    ("sum", ([],), "sum(): cannot sum an empty list"),
    ("sum", ([1, None],), "sum(): argument must be list, set, or tuple of number values"),
    ("sum", ([True],), "sum(): a number is required, got a bool"),
    ("sum", ([1e308, 1e308],), "sum(): inf is not a finite number"),
    ("max", (), "max(): must pass at least one number"),
    ("min", ([1],), "min(): a number is required, got a list"),
    ("index", ("abc", "b"), "index(): the first argument must be a list, got a string"),
    ("index", ([], 1), "index(): cannot search an empty list"),
    ("index", ([1], 2), "index(): item not found"),
    ("lookup", ([1], "a"), "lookup(): the first argument must be a map, got a list"),
    ("lookup", ({"a": 1}, "b"), "lookup(): lookup failed to find key 'b'"),
    ("chunklist", ([1], -1), "chunklist(): the size argument must be positive"),
    ("element", ([], 0), "element(): cannot use element function with an empty list"),
    ("element", ([1], 1.5), "element(): the index must be a whole number, got 1.5"),
    ("substr", ("abc", 0.5, 1), "substr(): the offset must be a whole number, got 0.5"),
    ("slice", ([1, 2, 3], 1, 5), "slice(): to index must be less than or equal to the length of the input collection"),
    ("slice", ([1, 2, 3], -1, 2), "slice(): from index must be greater than or equal to 0"),
    ("slice", ([1, 2, 3], 2, 1), 'slice(): from index must be less than or equal to index "to"'),
    ("parseint", ("zz", 10), "parseint(): cannot parse 'zz' as a base 10 integer"),
    ("parseint", ("1_000", 10), "parseint(): cannot parse '1_000' as a base 10 integer"),
    ("parseint", ("1" * 400, 10), "parseint(): '" + "1" * 27 + "..." + "1" * 28 + "' has more than 256 bits "
                                  "(sseguard's limit)"),
    ("parseint", ("1", 63), "parseint(): base must be a whole number between 2 and 62 inclusive"),
    ("parseint", (5, 10), "parseint(): first argument must be a string, not a number"),
    ("regex", ("(a)\\1", "aa"), "regex(): invalid regular expression '(a)\\\\1': invalid escape sequence: \\1"),
    ("regex", ("\\C", "a"), "regex(): invalid regular expression '\\\\C': invalid escape sequence: \\C"),
    ("regex", ("(?P<x>a)(b)", "ab"),
     "regex(): invalid regexp pattern: cannot mix both named and unnamed capture groups"),
    ("regex", ("x", "y"), "regex(): pattern did not match any part of the given string"),
    ("replace", ("x", "/(/", "y"), "replace(): invalid regular expression '(': missing ): ("),
    ("jsondecode", ("[" * 100_000 + "]" * 100_000,), "jsondecode(): invalid JSON: nested too deeply"),
    ("jsondecode", ("[" * 300 + "]" * 300,),
     "jsondecode(): the value is nested more than 256 levels deep (sseguard's limit)"),
    ("jsondecode", ("NaN",), "jsondecode(): invalid JSON: NaN is not JSON (column 1) (line 1)"),
    ("jsondecode", ('{"a": 1, "a": 2', ), "jsondecode(): invalid JSON: Expecting ',' delimiter (column 16) (line 1)"),
    ("yamldecode", ("[" * 300 + "]" * 300,), "yamldecode(): nested more than 256 levels deep (line 1)"),
    ("yamldecode", ("a: .inf",), "yamldecode(): inf is not a finite number"),
    ("yamldecode", ("a: !Ref b",), "yamldecode(): unknown YAML tag !Ref (line 1)"),
    ("join", (",", [None]), "join(): element 0 of list 1 is null; cannot concatenate null values"),
    ("join", (",",), "join(): at least one list is required"),
    ("base64decode", ("aGk",), "base64decode(): failed to decode base64 data 'aGk'"),
    ("base64decode", ("//8=",), "base64decode(): the result of decoding the provided string is not valid UTF-8"),
    ("length", (None,), "length(): cannot take the length of null"),
    ("lower", (None,), "lower(): a null value cannot be used in a string template"),
    ("zipmap", (["a"], [1, 2]), "zipmap(): number of keys (1) does not match number of values (2)"),
    ("concat", ([1], "x"), "concat(): every argument must be a list, got a string"),
    ("merge", ([1],), "merge(): every argument must be a map, got a list"),
    ("one", ([1, 2],), "one(): must be a list, set, or tuple value with either zero or one elements"),
    ("sort", ([None],), "sort(): given list element 0 is null; a null string cannot be sorted"),
    ("tobool", ("yes",), "tobool(): cannot convert 'yes' to a bool"),
    ("tostring", ([1],), "tostring(): cannot convert a list to a string"),
    ("alltrue", ([1],), "alltrue(): a bool is required, got a number"),
    ("keys", ("abc",), "keys(): the argument must be a map, got a string"),
    ("flatten", ("x",), "flatten(): the argument must be a list, got a string"),
    ("index", ([nested(5000)], nested(5000)), "index(): the value is nested more than 256 levels deep (sseguard's "
                                              "limit)"),
    ("jsonencode", (nested(257),), "jsonencode(): the value is nested more than 256 levels deep (sseguard's limit)"),
    ("lower", ("a", "b"), "lower() takes 1 argument, got 2"),
    ("lookup", ({},), "lookup() takes 2 to 3 arguments, got 1"),
    ("setunion", (), "setunion() takes at least 1 argument, got 0"),
]


@pytest.mark.parametrize(("name", "args", "message"), ERRORS, ids=[f"{n}{i}" for i, (n, _, _) in enumerate(ERRORS)])
def test_one_error_naming_the_function(name: str, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(EvalError) as raised:
        call(name, *args)
    assert str(raised.value) == message


SHARED = [[0] * 1000] * 300  # 300,000 elements as Terraform counts them, in the memory of 1,300


# Work refused before it is done: each would otherwise build far more than the limit, or take minutes
LIMITS: list[tuple[str, tuple[Any, ...], str]] = [
    ("range", (1e300,), "range(): more than 1024 values were generated; either decrease the difference between "
                        "start and end or use a smaller step"),
    ("format", ("%1000000s%1000000s", "a", "b"),
     "format(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    ("formatlist", ("%1000s", ["x"] * 2000),
     "formatlist(): the results would be larger than 1,048,576 characters in all (sseguard's limit)"),
    ("join", (",", [MIB] * 100_000), "join(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    ("replace", (MIB, "a", "bb"), "replace(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    ("replace", (MIB, "/a/", "$0$0"),
     "replace(): matching this pattern (5 instructions, 0 groups) on 1,048,576 bytes of text would take more than "
     "500,000,000 steps (sseguard's limit)"),
    ("replace", ("a" * 200, "/a/", "a" * 30_000),
     "replace(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    # RE2 is linear in the text, but the text times the pattern can still be large, and each search may read to
    # the end: a.*b|a reads all the "a"s after each match to look for a "b"
    ("regexall", ("a.*b|a", "a" * 20_000),
     "regexall(): matching this pattern (16 instructions, 0 groups) on 20,000 bytes of text would take more than "
     "500,000,000 steps (sseguard's limit)"),
    ("regex", ("(" * 2000 + "a*" + ")" * 2000, MIB),
     "regex(): matching this pattern (4005 instructions, 2000 groups) on 1,048,576 bytes of text would take more "
     "than 500,000,000 steps (sseguard's limit)"),
    ("regex", ("((a+))", MIB), "regex(): the matched text would be larger than 1,048,576 characters in all "
                               "(sseguard's limit)"),
    ("regexall", ("x", MIB + "a"), "regexall(): the string to search is longer than 1,048,576 characters (sseguard's "
                                   "limit)"),
    ("strrev", (MIB + "a",), "strrev(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    ("base64encode", ("a" * 800_000,),
     "base64encode(): the result would be larger than 1,048,576 characters (sseguard's limit)"),
    ("concat", tuple(SHARED), "concat(): the result would be larger than 100,000 elements (sseguard's limit)"),
    ("setunion", (list(range(60_000)), list(range(60_000))),
     "setunion(): the result would be larger than 100,000 elements (sseguard's limit)"),
    ("split", (",", "," * MAX_ELEMENTS),
     "split(): the result would be larger than 100,000 elements (sseguard's limit)"),
    ("flatten", ([SHARED],), "flatten(): the result would be larger than 100,000 elements (sseguard's limit)"),
    ("flatten", ([[[]] * 1000] * 300,), "flatten(): the list holds more than 250,000 nested elements (sseguard's "
                                        "limit)"),
    ("contains", (SHARED, 0), "contains(): the arguments hold more than 250,000 elements (sseguard's limit)"),
    ("jsonencode", (SHARED,), "jsonencode(): the arguments hold more than 250,000 elements (sseguard's limit)"),
    ("jsonencode", ([["x" * 2000] * 100] * 10,),
     "jsonencode(): the JSON text would be larger than 1,048,576 characters (sseguard's limit)"),
    ("jsondecode", ("[" + "0," * MAX_ELEMENTS + "0]",),
     "jsondecode(): the decoded value would be larger than 100,000 elements (sseguard's limit)"),
    ("jsondecode", (MIB + " ",), "jsondecode(): the text to decode is longer than 1,048,576 characters (sseguard's "
                                 "limit)"),
    ("tolist", ([0] * (MAX_ELEMENTS + 1),), "tolist(): the result would be larger than 100,000 elements (sseguard's "
                                            "limit)"),
]


@pytest.mark.parametrize(("name", "args", "message"), LIMITS, ids=[f"{n}{i}" for i, (n, _, _) in enumerate(LIMITS)])
def test_work_past_a_limit_is_refused(name: str, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(EvalError) as raised:
        call(name, *args)
    assert str(raised.value) == message


def test_a_selector_passes_a_big_value_through() -> None:
    # element(), lookup() and the like return a part of an argument: it existed already, nothing new is built
    assert call("element", [MIB + "a"], 0) == MIB + "a"
    assert call("lookup", {"k": MIB + "a"}, "k") == MIB + "a"


def test_unknown_and_after_apply_values() -> None:
    arn = Computed.of(KEY)
    assert call("lower", arn) == arn
    assert call("format", "%s-%s", "x", arn) == Computed("${format(...)}", (KEY,))
    assert call("element", [arn, Computed.of(OTHER_KEY)], 1) == Computed.of(OTHER_KEY)
    assert call("jsonencode", {"key": arn}) == Computed('{"key":"${aws_kms_key.k.arn}"}', (KEY,))
    unknown = Unknown("var.x has no value")
    assert call("length", unknown) is unknown
    assert call("join", ",", ["a", unknown]) is unknown
    assert call("concat", [1], arn) == Unknown("concat() of a value only known after apply", "scan the plan JSON")
    # an ARN is never null: coalesce() can choose it; another attribute may be null once applied
    assert call("coalesce", None, arn, "alias/x") == arn
    maybe_null = Computed.of(Ref("", "data", "aws_kms_alias", "a", None, "target_key_id_or_null", True))
    assert call("coalesce", maybe_null, "alias/x") == Unknown(
        "coalesce() cannot choose: ${data.aws_kms_alias.a.target_key_id_or_null} is only known after apply and may "
        "be null", "scan the plan JSON")


def test_build_functions_adds_the_file_functions_to_the_registry() -> None:
    read: list[str] = []
    templates: list[tuple[str, Any]] = []

    def read_file(path: str) -> str:
        read.append(path)
        return "text"

    def template_file(path: str, variables: Any) -> Any:
        templates.append((path, variables))
        return "rendered"

    table = build_functions(read_file, template_file)
    assert set(table) == set(FUNCTIONS) | {"file", "templatefile"}
    assert table["file"]("a.txt") == "text"
    assert table["templatefile"]("t.tpl", {"x": 1}) == "rendered"
    assert (read, templates) == (["a.txt"], [("t.tpl", {"x": 1})])
    unknown = Unknown("var.path has no value")
    assert table["templatefile"](unknown, {}) is unknown
    assert table["file"](Computed.of(KEY)) == Computed("${file(...)}", (KEY,))
    with pytest.raises(EvalError) as raised:
        table["file"]()
    assert str(raised.value) == "file() takes 1 argument, got 0"
    with pytest.raises(EvalError) as raised:
        table["templatefile"](None, {})
    assert str(raised.value) == "templatefile(): a null value cannot be used in a string template"


# Values of every kind a configuration can hand a function, the awkward ones included
HOSTILE: list[Any] = [None, True, -1, 2.5, 2**300, "", "x", "1e400", "%", [], [None], [[1]], {"a": None},
                      Unknown("unresolved"), Computed.of(KEY), nested(3000)]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_any_arguments_give_a_value_or_one_error_naming_the_function(name: str) -> None:
    calls = itertools.chain.from_iterable(itertools.product(HOSTILE, repeat=n) for n in range(3))
    for args in itertools.chain(calls, itertools.product(HOSTILE[:8], repeat=3)):
        try:
            call(name, *args)
        except EvalError as err:
            assert str(err).startswith(f"{name}("), (args, err)
