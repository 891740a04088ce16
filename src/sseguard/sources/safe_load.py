"""Safe loading of JSON and YAML data files, keeping the line of every mapping, key and list item.

Shared by the sources that read data files. What "safe" means here:

- a size limit (``MAX_BYTES``), checked before reading;
- binary and non-UTF-8 content is refused with the line of the first bad byte;
- YAML is composed (never constructed): no tag runs code, only the core scalar tags and the local tags the caller
  names are accepted, anything else is an error;
- YAML aliases are counted and their expansion is bounded (no billion laughs), recursive aliases are refused;
- nesting depth is bounded, duplicate keys are refused (a later value silently winning hides what is deployed);
- every problem is one ``LoadError`` with a one-line message and the line it is at, never a traceback.

Values come back as plain Python values, with mappings as ``LMap`` (a ``dict`` that knows its lines) and sequences
as ``LList`` (a ``list`` that knows its lines).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 256
MAX_ALIASES = 10_000
# Aliases may add at most this many nodes beyond those written in the file.
MAX_ALIAS_EXPANSION = 100_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The stdlib's (C-accelerated) JSON string scanner; typeshed does not declare it.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

_CORE = "tag:yaml.org,2002:"
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")


class LoadError(Exception):
    """Why a file could not be loaded, in one line, with the 1-based line it is at (when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.line = line


class LMap(dict[str, Any]):
    """A mapping that remembers where it is: its first and last line, and the line of each key."""

    __slots__ = ("end_line", "key_lines", "line")

    def __init__(self, line: int, end_line: int) -> None:
        super().__init__()
        self.line = line
        self.end_line = end_line
        self.key_lines: dict[str, int] = {}


class LList(list[Any]):
    """A sequence that remembers its first and last line, and the line of each item."""

    __slots__ = ("end_line", "item_lines", "line")

    def __init__(self, line: int, end_line: int) -> None:
        super().__init__()
        self.line = line
        self.end_line = end_line
        self.item_lines: list[int] = []


# A handler for a local YAML tag (``!Ref``): gets the tag, the node's value built as if untagged (a string for a
# scalar, an LList or LMap otherwise) and the node's line; returns the value to put in its place.
TagHandler = Callable[[str, Any, int], Any]


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a file as UTF-8 text (a BOM is dropped), refusing huge, binary and non-UTF-8 files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"file is {size} bytes, larger than the {max_bytes // (1024 * 1024)} MiB limit")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise LoadError(f"cannot read: {err.strerror or err}") from None
    if len(data) > max_bytes:
        raise LoadError(f"file is larger than the {max_bytes // (1024 * 1024)} MiB limit")
    return decode(data)


def decode(data: bytes) -> str:
    """Decode bytes as UTF-8 text, refusing binary content with the line of the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError("file is UTF-16 encoded; save it as UTF-8", 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise LoadError("binary file (NUL byte), not text", data.count(b"\n", 0, nul) + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LoadError(f"not UTF-8 text: byte 0x{data[err.start]:02x} cannot be decoded", line) from None
    return text.removeprefix("\ufeff")


def looks_like_json(text: str) -> bool:
    """True when the first non-blank character opens a JSON object or array."""
    stripped = text.lstrip(" \t\r\n")
    return stripped.startswith(("{", "["))


def load_data(text: str, *, tags: Mapping[str, TagHandler] | None = None) -> Any:
    """Load JSON or YAML text: JSON when it looks like JSON and parses as such, YAML otherwise.

    A JSON-looking text that is not valid JSON is tried as YAML (flow-style YAML starts with ``{`` too); when both
    fail, the JSON error is the one reported, as it is the likelier intent.
    """
    if looks_like_json(text):
        try:
            return load_json(text)
        except LoadError as json_error:
            try:
                return load_yaml(text, tags=tags)
            except LoadError:
                raise json_error from None
    return load_yaml(text, tags=tags)


# --- JSON ---------------------------------------------------------------------------------------------------------


def load_json(text: str) -> Any:
    """Parse JSON (RFC 8259: no NaN, no comments, no trailing commas) keeping lines; duplicate keys are refused."""
    parser = _JsonParser(text)
    value = parser.value(0)
    parser.skip_ws()
    if parser.pos != len(text):
        raise LoadError("invalid JSON: extra data after the top-level value", parser.line)
    return value


class _JsonParser:
    """A small recursive-descent JSON parser that counts lines. Strings are decoded by the stdlib's scanner."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def skip_ws(self) -> None:
        if self.pos < len(self.text) and self.text[self.pos] not in " \t\n\r":
            return  # most calls find a token right away; the regex is for runs of whitespace
        m = _WS.match(self.text, self.pos)
        assert m is not None
        end = m.end()
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def fail(self, what: str) -> LoadError:
        if self.pos >= len(self.text):
            # Point at the last line with content, not at the empty line after the final newline.
            last = self.text.rstrip().count("\n") + 1
            return LoadError(f"invalid JSON: {what}, found the end of the file", last)
        return LoadError(f"invalid JSON: {what}, found {self.text[self.pos]!r}", self.line)

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadError(f"nested more than {MAX_DEPTH} levels deep", self.line)
        self.skip_ws()
        text, pos = self.text, self.pos
        ch = text[pos] if pos < len(text) else ""
        if ch == "{":
            return self.object(depth)
        if ch == "[":
            return self.array(depth)
        if ch == '"':
            return self.string()
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, pos):
                self.pos += len(literal)
                return result
        m = _NUMBER.match(text, pos)
        if m:
            self.pos = m.end()
            if m.group(1) or m.group(2):
                return float(m.group())
            return int(m.group())
        raise self.fail("expected a value")

    def string(self) -> str:
        try:
            value, end = _scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as err:
            raise LoadError(f"invalid JSON: {err.msg}", self.line) from None
        self.pos = end
        return value

    def object(self, depth: int) -> LMap:
        out = LMap(self.line, self.line)
        self.pos += 1
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            self.skip_ws()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a key in double quotes")
            key_line = self.line
            key = self.string()
            if key in out:
                raise LoadError(f"duplicate key {key!r} (first at line {out.key_lines[key]})", key_line)
            self.skip_ws()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after a key")
            self.pos += 1
            out[key] = self.value(depth + 1)
            out.key_lines[key] = key_line
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                out.end_line = self.line
                self.pos += 1
                return out
            raise self.fail("expected ',' or '}'")

    def array(self, depth: int) -> LList:
        out = LList(self.line, self.line)
        self.pos += 1
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return out
        while True:
            self.skip_ws()
            out.item_lines.append(self.line)
            out.append(self.value(depth + 1))
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                out.end_line = self.line
                self.pos += 1
                return out
            raise self.fail("expected ',' or ']'")


# --- YAML ---------------------------------------------------------------------------------------------------------


def load_yaml(text: str, *, tags: Mapping[str, TagHandler] | None = None) -> Any:
    """Parse one YAML document keeping lines. Only core scalar tags and the local ``tags`` given are accepted."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        raise LoadError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as err:
        raise LoadError(f"invalid YAML: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    except RecursionError:
        raise LoadError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from None
    if root is None:
        return None
    _check_aliases(root)
    builder = _YamlBuilder(text, tags or {})
    try:
        return builder.build(root, 0)
    except RecursionError:
        raise LoadError(f"nested more than {MAX_DEPTH} levels deep") from None


def _check_aliases(root: yaml.Node) -> None:
    """Refuse recursive aliases, too many aliases, and aliases that would expand the document too far.

    The composer shares one node object per anchor, so a node seen twice is an alias use. The expanded size is
    counted with memoisation, so a billion-laughs document is measured in time linear in its written size.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    distinct = 0
    uses = 0

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal distinct, uses
        key = id(node)
        if key in active:
            raise LoadError("recursive YAML alias (a node that contains itself)", node.start_mark.line + 1)
        if key in sizes:
            uses += 1
            if uses > MAX_ALIASES:
                raise LoadError(f"more than {MAX_ALIASES} YAML alias uses", node.start_mark.line + 1)
            return sizes[key]
        if depth > MAX_DEPTH:
            raise LoadError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        distinct += 1
        total = 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            active.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [c for kv in node.value for c in kv]
            for child in children:
                total += size(child, depth + 1)
            active.discard(key)
        sizes[key] = total
        return total

    expanded = size(root, 0)
    if expanded > distinct + MAX_ALIAS_EXPANSION:
        raise LoadError(f"YAML aliases expand {distinct} nodes to {expanded}, more than the limit of "
                        f"{MAX_ALIAS_EXPANSION} added nodes (a billion-laughs document?)", 1)


class _YamlBuilder:
    """Turns composed YAML nodes into LMap/LList/scalars. Aliases are copied (their expansion was bounded)."""

    def __init__(self, text: str, tags: Mapping[str, TagHandler]) -> None:
        self.lines = text.splitlines()
        self.tags = tags
        self.scalars = yaml.constructor.SafeConstructor()

    def last_line(self, node: yaml.Node) -> int:
        """The last line holding the node's content (not the blank or comment lines after it)."""
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False) or not node.value:
            end = node.end_mark.line + (1 if node.end_mark.column > 0 else 0)
        else:
            last = node.value[-1]
            end = self.last_line(last[1] if isinstance(last, tuple) else last)
        start = node.start_mark.line + 1
        while end > start and end <= len(self.lines) and _is_blank_or_comment(self.lines[end - 1]):
            end -= 1
        return max(end, start)

    def build(self, node: yaml.Node, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        tag = node.tag or ""
        local = tag.startswith("!") and not tag.startswith("!!")
        if isinstance(node, yaml.ScalarNode):
            value: Any = node.value if local else self.scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            if not local and tag != _CORE + "seq":
                raise LoadError(f"unsupported YAML tag {_shown_tag(tag)}", node.start_mark.line + 1)
            value = self.sequence(node, depth)
        elif isinstance(node, yaml.MappingNode):
            if not local and tag != _CORE + "map":
                raise LoadError(f"unsupported YAML tag {_shown_tag(tag)}", node.start_mark.line + 1)
            value = self.mapping(node, depth)
        else:  # pragma: no cover - the composer makes only these three kinds
            raise LoadError(f"unsupported YAML node {type(node).__name__}", node.start_mark.line + 1)
        if local:
            handler = self.tags.get(tag)
            if handler is None:
                raise LoadError(f"unknown YAML tag {tag}", node.start_mark.line + 1)
            return handler(tag, value, node.start_mark.line + 1)
        return value

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in (_CORE + "str", _CORE + "timestamp", _CORE + "value"):
            # Dates stay text: templates and tools read "2010-09-09" as a string, never as a date object.
            return node.value
        if tag == _CORE + "null":
            return None
        if tag == _CORE + "bool":
            return self.scalars.construct_yaml_bool(node)
        if tag == _CORE + "int":
            return self.scalars.construct_yaml_int(node)
        if tag == _CORE + "float":
            return self.scalars.construct_yaml_float(node)
        raise LoadError(f"unsupported YAML tag {_shown_tag(tag)}", node.start_mark.line + 1)

    def sequence(self, node: yaml.SequenceNode, depth: int) -> LList:
        out = LList(node.start_mark.line + 1, self.last_line(node))
        for item in node.value:
            out.item_lines.append(item.start_mark.line + 1)
            out.append(self.build(item, depth + 1))
        return out

    def mapping(self, node: yaml.MappingNode, depth: int) -> LMap:
        out = LMap(node.start_mark.line + 1, self.last_line(node))
        merged: list[tuple[str, Any, int]] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _CORE + "merge":
                merged.extend(self.merge_entries(value_node, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadError("a mapping key must be a plain value, not a list or mapping", key_line)
            # Keys are taken as written: "yes", "1" or "2010-09-09" as keys are names, not values.
            key = key_node.value
            if key in out:
                raise LoadError(f"duplicate key {key!r} (first at line {out.key_lines[key]})", key_line)
            out[key] = self.build(value_node, depth + 1)
            out.key_lines[key] = key_line
        for key, value, line in merged:
            # Merge keys (<<) never override a key written in the mapping itself.
            if key not in out:
                out[key] = value
                out.key_lines[key] = line
        return out

    def merge_entries(self, node: yaml.Node, depth: int) -> list[tuple[str, Any, int]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        entries: list[tuple[str, Any, int]] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise LoadError("a merge key (<<) needs a mapping or a list of mappings", source.start_mark.line + 1)
            built = self.mapping(source, depth + 1)
            entries.extend((k, v, built.key_lines[k]) for k, v in built.items() if k not in {e[0] for e in entries})
        return entries


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def plain(value: Any) -> Any:
    """A located value as plain dicts and lists (for JSON output and equality with plain values)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
