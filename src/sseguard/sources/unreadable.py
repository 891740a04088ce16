"""Streams declared in a plan, state, template or describe-stream file that could not be read.

A file that is broken JSON or YAML, or too large to load, may still hold streams. Their declarations are found in the
raw text and each becomes an ``unknown`` stream naming the read error: a stream in a file sseguard cannot read is
never missing from the report.

The search takes time linear in the file's size and memory that does not grow with it, whatever the file holds: the
file is mapped, not read; strings are matched possessively; lines are counted a bounded chunk at a time; and a
template's logical id is looked for in a bounded window before its ``Type``.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sseguard.model import InputError, Location, SourceKind, SourceResult, Stream, Unknown
from sseguard.sources.tf_address import resource_part

_RESOURCE_TYPES = {SourceKind.PLAN: "aws_kinesis_stream", SourceKind.STATE: "aws_kinesis_stream",
                   SourceKind.CLOUDFORMATION: "AWS::Kinesis::Stream",
                   SourceKind.AWS_DESCRIBE_STREAM: "AWS::Kinesis::Stream"}

# The inside of a JSON string, read possessively: a backtracking pattern keeps about 140 bytes of regex stack per
# character it reads, so one long string (or a stray quote) would cost a hundred times the file in memory.
_CHARS = rb'(?:[^"\\]++|\\.)'
# "address": "module.a.aws_kinesis_stream.s[\"k\"]" in plan and show -json state files.
_ADDRESS = re.compile(rb'"address"\s*:\s*"(' + _CHARS + rb'*+)"')
_STREAM_STEP = b"aws_kinesis_stream."
# A raw terraform.tfstate resource: "module" (optional), "mode", "type", "name" in the order Terraform writes them.
_RAW_STATE = re.compile(
    rb'(?:"module"\s*:\s*"(' + _CHARS + rb'*+)"\s*,\s*)?"mode"\s*:\s*"managed"\s*,\s*"type"\s*:\s*'
    rb'"aws_kinesis_stream"\s*,\s*"name"\s*:\s*"(' + _CHARS + rb'++)"'
)
_RAW_STATE_START = re.compile(rb'(?:\xef\xbb\xbf)?\s*\{\s*"version"\s*:\s*4\s*,')
_STREAM_ARN = re.compile(rb'"StreamARN"\s*:\s*"arn:[^":]*+:kinesis:[^":]*+:[^":]*+:stream/(' + _CHARS + rb'++)"')
_CFN_TYPE = re.compile(rb'["\']?Type["\']?\s*:\s*["\']?AWS::Kinesis::Stream(?![\w:])')
# Read backwards from a Type: the "{" of its mapping, then  "Name":  (JSON) or  Name:  (YAML flow style).
_OPENING_KEY_REVERSED = re.compile(rb'\s*\{\s*:\s*["\']?([A-Za-z0-9]+)')
# "Name": {  in JSON, or  Name: {  in YAML flow style, as the last thing on a line above a Type.
_MAPPING_KEY = re.compile(rb'["\']?([A-Za-z0-9]+)["\']?\s*:\s*\{\s*$')
_YAML_LOGICAL = re.compile(rb'^(\s*)["\']?([A-Za-z0-9]+)["\']?\s*:\s*$')
_LOOK_BACK_LINES = 40
# How far before a Type its logical id is looked for (a logical id is at most 255 characters): a bounded window
# keeps the search linear on a minified template, where everything before a stream is on its line.
_WINDOW = 4096
# Lines are counted this many bytes at a time (slicing a mapped file copies).
_CHUNK = 1 << 20
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))


def unknown_streams(path: Path, kind: SourceKind, shown: str, why: str, resolve: str) -> list[Stream]:
    """The streams declared in ``path``'s text, each ``unknown`` because the file could not be read (``why``)."""
    reason = f"the file cannot be read ({shown}: {why})"
    return [Stream(address, _RESOURCE_TYPES[kind], Location(kind, shown, line), Unknown(reason, resolve))
            for address, line in declared_streams(path, kind)]


def unreadable_file(path: Path, kind: SourceKind, shown: str, why: str, resolve: str,
                    line: int | None = None) -> SourceResult:
    """What a file that could not be read gives: one input error (at ``line`` when known) and the streams its text
    declares, each ``unknown`` for that reason."""
    return SourceResult(streams=unknown_streams(path, kind, shown, why, resolve), errors=[InputError(shown, why, line)])


def declared_streams(path: Path, kind: SourceKind) -> list[tuple[str, int]]:
    """``(address, line)`` of each stream declared in the file's text, first declaration of an address only (a plan
    names a stream in several sections; a template's streams that have no readable logical id are named by their
    line and column, so none of them is merged with another)."""
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


class _Cursor:
    """The line (and column) of offsets in a text, given in increasing order: each byte is read once, and at most
    ``_CHUNK`` bytes are copied at a time."""

    def __init__(self, text: bytes | mmap.mmap) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0
        self._column_offset = 0
        self._column = 1

    def move(self, to: int) -> None:
        """Advance to offset ``to``, counting the newlines on the way."""
        while self.offset < to:
            end = min(self.offset + _CHUNK, to)
            chunk = self.text[self.offset:end]
            newlines = chunk.count(b"\n")
            if newlines:
                self.line += newlines
                self.line_start = self.offset + chunk.rfind(b"\n") + 1
            self.offset = end

    def column(self) -> int:
        """The 1-based column of the current offset in characters, counted on from the last column asked for."""
        if self._column_offset < self.line_start:
            self._column_offset, self._column = self.line_start, 1
        while self._column_offset < self.offset:
            end = min(self._column_offset + _CHUNK, self.offset)
            # A UTF-8 character is one byte that is not a continuation byte.
            self._column += len(self.text[self._column_offset:end].translate(None, _UTF8_CONTINUATION))
            self._column_offset = end
        return self._column


def numbered(text: bytes | mmap.mmap, matches: Iterable[re.Match[bytes]], group: int = 0
             ) -> Iterator[tuple[re.Match[bytes], int]]:
    """Each match (in text order) with the 1-based line where its ``group`` starts, counting the text's newlines only
    once."""
    cursor = _Cursor(text)
    for m in matches:
        cursor.move(m.start(group))
        yield m, cursor.line


def _unescape(raw: bytes) -> str:
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return raw.decode("utf-8", "replace")
    return str(value)


def _terraform_json(text: mmap.mmap) -> Iterator[tuple[str, int]]:
    mentions = (m for m in _ADDRESS.finditer(text) if _STREAM_STEP in m.group(1))
    for m, line in numbered(text, mentions):
        address = _unescape(m.group(1))
        # A managed stream only: data.aws_kinesis_stream.x is a data source, in a module or not, while
        # module.data.aws_kinesis_stream.x is a stream of a module named "data".
        if resource_part(address).startswith("aws_kinesis_stream.") and not _in_configuration(text, m.end()):
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
    cursor = _Cursor(text)
    for m in _CFN_TYPE.finditer(text):
        at = m.start()
        cursor.move(at)
        if text[cursor.line_start:min(at, cursor.line_start + _WINDOW)].lstrip().startswith(b"#"):
            continue  # a YAML comment
        name = _logical_id(text, at, cursor.line_start)
        yield name or f"AWS::Kinesis::Stream at line {cursor.line}, column {cursor.column()}", cursor.line


def _logical_id(text: mmap.mmap, at: int, line_start: int) -> str | None:
    """The logical id a ``Type: AWS::Kinesis::Stream`` at ``at`` belongs to: the key that opens its mapping right
    before it (``"Name": {`` in JSON, ``Name: {`` in YAML flow style, on the same line when minified), or the nearest
    key above it that is less indented (when the Type starts its line). None when neither is within reach."""
    window_start = max(line_start, at - _WINDOW)
    before = text[window_start:at]
    opening = _OPENING_KEY_REVERSED.match(before[::-1])
    if opening and (opening.end() < len(before) or window_start == line_start):
        return _logical_name(opening.group(1)[::-1])
    if window_start > line_start or before.strip():
        return None  # Type is not first on its line and its mapping does not open right before it
    return _owner_above(text, line_start, type_indent=len(before))


def _owner_above(text: mmap.mmap, line_start: int, type_indent: int) -> str | None:
    floor = max(0, line_start - _WINDOW)
    end = line_start - 1
    for _ in range(_LOOK_BACK_LINES):
        if end <= floor:
            return None
        newline = text.rfind(b"\n", floor, end)
        if newline < 0 and floor > 0:
            return None  # that line starts before the window
        row = text[newline + 1:end].rstrip(b"\r")
        end = newline
        if not row.strip() or row.lstrip().startswith(b"#"):
            continue
        indent = len(row) - len(row.lstrip())
        if indent >= type_indent:
            continue
        key = _MAPPING_KEY.search(row) or _YAML_LOGICAL.match(row)
        return _logical_name(key.group(key.lastindex or 1)) if key else None
    return None


def _logical_name(raw: bytes) -> str | None:
    name = raw.decode()
    return None if name == "Resources" else name


_FINDERS: dict[SourceKind, Callable[[mmap.mmap], Iterator[tuple[str, int]]]] = {
    SourceKind.PLAN: _terraform_json,
    SourceKind.STATE: _terraform_json,
    SourceKind.AWS_DESCRIBE_STREAM: _describe,
    SourceKind.CLOUDFORMATION: _cloudformation,
}
