"""Streams declared in a plan, state, template or describe-stream file that could not be read.

A file that is broken JSON or YAML, or too large to load, may still hold streams. Their declarations are found in the
raw text (the file is mapped, not read, so size does not matter) and each becomes an ``unknown`` stream naming the
read error: a stream in a file sseguard cannot read is never missing from the report.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sseguard.model import Location, SourceKind, Stream, Unknown

_RESOURCE_TYPES = {SourceKind.PLAN: "aws_kinesis_stream", SourceKind.STATE: "aws_kinesis_stream",
                   SourceKind.CLOUDFORMATION: "AWS::Kinesis::Stream",
                   SourceKind.AWS_DESCRIBE_STREAM: "AWS::Kinesis::Stream"}

# "address": "module.a.aws_kinesis_stream.s[\"k\"]" in plan and show -json state files (data sources left out).
_ADDRESS = re.compile(rb'"address"\s*:\s*"((?:[^"\\]|\\.)*aws_kinesis_stream\.(?:[^"\\]|\\.)+)"')
# A raw terraform.tfstate resource: "module" (optional), "mode", "type", "name" in the order Terraform writes them.
_RAW_STATE = re.compile(
    rb'(?:"module"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*)?"mode"\s*:\s*"managed"\s*,\s*"type"\s*:\s*"aws_kinesis_stream"'
    rb'\s*,\s*"name"\s*:\s*"((?:[^"\\]|\\.)+)"'
)
_RAW_STATE_START = re.compile(rb'\s*\{\s*"version"\s*:\s*4\s*,')
_STREAM_ARN = re.compile(rb'"StreamARN"\s*:\s*"arn:[^":]*:kinesis:[^":]*:[^":]*:stream/((?:[^"\\]|\\.)+)"')
_CFN_TYPE = re.compile(rb'["\']?Type["\']?\s*:\s*["\']?AWS::Kinesis::Stream(?![\w:])')
# "Name": {  in JSON, or  Name: {  in YAML flow style, as the last thing before a Type.
_MAPPING_KEY = re.compile(rb'["\']?([A-Za-z0-9]+)["\']?\s*:\s*\{\s*$')
_YAML_LOGICAL = re.compile(rb'^(\s*)["\']?([A-Za-z0-9]+)["\']?\s*:\s*$')
_LOOK_BACK_LINES = 40


def unknown_streams(path: Path, kind: SourceKind, shown: str, why: str, resolve: str) -> list[Stream]:
    """The streams declared in ``path``'s text, each ``unknown`` because the file could not be read (``why``)."""
    reason = f"the file cannot be read ({shown}: {why})"
    return [Stream(address, _RESOURCE_TYPES[kind], Location(kind, shown, line), Unknown(reason, resolve))
            for address, line in declared_streams(path, kind)]


def declared_streams(path: Path, kind: SourceKind) -> list[tuple[str, int]]:
    """``(address, line)`` of each stream declared in the file's text, first declaration of an address only."""
    finder = _FINDERS.get(kind)
    if finder is None:
        return []
    found: dict[str, int] = {}
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as text:
            for address, line in finder(text):
                found.setdefault(address, line)
    except (OSError, ValueError):
        return []  # unreadable or empty: the read error already says so, and there is no text to look in
    return list(found.items())


def numbered(text: bytes | mmap.mmap, matches: Iterable[re.Match[bytes]], group: int = 0
             ) -> Iterator[tuple[re.Match[bytes], int]]:
    """Each match with the 1-based line where its ``group`` starts, counting the text's newlines only once."""
    line, counted = 1, 0
    for m in matches:
        at = m.start(group)
        line += text[counted:at].count(b"\n")
        counted = at
        yield m, line


def _unescape(raw: bytes) -> str:
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return raw.decode("utf-8", "replace")
    return str(value)


def _terraform_json(text: mmap.mmap) -> Iterator[tuple[str, int]]:
    for m, line in numbered(text, _ADDRESS.finditer(text)):
        address = _unescape(m.group(1))
        if address.startswith("data.") or ".data." in address or _in_configuration(text, m.end()):
            continue
        yield address, line
    if not _RAW_STATE_START.match(text[:64]):
        return  # plan and show -json entries also hold "mode", "type", "name", without their module
    for m, line in numbered(text, _RAW_STATE.finditer(text)):
        module = _unescape(m.group(1)) + "." if m.group(1) else ""
        yield f"{module}aws_kinesis_stream.{_unescape(m.group(2))}", line


def _in_configuration(text: mmap.mmap, end: int) -> bool:
    """Whether an address belongs to a plan's ``configuration`` section, where a module's resources are named
    relative to the module (``aws_kinesis_stream.s`` for ``module.m.aws_kinesis_stream.s``): those entries, and
    only those, carry ``provider_config_key`` before the next address."""
    window = text[end:end + 512]
    following = window.find(b'"address"')
    return b'"provider_config_key"' in (window if following < 0 else window[:following])


def _describe(text: mmap.mmap) -> Iterator[tuple[str, int]]:
    for m, line in numbered(text, _STREAM_ARN.finditer(text)):
        yield _unescape(m.group(1)), line


def _cloudformation(text: mmap.mmap) -> Iterator[tuple[str, int]]:
    for m, line in numbered(text, _CFN_TYPE.finditer(text)):
        if text[text.rfind(b"\n", 0, m.start()) + 1:m.start()].lstrip().startswith(b"#"):
            continue  # a YAML comment
        yield _logical_id(text, m.start()) or f"AWS::Kinesis::Stream at line {line}", line


def _logical_id(text: mmap.mmap, at: int) -> str | None:
    """The logical id a ``Type: AWS::Kinesis::Stream`` belongs to: the nearest key above it that opens a mapping
    (``Name:`` less indented than ``Type`` in YAML, ``"Name": {`` in JSON, on the same line when minified)."""
    line_start = text.rfind(b"\n", 0, at) + 1
    same_line = _MAPPING_KEY.search(text[line_start:at])
    if same_line:
        return same_line.group(1).decode()
    type_indent = len(text[line_start:at]) - len(text[line_start:at].lstrip())
    end = line_start - 1
    for _ in range(_LOOK_BACK_LINES):
        if end <= 0:
            return None
        start = text.rfind(b"\n", 0, end) + 1
        row = text[start:end].rstrip(b"\r")
        end = start - 1
        if not row.strip() or row.lstrip().startswith(b"#"):
            continue
        indent = len(row) - len(row.lstrip())
        if indent >= type_indent:
            continue
        key = _MAPPING_KEY.search(row) or _YAML_LOGICAL.match(row)
        name = key.group(key.lastindex or 1).decode() if key else None
        return None if name == "Resources" else name
    return None


_FINDERS: dict[SourceKind, Callable[[mmap.mmap], Iterator[tuple[str, int]]]] = {
    SourceKind.PLAN: _terraform_json,
    SourceKind.STATE: _terraform_json,
    SourceKind.AWS_DESCRIBE_STREAM: _describe,
    SourceKind.CLOUDFORMATION: _cloudformation,
}
