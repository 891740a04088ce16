"""Safe loading of JSON and YAML data files, keeping the line of every mapping, key and list item.

Shared by the sources that read data files. What "safe" means here:

- a size limit (``MAX_BYTES``), checked before reading;
- binary and non-UTF-8 content is refused with the line of the first bad byte;
- YAML is composed (never constructed): no tag runs code, only the core scalar tags and the local tags the caller
  names are accepted, anything else is an error;
- YAML aliases are counted and their expansion is bounded (no billion laughs), recursive aliases are refused;
- nesting depth is bounded, duplicate keys are refused (a later value silently winning hides what is deployed);
- a number Python cannot hold as written is refused, never rounded: an integer of more than
  ``sys.get_int_max_str_digits()`` digits (4,300), or a number beyond a 64-bit float (``1e400`` would be ``inf``);
- every problem is one ``LoadError`` with a one-line message and the line it is at, never a traceback.

Values come back as plain Python values, with mappings as ``LMap`` (a ``dict`` that knows its lines) and sequences
as ``LList`` (a ``list`` that knows its lines).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from sseguard.files import read_regular

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
# ASCII digits only: in a str pattern \d would also take other scripts' digits, which JSON does not allow.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# The stdlib scanner's messages end in " at", for a position its exception gives apart.
_STRING_ERRORS = {"Unterminated string starting at": "a string is not closed",
                  "Invalid control character at": "a control character (a line break?) inside a string"}
# Sniffing JSON bytes: a string (read possessively, so a long one costs no backtracking memory) or a structural byte.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[{}\[\]:]')
_BYTES_WS = re.compile(rb"[ \t\n\r]*")
# A JSON string (skipped whole, so digits inside it are not taken for numbers) or a number. Possessive: a long string
# costs no backtracking memory.
_STRING_OR_NUMBER = re.compile(
    r'"(?:[^"\\]++|\\.)*+"|(-?(?:0|[1-9][0-9]*+)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)|(-?Infinity|NaN)')


class LoadError(Exception):
    """Why a file could not be loaded, in one line, with the 1-based line it is at (when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.line = line


class _NumberError(LoadError):
    """A JSON text that parsed up to a number too large to read: JSON it is, so it is not tried as YAML."""


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
        data = read_regular(path, max_bytes)
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


def top_level_keys(data: bytes, *, in_array: bool = False) -> Iterator[tuple[bytes, bytes]]:
    """The keys of a JSON text's top-level object (with ``in_array``, also of the objects that are items of a
    top-level array), as far as ``data`` goes: each key with its quotes, and the first byte of its value (``b""``
    when the data ends first). For sniffing a file by its first bytes: nothing is decoded or built, and strings are
    skipped whole, so a key nested deeper or a word inside a string is not taken for one.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    open_containers: list[bytes] = []
    previous = b""
    for m in _JSON_TOKEN.finditer(data):
        token = m.group()
        if token in (b"{", b"["):
            open_containers.append(token)
        elif token in (b"}", b"]"):
            if len(open_containers) <= 1:
                return  # the top-level value is closed (or the text is not JSON)
            open_containers.pop()
        elif token == b":" and previous.startswith(b'"') and (
                open_containers == [b"{"] or (in_array and open_containers == [b"[", b"{"])):
            value = _BYTES_WS.match(data, m.end()).end()  # type: ignore[union-attr]
            yield previous, data[value:value + 1]
        previous = token


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
        except _NumberError:
            raise
        except LoadError as json_error:
            problem = json_error.with_traceback(None)  # its frames hold what was parsed before the error
        try:
            return load_yaml(text, tags=tags)
        except LoadError:
            raise problem from None
    return load_yaml(text, tags=tags)


# --- JSON ---------------------------------------------------------------------------------------------------------


def _json_number(literal: str) -> int | float:
    """The value of a JSON number literal; ``ValueError`` with a one-line reason when Python cannot hold it as
    written (the rules in the module docstring)."""
    if "." in literal or "e" in literal or "E" in literal:
        return _json_float(literal)
    return _json_int(literal)


def _json_int(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:
        raise ValueError(_too_many_digits(literal)) from None


def _json_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(_too_large(literal))
    return value


def _too_many_digits(literal: str) -> str:
    return (f"a number of {len(literal.lstrip('+-'))} digits is too long to read (the limit is "
            f"{sys.get_int_max_str_digits()} digits)")


def _too_large(literal: str) -> str:
    # Beyond a 64-bit float Python gives inf: a different number would be judged than the one written.
    shown = literal if len(literal) <= 24 else f"{literal[:12]}... ({len(literal)} characters)"
    return f"number {shown} is too large to read (beyond 1.8e308)"


def json_decoder(object_hook: Callable[[dict[str, Any]], Any] | None = None,
                 object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> json.JSONDecoder:
    """The stdlib's (C-accelerated) decoder with this module's number rules; an unreadable number raises a plain
    ``ValueError`` (not ``JSONDecodeError``), which ``loads`` turns into a located ``LoadError``."""
    return json.JSONDecoder(object_hook=object_hook, object_pairs_hook=object_pairs_hook, parse_float=_json_float,
                            parse_constant=_json_constant)


def _json_constant(name: str) -> float:
    # The stdlib reads NaN and Infinity, which are not JSON: Terraform and CloudFormation refuse them.
    raise ValueError(f"{name} is not JSON")


def loads(text: str, *, object_hook: Callable[[dict[str, Any]], Any] | None = None,
          object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """Parse JSON text into plain values as fast as ``json.loads``, with this module's number rules.

    For readers that keep no lines per value (Terraform JSON, ``.tf.json``). Every problem is one ``LoadError``
    with its line, ``invalid JSON: <reason> (column N)``, the reason being a syntax error or a number too large to
    read; or ``invalid JSON: nested too deeply`` with no line.
    """
    try:
        return json_decoder(object_hook, object_pairs_hook).decode(text)
    except json.JSONDecodeError as err:
        problem = LoadError(f"invalid JSON: {err.msg} (column {err.colno})", err.lineno)
    except ValueError:
        problem = _number_error(text)
    except RecursionError:
        problem = LoadError("invalid JSON: nested too deeply")
    # Raised here, outside the handler, so the error does not keep the decoder's exception (and the whole text it
    # holds) alive while the caller recovers what it can from the file.
    raise problem


def _number_error(text: str) -> LoadError:
    """The error for the first number in ``text`` that this module's rules refuse, with its line.

    Called after the stdlib decoder raised for a number, which it does without saying where: the text before that
    number parsed, so its strings and numbers are found by one pass of a tokenizer that skips strings whole.
    """
    for m in _STRING_OR_NUMBER.finditer(text):
        literal, constant = m.group(1), m.group(2)
        if literal is None and constant is None:
            continue
        try:
            if constant is not None:
                _json_constant(constant)
            _json_number(literal)
        except ValueError as err:
            column = m.start() - text.rfind("\n", 0, m.start())
            return LoadError(f"invalid JSON: {err} (column {column})", text.count("\n", 0, m.start()) + 1)
    return LoadError("invalid JSON: a number that cannot be read")


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
            try:
                number = _json_number(m.group())
            except ValueError as err:
                raise _NumberError(f"invalid JSON: {err}", self.line) from None
            self.pos = m.end()
            return number
        raise self.fail("expected a value")

    def string(self) -> str:
        try:
            value, end = _scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as err:
            reason = _STRING_ERRORS.get(err.msg, err.msg.removesuffix(" at"))
            raise LoadError(f"invalid JSON: {reason}", self.line) from None
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
        # Syntax first: the parser alone is several times faster than composing nodes and keeps nothing, so a broken
        # file (or broken JSON tried as YAML) is refused before anything is built.
        for _ in yaml.parse(text, Loader=_Loader):
            pass
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
            try:
                return self.scalars.construct_yaml_int(node)
            except ValueError:  # more digits than Python converts
                raise LoadError(f"invalid YAML: {_too_many_digits(node.value)}", node.start_mark.line + 1) from None
        if tag == _CORE + "float":
            value = self.scalars.construct_yaml_float(node)
            if math.isinf(value) and "inf" not in node.value.lower():
                raise LoadError(f"invalid YAML: {_too_large(node.value)}", node.start_mark.line + 1)
            return value
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
