"""The text of an edit, written in the file's own syntax and layout: HCL arguments added to a block the way
``terraform fmt`` leaves them, JSON members added in the object's own indentation, a literal replaced in place."""

from __future__ import annotations

import json
import re

from sseguard.fix.edits import Edit, indentation, line_bounds, newline_of
from sseguard.jsonspans import Node

# A Terraform reference (written as an expression); anything else is a key ARN, alias or id (written as a string).
_REFERENCE = re.compile(r"(?:data\.)?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]\n]+\])+")


class CannotEdit(ValueError):
    """The place cannot be edited without touching bytes the fix has no business with; the message says why."""


def hcl_value(key: str) -> str:
    """A key as an HCL expression: a reference as it is, else a quoted string (``${`` escaped)."""
    if _REFERENCE.fullmatch(key) and not key.startswith(("alias/", "arn:")):
        return key
    return json.dumps(key).replace("${", "$${").replace("%{", "%%{")


def is_reference(key: str) -> bool:
    """Whether a key is written as a Terraform reference rather than a string."""
    return not hcl_value(key).startswith('"')


def hcl_insert(path: str, data: bytes, start: int, end: int, arguments: list[tuple[str, str]], why: str) -> Edit:
    """Add ``name = value`` lines at the end of the native-syntax block at ``start:end``. They form their own group
    (after a blank line unless one is there), aligned on ``=`` as ``terraform fmt`` aligns a group, so no existing
    line has to move."""
    line_start, inner, blank = block_end(data, start, end, "the block closes on a line that holds other text; "
                                         "sseguard adds arguments only to a block whose closing brace stands on its "
                                         "own line")
    nl = newline_of(data)
    width = max(len(name) for name, _ in arguments)
    lines = "".join(f"{inner}{name.ljust(width)} = {value}{nl}" for name, value in arguments)
    return Edit(path, line_start, line_start, "", blank + lines, why)


def block_end(data: bytes, start: int, end: int, refusal: str) -> tuple[int, str, str]:
    """Where lines are added at the end of the native-syntax block at ``start:end``: the start of its closing brace's
    line, the indentation of its body, and the blank line to put first (none after a blank line or right after the
    opening brace). ``refusal`` says why when the closing brace does not stand on its own line."""
    close = data.rfind(b"}", start, end)
    if close < 0:
        raise CannotEdit("the block's closing brace is not found")
    line_start, _ = line_bounds(data, close)
    if data[line_start:close].strip():
        raise CannotEdit(refusal)
    before = data[:line_start].rstrip(b"\r\n")
    previous = before[before.rfind(b"\n") + 1:]
    blank = "" if not previous.strip() or previous.rstrip().endswith(b"{") else newline_of(data)
    return line_start, indentation(data, close) + "  ", blank


def replace_span(path: str, data: bytes, start: int, end: int, new: str, why: str) -> Edit:
    """Replace one literal."""
    return Edit(path, start, end, data[start:end].decode("utf-8", "replace"), new, why)


def json_insert(path: str, data: bytes, obj: Node, members: list[tuple[str, object]], why: str) -> Edit:
    """Add members at the end of a JSON object, in the object's own indentation (one member per line when its
    members are on their own lines, else on the object's line)."""
    if obj.kind != "object":
        raise CannotEdit("the place to add to is not a JSON object")
    nl = newline_of(data)
    if obj.members:
        last_key, last_value = max(obj.members.values(), key=lambda m: m[1].end)
        multiline = data.count(b"\n", obj.start, last_key) > 0
        inner = indentation(data, last_key) if multiline else ""
        pos = last_value.end
        lead = ","
    else:
        multiline = True
        inner = indentation(data, obj.start) + _unit(data)
        pos = obj.start + 1
        lead = ""
    unit = _unit(data)
    parts = [f"{json.dumps(k)}: {_json_text(v, inner, unit, nl)}" for k, v in members]
    if multiline:
        text = lead + "".join(f"{nl}{inner}{p}" + ("," if i < len(parts) - 1 else "") for i, p in enumerate(parts))
        if not obj.members:
            text += nl + indentation(data, obj.start)
    else:
        text = lead + " " + ", ".join(parts)
    return Edit(path, pos, pos, "", text, why)


def _json_text(value: object, indent: str, unit: str, nl: str) -> str:
    """A value as JSON; an object spread over lines at ``indent`` + ``unit``."""
    if isinstance(value, dict) and value:
        inner = indent + unit
        body = f",{nl}".join(f"{inner}{json.dumps(k)}: {_json_text(v, inner, unit, nl)}" for k, v in value.items())
        return "{" + nl + body + nl + indent + "}"
    return json.dumps(value)


def _unit(data: bytes) -> str:
    """The file's indentation step: the first indented line's leading spaces or tab (two spaces when none)."""
    m = re.search(rb"\n([ \t]+)\S", data)
    if m is None:
        return "  "
    lead = m.group(1)
    return "\t" if lead.startswith(b"\t") else " " * len(lead)
