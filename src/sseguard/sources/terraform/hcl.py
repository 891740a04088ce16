"""Terraform configuration files as blocks, attributes and expressions, with file and line for each.

Native syntax is parsed with tree-sitter (C speed, exact positions, error recovery); ``.tf.json`` with ``json``,
its strings parsed as templates through the same tree-sitter grammar, so one evaluator serves both syntaxes.
Bodies are built lazily: most blocks of a large tree are never looked into.
"""

from __future__ import annotations

import bisect
import json
import re
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, cast

import tree_sitter
import tree_sitter_hcl

from sseguard.sources.safe_load import LoadError, loads

_LANGUAGE = tree_sitter.Language(tree_sitter_hcl.language())
_PARSER = tree_sitter.Parser(_LANGUAGE)
# What one parse may take before the parser is stopped: tree-sitter-hcl is quadratic on some inputs (a run of tens
# of thousands of spaces in an expression) and its error recovery can take gigabytes; a valid file parses in about
# 0.3 s per MB, in 40 times its size or less. Past the budget the text is an input error (its streams found in the
# text).
_PARSE_SECONDS = 3.0
_PARSE_SECONDS_PER_MB = 1.0
_PARSE_MEMORY = 256 * 1024 * 1024
_PARSE_MEMORY_PER_BYTE = 40
_READ_CHUNK = 1 << 16

MAX_FILE_BYTES = 10 * 1024 * 1024
SHOWN_MAX = 200  # characters of an expression a message shows
_SUPPRESSION_WORDS = re.compile(rb"(?i)sseguard:ignore|checkov:skip|trivy:ignore|tfsec:ignore")


def clipped(text: str) -> str:
    """``text`` for a message: whole when short, else its start and its length."""
    return text if len(text) <= SHOWN_MAX else f"{text[:SHOWN_MAX]}… ({len(text):,} characters)"


class HclSyntaxError(ValueError):
    """A file that cannot be read as Terraform configuration at all; ``resolve`` says how to make it readable."""

    def __init__(self, message: str, line: int | None = None,
                 resolve: str = "fix the syntax error (terraform validate shows it)") -> None:
        super().__init__(message)
        self.line = line
        self.resolve = resolve


# What in HCL text can hold something that looks like code but is not: comments, heredoc bodies, and quoted strings
# (matched as a whole, so a '#' or '/*' inside one is not taken for a comment). Where a block comment or a heredoc
# ends is looked up, not searched for, so text with thousands of them left open is still read in linear time.
_NOT_CODE_START = re.compile(rb'"(?:[^"\\\n]|\\.)*"|#[^\n]*|//[^\n]*|/\*|<<-?"?([A-Za-z_][\w-]*)"?[ \t]*\n')
_LONE_NAME = re.compile(rb"^[ \t]*([A-Za-z_][\w-]*)[ \t]*$", re.MULTILINE)


def code_only(text: bytes, *, keep_strings: bool = True) -> bytes:
    """HCL text with comments and heredoc bodies (and, unless ``keep_strings``, quoted strings) blanked; newlines
    and byte offsets are kept, so lines and positions still count. A block comment or heredoc never closed is left
    as it is (Terraform rejects the file; what follows may still declare streams)."""
    closers = _Closers(text)
    out = bytearray(text)
    pos = 0
    while (m := _NOT_CODE_START.search(text, pos)) is not None:
        found = m.group(0)
        if found.startswith(b'"'):
            end = m.end() if keep_strings else _blank(out, m.start(), m.end())
        elif found == b"/*":
            end = _blank(out, m.start(), closers.comment_end(m.end()) or m.end())
        elif m.group(1) is not None:
            end = _blank(out, m.start(), closers.heredoc_end(m.group(1), m.end()) or m.end())
        else:
            end = _blank(out, m.start(), m.end())
        pos = max(end, m.start() + 1)
    return bytes(out)


def _blank(out: bytearray, start: int, end: int) -> int:
    out[start:end] = re.sub(rb"[^\n]", b" ", bytes(out[start:end]))
    return end


class _Closers:
    """Where each block comment and heredoc of a text ends, found in one pass each and looked up by bisection."""

    def __init__(self, text: bytes) -> None:
        self._text = text
        self._comment_ends: list[int] | None = None
        self._names: dict[bytes, list[int]] | None = None

    def comment_end(self, after: int) -> int | None:
        if self._comment_ends is None:
            self._comment_ends, at = [], self._text.find(b"*/")
            while at >= 0:
                self._comment_ends.append(at + 2)
                at = self._text.find(b"*/", at + 2)
        i = bisect.bisect_left(self._comment_ends, after + 2)
        return self._comment_ends[i] if i < len(self._comment_ends) else None

    def heredoc_end(self, name: bytes, after: int) -> int | None:
        if self._names is None:
            self._names = {}
            for m in _LONE_NAME.finditer(self._text):
                self._names.setdefault(m.group(1), []).append(m.end())
        ends = self._names.get(name, [])
        i = bisect.bisect_right(ends, after)
        return ends[i] if i < len(ends) else None


# tree-sitter-hcl wants a fraction before an exponent (1.0e3); HCL's number syntax does not (1e3 is valid).
_BARE_EXPONENT = re.compile(rb"(?<![\w.])\d+(?=[eE][+-]?\d)")


def with_exponent_fractions(data: bytes) -> bytes:
    """The text with ``.0`` written into every number literal that has an exponent but no fraction, so the grammar
    reads ``1e3`` as HCL does. Only code is touched (never strings, comments or heredocs), and no line changes."""
    if _BARE_EXPONENT.search(data) is None:
        return data
    ends = [m.end() for m in _BARE_EXPONENT.finditer(code_only(data, keep_strings=False))]
    if not ends:
        return data
    parts: list[bytes] = []
    last = 0
    for end in ends:
        parts.extend((data[last:end], b".0"))
        last = end
    parts.append(data[last:])
    return b"".join(parts)


def parse_bounded(data: bytes) -> tree_sitter.Tree:
    """Parse HCL text with tree-sitter within a time and memory budget proportional to its size; raise
    ``HclSyntaxError`` when the parser has to be stopped."""
    deadline = time.monotonic() + _PARSE_SECONDS + _PARSE_SECONDS_PER_MB * len(data) / (1 << 20)
    peak_limit = _peak_kib() + (_PARSE_MEMORY + _PARSE_MEMORY_PER_BYTE * len(data)) // 1024
    calls = 0

    def give_up(offset: int, has_error: bool) -> bool:
        nonlocal calls
        calls += 1
        return time.monotonic() > deadline or (calls % 256 == 0 and _peak_kib() > peak_limit)

    try:
        return _PARSER.parse(lambda at, _point: data[at:at + _READ_CHUNK], progress_callback=give_up)
    except ValueError:
        _PARSER.reset()
        raise HclSyntaxError("the parser gave up on this text (it took too long or too much memory); not read",
                             None, "check the file for very long lines or runs of spaces, and fix the syntax "
                             "error near them (terraform validate shows it)") from None


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass(eq=False)
class SourceFile:
    """One configuration file: its bytes, the name reports show for it, and the first line of a syntax error the
    parser recovered from, if any (Terraform reads none of such a file, so nothing in it may decide a verdict)."""

    path: Path
    display: str
    data: bytes
    syntax_error_line: int | None = None

    @cached_property
    def lines(self) -> list[str]:
        return self.data.decode("utf-8", "replace").splitlines()

    @cached_property
    def line_starts(self) -> list[int]:
        """The offset of the first byte of each line (index 0 is line 1)."""
        return [0, *(m.end() for m in re.finditer(rb"\n", self.data))]

    @cached_property
    def may_suppress(self) -> bool:
        """Whether any suppression comment could be in the file (one search, before looking line by line)."""
        return _SUPPRESSION_WORDS.search(self.data) is not None

    @cached_property
    def tree(self) -> tree_sitter.Tree:
        """The whole file parsed (only needed when a block cannot be parsed on its own)."""
        return parse_bounded(self.data)


@dataclass(eq=False, slots=True)
class Expr:
    """An expression and where it was written. ``node`` for native syntax, ``value`` for JSON syntax."""

    file: SourceFile
    line: int
    node: tree_sitter.Node | None = None
    value: Any = None
    # The bytes ``node`` points into: the file, one block of it, or a JSON string's own small buffer.
    src: bytes = b""

    @property
    def text(self) -> str:
        """The expression's source text."""
        if self.node is not None:
            return self.src[self.node.start_byte:self.node.end_byte].decode("utf-8", "replace")
        return json.dumps(self.value)

    @property
    def shown(self) -> str:
        """The expression's text for a message: cut when long (a heredoc or a hostile literal is no message)."""
        return clipped(self.text)


@dataclass(eq=False, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(eq=False, slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type == kind)


_FULL: Any = object()  # "read the whole block": the segment reading cannot answer
_UNCHECKED: Any = object()  # a block whose arguments have not been checked for redefinitions yet


@dataclass(eq=False, slots=True)
class Block:
    """A block (``resource "t" "n" { ... }``) and where it is.

    A top-level block found by the fast splitter holds only its byte range (``chunk``). An attribute asked of it is
    read from that attribute's own lines when the block's layout allows (see ``_segments``), else the whole block is
    parsed on its own the first time. ``has_error`` marks a block the parser had to recover inside (in the parts
    that were read).
    """

    type: str
    labels: tuple[str, ...]
    file: SourceFile
    line: int
    end_line: int
    _has_error: bool = False
    _node: tree_sitter.Node | None = None
    _json_body: Any = None
    _src: bytes = b""
    _offset: int = 0  # lines before ``_src`` starts
    _chunk: tuple[int, int] | None = None
    _body: Body | None = field(default=None, repr=False)
    _segments: dict[str, tuple[int, int, int]] | None = None
    _segments_read: bool = False
    _attrs: dict[str, Attribute | None] | None = field(default=None, repr=False)
    _problem: str | object | None = _UNCHECKED
    # A block the splitter found left open (its closing brace missing): it is read from its own bytes only.
    _unclosed: bool = False

    @property
    def problem(self) -> str | None:
        """Why Terraform rejects this block though it parses (an argument defined twice), or None."""
        if self._problem is _UNCHECKED:
            self._ensure_node()
            self._problem = _redefinition(self._node, self._src, self._offset) if self._node is not None else None
        return cast(str | None, self._problem)

    @property
    def defect(self) -> str | None:
        """Why Terraform rejects what this block says, or None: an argument defined twice, a syntax error inside
        the block, or one elsewhere in its file (Terraform then reads none of the file)."""
        if self.problem is not None:
            return self.problem
        if self.has_error:
            return "it has a syntax error"
        line = self.file.syntax_error_line
        return None if line is None else f"its file has a syntax error at line {line}"

    @property
    def has_error(self) -> bool:
        if self._chunk is not None and self._node is None and self._body is None and self._segments is not None:
            return self._has_error or self._unclosed
        self._ensure_node()
        return self._has_error

    def _ensure_node(self) -> None:
        if self._chunk is None or self._node is not None:
            return
        self._segments = None  # from now on the whole block answers
        start, end = self._chunk
        src = self.file.data[start:end]
        try:
            root = parse_bounded(src).root_node
        except HclSyntaxError:
            self._has_error, self._body = True, Body()  # the parser gave up on these bytes: nothing is read
            return
        node = _only_block(root)
        if node is not None and not root.has_error:
            self._node, self._src, self._offset = node, src, self.line - 1
            return
        if self._unclosed:
            # what can be read of a block left open, from its own bytes: the rest of the file is not its business
            self._has_error = True
            recovered = next((n for n in _walk(root) if n.type == "block"), None)
            if recovered is not None:
                self._node, self._src, self._offset = recovered, src, self.line - 1
            else:
                self._body = Body()
            return
        # the block does not stand alone (the splitter was misled): take it from the whole file's tree
        try:
            full = self.file.tree.root_node
        except HclSyntaxError:
            self._has_error, self._body = True, Body()
            return
        for top in full.children:
            for child in top.children if top.type == "body" else [top]:
                if child.start_point[0] == self.line - 1 and child.type == "block":
                    self._node, self._src, self._offset = child, self.file.data, 0
                    self._has_error = child.has_error
                    self.end_line = child.end_point[0] + 1
                    return
        self._has_error = True
        self._body = Body()

    @property
    def body(self) -> Body:
        if self._body is None:
            self._ensure_node()
        if self._body is None:
            if self._node is not None:
                self._body = _hcl_body(self._node, self.file, self._src, self._offset)
            else:
                self._body = _json_body(self._json_body, self.file, self.line)
        return self._body

    @body.setter
    def body(self, value: Body) -> None:
        self._body = value

    def attr(self, name: str) -> Attribute | None:
        if self._chunk is not None and self._node is None and self._body is None:
            found = self._segment_attr(name)
            if found is not _FULL:
                return cast(Attribute | None, found)
        return self.body.attributes.get(name)

    def _segment_attr(self, name: str) -> Attribute | Any | None:
        """Read one attribute from its own lines: parsing a few bytes instead of the whole block."""
        if self._attrs is None:
            self._attrs = {}
        elif name in self._attrs:
            return self._attrs[name]
        assert self._chunk is not None
        chunk = self.file.data[self._chunk[0]:self._chunk[1]]
        if not self._segments_read:
            self._segments_read = True
            self._segments = _segments(chunk, self.line)
        if self._segments is None:
            return _FULL
        seg = self._segments.get(name)
        if seg is None:
            # absent, unless the name stands somewhere the segments did not account for (a nested block...)
            needle = name.encode()
            if needle in chunk and _word(needle).search(chunk):
                return _FULL
            self._attrs[name] = None
            return None
        start, end, line = seg
        src = chunk[start:end]
        try:
            root = parse_bounded(src).root_node
        except HclSyntaxError:
            return _FULL
        body = root.children[0] if root.children else None
        node = body.children[0] if body is not None and body.child_count == 1 else None
        if root.has_error or node is None or node.type != "attribute":
            return _FULL
        attr = _attribute(node, self.file, src, line - 1)
        self._attrs[name] = attr
        return attr


@lru_cache(maxsize=256)
def _word(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w-])" + re.escape(name) + rb"(?![\w-])")


_ITEM = re.compile(rb'([A-Za-z_][\w-]*)[ \t]*(=(?!=)|\{|"|[A-Za-z_])')


def _segments(chunk: bytes, first_line: int) -> dict[str, tuple[int, int, int]] | None:
    """Where each top-level attribute of a formatted block is: name -> (start, end, line) in the chunk.

    Items of the block start at its base indentation; every deeper line, and a closing bracket at the base
    indentation, continues the item above. Anything this cannot account for (a heredoc, a block comment, a line
    left of the base, a repeated name, an odd line) returns None and the whole block is parsed instead.
    """
    if b"<<" in chunk or b"/*" in chunk:
        return None
    body_start = chunk.find(b"\n") + 1
    close_start = chunk.rfind(b"\n") + 1
    if body_start == 0 or close_start <= body_start:
        return None
    segments: dict[str, tuple[int, int, int]] = {}
    base = -1
    current: tuple[str, int, int] | None = None  # an attribute being read: name, start, line
    pos, line = body_start, first_line + 1
    while pos < close_start:
        nl = chunk.find(b"\n", pos, close_start)
        end = close_start if nl < 0 else nl + 1
        raw = chunk[pos:end].rstrip(b"\r\n")
        stripped = raw.lstrip(b" \t")
        if stripped and not stripped.startswith((b"#", b"//")):
            indent = len(raw) - len(stripped)
            if base < 0:
                base = indent
            if indent < base:
                return None
            if indent == base:
                m = _ITEM.match(stripped)
                if m is not None:
                    if current is not None:
                        segments[current[0]] = (current[1], pos, current[2])
                    name = m.group(1).decode()
                    if m.group(2) == b"=" and name in segments:
                        return None
                    current = (name, pos, line) if m.group(2) == b"=" else None
                elif stripped[:1] not in (b"}", b"]", b")"):
                    return None
        pos, line = end, line + 1
    if current is not None:
        segments[current[0]] = (current[1], close_start, current[2])
    return segments


@dataclass(eq=False)
class ParsedFile:
    file: SourceFile
    blocks: list[Block]
    # Top-level attributes (tfvars files are only attributes).
    attributes: dict[str, Attribute]
    error_line: int | None = None  # first line the parser could not read, if any


# ---------------------------------------------------------------------------------------------------------------
# native syntax

def _text(node: tree_sitter.Node, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _label(node: tree_sitter.Node, src: bytes) -> str:
    if node.type == "string_lit":
        lit = [c for c in node.children if c.type == "template_literal"]
        return unescape(_text(lit[0], src)) if lit else ""
    return _text(node, src)


def _first_error_line(root: tree_sitter.Node) -> int | None:
    """The line Terraform would report for the first syntax error under ``root``.

    tree-sitter recovers differently from Terraform's parser, so its first ERROR or MISSING node is often a line
    late. Three rules bring it to where Terraform points (checked against ``terraform fmt`` on mutated files):
    an unclosed block is reported at its header, a quoted string that runs past its line at its opening quote
    (HCL strings end on their line), and a name left alone on a line (an attribute missing its ``=``) at that name.
    """
    error = _first_problem(root)
    if error is None:
        return None
    line = error.start_point[0] + 1
    if error.is_missing:
        parent = error.parent
        if error.type == "}" and parent is not None and parent.type == "block_end" and parent.parent is not None:
            return parent.parent.start_point[0] + 1
        if error.type == "quoted_template_end" and parent is not None:
            return parent.start_point[0] + 1
    elif error.type == "ERROR":
        previous = error.prev_sibling
        if previous is not None and previous.type == "identifier" and previous.end_point[0] < error.start_point[0]:
            line = previous.start_point[0] + 1
    opened = _multiline_string_before(root, error.start_byte)
    return min(line, opened) if opened is not None else line


def _first_problem(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_problem(child)
            if found is not None:
                return found
    return None


def _multiline_string_before(root: tree_sitter.Node, limit: int) -> int | None:
    """The line of the first quoted string that starts before ``limit`` and runs past its own line."""
    stack = [root]
    found: int | None = None
    while stack:
        node = stack.pop()
        if node.start_byte > limit:
            continue
        if node.type == "quoted_template_start":
            literal = node.next_sibling
            if literal is not None and literal.type == "template_literal" and \
                    literal.end_point[0] > literal.start_point[0]:
                line = node.start_point[0] + 1
                found = line if found is None else min(found, line)
            continue
        # a string that runs past its line sits in a node that spans lines, or in the one holding the error
        if node.end_byte >= limit or node.has_error or node.start_point[0] != node.end_point[0]:
            stack.extend(node.children)
    return found


def _only_block(root: tree_sitter.Node) -> tree_sitter.Node | None:
    bodies = [c for c in root.children if c.type == "body"]
    if len(bodies) != 1:
        return None
    items = [c for c in bodies[0].children if c.type != "comment"]
    return items[0] if len(items) == 1 and items[0].type == "block" else None


# terraform fmt puts every top-level block header at column 0 and its closing brace alone at column 0. The
# splitter relies on that to find blocks without parsing: one regex pass finds the lines that start at column 0
# with something other than a comment. Anything it cannot account for sends the file to the full parser, and
# every block it finds is checked when parsed on its own.
_COLUMN0 = re.compile(
    rb'^(?:(?P<head>([A-Za-z_][\w-]*)((?:[ \t]+(?:"[^"\\\n$%]*"|[A-Za-z_][\w-]*))*)[ \t]*\{(?P<tail>[^\n]*))'
    rb"|(?P<close>\}[ \t\r]*(?:(?:#|//)[^\n]*)?)"
    rb"|(?P<other>[^ \t\r\n#/][^\n]*|/[^/*][^\n]*))$",
    re.M,
)
_LABEL_TEXT = re.compile(r'"([^"]*)"|([A-Za-z_][\w-]*)')
_GAP = re.compile(rb"(?:[ \t\r\n]+|#[^\n]*|//[^\n]*)*")


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        here = stack.pop()
        yield here
        stack.extend(reversed(here.children))


def _split(file: SourceFile) -> tuple[list[Block], int | None] | None:
    """The top-level blocks of a formatted file, found without parsing, and the line of the first block left open
    (its closing brace missing: Terraform's "Unclosed configuration block" is reported at its header). None when
    the layout cannot be accounted for (the whole file is then parsed)."""
    data = file.data
    blocks: list[Block] = []
    start = -1  # byte offset of the open block's header, -1 outside blocks
    header: re.Match[bytes] | None = None
    pos = 0  # end of the last block
    line = 1
    counted = 0
    unclosed: int | None = None
    for m in _COLUMN0.finditer(data):
        if start >= 0 and m.lastgroup == "head":
            if b"<<" in data[start:m.start()]:
                return None  # a heredoc may hold text that looks like a header: parse it all
            # a header inside a block: the block above was left open; it ends where this one starts
            assert header is not None
            end_line = line + data.count(b"\n", start, m.start())
            blocks.append(_chunk_block(file, header, line, end_line, start, m.start(), unclosed=True))
            unclosed = line if unclosed is None else unclosed
            line, counted, pos, start = end_line, m.start(), m.start(), -1
        if start < 0:
            if m.lastgroup != "head" or _GAP.fullmatch(data, pos, m.start()) is None:
                return None
            tail = m.group("tail").strip()
            if tail and not tail.startswith((b"#", b"//")):
                if not tail.endswith(b"}") or tail.count(b"{") + 1 != tail.count(b"}"):
                    return None
                line += data.count(b"\n", counted, m.start())
                counted = m.start()
                blocks.append(_chunk_block(file, m, line, line, m.start(), m.end()))
                pos = m.end()
                continue
            start, header = m.start(), m
            line += data.count(b"\n", counted, start)
            counted = start
        elif m.lastgroup == "close":
            assert header is not None
            end_line = line + data.count(b"\n", start, m.start())
            blocks.append(_chunk_block(file, header, line, end_line, start, m.end()))
            line, counted, pos, start = end_line, m.start(), m.end(), -1
        # any other line at column 0 inside a block (heredoc text) is the block's business
    if start >= 0:
        assert header is not None
        if b"<<" in data[start:]:
            return None
        end_line = line + data.count(b"\n", start)
        blocks.append(_chunk_block(file, header, line, end_line, start, len(data), unclosed=True))
        unclosed = line if unclosed is None else unclosed
    elif _GAP.fullmatch(data, pos) is None:
        return None
    return blocks, unclosed


def _chunk_block(file: SourceFile, m: re.Match[bytes], line: int, end_line: int, start: int, end: int,
                 unclosed: bool = False) -> Block:
    raw = m.group(3).decode("utf-8", "replace")
    parts = raw.split('"')
    if len(parts) % 2 and not "".join(parts[0::2]).strip():  # only quoted labels, the formatted way
        labels = tuple(parts[1::2])
    else:
        labels = tuple(g1 or g2 for g1, g2 in _LABEL_TEXT.findall(raw))
    return Block(m.group(2).decode(), labels, file, line, end_line, _chunk=(start, end), _unclosed=unclosed)


def parse_hcl(file: SourceFile, fast: bool = False) -> ParsedFile:
    """Parse a native-syntax file; recovered syntax errors are kept as ``error_line`` and per-block ``has_error``.

    ``fast`` (large trees): top-level blocks are found by the splitter and each is parsed only when first needed, so
    a syntax error inside a block no stream depends on is not seen. Otherwise the whole file is parsed up front and
    every syntax error is reported.
    """
    split = _split(file) if fast else None
    if split is not None:
        file.syntax_error_line = split[1]
        return ParsedFile(file, split[0], {}, split[1])
    root = file.tree.root_node
    blocks: list[Block] = []
    attributes: dict[str, Attribute] = {}
    error_line = file.syntax_error_line = _first_error_line(root) if root.has_error else None
    for top in root.children:
        if top.type != "body":
            continue
        for child in top.children:
            if child.type == "block":
                blocks.append(_block(child, file, file.data, 0))
            elif child.type == "attribute":
                attr = _attribute(child, file, file.data, 0)
                if attr is not None:
                    attributes[attr.name] = attr
    return ParsedFile(file, blocks, attributes, error_line)


def _block(node: tree_sitter.Node, file: SourceFile, src: bytes, offset: int) -> Block:
    kids = node.children
    kind = _text(kids[0], src)
    labels = []
    for c in kids[1:]:
        if c.type in ("string_lit", "identifier"):
            labels.append(_label(c, src))
        elif c.type == "block_start":
            break
    return Block(kind, tuple(labels), file, node.start_point[0] + 1 + offset, node.end_point[0] + 1 + offset,
                 node.has_error, node, _src=src, _offset=offset)


def _attribute(node: tree_sitter.Node, file: SourceFile, src: bytes, offset: int) -> Attribute | None:
    # an attribute is: identifier "=" expression; child() is far cheaper than materialising .children
    if node.child_count < 3:
        return None
    name_node = node.child(0)
    expr_node = node.child(2)
    if name_node is None or expr_node is None or expr_node.type != "expression":
        return None
    line = node.start_point[0] + 1 + offset
    name = src[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace")
    return Attribute(name, Expr(file, line, expr_node, src=src), line)


def _hcl_body(block_node: tree_sitter.Node, file: SourceFile, src: bytes, offset: int) -> Body:
    body = Body()
    for c in block_node.children:
        if c.type != "body":
            continue
        for item in c.children:
            kind = item.type
            if kind == "attribute":
                attr = _attribute(item, file, src, offset)
                if attr is not None:
                    body.attributes[attr.name] = attr
            elif kind == "block":
                body.blocks.append(_block(item, file, src, offset))
        break
    return body


def _redefinition(block_node: tree_sitter.Node, src: bytes, offset: int) -> str | None:
    """The first argument defined twice in one body of the block (nested blocks included), as Terraform's
    "Attribute redefined" error; None when there is none. Only block and attribute nodes are visited."""
    stack = [block_node]
    while stack:
        node = stack.pop()
        seen: dict[bytes, int] = {}
        for body in node.children:
            if body.type != "body":
                continue
            for item in body.children:
                if item.type == "block":
                    stack.append(item)
                elif item.type == "attribute" and item.child_count:
                    name_node = item.child(0)
                    assert name_node is not None
                    name = src[name_node.start_byte:name_node.end_byte]
                    line = item.start_point[0] + 1 + offset
                    if name in seen:
                        shown = name.decode("utf-8", "replace")
                        return (f"argument {shown!r} is defined twice (lines {seen[name]} and {line}); Terraform "
                                "rejects a redefined argument")
                    seen[name] = line
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|\$\$\{|%%\{", re.DOTALL)


def unescape(text: str, quoted: bool = True) -> str:
    """Resolve a template literal's escapes: backslash escapes (quoted strings only), ``$${`` and ``%%{``."""

    def sub(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "$${":
            return "${"
        if whole == "%%{":
            return "%{"
        if not quoted:
            return whole
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        return _ESCAPES.get(m.group(3), whole)

    return _ESCAPE_RE.sub(sub, text)


def _quote_template(text: str) -> str:
    """Write a JSON string's template as a native quoted string: literal text is escaped, but the expressions
    inside ``${...}`` / ``%{...}`` are native syntax already and are kept as they are (their own quotes included)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        escaped = i > 0 and text[i - 1] == ch and _escaped_marker(text, i)
        if ch in "$%" and text.startswith("{", i + 1) and not escaped:
            end = _interpolation_end(text, i + 2)
            out.append(text[i:end])
            i = end
            continue
        out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, ch))
        i += 1
    return "".join(out)


def _escaped_marker(text: str, i: int) -> bool:
    """``$${`` and ``%%{`` are literal: the marker at ``i`` is escaped when an odd run of markers precedes it."""
    run = 0
    j = i - 1
    while j >= 0 and text[j] == text[i]:
        run += 1
        j -= 1
    return run % 2 == 1


def _interpolation_end(text: str, i: int) -> int:
    """The index just past the ``}`` closing an interpolation whose body starts at ``i`` (nested braces and quoted
    strings inside it are skipped); the end of the text if it never closes (the parser reports that)."""
    depth = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def parse_template_string(text: str, file: SourceFile, line: int) -> Expr:
    """A JSON-syntax string is a template: parse it with the native grammar as a quoted string."""
    src = f'v = "{_quote_template(text)}"\n'.encode()
    root = parse_bounded(src).root_node
    body = root.children[0] if root.children else None
    attr = body.children[0] if body is not None and body.children else None
    expr = None
    if attr is not None and attr.type == "attribute":
        expr = next((c for c in attr.children if c.type == "expression"), None)
    if root.has_error or expr is None:
        raise HclSyntaxError(f"invalid template in JSON string {text!r}", line)
    return Expr(file, line, expr, src=src)


def parse_template_text(text: str, file: SourceFile, line: int) -> Expr:
    """A whole text as a template (a ``templatefile`` body), parsed as a heredoc whose end marker it cannot hold."""
    marker = "SSEGUARD_TEMPLATE_END"
    while marker in text:
        marker += "_"
    src = f"v = <<{marker}\n{text}\n{marker}\n".encode()
    root = parse_bounded(src).root_node
    if root.has_error:
        raise HclSyntaxError("invalid template", _first_error_line(root))
    attr = root.children[0].children[0]
    return Expr(file, line, next(c for c in attr.children if c.type == "expression"), src=src)


def parse_expression_text(text: str, file: SourceFile, line: int) -> Expr:
    """Parse one native-syntax expression (a ``--var`` value, a ``templatefile`` body's wrapper)."""
    src = f"v = {text}\n".encode()
    tree = parse_bounded(src)
    root = tree.root_node
    if root.has_error or not root.children or not root.children[0].children:
        raise HclSyntaxError(f"not a valid expression: {text!r}", line)
    attr = root.children[0].children[0]
    expr = [c for c in attr.children if c.type == "expression"]
    if attr.type != "attribute" or not expr:
        raise HclSyntaxError(f"not a valid expression: {text!r}", line)
    return Expr(file, line, expr[0], src=src)


# ---------------------------------------------------------------------------------------------------------------
# JSON syntax

# How many labels a block type's JSON object nests before its body (resource "t" "n" -> 2).
_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "locals": 0,
           "terraform": 0, "import": 0, "moved": 0, "check": 1, "removed": 0}


def parse_json(file: SourceFile) -> ParsedFile:
    """Parse a ``.tf.json`` (or ``.tfvars.json``) file into the same blocks as native syntax."""
    try:
        doc = loads(file.data.decode("utf-8"), object_pairs_hook=_JsonObject.of)
    except UnicodeDecodeError as err:
        raise HclSyntaxError(f"not UTF-8 text: {err.reason}", None, "save the file as UTF-8 text, as Terraform "
                             "requires") from None
    except LoadError as err:
        raise HclSyntaxError(err.message, err.line, "fix the JSON at that line") from None
    if not isinstance(doc, dict):
        raise HclSyntaxError("a .tf.json file must hold a JSON object", 1)
    finder = _LineFinder(file)
    blocks: list[Block] = []
    attributes: dict[str, Attribute] = {}
    for kind, content in doc.items():
        if kind == "//":
            continue
        if kind not in _LABELS:
            attributes[kind] = Attribute(kind, Expr(file, finder.line_of(kind), value=content), finder.line_of(kind))
            continue
        for labels, body in _json_label_walk(content, _LABELS[kind], ()):
            line = finder.line_of(labels[-1] if labels else kind)
            blocks.append(Block(kind, labels, file, line, line, _json_body=body, _problem=_json_redefinition(body)))
    return ParsedFile(file, blocks, attributes)


class _JsonObject(dict[str, Any]):
    """A JSON object as HCL's JSON syntax reads it: a name given twice with object values is two blocks (kept as a
    list of both), and a name given twice otherwise is an argument defined twice (kept in ``redefined``)."""

    redefined: tuple[str, ...] = ()

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        out = cls()
        twice: list[str] = []
        for name, value in pairs:
            if name not in out:
                out[name] = value
            elif isinstance(value, dict) and isinstance(out[name], dict | list) and name != "//":
                earlier = out[name]
                out[name] = [*(earlier if isinstance(earlier, list) else [earlier]), value]
            elif name != "//":
                twice.append(name)
                out[name] = value
        if twice:
            out.redefined = tuple(twice)
        return out


def _json_redefinition(content: Any) -> str | None:
    """The first argument a JSON block body (nested blocks included) gives twice, as Terraform's error."""
    stack = [content]
    while stack:
        here = stack.pop()
        if isinstance(here, list):
            stack.extend(here)
        elif isinstance(here, dict):
            if isinstance(here, _JsonObject) and here.redefined:
                return (f"argument {here.redefined[0]!r} is defined twice; Terraform rejects a redefined "
                        "argument")
            stack.extend(v for v in here.values() if isinstance(v, dict | list))
    return None


def _json_label_walk(content: Any, depth: int, labels: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if depth == 0:
        for item in content if isinstance(content, list) else [content]:
            yield labels, item
        return
    if isinstance(content, list):
        for item in content:
            yield from _json_label_walk(item, depth, labels)
        return
    if isinstance(content, dict):
        for key, value in content.items():
            if key != "//":
                yield from _json_label_walk(value, depth - 1, (*labels, key))


def _json_body(content: Any, file: SourceFile, line: int) -> Body:
    body = Body()
    if not isinstance(content, dict):
        return body
    for name, value in content.items():
        if name == "//":
            continue
        if name == "dynamic" and isinstance(value, dict):
            for label, inner in value.items():
                for item in inner if isinstance(inner, list) else [inner]:
                    body.blocks.append(Block("dynamic", (label,), file, line, line, _json_body=item))
            continue
        body.attributes[name] = Attribute(name, Expr(file, line, value=value), line)
    return body


class _LineFinder:
    """Finds the line of a JSON key; approximate (first occurrence after the previous one), good for reports."""

    def __init__(self, file: SourceFile) -> None:
        self.text = file.data.decode("utf-8", "replace")
        self.pos = 0

    def line_of(self, key: str) -> int:
        needle = json.dumps(key)
        at = self.text.find(needle, self.pos)
        if at < 0:
            at = self.text.find(needle)
        if at < 0:
            return 1
        self.pos = at + len(needle)
        return self.text.count("\n", 0, at) + 1
