"""Mutators: each takes a file's bytes and a seeded ``random.Random`` and returns the mutated bytes with a short
description of what it did, or ``None`` when it finds nothing to act on in this text (another one is then tried).

Every choice comes from the ``random.Random`` handed in, so a mutant is rebuilt exactly from its id.

Canaries (streams whose names hold ``canary``) are built unencrypted, and no mutator may legitimately make one
encrypted, so a canary that passes is a bug of the scanner and never of the mutation:

- text is never moved from one place to another if it names a key or an encryption setting (``LOCKED``) or a
  canary, or is the value written right after such a name; lines holding one are duplicated only in place;
- a value under such a name is never replaced by a non-empty string;
- inserted text (hostile bytes, expressions, intrinsics, YAML tricks) names no key and no encryption type;
- a label or logical id is never copied from a canary, and no edit writes ``canary`` into a name.

A mutation may still delete a canary's declaration, or make it unknown: that is allowed.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOCKED = re.compile(r"kms|key|encrypt|alias|sse|cmk", re.IGNORECASE)
CANARY = re.compile(r"canary", re.IGNORECASE)

# The marker file the runner plants outside the scanned tree, as a path from the tree (see kinds.OUTSIDE).
OUTSIDE_FILE = "../outside/secret.txt"


@dataclass(frozen=True)
class Target:
    """What a mutated file is: its syntax (``hcl``, ``json``, ``yaml``) and what reads it (``terraform``,
    ``tfvars``, ``cloudformation``, ``data`` for plan, state and describe-stream output)."""

    syntax: str
    flavor: str


Mutation = tuple[bytes, str]
Mutator = Callable[[bytes, random.Random, Target], Mutation | None]


# --- text helpers --------------------------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _shown(snippet: str | bytes, width: int = 40) -> str:
    """A snippet as a description shows it: repr, long runs abbreviated."""
    text = repr(snippet)
    return text if len(text) <= width else f"{text[:width]}...({len(snippet)} chars)"


def _is_locked(text: str) -> bool:
    return bool(LOCKED.search(text) or CANARY.search(text))


# --- byte level ----------------------------------------------------------------------------------------------------

_HOSTILE_BYTES: tuple[bytes, ...] = (
    b"\x00", b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xef\xbb\xbf",
    b"\x1b[2J\x1b[31m", b"\x1b]8;;http://example.invalid\x07link\x1b]8;;\x07", b"\x1b]0;title\x07", b"\r", b"\r\r\n",
    b"\xe2\x80\xa8", b"\xe2\x80\xae", b"\t", b"\x0b\x0c", b"\x7f", b"\\", b'"', b"'", b"${", b"%{", b"}", b"{", b"]",
    b"#", b"//", b"/*", b"<<EOT", b"\\u0000", b"\\ud800", b"\xf0\x9f\x98\x80",
    b"9" * 5000, b"-" + b"9" * 5000, b"0." + b"0" * 5000 + b"1", b"1e" + b"9" * 400,
    b"[" * 500, b"[" * 50000, b"{" * 5000, b"(" * 5000, b'{"a":' * 5000, b"- " * 5000, b"A" * 100000,
    b"\n" * 10000, b" " * 100000,
)


def flip_bits(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Flip one to eight random bits."""
    if not data:
        return None
    out = bytearray(data)
    spots = []
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
        spots.append(at)
    return bytes(out), f"flip_bits(at={spots})"


def insert_hostile(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Insert hostile bytes (NUL, invalid UTF-8, ESC sequences, CR, huge digit runs, deep brackets...)."""
    snippet = rng.choice(_HOSTILE_BYTES)
    at = rng.randrange(len(data) + 1)
    return data[:at] + snippet + data[at:], f"insert_hostile({_shown(snippet)} at {at})"


def truncate(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Cut the file short."""
    if len(data) < 2:
        return None
    at = rng.randrange(1, len(data))
    return data[:at], f"truncate(at={at})"


# --- line level ----------------------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def duplicate_lines(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Repeat a run of lines right after itself. A run holding a locked line is one line long, so nothing that
    names a key lands in another block."""
    lines = _lines(data)
    if len(lines) < 2:
        return None
    first = rng.randrange(len(lines))
    count = rng.choice((1, 1, 2, 3))
    run = lines[first:first + count]
    if count > 1 and any(_is_locked(_text(line)) for line in run):
        run = run[:1]
    repeat = rng.choice((1, 1, 2, 50))
    copy = b"".join(run)
    if not copy.endswith(b"\n"):
        copy += b"\n"
    out = b"".join(lines[:first]) + copy * repeat + b"".join(lines[first:])
    return out, f"duplicate_lines(line={first + 1}, count={len(run)}, times={repeat})"


def delete_lines(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Delete one to three consecutive lines."""
    lines = _lines(data)
    if len(lines) < 2:
        return None
    first = rng.randrange(len(lines))
    count = rng.choice((1, 1, 2, 3))
    return b"".join(lines[:first] + lines[first + count:]), f"delete_lines(line={first + 1}, count={count})"


def swap_lines(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Swap two adjacent lines, neither of them naming a key, an encryption setting or a canary."""
    lines = _lines(data)
    candidates = [i for i in range(len(lines) - 1)
                  if not _is_locked(_text(lines[i])) and not _is_locked(_text(lines[i + 1]))]
    if not candidates:
        return None
    i = rng.choice(candidates)
    first, second = lines[i], lines[i + 1]
    if not second.endswith(b"\n"):
        second, first = second + b"\n", first.rstrip(b"\n")
    lines[i], lines[i + 1] = second, first
    return b"".join(lines), f"swap_lines(line={i + 1})"


# --- token level ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|!?[A-Za-z_][\w.:/*-]*|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[^\s\w]'
)
_SWAP_WINDOW = 4


def _word_tokens(text: str) -> list[tuple[re.Match[str], bool]]:
    """Word tokens (names, strings, numbers) with whether they may move: not locked, and not the value written
    right after a locked name (``kms_key_id = x``, ``"KeyId": null``, ``KeyId: !Ref k``)."""
    out: list[tuple[re.Match[str], bool]] = []
    previous: list[str] = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if len(token) == 1 and not token.isalnum():
            previous.append(token)
            continue
        after_locked = len(previous) >= 2 and previous[-1] in (":", "=") and _is_locked(previous[-2])
        after_locked = after_locked or (len(previous) >= 3 and previous[-1].startswith("!")
                                        and previous[-2] in (":", "=") and _is_locked(previous[-3]))
        out.append((m, not _is_locked(token) and not after_locked))
        previous.append(token)
    return out


_TOKEN_SPAN = 100_000


def swap_tokens(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Swap two nearby word tokens that may move (in a huge file, within a stretch of whole lines of it)."""
    whole = _text(data)
    start, end = 0, len(whole)
    if len(whole) > _TOKEN_SPAN:
        start = whole.rfind("\n", 0, rng.randrange(len(whole) - _TOKEN_SPAN)) + 1
        end = whole.rfind("\n", start, start + _TOKEN_SPAN) + 1 or start + _TOKEN_SPAN
    text = whole[start:end]
    tokens = _word_tokens(text)
    movable = [i for i, (_, free) in enumerate(tokens) if free]
    if len(movable) < 2:
        return None
    i = rng.choice(movable)
    partners = [j for j in movable if j != i and abs(j - i) <= _SWAP_WINDOW]
    if not partners:
        return None
    j = rng.choice(partners)
    a, b = sorted((tokens[i][0], tokens[j][0]), key=lambda m: m.start())
    out = text[:a.start()] + b.group() + text[a.end():b.start()] + a.group() + text[b.end():]
    out = whole[:start] + out + whole[end:]
    return _bytes(out), f"swap_tokens({_shown(a.group(), 24)} <-> {_shown(b.group(), 24)})"


_TYPOS: dict[str, dict[str, tuple[str, ...]]] = {
    "terraform": {
        "resource": ("resouce", "Resource", "RESOURCE", "resources"),
        "module": ("modul", "Module"),
        "variable": ("varible", "Variable"),
        "locals": ("local", "Locals"),
        "provider": ("providers", "Provider"),
        "data": ("dat", "Data"),
        "source": ("sourc", "Source"),
        "default": ("defualt", "Default"),
        "count": ("cnt", "Count"),
        "for_each": ("foreach", "for-each", "For_Each"),
        "aws_kinesis_stream": ("aws_kinesis_streams", "aws_kinesis_Stream", "aws_kinesis_stream_"),
        "each.value": ("each.values", "each.val"),
        "var.": ("vars.", "Var."),
        "local.": ("locals.",),
        "jsonencode": ("jsonencod", "JSONencode"),
        "NONE": ("none", "None", "NONE ", " NONE", "NON"),
    },
    "cloudformation": {
        "Resources": ("Resource", "resources", "RESOURCES"),
        "Type": ("type", "Tpye", "TYPE"),
        "Properties": ("properties", "Propertes"),
        "AWS::Kinesis::Stream": ("AWS::Kinesis::stream", "AWS::kinesis::Stream", "AWS::Kinesis::Streams",
                                 "AWS::Kinesis::Stream "),
        "Fn::If": ("Fn::if", "Fn:If", "If"),
        "Fn::Sub": ("Fn::sub", "Sub"),
        "!Ref": ("!ref", "!REF", "!Refs"),
        "!If": ("!if", "!IF"),
        "!Sub": ("!sub",),
        "Ref": ("ref", "REF"),
        "Condition": ("Conditon", "condition"),
        "Conditions": ("Condition", "conditions"),
        "Parameters": ("Parameter", "parameters"),
        "Default": ("default", "Defualt"),
        "AWS::NoValue": ("AWS::Novalue", "AWS::NoValu"),
        "NONE": ("none", "None", "NONE ", "NON"),
    },
    "data": {
        "resource_changes": ("resource_change", "Resource_changes"),
        "planned_values": ("planned_value",),
        "configuration": ("Configuration", "config"),
        "expressions": ("expression",),
        "constant_value": ("constant_values", "constantValue"),
        "references": ("reference", "refs"),
        "after": ("After", "afterr"),
        "actions": ("action", "Actions"),
        "managed": ("Managed", "manage"),
        "aws_kinesis_stream": ("aws_kinesis_streams", "AWS_kinesis_stream"),
        "address": ("Address", "adress"),
        "instances": ("instance", "Instances"),
        "attributes": ("attribute",),
        "root_module": ("rootmodule", "root_modules"),
        "StreamDescriptionSummary": ("StreamDescriptionsummary", "StreamDescriptionSummary "),
        "StreamDescription": ("streamDescription",),
        "StreamName": ("Streamname", "StreamNames"),
        "NONE": ("none", "None", "NONE ", "NON"),
        "version": ("Version", "versions"),
    },
}
_TYPOS["tfvars"] = _TYPOS["terraform"]


def keyword_typo(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Misspell a keyword the reader depends on (``resouce``, ``Resource``, ``AWS::Kinesis::stream``)."""
    text = _text(data)
    typos = _TYPOS[target.flavor]
    present = [word for word in typos if word in text]
    if not present:
        return None
    word = rng.choice(present)
    spots = [m.start() for m in re.finditer(re.escape(word), text)]
    at = rng.choice(spots)
    typo = rng.choice(typos[word])
    return _bytes(text[:at] + typo + text[at + len(word):]), f"keyword_typo({word!r} -> {typo!r} at {at})"


_HCL_LABELS = re.compile(r'^[ \t]*(?:resource|data|module|variable|provider|output)((?:[ \t]+"[^"\n]*")+)[ \t]*\{',
                         re.MULTILINE)
_YAML_KEY = re.compile(r"^([ \t]*)([A-Za-z0-9_]+)(:)", re.MULTILINE)
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_COLON = re.compile(r"\s*:")
_LABEL_EDITS: tuple[Callable[[str], str], ...] = (
    lambda label: "",
    lambda label: label + "x" * 5000,
    lambda label: label + '"',
    lambda label: label + "${var.region}",
    lambda label: label + "\\n",
    lambda label: "1" + label,
    lambda label: label.upper(),
    lambda label: label + " with space",
    lambda label: label + "\u00e9\u200b",
    lambda label: label + "\\\"",
    lambda label: label.replace("_", "-"),
    lambda label: label + "[0]",
    lambda label: label + ".x",
)


def label_edit(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Edit a block label, logical id or object key: empty, huge, quoted, interpolated, or another one's name
    (never a canary's, so an encrypted stream cannot take a canary's address)."""
    text = _text(data)
    if target.syntax == "hcl":
        spots = [(m.start(1) + sub.start() + 1, m.start(1) + sub.end() - 1)
                 for m in _HCL_LABELS.finditer(text) for sub in re.finditer(r'"[^"\n]*"', m.group(1))]
    elif target.syntax == "yaml":
        spots = [(m.start(2), m.end(2)) for m in _YAML_KEY.finditer(text)]
    else:
        # Strings one after the other, never from a quote inside one: a key is a string followed by a colon.
        spots = [(m.start() + 1, m.end() - 1) for m in _JSON_STRING.finditer(text) if _COLON.match(text, m.end())]
    if not spots:
        return None
    start, end = rng.choice(spots)
    label = text[start:end]
    others = [text[s:e] for s, e in spots if not CANARY.search(text[s:e]) and text[s:e] != label]
    new = rng.choice(others) if others and rng.random() < 0.3 else rng.choice(_LABEL_EDITS)(label)
    if CANARY.search(new) and not CANARY.search(label):
        return None
    return _bytes(text[:start] + new + text[end:]), f"label_edit({_shown(label, 30)} -> {_shown(new, 30)})"


_NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_HOSTILE_NUMBERS = ("1e400", "-1e400", "9" * 5000, "NaN", "Infinity", "-0", "0.0000001", "1e-400",
                    "99999999999999999999", "-1", "0", "1.5", "0x10", "1_000", "-9223372036854775809", "4096",
                    "100000000")


def replace_number(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Replace a number with 1e400, 5000 digits, NaN, -1, 1.5, a huge count..."""
    text = _text(data)
    spots = list(_NUMBER.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    new = rng.choice(_HOSTILE_NUMBERS)
    return _bytes(text[:m.start()] + new + text[m.end():]), f"replace_number({m.group()!r} -> {_shown(new, 24)})"


def policy_wildcard(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Turn a key-policy action into a wildcard pattern that backtracks badly (``kms:*a*a*a...?``)."""
    text = _text(data)
    spots = list(re.finditer(r"(?<=[\"'\s\[,])kms:[A-Za-z*?]+", text))
    if not spots:
        return None
    m = rng.choice(spots)
    new = rng.choice(("kms:" + "*a" * 30 + "?", "kms:" + "*" * 5000 + "x", "kms:" + "?*" * 40 + "Z",
                      "kms:" + "*Decrypt" * 20 + "!", "*" * 100000))
    return _bytes(text[:m.start()] + new + text[m.end():]), f"policy_wildcard({m.group()!r} -> {_shown(new, 30)})"


# --- Terraform expressions -----------------------------------------------------------------------------------------

_HCL_HOSTILE: tuple[str, ...] = (
    'file("/etc/passwd")',
    '"${file("/etc/passwd")}"',
    'trimspace(file("/etc/passwd"))',
    'jsondecode(file("/etc/passwd"))',
    'yamldecode(file("/etc/passwd"))',
    'split("\\n", file("/etc/passwd"))[0]',
    'sensitive(file("/etc/passwd"))',
    'try(file("/etc/passwd"), "x")',
    'true ? file("/etc/passwd") : "x"',
    f'file("{OUTSIDE_FILE}")',
    f'upper(file("{OUTSIDE_FILE}"))',
    f'"${{file("${{path.module}}/{OUTSIDE_FILE}")}}"',
    'templatefile("/proc/self/environ", {})',
    'file("/proc/self/environ")',
    'file("/dev/zero")',
    'md5(file("/dev/urandom"))',
    'range(100000000)',
    'length(range(1e9))',
    '[for i in range(100000000) : i]',
    '{for i in range(1000000) : tostring(i) => i}',
    'regex("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")',
    'regexall("(x|xx)+y", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")',
    'replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "/^(a|aa)+$/", "b")',
    'can(regex("(.*a){25}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))',
    'format("%999999999d", 1)',
    'format("%.999999999f", 1)',
    'format("%0999999999.2f", 1.5)',
    'format("%9999999999s", "x")',
    'formatlist("%v%v", range(1000), range(1000))',
    'pow(10, 400)',
    'pow(2, 99999)',
    'pow(-8, 0.5)',
    'log(0, 10)',
    'log(10, 1)',
    '1e400',
    '1e400 - 1e400',
    '5 / 0',
    '5 % 0',
    'floor(1e400)',
    'parseint("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 36)',
    'parseint("1", 99)',
    'substr("abc", 0, 1e400)',
    'element(["a"], 1e400)',
    'element([], 0)',
    'chunklist(["a"], 1e400)',
    'slice(["a"], 0, 1e400)',
    'tonumber("1e400")',
    'tostring(1e400)',
    'abs(-1e400)',
    'max()',
    'sum([])',
    'base64decode("////")',
    'base64decode("wA==")',
    'jsondecode(join("", [for i in range(1000) : "["]))',
    'yamldecode("a: &a [*a]")',
    'yamldecode("!!python/object/apply:os.system [\\"true\\"]")',
    'join("", [for i in range(1000) : join("", [for j in range(1000) : "x"])])',
    'jsonencode({for i in range(1000) : tostring(i) => [for j in range(1000) : j]})',
    '"%{for x in range(100000000)}${x}%{endfor}"',
    '"${"${"${"${"${"${"${"${"${"${"x"}"}"}"}"}"}"}"}"}"}"',
    "(" * 3000 + "1" + ")" * 3000,
    "[" * 3000 + "]" * 3000,
    "!" * 10000 + "true",
    "-" * 10000 + "1",
    "local.prefix" + ".x" * 5000,
    "var.region" + "[0]" * 5000,
    'lookup({}, "a")',
    'one([1, 2])',
    'zipmap(["a"], [])',
    'transpose({a = 1})',
    'coalesce()',
    'concat(1)',
    'abspath("../../../../etc/passwd")',
    'each.key',
    'count.index',
    'self.arn',
    'null',
    '<<EOT\n${file("/etc/passwd")}\nEOT',
)

_HCL_META: tuple[str, ...] = (
    "count = 100000000",
    "count = 1e400",
    "count = -1",
    "count = 1.5",
    '"count" = "many"',
    "count = null",
    "count = 4096",
    'for_each = toset([for i in range(1024) : tostring(i)])',
    'for_each = {for i in range(100000) : tostring(i) => i}',
    "for_each = 1e400",
    'for_each = toset(split("\\n", file("/etc/passwd")))',
    f'for_each = toset(split("\\n", file("{OUTSIDE_FILE}")))',
    'for_each = {for line in split("\\n", file("/proc/self/environ")) : line => line}',
    'count = length(file("/etc/passwd"))',
    'dynamic "x" {\n    for_each = range(1000000)\n    content {}\n  }',
    "lifecycle {\n    ignore_changes = all\n  }",
    'provider = aws.nowhere',
    "depends_on = [" + "a." * 3000 + "b]",
)

_ATTRIBUTE = re.compile(r"^([ \t]*)([A-Za-z_][\w-]*)([ \t]*=[ \t]*)(\S[^\n]*)$", re.MULTILINE)
_BLOCK_OPEN = re.compile(r"^[ \t]*(?:resource|module|data|locals|variable|provider)\b[^\n]*\{[ \t]*$", re.MULTILINE)


def hcl_expression(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Replace an attribute's value with a hostile expression: huge ranges, catastrophic regexes, format widths,
    ``file("/etc/passwd")``, ``templatefile("/proc/self/environ")``, ``pow``/``log`` overflows, deep nesting."""
    text = _text(data)
    spots = list(_ATTRIBUTE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    expression = rng.choice(_HCL_HOSTILE)
    out = text[:m.start(4)] + expression + text[m.end(4):]
    return _bytes(out), f"hcl_expression({m.group(2)} = {_shown(expression, 60)})"


def hcl_meta(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Give a block a hostile meta-argument: a huge or invalid count/for_each, a dynamic block, a lifecycle."""
    text = _text(data)
    spots = list(_BLOCK_OPEN.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    line = rng.choice(_HCL_META)
    out = text[:m.end()] + "\n  " + line + text[m.end():]
    return _bytes(out), f"hcl_meta({_shown(line, 60)} after line {text.count(chr(10), 0, m.end()) + 1})"


_HCL_SYNTAX: tuple[str, ...] = (
    "<<EOT\nnever closed\n",
    "/* never closed\n",
    '"${never closed\n',
    'x = "%{ if true }unterminated\n',
    "a {\n" * 3000 + "}\n" * 3000,
    "a {\n" * 200000,
    "\n".join(f"attr_{i} = {i}" for i in range(20000)) + "\n",
    'resource "aws_kinesis_stream" "unclosed" {\n',
    "x = <<-EOT\n" + "  line\n" * 10000 + "  EOT\n",
    "x = [" + "1," * 100000 + "]\n",
    "x = {" + "".join(f"k{i} = {i}\n" for i in range(20000)) + "}\n",
    "\\\n",
    "terraform {\n  required_version = \"" + "9" * 5000 + "\"\n}\n",
    'locals {\n  a = local.b\n  b = local.a\n}\n',
    "locals {\n" + "".join(f"  chain_{i} = local.chain_{i + 1}\n" for i in range(3000)) + "  chain_3000 = 1\n}\n",
    'variable "v" {\n  default = var.v\n}\n',
)


def hcl_large(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Grow the file past 1 MiB (trees that large are parsed in part, only what streams depend on) or to the
    10 MiB limit of one file, with blocks no stream reads or a long comment."""
    size = rng.choice((1_100_000, 2_000_000, 10 * 1024 * 1024 - len(data) - 1, 10 * 1024 * 1024 + 1))
    if rng.random() < 0.5:
        block = 'resource "null_resource" "pad_{}" {{\n  triggers = {{ n = "{}" }}\n}}\n'
        count = max(1, size // len(block.format(0, 0)))
        padding = "".join(block.format(i, i) for i in range(count))
    else:
        padding = "# " + "x" * 97 + "\n"
        padding = padding * max(1, size // len(padding))
    at = rng.choice((0, len(data)))
    what = "blocks" if padding.startswith("resource") else "comment"
    return (data[:at] + padding.encode() + data[at:],
            f"hcl_large({len(padding)} bytes of {what} at the {'start' if at == 0 else 'end'})")


def hcl_syntax(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Insert broken or extreme HCL at a line start: unclosed heredocs, comments and templates, 3000 nested
    blocks, 20000 attributes, locals that refer to each other."""
    lines = _lines(data)
    at = rng.randrange(len(lines) + 1)
    snippet = rng.choice(_HCL_SYNTAX)
    out = b"".join(lines[:at]) + _bytes(snippet) + b"".join(lines[at:])
    return out, f"hcl_syntax({_shown(snippet, 50)} at line {at + 1})"


# --- JSON structure ------------------------------------------------------------------------------------------------


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its members in order, so duplicate keys can be written."""


@dataclass(frozen=True)
class _Raw:
    """JSON text written as is (``1e400``, ``NaN``, 5000 digits)."""

    text: str


def _dump(value: Any, indent: int | None, level: int = 0, ascii_only: bool = True) -> str:
    pad = "" if indent is None else "\n" + " " * (indent * (level + 1))
    end = "" if indent is None else "\n" + " " * (indent * level)
    sep = ": " if indent is not None else ":"
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, _Pairs):
        if not value:
            return "{}"
        members = [json.dumps(k, ensure_ascii=ascii_only) + sep + _dump(v, indent, level + 1, ascii_only)
                   for k, v in value]
        return "{" + pad + ("," + pad).join(members) + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + pad + ("," + pad).join(_dump(v, indent, level + 1, ascii_only) for v in value) + end + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def _parse_json(text: str) -> Any | None:
    try:
        return json.loads(text, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return None


Path_ = tuple[Any, ...]


_MAX_NODES = 20_000


def _walk(value: Any, path: Path_, out: list[tuple[Path_, Any]], depth: int = 0) -> None:
    """Every node's path, depth first, up to ``_MAX_NODES`` nodes (a mutant may hold 20000 copies of a block)."""
    if len(out) >= _MAX_NODES:
        return
    out.append((path, value))
    if depth > 60:
        return
    if isinstance(value, _Pairs):
        for i, (_, v) in enumerate(value):
            _walk(v, (*path, i), out, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, (*path, i), out, depth + 1)


def _container(root: Any, path: Path_) -> Any:
    node = root
    for step in path:
        node = node[step][1] if isinstance(node, _Pairs) else node[step]
    return node


def _keys_on(root: Any, path: Path_) -> list[str]:
    """The object keys on the way to ``path``."""
    keys, node = [], root
    for step in path:
        if isinstance(node, _Pairs):
            keys.append(node[step][0])
            node = node[step][1]
        else:
            node = node[step]
    return keys


def _set(root: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    parent = _container(root, path[:-1])
    if isinstance(parent, _Pairs):
        parent[path[-1]] = (parent[path[-1]][0], value)
    else:
        parent[path[-1]] = value
    return root


_HOSTILE_STRINGS: tuple[str, ...] = (
    "", "\u0000", "\x1b[2J\x1b[31mred", "\x1b]8;;http://example.invalid\x07x\x1b]8;;\x07", "\ud800", "\udfff",
    "\r\n\r\n", "\u202e\u2028", "x" * 1_000_000, "${file(\"/etc/passwd\")}", f"${{file(\"{OUTSIDE_FILE}\")}}",
    "${templatefile(\"/proc/self/environ\", {})}", "%{for i in range(100000000)}${i}%{endfor}", "{{7*7}}",
    "arn:aws:kinesis:us-east-1:111122223333:stream/" + "a" * 10000, "<script>alert(1)</script>", "'; DROP TABLE x; --",
    "../../../../etc/passwd", "${" * 5000, "\\", '"', "\U0010ffff", "\ufeff", "NaN", "null",
)
_NON_STRINGS: tuple[Any, ...] = (0, -1, 1.5, _Raw("1e400"), _Raw("-1e400"), _Raw("9" * 5000), _Raw("NaN"),
                                 _Raw("Infinity"), _Raw("-0"), True, False, None, [], _Pairs(), "")


def _string_allowed(root: Any, path: Path_) -> bool:
    return not any(LOCKED.search(k) for k in _keys_on(root, path))


def _json_change_type(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str]:
    current = _container(root, path)
    choices: list[Any] = list(_NON_STRINGS)
    choices += [[current], _Pairs([("", current)])]
    if _string_allowed(root, path):
        choices += [*_HOSTILE_STRINGS, "x", _dump(current, None)[:100]]
    new = rng.choice(choices)
    return _set(root, path, new), f"change_type(-> {_shown(_dump(new, None), 30)})"


def _json_drop_key(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str] | None:
    node = _container(root, path)
    if not isinstance(node, _Pairs) or not node:
        return None
    i = rng.randrange(len(node))
    key = node.pop(i)[0]
    return root, f"drop_key({_shown(key, 30)})"


def _json_duplicate_key(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str] | None:
    node = _container(root, path)
    if not isinstance(node, _Pairs) or not node:
        return None
    i = rng.randrange(len(node))
    node.insert(i + 1, node[i])
    return root, f"duplicate_key({_shown(node[i][0], 30)})"


def _json_nest(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str]:
    depth = rng.choice((300, 1000, 20000))
    inner = _dump(_container(root, path), None)
    if rng.random() < 0.5:
        wrapped = _Raw("[" * depth + inner + "]" * depth)
    else:
        wrapped = _Raw('{"a":' * depth + inner + "}" * depth)
    return _set(root, path, wrapped), f"nest_deep({depth})"


def _json_duplicate_item(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str] | None:
    node = _container(root, path)
    if not isinstance(node, list) or isinstance(node, _Pairs) or not node:
        return None
    i = rng.randrange(len(node))
    times = rng.choice((1, 2, 1000, 20000)) if len(_dump(node[i], None)) < 400 else 1
    node[i + 1:i + 1] = [node[i]] * times
    return root, f"duplicate_item(index={i}, times={times})"


def _json_swap_items(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str] | None:
    node = _container(root, path)
    if isinstance(node, _Pairs) or not isinstance(node, list) or len(node) < 2:
        return None
    i, j = rng.sample(range(len(node)), 2)
    node[i], node[j] = node[j], node[i]
    return root, f"swap_items({i}, {j})"


_ADDED_KEYS = ("", "__proto__", "\u0000", "x" * 5000, "Fn::Bogus", "Condition", "Ref", "Metadata", "DependsOn",
               "count", "for_each", "//", "lifecycle", "dynamic", "index", "mode", "module_address", "deposed")


def _json_add_member(root: Any, path: Path_, rng: random.Random) -> tuple[Any, str] | None:
    node = _container(root, path)
    if not isinstance(node, _Pairs):
        return None
    key = rng.choice(_ADDED_KEYS)
    choices: list[Any] = list(_NON_STRINGS)
    if _string_allowed(root, path):
        choices += ["NoSuchThing", "${file(\"/etc/passwd\")}", "x" * 10000]
    value = rng.choice(choices)
    node.insert(rng.randrange(len(node) + 1), (key, value))
    return root, f"add_member({_shown(key, 20)}: {_shown(_dump(value, None), 30)})"


_JSON_OPS: tuple[Callable[[Any, Path_, random.Random], tuple[Any, str] | None], ...] = (
    _json_change_type, _json_change_type, _json_drop_key, _json_drop_key, _json_duplicate_key, _json_nest,
    _json_duplicate_item, _json_swap_items, _json_add_member,
)


# Keys whose values the readers decide on: most structure mutations go there, the rest anywhere.
_TELLING_KEYS = frozenset({
    "address", "index", "mode", "type", "name", "module_address", "actions", "after", "before", "after_unknown",
    "importing", "provider_config_key", "references", "constant_value", "expressions", "module_calls", "module",
    "instances", "index_key", "each", "attributes", "values", "child_modules", "resources", "resource_changes",
    "configuration", "provider_config", "prior_state", "variables", "value", "default", "arn", "region",
    "kms_key_id", "encryption_type", "policy", "is_enabled", "enabled", "key_id", "key_state", "target_key_id",
    "id", "for_each", "count", "source", "format_version", "version", "StreamDescriptionSummary",
    "StreamDescription", "KeyId", "EncryptionType", "StreamARN", "StreamName", "StreamStatus", "Resources",
    "Properties", "StreamEncryption", "Type", "Condition", "Conditions", "Parameters", "Mappings", "Metadata",
    "KeyPolicy", "Statement", "Principal", "Action", "NotAction", "Effect", "Resource", "AliasName",
    "TargetKeyId", "Enabled", "Fn::If", "Fn::Sub", "Ref", "Fn::GetAtt", "Fn::Select", "Fn::Join", "streams",
})


def _last_key(root: Any, path: Path_) -> str | None:
    keys = _keys_on(root, path)
    return keys[-1] if keys and isinstance(_container(root, path[:-1]), _Pairs) else None


def json_structure(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Parse the JSON and change its structure: a value's type, a dropped or duplicated key, deep nesting, huge
    arrays, hostile strings and numbers; then write it back in the file's own style (minified or indented)."""
    text = _text(data)
    root = _parse_json(text)
    if root is None:
        return None
    nodes: list[tuple[Path_, Any]] = []
    _walk(root, (), nodes)
    telling = [(path, value) for path, value in nodes if path and _last_key(root, path) in _TELLING_KEYS]
    op = rng.choice(_JSON_OPS)
    for _ in range(8):
        path, _value = rng.choice(telling if telling and rng.random() < 0.6 else nodes)
        done = op(root, path, rng)
        if done is not None:
            new_root, what = done
            indent = 2 if "\n" in text.strip() else None
            out = _dump(new_root, indent, ascii_only=rng.random() < 0.7) + "\n"
            shown_path = "/".join(str(k) for k in _keys_on(new_root, path)) if path else "(root)"
            return _bytes_lenient(out), f"json_{what} at {shown_path}"
    return None


def embedded_json(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Mutate a JSON document held in a string (a key policy in a plan or state, ``KeyPolicy`` as text) with
    ``json_structure``, and put it back."""
    root = _parse_json(_text(data))
    if root is None:
        return None
    nodes: list[tuple[Path_, Any]] = []
    _walk(root, (), nodes)
    documents = [(path, value) for path, value in nodes if isinstance(value, str) and value.lstrip().startswith("{")
                 and _parse_json(value) is not None]
    if not documents:
        return None
    path, inner = rng.choice(documents)
    done = json_structure(inner.encode("utf-8", "surrogatepass"), rng, target)
    if done is None:
        return None
    _set(root, path, done[0].decode("utf-8", "surrogatepass").rstrip("\n"))
    indent = 2 if "\n" in _text(data).strip() else None
    where = "/".join(str(k) for k in _keys_on(root, path))
    return _bytes_lenient(_dump(root, indent) + "\n"), f"embedded_json({where}: {done[1]})"


def _bytes_lenient(text: str) -> bytes:
    """Text to bytes even when it holds lone surrogates (written as the CESU-8 bytes a broken writer emits)."""
    return text.encode("utf-8", "surrogatepass")


# --- CloudFormation ------------------------------------------------------------------------------------------------


def _deep_if(depth: int) -> _Raw:
    """``Fn::If`` nested ``depth`` deep, as text (too deep to build as Python values and write recursively)."""
    return _Raw('{"Fn::If":["IsProd",' * depth + '"x"' + ',"y"]}' * depth)


_CFN_HOSTILE: tuple[Any, ...] = (
    {"Fn::Select": [99999999999999999999, ["a"]]},
    {"Fn::Select": ["-1", ["a", "b"]]},
    {"Fn::Select": [_Raw("1e400"), ["a"]]},
    {"Fn::Select": [0, []]},
    {"Fn::Sub": "${" * 5000},
    {"Fn::Sub": "${AWS::Region}" * 20000},
    {"Fn::Sub": "${!Literal}${AWS::NotAPseudo}${NoSuchParam}"},
    {"Fn::Sub": ["${A}", {"A": {"Fn::Sub": ["${B}", {"B": {"Ref": "AWS::StackName"}}]}}]},
    {"Fn::Sub": ["${A}", "not a map"]},
    {"Fn::Join": ["", ["x"] * 100000]},
    {"Fn::Join": [["not a string"], ["a"]]},
    {"Fn::Join": ["", "not a list"]},
    {"Fn::Split": ["", "x" * 200000]},
    {"Fn::FindInMap": ["Missing", "a", "b"]},
    {"Fn::FindInMap": [{"Ref": "AWS::Region"}, [], {}]},
    {"Fn::If": ["NoSuchCondition", "a", "b"]},
    {"Fn::If": ["OnlyOne"]},
    {"Ref": ""},
    {"Ref": ["list"]},
    {"Ref": {"Ref": "AWS::Region"}},
    {"Ref": "AWS::NoValue", "Extra": 1},
    {"Fn::GetAtt": "NoDot"},
    {"Fn::GetAtt": ["A", "B", "C", "D"]},
    {"Fn::GetAtt": [{"Ref": "AWS::Region"}, "Arn"]},
    {"Fn::Base64": {"Fn::Base64": {"Fn::Base64": "x"}}},
    {"Fn::Cidr": ["10.0.0.0/8", 999999999, 32]},
    {"Fn::GetAZs": {"Ref": "AWS::Region"}},
    {"Fn::ImportValue": "SomeExport"},
    {"Fn::Length": [1] * 100000},
    {"Fn::ToJsonString": {"a": [[[[[[[[[[{"b": "c"}]]]]]]]]]]}},
    {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/x.yaml"}}},
    {"Fn::Equals": ["a"]},
    {"Fn::Not": [{"Condition": "CycleA"}]},
    {"Condition": "CycleA"},
    {"Fn::Bogus": "x"},
    _deep_if(300),
    _deep_if(3000),
)
_CFN_TAGS: tuple[str, ...] = (
    "!Select [99999999999999999999, [a]]", "!Select [-1, [a]]", "!Sub '${'", "!Sub ${AWS::NotAPseudo}",
    "!Join ['', !Ref AWS::NoValue]", "!If [NoSuchCondition, a, b]", "!If [OnlyOne]", "!Ref ''", "!Ref [a, b]",
    "!GetAtt NoDot", "!GetAtt A.B.C.D", "!FindInMap [Missing, a, b]", "!Split ['', x]", "!Base64 !Base64 x",
    "!Cidr [10.0.0.0/8, 999999999, 32]", "!GetAZs ''", "!ImportValue SomeExport", "!Condition CycleA",
    "!Not [!Condition CycleA]", "!Equals [a]", "!Transform {Name: AWS::Include}", "!Length [1, 2]",
    "!ToJsonString {a: b}", "!Ref", "!Sub", "!If", "!Bogus x", "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2001-12-14t21:59:43.10-05:00", "!!int x",
    "!!float .nan", ".inf", "-.inf", "0o17", "0x_1F", "1_000_000", "yes", "~", "2010-09-09", "'\\x00'",
    '"\\u0000"', '"\\e[31m"', '"\\ud800"',
)


def _cycle() -> list[tuple[str, _Pairs]]:
    """Two conditions that refer to each other (new objects each time: a mutation may change them in place)."""
    return [("CycleA", _Pairs([("Fn::Not", [_Pairs([("Condition", "CycleB")])])])),
            ("CycleB", _Pairs([("Condition", "CycleA")]))]


def cfn_intrinsic(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Replace a value with a hostile intrinsic function: huge Fn::Select indexes, unclosed Fn::Sub, deep Fn::If
    chains, conditions that refer to each other, unknown functions and tags."""
    if target.syntax == "json":
        return _cfn_intrinsic_json(data, rng)
    return _cfn_intrinsic_yaml(data, rng)


def _cfn_intrinsic_json(data: bytes, rng: random.Random) -> Mutation | None:
    text = _text(data)
    root = _parse_json(text)
    if not isinstance(root, _Pairs):
        return None
    _add_cycle(root)
    nodes: list[tuple[Path_, Any]] = []
    _walk(root, (), nodes)
    path, _value = rng.choice(nodes[1:] or nodes)
    new = _to_pairs(rng.choice(_CFN_HOSTILE))
    _set(root, path, new)
    indent = 2 if "\n" in text.strip() else None
    where = "/".join(str(k) for k in _keys_on(root, path))
    return _bytes(_dump(root, indent) + "\n"), f"cfn_intrinsic({_shown(_dump(new, None), 50)} at {where})"


def _add_cycle(root: _Pairs) -> None:
    """Two conditions that refer to each other, for the intrinsics that name them."""
    for i, (key, value) in enumerate(root):
        if key == "Conditions" and isinstance(value, _Pairs):
            value.extend(_cycle())
            return
        if key == "Conditions":
            root[i] = (key, _Pairs(_cycle()))
            return
    root.append(("Conditions", _Pairs(_cycle())))


def _to_pairs(value: Any) -> Any:
    if isinstance(value, dict):
        return _Pairs((k, _to_pairs(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_to_pairs(v) for v in value]
    return value


_YAML_VALUE = re.compile(r"^([ \t]*(?:- )?[A-Za-z0-9_:\"']+:[ \t]+)(\S[^\n]*)$", re.MULTILINE)
_YAML_CYCLE = "  CycleA: !Not [!Condition CycleB]\n  CycleB: !Condition CycleA\n"


def _cfn_intrinsic_yaml(data: bytes, rng: random.Random) -> Mutation | None:
    text = _text(data)
    spots = list(_YAML_VALUE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    new = rng.choice(_CFN_TAGS) if rng.random() < 0.5 else _dump(_to_pairs(rng.choice(_CFN_HOSTILE)), None)
    out = text[:m.start(2)] + new + text[m.end(2):]
    conditions = re.search(r"^Conditions:[ \t]*\n", out, re.MULTILINE)
    if conditions:
        out = out[:conditions.end()] + _YAML_CYCLE + out[conditions.end():]
    else:
        out += "Conditions:\n" + _YAML_CYCLE
    return _bytes(out), f"cfn_intrinsic({_shown(new, 50)} at line {text.count(chr(10), 0, m.start()) + 1})"


# --- YAML ----------------------------------------------------------------------------------------------------------


def _laughs(levels: int, width: int) -> str:
    lines = ['L0: &L0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"L{i}: &L{i} [" + ", ".join([f"*L{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


_YAML_TOP: tuple[str, ...] = (
    _laughs(10, 10),
    _laughs(30, 2),
    "Bomb: &r [*r]\n",
    "Bomb: &m {a: 1}\nMerged:\n  <<: [*m, *m, *m]\n  <<: *m\n",
    "Aliases: [" + ", ".join(["*a"] * 20000) + "]\nA: &a x\n",
    "Many: &a x\nUses: [" + ", ".join(["*a"] * 20000) + "]\n",
    "Undefined: *nope\n",
    "Redefined: &a 1\nAgain: &a 2\nUse: *a\n",
    "Deep: " + "[" * 10000 + "]" * 10000 + "\n",
    "Deep: " + "{a: " * 5000 + "b" + "}" * 5000 + "\n",
    "".join(" " * i + f"k{i}:\n" for i in range(3000)) + " " * 3000 + "v\n",
    "---\nSecond: document\n",
    "...\n",
    "%YAML 1.1\n---\n",
    "%TAG !e! tag:example.com,2000:\n---\n",
    "Tabbed:\n\tkey: value\n",
    "? [complex, key]\n: value\n",
    "? {a: b}\n: value\n",
    "Python: !!python/object/apply:os.system ['true']\n",
    "Binary: !!binary aGVsbG8=\n",
    "Long: " + "x" * 1_000_000 + "\n",
    "Keys:\n" + "".join(f"  k{i}: {i}\n" for i in range(50000)),
)
_YAML_FLOW: tuple[str, ...] = (
    "&a [*a]", "*nope", "[" * 2000 + "]" * 2000, "{<<: *nope}", "!!python/name:os.system", "!!binary aGVsbG8=",
    "!Bogus x", "&x {a: &y [*x]}", "'unterminated", '"unterminated', "|\n  block\n", ">-\n", "{a: b, a: c}",
    "[a, b, {c: d, c: e}]", "!!str", "!!map [a]", "!!seq {a: b}",
)


def yaml_trick(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """YAML's sharp edges: billion-laughs anchors, recursive and undefined aliases, merge keys, deep nesting,
    several documents, directives, tabs, complex keys, Python and binary tags."""
    text = _text(data)
    if rng.random() < 0.5:
        snippet = rng.choice(_YAML_TOP)
        tops = [m.start() for m in re.finditer(r"^[A-Za-z]", text, re.MULTILINE)] + [len(text)]
        at = rng.choice(tops)
        if at == len(text) and text and not text.endswith("\n"):
            snippet = "\n" + snippet
        return _bytes(text[:at] + snippet + text[at:]), f"yaml_top({_shown(snippet, 50)} at {at})"
    spots = list(_YAML_VALUE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    snippet = rng.choice(_YAML_FLOW)
    out = text[:m.start(2)] + snippet + text[m.end(2):]
    return _bytes(out), f"yaml_value({_shown(snippet, 50)} at line {text.count(chr(10), 0, m.start()) + 1})"


def yaml_type(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Replace a scalar with a value of another YAML type (list, map, null, bool, date, .nan); never with a string
    under a locked name."""
    text = _text(data)
    spots = list(_YAML_VALUE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    choices = ["[x]", "{a: b}", "~", "null", "yes", "true", "0", "-1", "1e400", ".nan", "2010-09-09", "[]", "{}",
               "!!int 5", "0o17"]
    if not LOCKED.search(m.group(1)):
        choices += ["''", "x", "'" + "x" * 100000 + "'"]
    new = rng.choice(choices)
    out = text[:m.start(2)] + new + text[m.end(2):]
    line = text.count("\n", 0, m.start()) + 1
    return _bytes(out), f"yaml_type({m.group(2)[:30]!r} -> {_shown(new, 30)} at line {line})"


# --- Terraform JSON ------------------------------------------------------------------------------------------------


def tfjson_expression(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """In a ``.tf.json`` file: a string value becomes a hostile ``${...}`` expression, or an object gets a hostile
    ``count``/``for_each``."""
    text = _text(data)
    root = _parse_json(text)
    if root is None:
        return None
    nodes: list[tuple[Path_, Any]] = []
    _walk(root, (), nodes)
    expression = rng.choice([e for e in _HCL_HOSTILE if "\n" not in e])
    strings = [path for path, value in nodes if isinstance(value, str)]
    objects = [path for path, value in nodes if isinstance(value, _Pairs)]
    if strings and rng.random() < 0.7:
        path = rng.choice(strings)
        _set(root, path, "${" + expression + "}")
        what = "/".join(str(k) for k in _keys_on(root, path))
    elif objects:
        path = rng.choice(objects)
        key = rng.choice(("count", "for_each"))
        _container(root, path).insert(0, (key, "${" + expression + "}"))
        what = "/".join(str(k) for k in _keys_on(root, path)) + "/" + key
    else:
        return None
    indent = 2 if "\n" in text.strip() else None
    return _bytes(_dump(root, indent) + "\n"), f"tfjson_expression({what} = {_shown(expression, 60)})"


# --- suppressions and module sources ------------------------------------------------------------------------------

_COMMENTS: tuple[str, ...] = (
    '# sseguard:ignore KSSE001,KSSE002,KSSE003 reason="fuzz" expires=9999-12-31',
    '# sseguard:ignore KSSE002 reason="fuzz" expires=2026-13-45',
    "# sseguard:ignore KSSE000",
    "# sseguard:ignore ksse001 ksse003 reason=unquoted expires=never",
    '# sseguard:ignore KSSE999 reason="no such code"',
    '# sseguard:ignore ${file("/etc/passwd")} reason="x"',
    '// sseguard:ignore KSSE001 reason="' + "x" * 100000 + '"',
    '/* sseguard:ignore KSSE003 reason="block comment" */',
    "#checkov:skip=CKV_AWS_43:fuzz",
    "#checkov:skip=CKV_AWS_185",
    "#checkov:skip=" + "A" * 5000,
    "#trivy:ignore:AVD-AWS-0064:exp:9999-99-99",
    "#tfsec:ignore:aws-kinesis-enable-in-transit-encryption",
)
_CFN_SUPPRESSION_FORMS: tuple[dict[str, Any], ...] = (
    {"sseguard": {"ignore": [{"code": "KSSE002", "reason": "fuzz", "expires": "9999-12-31"}]}},
    {"sseguard": {"ignore": [{"code": ["KSSE001", "KSSE003"], "reason": "fuzz"}]}},
    {"sseguard": {"ignore": [{"code": "KSSE001"}]}},
    {"sseguard": {"ignore": {"code": "KSSE001", "reason": "not a list"}}},
    {"sseguard": {"ignore": [{"code": "KSSE001", "reason": "x", "expires": "2026-02-30"}]}},
    {"sseguard": {"ignore": [{"code": {"Ref": "AWS::Region"}, "reason": "x"}]}},
    {"cfn_nag": {"rules_to_suppress": [{"id": "W49", "reason": "fuzz"}]}},
    {"cfn_nag": {"rules_to_suppress": [{"id": "W49"}]}},
    {"guard": {"SuppressedRules": ["KINESIS_STREAM_ENCRYPTION_RULE"]}},
    {"checkov": {"skip": [{"id": "CKV_AWS_43", "comment": "fuzz"}]}},
    {"sseguard": [[[[[[]]]]]]},
)
# Written as JSON, which is also YAML flow style, so both syntaxes take them as they are.
_CFN_SUPPRESSIONS = tuple(json.dumps(form) for form in _CFN_SUPPRESSION_FORMS)
_TYPE_LINE = re.compile(r'^([ \t]*)"?Type"?[ \t]*:[ \t]*"?AWS::Kinesis::Stream"?,?[ \t]*$', re.MULTILINE)
_HCL_BLOCK_LINE = re.compile(r'^[ \t]*(?:resource|module)[ \t]+"[^\n]*\{[ \t]*$', re.MULTILINE)


def suppression(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Add a suppression (well-formed, expired, without a reason, malformed, huge) above or in a block, or as a
    CloudFormation Metadata entry. A suppressed canary is reported ``suppressed``, which is not a pass."""
    text = _text(data)
    if target.syntax == "hcl":
        spots = list(_HCL_BLOCK_LINE.finditer(text))
        if not spots:
            return None
        m = rng.choice(spots)
        comment = rng.choice(_COMMENTS)
        at = m.start() if rng.random() < 0.5 else m.end() + 1
        return _bytes(text[:at] + comment + "\n" + text[at:]), f"suppression({_shown(comment, 60)} at {at})"
    spots = list(_TYPE_LINE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    metadata = rng.choice(_CFN_SUPPRESSIONS)
    if target.syntax == "json":
        entry = f'{m.group(1)}"Metadata": {metadata},\n'
    else:
        entry = f"{m.group(1)}Metadata: {metadata}\n"
    return _bytes(text[:m.start()] + entry + text[m.start():]), f"suppression(Metadata: {_shown(metadata, 60)})"


_SOURCES: tuple[str, ...] = (".", "./", "..", "../tree", "/", "/proc/self/cwd", "./modules/stream/../..",
                             "git::https://example.invalid/x.git", "hashicorp/consul/aws", "./does-not-exist",
                             "${path.module}", "", "./" + "a/" * 2000, "\\\\server\\share", "s3::https://x/y.zip")
_SOURCE = re.compile(r'("?source"?[ \t]*[=:][ \t]*)"[^"\n]*"')


def module_source(data: bytes, rng: random.Random, target: Target) -> Mutation | None:
    """Point a module call somewhere odd: itself (a cycle), the parent, /, a remote source, nowhere."""
    text = _text(data)
    spots = list(_SOURCE.finditer(text))
    if not spots:
        return None
    m = rng.choice(spots)
    source = rng.choice(_SOURCES)
    new = m.group(1) + json.dumps(source)
    return _bytes(text[:m.start()] + new + text[m.end():]), f"module_source({_shown(source, 40)})"


# --- tables --------------------------------------------------------------------------------------------------------

_GENERIC: tuple[tuple[Mutator, int], ...] = (
    (flip_bits, 3), (insert_hostile, 4), (truncate, 2), (duplicate_lines, 3), (delete_lines, 3), (swap_lines, 2),
    (swap_tokens, 4), (keyword_typo, 3), (label_edit, 3), (replace_number, 3), (policy_wildcard, 1),
)
_BY_TARGET: dict[Target, tuple[tuple[Mutator, int], ...]] = {
    Target("hcl", "terraform"): ((hcl_expression, 16), (hcl_meta, 8), (hcl_syntax, 4), (suppression, 4),
                                 (module_source, 3), (hcl_large, 2)),
    Target("hcl", "tfvars"): ((hcl_expression, 14), (hcl_syntax, 3)),
    Target("json", "terraform"): ((json_structure, 16), (tfjson_expression, 16), (module_source, 3)),
    Target("json", "tfvars"): ((json_structure, 16), (tfjson_expression, 10)),
    Target("json", "data"): ((json_structure, 30), (embedded_json, 4)),
    Target("json", "cloudformation"): ((json_structure, 18), (cfn_intrinsic, 14), (suppression, 4)),
    Target("yaml", "cloudformation"): ((cfn_intrinsic, 12), (yaml_trick, 10), (yaml_type, 10), (suppression, 4)),
}
MAX_MUTANT_BYTES = 12 * 1024 * 1024  # over the 10 MiB limit of a Terraform file


def mutate(data: bytes, rng: random.Random, target: Target) -> tuple[bytes, list[str]]:
    """One to three mutations of ``data``, chosen and applied with ``rng``; the bytes and what was done."""
    table = _GENERIC + _BY_TARGET[target]
    mutators = [m for m, _ in table]
    weights = [w for _, w in table]
    done: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        for _attempt in range(10):
            mutator = rng.choices(mutators, weights)[0]
            try:
                result = mutator(data, rng, target)
            except RecursionError:  # an earlier mutation nested the document too deep to rewrite as a structure
                result = None
            if result is not None and len(result[0]) <= MAX_MUTANT_BYTES:
                data = result[0]
                done.append(result[1])
                break
    return data, done
