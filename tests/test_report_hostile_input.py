"""Output that cannot be turned against its reader: a saved describe-stream file whose file name and stream name
hold ESC, CR, LF, ``<img>`` and ``=cmd|``, scanned from disk and written in every format, scan and period report.

The terminal gets visible escapes (no title change, no erased line, no fake ``PASS`` line), spreadsheets get inert
cells, Markdown and HTML get text instead of markup, XML stays well formed, and JSON keeps the exact value.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sseguard import cli
from sseguard.control.codes import CODES
from sseguard.report.escape import csv_safe, html_safe, json_safe, md_code, md_safe, text_safe, xml_safe

NAME = "=1+cmd|' /C calc'!A0\x1b]0;pwned\x07\x1b[2K\r  PASS       KSSE000 <img src=x onerror=alert(1)>\x9b\u202e\n"
FILE = "=cmd|'calc'!A1\x1b[31m\r\nPASS <img src=x onerror=alert(1)>.json"
BROKEN = "broken\x1b[2J\r.json"
# The same values as a terminal shows them.
NAME_SHOWN = ("=1+cmd|' /C calc'!A0\\x1b]0;pwned\\x07\\x1b[2K\\r  PASS       KSSE000 <img src=x onerror=alert(1)>"
              "\\x9b\\u202e\\n")
# In a CSV cell (formula neutralised, the line feed kept as data) and a Markdown table (one line, in code).
NAME_IN_CSV = ("'=1+cmd|' /C calc'!A0\\x1b]0;pwned\\x07\\x1b[2K\\r  PASS       KSSE000 <img src=x onerror=alert(1)>"
               "\\x9b\\u202e\n")
NAME_IN_MD = "`=1+cmd\\|' /C calc'!A0\\x1b]0;pwned\\x07\\x1b[2K PASS KSSE000 <img src=x onerror=alert(1)>\\x9b\\u202e`"
FILE_SHOWN = "=cmd|'calc'!A1\\x1b[31m\\r\\nPASS <img src=x onerror=alert(1)>.json"
MESSAGE = "encryption type is 'NONE': records are stored unencrypted"
# The live fix names the stream, quoted for a shell (a command copied from a report runs nothing the name holds),
# and shown with its control characters escaped like every other value.
FIX = text_safe(CODES["KSSE002"].remediation_for("aws-describe-stream", NAME))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    output = {"StreamDescriptionSummary": {"StreamName": NAME, "StreamStatus": "ACTIVE", "EncryptionType": "NONE"}}
    (root / FILE).write_text(json.dumps(output), encoding="utf-8")
    (root / BROKEN).write_text('{"StreamDescriptionSummary": {"StreamName": "x", ', encoding="utf-8")
    return root


def run(where: Path, *args: str) -> tuple[int, str, str]:
    """``sseguard ARGS`` in this process with ``where`` as the working folder: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(where)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        os.chdir(before)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def scan(folder: Path, fmt: str, *extra: str) -> str:
    code, out, err = run(folder, "scan", ".", "--no-history", "--format", fmt, *extra)
    assert (code, err) == (1, "")
    return out


def no_terminal_controls(text: str) -> None:
    """Nothing a terminal acts on: ESC, BEL, CR, the one-byte CSI and a right-to-left override."""
    assert not any(c in text for c in "\x1b\x07\r\x9b\u202e"), [c for c in text if c in "\x1b\x07\r\x9b\u202e"]


def test_text(folder: Path) -> None:
    assert scan(folder, "text") == (
        f"{FILE_SHOWN}\n"
        f"  FAIL       KSSE002 {NAME_SHOWN}:1\n"
        f"             {MESSAGE}\n"
        f"             fix: {FIX}\n"
        "\n"
        "errors\n"
        "  error broken\\x1b[2J\\r.json:1: invalid JSON: expected a key in double quotes, found the end of the file\n"
        "\n"
        "1 stream: 0 pass, 1 fail, 0 unknown, 0 suppressed; 1 input error\n")


def test_csv(folder: Path) -> None:
    text = scan(folder, "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    # A leading = is neutralised; ESC and CR become visible; a line feed inside a quoted cell stays data.
    assert [(r["address"], r["file"], r["status"]) for r in rows] == [
        (NAME_IN_CSV,
         "'=cmd|'calc'!A1\\x1b[31m\\r\nPASS <img src=x onerror=alert(1)>.json", "fail"),
        ("", "broken\\x1b[2J\\r.json", "error")]
    assert "\x1b" not in text


def test_markdown_under_either_name(folder: Path) -> None:
    text = scan(folder, "md")
    assert text == scan(folder, "markdown")
    # A cell is one line: CR and LF become spaces; ESC is shown; the pipe cannot end the cell; <img> stays in code.
    assert (f"| {NAME_IN_MD} | "
            "`=cmd\\|'calc'!A1\\x1b[31m PASS <img src=x onerror=alert(1)>.json:1` | KSSE002 encryption-none | "
            f"{MESSAGE} |") in text.splitlines()
    assert ("| `broken\\x1b[2J .json:1` | invalid JSON: expected a key in double quotes, found the end of the file "
            "|") in text.splitlines()
    no_terminal_controls(text)


def test_html(folder: Path) -> None:
    text = scan(folder, "html")
    shown = NAME_SHOWN.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;")
    assert f'<td class="addr">{shown}</td>' in text
    assert "<img" not in text
    no_terminal_controls(text)


def test_junit(folder: Path) -> None:
    text = scan(folder, "junit")
    no_terminal_controls(text)
    case = ET.fromstring(text).find(".//testcase[@line='1']")
    assert case is not None
    # XML keeps the line feed (as &#10;) but neither ESC, which it cannot hold, nor a CR, which it would rewrite.
    assert case.get("name") == "=1+cmd|' /C calc'!A0\\x1b]0;pwned\\x07\\x1b[2K\\r  PASS       KSSE000 " \
                               "<img src=x onerror=alert(1)>\\x9b\\u202e\n"
    assert case.get("classname") == "=cmd|'calc'!A1\\x1b[31m\\r\nPASS <img src=x onerror=alert(1)>.json"


@pytest.mark.parametrize("fmt", ["json", "sarif", "asff"])
def test_json_formats_keep_the_exact_value_escaped(folder: Path, fmt: str) -> None:
    text = scan(folder, fmt, "--account-id", "111122223333", "--region", "eu-west-1")
    no_terminal_controls(text)
    data = json.loads(text)
    if fmt == "json":
        assert (data["findings"][0]["resource"]["address"], data["findings"][0]["source"]["path"]) == (NAME, FILE)
    elif fmt == "sarif":
        assert data["runs"][0]["results"][0]["message"]["text"] == f"{NAME}: {MESSAGE}."
    else:
        assert data[0]["ProductFields"]["sseguard/Address"] == NAME


def test_period_report_in_every_format(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    code, _, err = run(folder, "scan", ".", "--db", str(db), "--format", "json")
    assert (code, err) == (1, "")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    period = ("evidence", "report", "--from", today, "--db", str(db))
    code, md, _ = run(folder, *period, "--format", "markdown")
    assert code == 0
    assert md == run(folder, *period)[1]  # md is the default, and markdown its other name
    no_terminal_controls(md)
    row = next(line for line in md.splitlines() if line.startswith("| `=1+cmd"))
    assert row.startswith(
        f"| {NAME_IN_MD} | "
        "aws-describe-stream =cmd\\|'calc'!A1\\\\x1b\\[31m PASS \\<img src=x onerror=alert(1)\\>.json | `F` |")
    code, text, _ = run(folder, *period, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["address"], r["location"]) for r in rows] == [
        (NAME_IN_CSV,
         "'=cmd|'calc'!A1\\x1b[31m\\r\nPASS <img src=x onerror=alert(1)>.json")]
    code, page, _ = run(folder, *period, "--format", "html")
    assert code == 0 and "<img" not in page
    no_terminal_controls(page)
    code, text, _ = run(folder, *period, "--format", "json")
    assert code == 0 and json.loads(text)["streams"][0]["address"] == NAME
    no_terminal_controls(text)


def test_verify_names_a_hostile_row_without_running_it(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    run(folder, "scan", ".", "--db", str(db), "--format", "json")
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET status = 'pass' WHERE seq = 2")
    conn.commit()
    run_id, recorded_at = conn.execute("SELECT run_id, recorded_at FROM records WHERE seq = 2").fetchone()
    conn.close()
    code, out, _ = run(folder, "evidence", "verify", "--db", str(db))
    assert code == 1
    assert out == (f"TAMPERED: {db}: 1 problem in 2 rows\n"
                   f"  edited: row 2 (finding {NAME_SHOWN} of run {run_id}, recorded {recorded_at}) was edited: its "
                   "content no longer matches its hash\n")


def test_a_hostile_history_path_in_an_error(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "evidence", "verify", "--db", "h\x1b]0;x\x07.db")
    assert (code, out, err) == (2, "", "sseguard: error: no history at h\\x1b]0;x\\x07.db\n")


def test_each_format_has_one_helper_and_each_makes_the_same_value_inert() -> None:
    value = "=x\x1b[1m\r\n\t\u202e|<b>&'\"`*_"  # a formula, ESC, CR, LF, tab, a right-to-left override, markup
    assert text_safe(value) == "=x\\x1b[1m\\r\\n\\t\\u202e|<b>&'\"`*_"
    assert csv_safe(value) == "'=x\\x1b[1m\\r\n\t\\u202e|<b>&'\"`*_"
    assert md_safe(value) == "=x\\\\x1b\\[1m \\\\u202e\\|\\<b\\>\\&'\"\\`\\*\\_"
    assert md_code(value) == "``=x\\x1b[1m \\u202e\\|<b>&'\"`*_``"
    assert html_safe(value) == "=x\\x1b[1m\\r\\n\\t\\u202e|&lt;b&gt;&amp;&#x27;&quot;`*_"
    assert xml_safe(value) == "=x\\x1b[1m\\r\n\t\\u202e|<b>&'\"`*_"
    assert json_safe(json.dumps({"v": value}, ensure_ascii=False)) == \
        '{"v": "=x\\u001b[1m\\r\\n\\t\\u202e|<b>&\'\\"`*_"}'
