"""Edits of a CloudFormation template: ``StreamEncryption`` added or completed in a stream's ``Properties``.

YAML templates are edited as text at the places the YAML parser reports, so comments, key order, quoting and
short-form tags (``!Ref``, ``!GetAtt``) stay as written; JSON templates keep their own indentation. A value given
through an intrinsic function (a parameter, a condition) is not rewritten: the fix says where it comes from.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from sseguard.fix.edits import Edit, line_bounds, newline_of
from sseguard.fix.text import CannotEdit, json_insert, replace_span
from sseguard.jsonspans import Node, find
from sseguard.kms import is_key_literal
from sseguard.sources.safe_load import looks_like_json

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.:@+=-]*")
_KMS_TYPES = ("AWS::KMS::Key", "AWS::KMS::Alias")


def edits(path: str, data: bytes, logical: str, need_type: bool, need_key: bool, key: str, why: str) -> list[Edit]:
    """The edits that give the stream ``logical`` type KMS and a key."""
    text = data.decode("utf-8")
    if looks_like_json(text.lstrip("\ufeff")):
        return _json_edits(path, data, logical, need_type, need_key, key, why)
    return _yaml_edits(path, data, text, logical, need_type, need_key, key, why)


# YAML --------------------------------------------------------------------------------------------------------------

def _yaml_edits(path: str, data: bytes, text: str, logical: str, need_type: bool, need_key: bool, key: str,
                why: str) -> list[Edit]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise CannotEdit(f"the template cannot be read as YAML: {err}") from None
    resources = member(root, "Resources")
    resource = member(resources, logical)
    if not isinstance(resource, yaml.MappingNode):
        raise CannotEdit(f"resource {logical} is not found as a mapping")
    key_text = _yaml_key(root, key)
    props = member(resource, "Properties")
    nl = newline_of(data)
    if props is None:
        lines = ["Properties:", "  StreamEncryption:", "    EncryptionType: KMS", f"    KeyId: {key_text}"]
        return [_yaml_insert(path, data, text, resource, lines, nl, why)]
    encryption = member(props, "StreamEncryption")
    if encryption is None:
        lines = ["StreamEncryption:", "  EncryptionType: KMS", f"  KeyId: {key_text}"]
        return [_yaml_insert(path, data, text, props, lines, nl, why)]
    if not isinstance(encryption, yaml.MappingNode):
        raise CannotEdit("StreamEncryption is written empty, not as a mapping; remove the empty key (or write the "
                         "mapping) and run sseguard fix again")
    out: list[Edit] = []
    missing: list[str] = []
    for name, needed, value in (("EncryptionType", need_type, "KMS"), ("KeyId", need_key, key_text)):
        if not needed:
            continue
        node = member(encryption, name)
        if node is None:
            missing.append(f"{name}: {value}")
        elif isinstance(node, yaml.ScalarNode) and node.tag.startswith("tag:yaml.org,2002:"):
            start, end = byte_offset(text, node.start_mark.index), byte_offset(text, node.end_mark.index)
            quote = node.style if node.style in ("'", '"') and name == "EncryptionType" else ""
            out.append(replace_span(path, data, start, end, f"{quote}{value}{quote}", why))
        else:
            shown = text[node.start_mark.index:node.end_mark.index]
            raise CannotEdit(f"{name} is given as {shown[:80]}; sseguard does not rewrite values that come from an "
                             "intrinsic function (a parameter, a condition): change its source, or write the value")
    if missing:
        out.append(_yaml_insert(path, data, text, encryption, missing, nl, why))
    return out


def member(node: Any, name: str) -> Any:
    """The value node of a key of a YAML mapping node (the last, when a key is given twice); None otherwise."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == name:
            found = v
    return found


def byte_offset(text: str, index: int) -> int:
    """The byte offset in the UTF-8 file of character ``index`` of its text (YAML marks count characters)."""
    return len(text[:index].encode("utf-8"))


def _yaml_insert(path: str, data: bytes, text: str, mapping: Any, lines: list[str], nl: str, why: str) -> Edit:
    """Add lines to a block mapping, at its keys' indentation: after the line its last value ends on, else (a block
    scalar last, whose end the parser does not place exactly) before its first key."""
    if not isinstance(mapping, yaml.MappingNode) or not mapping.value:
        raise CannotEdit("a value is written where a mapping should be; sseguard edits block mappings only")
    if mapping.flow_style:
        raise CannotEdit("the mapping is written in flow style ({...}); sseguard edits block mappings only")
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    body = "".join(f"{indent}{line}{nl}" for line in lines)
    end = last_scalar_end(mapping)
    if end is not None:
        return insert_after_line(path, data, byte_offset(text, end), body, nl, why)
    start, _ = line_bounds(data, byte_offset(text, first_key.start_mark.index))
    return Edit(path, start, start, "", body, why)


def last_scalar_end(node: Any) -> int | None:
    """Where the last value written in a node ends (a character index), or None when that is a block scalar or an
    empty flow collection, whose end the parser does not place exactly."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return None
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        return None
    return int(node.end_mark.index)


def insert_after_line(path: str, data: bytes, pos: int, body: str, nl: str, why: str) -> Edit:
    """Insert lines after the line that holds ``pos`` (a file that ends without a newline gets one first)."""
    _, next_line = line_bounds(data, pos)
    if next_line == len(data) and not data.endswith(b"\n"):
        body = nl + body.removesuffix(nl)
    return Edit(path, next_line, next_line, "", body, why)


def _yaml_key(root: Any, key: str) -> str:
    """The key as YAML: ``!Ref`` for a key or alias the template declares, ``!GetAtt`` for its ``.Arn``, else the
    literal (quoted when plain text would not read back the same)."""
    logical, _, attribute = key.partition(".")
    if _declares_kms(root, logical):
        return f"!GetAtt {logical}.{attribute}" if attribute else f"!Ref {logical}"
    _check_literal(key)
    if _PLAIN.fullmatch(key) and yaml.safe_load(key) == key:
        return key
    return json.dumps(key)


def _check_literal(key: str) -> None:
    if not is_key_literal(key):
        raise CannotEdit(f"--key {key}: not a key id, alias/NAME or key ARN, and the template declares no "
                         f"AWS::KMS::Key or AWS::KMS::Alias {key.partition('.')[0]}")


def _declares_kms(root: Any, logical: str) -> bool:
    resource = member(member(root, "Resources"), logical)
    kind = member(resource, "Type")
    return isinstance(kind, yaml.ScalarNode) and kind.value in _KMS_TYPES


def key_of(data: bytes, logical: str) -> str | None:
    """The key a stream of the template uses, as ``--key`` would name it (a literal, a logical id, ``X.Arn``), to
    give another stream of the template the same key; None when it is written some other way."""
    text = data.decode("utf-8", "replace")
    if looks_like_json(text.lstrip("\ufeff")):
        node = find(data, ["Resources", logical, "Properties", "StreamEncryption", "KeyId"])
        value = json.loads(data[node.start:node.end]) if node is not None else None
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            value = arg if fn == "Ref" else ".".join(arg) if fn == "Fn::GetAtt" and isinstance(arg, list) else None
        return value if isinstance(value, str) else None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    node = member(member(member(member(root, "Resources"), logical), "Properties"), "StreamEncryption")
    value = member(node, "KeyId")
    if not isinstance(value, yaml.ScalarNode) or value.tag not in ("!Ref", "!GetAtt", "tag:yaml.org,2002:str"):
        return None
    return str(value.value)


# JSON --------------------------------------------------------------------------------------------------------------

def _json_edits(path: str, data: bytes, logical: str, need_type: bool, need_key: bool, key: str,
                why: str) -> list[Edit]:
    resource = find(data, ["Resources", logical])
    if resource is None or resource.kind != "object":
        raise CannotEdit(f"resource {logical} is not found as an object")
    key_value = _json_key(data, key)
    props = _jsonmember(resource, "Properties")
    if props is None:
        section: dict[str, object] = {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": key_value}}
        return [json_insert(path, data, resource, [("Properties", section)], why)]
    encryption = _jsonmember(props, "StreamEncryption")
    if encryption is None:
        return [json_insert(path, data, props, [("StreamEncryption", {"EncryptionType": "KMS", "KeyId": key_value})],
                            why)]
    out: list[Edit] = []
    missing: list[tuple[str, object]] = []
    wanted: tuple[tuple[str, bool, object], ...] = (("EncryptionType", need_type, "KMS"),
                                                    ("KeyId", need_key, key_value))
    for name, needed, value in wanted:
        if not needed:
            continue
        node = _jsonmember(encryption, name)
        if node is None:
            missing.append((name, value))
        elif node.kind in ("string", "scalar"):
            out.append(replace_span(path, data, node.start, node.end, json.dumps(value), why))
        else:
            shown = data[node.start:node.end].decode("utf-8", "replace")
            raise CannotEdit(f"{name} is given as {shown[:80]}; sseguard does not rewrite values that come from an "
                             "intrinsic function (a parameter, a condition): change its source, or write the value")
    if missing:
        out.append(json_insert(path, data, encryption, missing, why))
    return out


def _jsonmember(node: Node, name: str) -> Node | None:
    entry = node.members.get(name) if node.kind == "object" else None
    return entry[1] if entry is not None else None


def _json_key(data: bytes, key: str) -> object:
    logical, _, attribute = key.partition(".")
    kind = find(data, ["Resources", logical, "Type"])
    if kind is not None and json.loads(data[kind.start:kind.end]) in _KMS_TYPES:
        return {"Fn::GetAtt": [logical, attribute]} if attribute else {"Ref": logical}
    _check_literal(key)
    return key
