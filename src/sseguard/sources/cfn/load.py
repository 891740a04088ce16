"""Loading a CloudFormation template: JSON or YAML with the short-form tags, each section checked for shape.

A top-level key that is not a section CloudFormation knows is an error at its line, as CloudFormation refuses the
template: a misspelled ``Resources`` (``Resource:``, ``resources:``) never reads as a template without streams.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sseguard.sources.safe_load import LMap, LoadError, load_data, read_text, top_level_keys

_SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    **{f"!{name}": f"Fn::{name}" for name in (
        "If", "Sub", "Join", "Select", "Split", "Equals", "Or", "And", "Not", "FindInMap", "Base64",
        "ImportValue", "GetAZs", "Cidr", "Transform", "Length", "ToJsonString",
    )},
}

_YAML_TOP_KEY = re.compile(rb"^[\"']?(?:AWSTemplateFormatVersion|Resources)[\"']?[ \t]*:", re.MULTILINE)
_MARKER_KEYS = (b'"AWSTemplateFormatVersion"', b'"Resources"')
# The top-level sections CloudFormation accepts; SAM's Globals too when a Transform is there to expand it.
_SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
             "Transform", "Resources", "Outputs", "Hooks")
# How much of a file sniffing may read when the first bytes do not tell.
_SNIFF_BYTES = 1024 * 1024
_SUFFIXES = (".template", ".yaml", ".yml", ".json")


def _short_form(tag: str, value: Any, line: int) -> LMap:
    """``!Ref x`` becomes ``{"Ref": "x"}``; ``!GetAtt a.b`` becomes ``{"Fn::GetAtt": ["a", "b"]}``."""
    name = _SHORT_FORMS[tag]
    if name == "Fn::GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    out = LMap(line, getattr(value, "end_line", line))
    out[name] = value
    out.key_lines[name] = line
    return out


TAGS = dict.fromkeys(_SHORT_FORMS, _short_form)


@dataclass(frozen=True)
class Template:
    """The sections of a template the scan reads. Absent sections are empty mappings."""

    body: LMap
    parameters: LMap
    mappings: LMap
    conditions: LMap
    resources: LMap


def looks_like_template(path: Path, head: bytes) -> bool:
    """Whether a file is a CloudFormation template, judged by its content; the name only narrows the search.

    YAML: a top-level ``AWSTemplateFormatVersion`` or ``Resources`` key (at column 0). JSON: such a key at the
    top level of the object. CDK's ``cdk.out/*.template.json`` is found the same way. When the head does not
    tell, up to 1 MiB of the file is read (a template may open with long parameter descriptions).
    """
    if not path.name.lower().endswith(_SUFFIXES):
        return False
    if _has_marker(head):
        return True
    try:
        if path.stat().st_size <= len(head):
            return False  # the head was the whole file
        with path.open("rb") as fh:
            more = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    return _has_marker(more)


def _has_marker(data: bytes) -> bool:
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.lstrip(b" \t\r\n").startswith(b"{"):
        return bool(_YAML_TOP_KEY.search(data))
    return any(key in _MARKER_KEYS for key, _ in top_level_keys(data))


def load_template(path: Path) -> Template:
    """Read and parse a template; raise ``LoadError`` (one line, with a line number) when it cannot be used."""
    body = load_data(read_text(path), tags=TAGS)
    if not isinstance(body, LMap):
        raise LoadError(f"not a CloudFormation template: the top level is {_kind(body)}, not a mapping", 1)
    sections = {}
    for name in ("Parameters", "Mappings", "Conditions", "Resources"):
        value = body.get(name)
        if value is None:
            value = LMap(body.line, body.line)
        elif not isinstance(value, LMap):
            raise LoadError(f"section {name} is {_kind(value)}, not a mapping", body.key_lines.get(name))
        sections[name] = value
    for key in body:
        if key not in _SECTIONS and not (key == "Globals" and "Transform" in body):
            raise LoadError(_unknown_section(key), body.key_lines.get(key))
    if body.get("Resources") is None:
        # CloudFormation rejects a template without resources: an empty one must not read as "no streams"
        raise LoadError("no Resources section; CloudFormation rejects a template without one", 1)
    return Template(body, sections["Parameters"], sections["Mappings"], sections["Conditions"],
                    sections["Resources"])


def _unknown_section(key: str) -> str:
    """Why a top-level key fails the template: CloudFormation refuses a section it does not know, so a misspelled
    ``Resources`` is a broken template, never an empty one."""
    near = [s for s in _SECTIONS if s.lower() == key.lower()] or difflib.get_close_matches(key, _SECTIONS, n=1)
    hint = f"did you mean {near[0]}?" if near else f"the sections are {', '.join(_SECTIONS)}"
    return f"unknown top-level section {key!r} ({hint}); CloudFormation rejects the template"


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} value"
