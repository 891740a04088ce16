"""Where each value of a JSON document is written (byte spans), so a fixer can edit one value of a ``.tf.json`` file
or a JSON template and leave every other byte as it was. The standard ``json`` module gives values, not places."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

_SPACE = re.compile(rb"[ \t\r\n]*")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(rb"-?[0-9][0-9eE.+-]*|true|false|null")


@dataclass
class Node:
    """One JSON value: its span, and for an object its members (key: (key span start, value)), for an array its
    items. A key given twice keeps its last value, as JSON readers do."""

    start: int
    end: int
    kind: str  # "object", "array", "string", "scalar"
    members: dict[str, tuple[int, Node]] = field(default_factory=dict)
    items: list[Node] = field(default_factory=list)


class JsonSpanError(ValueError):
    """The bytes are not the JSON document they were read as."""


@lru_cache(maxsize=8)
def parse(data: bytes) -> Node:
    """The document's values with their spans."""
    node, pos = _value(data, _skip(data, 0), 0)
    if _skip(data, pos) != len(data):
        raise JsonSpanError(f"unexpected text at byte {pos}")
    return node


def find(data: bytes, path: Sequence[str]) -> Node | None:
    """The value at ``path`` (object keys); an array on the way is searched item by item, as ``.tf.json`` allows a
    block to be given as a list of objects. None when it is not there or the document is not JSON."""
    try:
        root = parse(data)
    except (JsonSpanError, RecursionError):
        return None
    return _find(root, list(path))


def value_span(data: bytes, path: Sequence[str]) -> tuple[int, int] | None:
    """The byte span of the value at ``path``, or None."""
    node = find(data, path)
    return (node.start, node.end) if node is not None else None


def _find(node: Node, path: list[str]) -> Node | None:
    if not path:
        return node
    if node.kind == "array":
        for item in node.items:
            found = _find(item, path)
            if found is not None:
                return found
        return None
    if node.kind != "object" or path[0] not in node.members:
        return None
    return _find(node.members[path[0]][1], path[1:])


def _skip(data: bytes, pos: int) -> int:
    m = _SPACE.match(data, pos)
    return m.end() if m else pos


def _value(data: bytes, pos: int, depth: int) -> tuple[Node, int]:
    if depth > 512:
        raise JsonSpanError("nested too deeply")
    char = data[pos:pos + 1]
    if char == b"{":
        return _object(data, pos, depth)
    if char == b"[":
        return _array(data, pos, depth)
    if char == b'"':
        m = _STRING.match(data, pos)
        if m is None:
            raise JsonSpanError(f"unterminated string at byte {pos}")
        return Node(pos, m.end(), "string"), m.end()
    m = _SCALAR.match(data, pos)
    if m is None:
        raise JsonSpanError(f"unexpected text at byte {pos}")
    return Node(pos, m.end(), "scalar"), m.end()


def _object(data: bytes, start: int, depth: int) -> tuple[Node, int]:
    node = Node(start, start, "object")
    pos = _skip(data, start + 1)
    if data[pos:pos + 1] == b"}":
        node.end = pos + 1
        return node, pos + 1
    while True:
        m = _STRING.match(data, pos)
        if m is None:
            raise JsonSpanError(f"expected a key at byte {pos}")
        key = json.loads(m.group())
        pos = _skip(data, m.end())
        if data[pos:pos + 1] != b":":
            raise JsonSpanError(f"expected ':' at byte {pos}")
        value, pos = _value(data, _skip(data, pos + 1), depth + 1)
        node.members[key] = (m.start(), value)
        pos = _skip(data, pos)
        char = data[pos:pos + 1]
        if char == b"}":
            node.end = pos + 1
            return node, pos + 1
        if char != b",":
            raise JsonSpanError(f"expected ',' or '}}' at byte {pos}")
        pos = _skip(data, pos + 1)


def _array(data: bytes, start: int, depth: int) -> tuple[Node, int]:
    node = Node(start, start, "array")
    pos = _skip(data, start + 1)
    if data[pos:pos + 1] == b"]":
        node.end = pos + 1
        return node, pos + 1
    while True:
        item, pos = _value(data, pos, depth + 1)
        node.items.append(item)
        pos = _skip(data, pos)
        char = data[pos:pos + 1]
        if char == b"]":
            node.end = pos + 1
            return node, pos + 1
        if char != b",":
            raise JsonSpanError(f"expected ',' or ']' at byte {pos}")
        pos = _skip(data, pos + 1)
