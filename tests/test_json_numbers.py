"""Numbers Python cannot hold as written (an integer of more than 4,300 digits, 1e400) in every JSON reader: a
one-line error with the line, never a traceback or an ``inf``, and the file's streams still reported, unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, scan_file
from sseguard.sources.safe_load import LoadError, load_data, loads

HUGE = "7" * 5000
TOO_LONG = "a number of 5000 digits is too long to read (the limit is 4300 digits)"
TOO_LARGE = "number 1e400 is too large to read (beyond 1.8e308)"


def outcome(path: Path) -> tuple[list[tuple[int | None, str]], list[tuple[str, str, str, int]]]:
    report = scan_file(path)
    return ([(e["line"], e["message"]) for e in report["errors"]],
            [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]])


def template_json(number: str) -> str:
    return ('{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Orders": {\n'
            '      "Type": "AWS::Kinesis::Stream",\n      "Properties": {"ShardCount": 1, "RetentionPeriodHours": '
            f'{number}}}\n    }}\n  }}\n}}\n')


@pytest.mark.parametrize(("number", "message"), [(HUGE, TOO_LONG), ("1e400", TOO_LARGE)])
def test_a_template_with_a_number_too_large(tmp_path: Path, number: str, message: str) -> None:
    path = tmp_path / "big.template.json"
    path.write_text(template_json(number))
    # 1e400 is not taken as the YAML string "1e400" either: text that is JSON up to a number is JSON
    assert outcome(path) == ([(6, f"invalid JSON: {message}")], [("Orders", "unknown", "KSSE020", 5)])


def test_a_yaml_template_with_an_integer_too_long(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(f"Resources:\n  Orders:\n    Type: AWS::Kinesis::Stream\n    Properties:\n"
                    f"      ShardCount: {HUGE}\n")
    assert outcome(path) == ([(5, f"invalid YAML: {TOO_LONG}")], [("Orders", "unknown", "KSSE020", 3)])


def test_a_plan_with_an_integer_too_long(tmp_path: Path) -> None:
    real = (REPO / "tests" / "fixtures" / "plan" / "real" / "plan.json").read_text()
    path = tmp_path / "plan.json"
    # the plan's input variables come first (prior_state and configuration name variables too)
    path.write_text(real.replace('"variables":{', f'"variables":{{"huge":{{"value":{HUGE}}},', 1))
    column = path.read_text().index(HUGE) + 1
    errors, streams = outcome(path)
    assert errors == [(1, f"invalid JSON: {TOO_LONG} (column {column})")]
    assert len(streams) == 22 and {s[1:] for s in streams} == {("unknown", "KSSE020", 1)}


def test_a_state_with_a_float_too_large(tmp_path: Path) -> None:
    state: dict[str, Any] = json.loads((REPO / "tests" / "fixtures" / "state" / "hand" / "hand.tfstate").read_text())
    state["serial"] = "SERIAL"
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(state, indent=2).replace('"SERIAL"', "1e400"))
    line = path.read_text().splitlines().index('  "serial": 1e400,') + 1
    errors, streams = outcome(path)
    assert errors == [(line, f"invalid JSON: {TOO_LARGE} (column 13)")]
    assert streams and {s[1:3] for s in streams} == {("unknown", "KSSE020")}


def test_describe_stream_output_with_an_integer_too_long(tmp_path: Path) -> None:
    path = tmp_path / "describe.json"
    path.write_text('{\n  "StreamDescriptionSummary": {\n    "StreamName": "big",\n'
                    '    "StreamARN": "arn:aws:kinesis:us-east-1:111122223333:stream/big",\n'
                    f'    "RetentionPeriodHours": {HUGE},\n    "EncryptionType": "KMS"\n  }}\n}}\n')
    assert outcome(path) == ([(5, f"invalid JSON: {TOO_LONG}")], [("big", "unknown", "KSSE020", 4)])


@pytest.mark.parametrize(("text", "line", "message"), [
    (f'{{"a": [1,\n  2, {HUGE}]}}', 2, f"invalid JSON: {TOO_LONG} (column 6)"),
    ('{"a": "1e400",\n "b": -1e400}', 2, "invalid JSON: number -1e400 is too large to read (beyond 1.8e308) "
                                         "(column 7)"),
    # a long number in a string is a string
    (f'{{"s": "{HUGE}", "b": {{"c": 1.5e999}}}}', 1, "invalid JSON: number 1.5e999 is too large to read (beyond "
                                                    "1.8e308) (column 5022)"),
    ('{"a": 1,\n "b": }', 2, "invalid JSON: Expecting value (column 7)"),
])
def test_loads_for_readers_without_lines_per_value(text: str, line: int, message: str) -> None:
    with pytest.raises(LoadError) as raised:
        loads(text)
    assert (raised.value.line, raised.value.message) == (line, message)


def test_numbers_within_the_limits_are_read_as_written() -> None:
    edge = "9" * 4300
    assert loads(f'[{edge}, 1.7976931348623157e308, 1e-400]') == [int(edge), 1.7976931348623157e308, 0.0]
    assert load_data(f'[{edge}, 1.7976931348623157e308]') == [int(edge), 1.7976931348623157e308]
    # YAML's own infinity is a value it means
    assert load_data("a: .inf\n") == {"a": float("inf")}
