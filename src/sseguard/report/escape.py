"""One escaping helper per output format, for every value a report takes from its inputs, and the bound on
evidence values.

Addresses, names, paths, messages, notes and error messages all come from files or API answers someone else may
have written. A saved describe-stream file can name a stream ``"\\x1b]0;title\\x07\\r\\x1b[2KPASS"`` and the file
itself can be called ``=cmd|'/C calc'!A0.json``. Each format gets exactly one function that makes such a value
inert in that format, and every report routes its values through it:

- text (terminal): :func:`text_safe`, control characters shown as visible escapes (``\\x1b``, ``\\r``, ``\\n``).
- CSV: :func:`csv_safe`, terminal controls made visible and a leading formula character neutralised.
- Markdown: :func:`md_safe` and :func:`md_code`, one line, markup and HTML escaped, controls made visible.
- HTML: :func:`html_safe`, ``html.escape`` with quotes (safe in attribute values too), controls made visible.
- XML (JUnit): :func:`xml_safe`, characters XML 1.0 cannot hold and terminal controls made visible.
- JSON: :func:`json_safe` on the encoded text: the encoder escapes C0 controls, and this writes the C1 controls and
  the reordering marks it leaves raw as ``\\u`` escapes too (the same JSON value). SARIF and ASFF are encoded as
  ASCII, which escapes them all.

Evidence values are cut by :func:`clip` / :func:`bounded_evidence`, so a report never echoes a whole file.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

# C0 and C1 controls and DEL (ESC starts terminal sequences; CR and LF forge lines), and the Unicode marks that
# reorder or break the displayed text (bidirectional overrides and isolates, line and paragraph separators).
_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# In CSV a tab or line feed inside a quoted cell is data that spreadsheets keep; the other controls are not.
_CSV_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# Characters XML 1.0 cannot carry even escaped, and the terminal controls above. Tab and line feed are kept (a
# report's own lines); a carriage return is shown too, since XML parsers turn it into a line feed anyway.
_XML_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}\ud800-\udfff\ufffe\uffff]")
# What a JSON encoder that writes UTF-8 leaves raw; it can only stand inside a JSON string.
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Cells a spreadsheet would run as a formula start with one of these (OWASP, CSV injection); the sixth, a carriage
# return, is already shown as ``\r`` by then.
_FORMULA_START = ("=", "+", "-", "@", "\t")
# Backslash-escaping these keeps them literal in GFM inline text: emphasis, code, links, HTML, entities, cell
# breaks, strikethrough and GitHub's $math$. Marks that only matter at the start of a line never start one here.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~$])")

# Evidence strings longer than this are cut, with a note of their full length.
EVIDENCE_TEXT_MAX = 500
# A key policy is kept whole (as parsed JSON) up to KMS's own limit on a key policy, 32 KiB: a document longer than
# that cannot be a policy KMS accepted, so it is cut like any other text.
POLICY_TEXT_MAX = 32768


def _visible(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _show(pattern: re.Pattern[str], value: object) -> str:
    return pattern.sub(lambda m: _visible(m.group()), str(value))


def text_safe(value: object) -> str:
    """A value as terminal text: every control character shown as a visible escape (``\\x1b``, ``\\r``, ``\\n``),
    so a name cannot move the cursor, set the title, erase lines or start a line of its own."""
    return _show(_CONTROL, value)


def csv_safe(value: object) -> str:
    """A CSV cell: terminal controls other than tab and line feed made visible, and a cell that starts like a
    formula (``=``, ``+``, ``-``, ``@``, tab) prefixed with ``'`` so a spreadsheet shows it as text."""
    cell = _show(_CSV_CONTROL, value)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def md_safe(value: object) -> str:
    """Plain text safe inside a Markdown paragraph or table cell: one line, no markup, no HTML, no controls."""
    flat = text_safe(" ".join(str(value).split()))
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md_code(value: object) -> str:
    """A value as an inline code span safe in a table cell (pipes escaped, fence longer than any backtick run,
    controls visible)."""
    flat = text_safe(" ".join(str(value).split())).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def html_safe(value: object) -> str:
    """A value as HTML text, quotes escaped too so it is safe inside a quoted attribute; controls visible."""
    return html.escape(text_safe(value), quote=True)


def xml_safe(value: object) -> str:
    """Text XML 1.0 can hold: characters it cannot (and terminal controls) become visible escapes."""
    return _show(_XML_CONTROL, value)


def json_safe(encoded: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the controls and marks it left raw written as
    ``\\uNNNN`` escapes: the document means the same, and a terminal showing it acts on nothing."""
    if encoded.isascii():  # most reports: nothing to look for, and a large report is not scanned twice
        return encoded
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def clip(text: str, limit: int = EVIDENCE_TEXT_MAX) -> str:
    """``text`` when it is at most ``limit`` characters, else its start and a note of its full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (cut: {len(text)} characters in all)"


def bounded_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's evidence with every string cut by :func:`clip`. A key's policy is the one exception: a parsed
    policy document is kept whole while its JSON is at most ``POLICY_TEXT_MAX`` characters, and cut as text beyond
    (a document that long is no policy KMS accepted)."""
    bounded: dict[str, Any] = _bounded(evidence)
    return bounded


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, Mapping):
        return {clip(str(name)): _bounded_key(item) if name == "key" else _bounded(item)
                for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(item) for item in value]
    return value


def _bounded_key(key: Any) -> Any:
    if not isinstance(key, Mapping):
        return _bounded(key)
    return {clip(str(name)): _bounded_policy(item) if name == "policy" else _bounded(item)
            for name, item in key.items()}


def _bounded_policy(policy: Any) -> Any:
    if not isinstance(policy, Mapping):
        return _bounded(policy)
    text = json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return dict(policy) if len(text) <= POLICY_TEXT_MAX else clip(text)
