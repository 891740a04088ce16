"""Markdown PR comment: a golden file, the section order, escaping of hostile values, and --quiet.

Regenerate the golden file after an intended change with
``SSEGUARD_UPDATE_GOLDEN=1 pytest tests/test_report_markdown.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import report_cases as rc
from sseguard.model import Stream
from sseguard.report import FORMATS, RenderOptions, markdown

GOLDEN = Path(__file__).parent / "golden" / "report.md"
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_CELL_BREAK = re.compile(r"(?<!\\)\|")
_ALLOWED_TAGS = {"<!-- sseguard-report -->", "<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>"}


def test_golden_file() -> None:
    text = FORMATS["markdown"](rc.report(), RenderOptions())
    if os.environ.get("SSEGUARD_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_sections_in_order_and_passes_folded() -> None:
    text = markdown.render(rc.report())
    heads = [line for line in text.splitlines() if line.startswith(("### ", "<details>"))]
    assert heads == ["### ⚠️ Inputs that could not be read", "### ❌ Failing", "### ❓ Unknown (not a pass: decide it)",
                     "### 🔕 Suppressed", "<details><summary>✅ 2 passing streams</summary>"]
    failing = text.split("### ❌ Failing")[1].split("###")[0]
    assert failing.index("aws_kinesis_stream.plain") < failing.index("aws_kinesis_stream.moved_key")
    # The also-failing KSSE014 is listed with its fix too, since fixing the primary code alone leaves it failing.
    assert "- **KSSE014 key-unusable**: Enable the key" in failing
    assert ("| status | streams |\n|---|---|\n| ❌ fail | 5 |\n| ❓ unknown | 2 |\n| 🔕 suppressed | 1 |\n"
            "| ✅ pass | 2 |") in text


def test_quiet_leaves_out_passes() -> None:
    text = markdown.render(rc.report(), RenderOptions(quiet=True))
    assert "<details>" not in text and "aws_kinesis_stream.orders" not in text
    assert "| ✅ pass | 2 |" in text


def _hostile() -> list[Stream]:
    base = rc.streams()[0]
    return [
        replace(base, address="aws_kinesis_stream.a[\"x|y`z`<img src=x onerror=alert(1)>\"]", encryption_type="KMS",
                key_reference=None),
        replace(base, address="aws_kinesis_stream.b", encryption_type="K|M*S_<b>${var.x}</b>[l](http://e.x)",
                location=rc.tf("main.tf", 9, 12)),
    ]


def test_hostile_values_cannot_break_tables_or_inject_html() -> None:
    text = markdown.render(rc.report(_hostile(), errors=[]))
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # Four cells per row of the failing table: a pipe in a value that was not escaped would add one.
    failing_rows = [r for r in rows if "aws_kinesis_stream.a" in r or "aws_kinesis_stream.b" in r]
    assert [len(_CELL_BREAK.split(r)) for r in failing_rows] == [6, 6]
    outside_code = _CODE_SPAN.sub("CODE", text)
    tags = set(re.findall(r"(?<!\\)<[^>]*(?<!\\)>", outside_code))
    assert tags <= _ALLOWED_TAGS
    assert "encryption type 'K\\|M\\*S\\_\\<b\\>\\${var.x}\\</b\\>\\[l\\](http://e.x)'" in text
    assert "``aws_kinesis_stream.a[\"x\\|y`z`<img src=x onerror=alert(1)>\"]``" in text


def test_long_sections_are_capped_with_a_count() -> None:
    many = [replace(rc.streams()[0], address=f"aws_kinesis_stream.s{i:03}", location=rc.tf("main.tf", i + 1, i + 1))
            for i in range(markdown.MAX_ROWS + 7)]
    text = markdown.render(rc.report(many, errors=[]))
    assert "aws_kinesis_stream.s099" in text and "aws_kinesis_stream.s100" not in text
    assert "| … and 7 more (see the full report) |  |  |  |" in text
