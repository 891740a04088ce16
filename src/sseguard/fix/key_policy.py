"""``sseguard fix --key-policy``: the statement that lets Kinesis use a key, added to the key's policy where the
scanned files write it. Terraform: ``jsonencode({...})``, a JSON heredoc, or an ``aws_iam_policy_document``'s
block; CloudFormation: the key's ``KeyPolicy``. Written in each place's own syntax, after the last statement."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from sseguard.fix.cloudformation import byte_offset, insert_after_line, last_scalar_end
from sseguard.fix.cloudformation import member as _member
from sseguard.fix.edits import Edit, indentation, line_bounds, newline_of
from sseguard.fix.text import CannotEdit, block_end
from sseguard.jsonspans import JsonSpanError, Node, find, parse
from sseguard.model import Origin
from sseguard.sources.safe_load import looks_like_json
from sseguard.sources.terraform.hcl import HclSyntaxError, parse_bounded

# The statement added: it gives the Kinesis service principal both data-plane actions, which passes KSSE012 (a
# principal can use the key for Kinesis) and KSSE013 (the service principal is granted, as the seed asks).
STATEMENT: dict[str, Any] = {
    "Sid": "AllowKinesisServiceUseOfTheKey",
    "Effect": "Allow",
    "Principal": {"Service": "kinesis.amazonaws.com"},
    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
    "Resource": "*",
}


def terraform_edit(origin: Origin, data: bytes, why: str) -> Edit:
    """Add the statement to a Terraform key policy written at ``origin``."""
    text = data[origin.start:origin.end]
    if text.startswith(b"data"):
        return _document_block(origin, data, why)
    if text.startswith(b"jsonencode("):
        return _jsonencode(origin, data, why)
    if text.startswith(b"<<"):
        return _heredoc(origin, data, why)
    raise CannotEdit(f"the key policy ({origin.via}) is not written as jsonencode(...), a JSON heredoc or an "
                     "aws_iam_policy_document; add the statement by hand")


def _document_block(origin: Origin, data: bytes, why: str) -> Edit:
    line_start, inner, blank = block_end(data, origin.start, origin.end,
                                         "the policy document's closing brace does not stand on its own line")
    nl = newline_of(data)
    body = [
        "statement {",
        f'  sid       = "{STATEMENT["Sid"]}"',
        '  effect    = "Allow"',
        f"  actions   = {json.dumps(STATEMENT['Action'])}",
        '  resources = ["*"]',
        "",
        "  principals {",
        '    type        = "Service"',
        '    identifiers = ["kinesis.amazonaws.com"]',
        "  }",
        "}",
    ]
    lines = "".join((inner + line if line else "") + nl for line in body)
    return Edit(origin.path, line_start, line_start, "", blank + lines, why)


def _jsonencode(origin: Origin, data: bytes, why: str) -> Edit:
    prefix = b"x = "
    try:
        root = parse_bounded(prefix + data[origin.start:origin.end]).root_node
    except HclSyntaxError as err:
        raise CannotEdit(f"the key policy cannot be parsed: {err}") from None
    tuple_node = _statement_tuple(root, prefix + data[origin.start:origin.end])
    if tuple_node is None:
        raise CannotEdit("the key policy's Statement is not written as a list [...] in jsonencode")
    base = origin.start - len(prefix)
    items = [c for c in tuple_node.children if c.type == "expression"]
    end_node = tuple_node.children[-1]
    close = base + end_node.start_byte
    line_start, _ = line_bounds(data, close)
    if not items or data[line_start:close].strip():
        raise CannotEdit("the key policy's Statement list is not written one statement per line")
    nl = newline_of(data)
    indent = indentation(data, base + items[0].start_byte)
    last = items[-1]
    after_last = base + last.end_byte
    has_comma = any(c.type == "," and c.start_byte >= last.end_byte for c in tuple_node.children)
    width = max(len(k) for k in STATEMENT)
    inner = indent + "  "
    lines = [f"{indent}{{"]
    for key, value in STATEMENT.items():
        lines.append(f"{inner}{key.ljust(width)} = {_hcl(value)}")
    lines.append(f"{indent}}}," if has_comma else f"{indent}}}")
    new_text = nl.join(lines) + nl
    if has_comma:
        return Edit(origin.path, line_start, line_start, "", new_text, why)
    kept = data[after_last:line_start].decode("utf-8")
    return Edit(origin.path, after_last, line_start, kept, "," + kept + new_text, why)


def _statement_tuple(node: Any, src: bytes) -> Any:
    """The tuple node of the ``Statement`` element of the object jsonencode() is given."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "object_elem" and current.child_count >= 3:
            key = src[current.children[0].start_byte:current.children[0].end_byte].decode().strip().strip('"')
            value = current.children[2]
            if key == "Statement":
                found = value
                while found is not None and found.type in ("expression", "collection_value"):
                    found = found.children[0] if found.children else None
                return found if found is not None and found.type == "tuple" else None
        stack.extend(reversed(current.children))
    return None


def _hcl(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _heredoc(origin: Origin, data: bytes, why: str) -> Edit:
    first_nl = data.find(b"\n", origin.start, origin.end)
    last_nl = data.rfind(b"\n", origin.start, origin.end)
    if first_nl < 0 or last_nl <= first_nl:
        raise CannotEdit("the key policy heredoc cannot be read")
    content = data[first_nl + 1:last_nl + 1]
    if b"${" in content or b"%{" in content:
        raise CannotEdit("the key policy heredoc holds interpolations; add the statement by hand")
    return _json_array_append(origin.path, data, first_nl + 1, content, ["Statement"], why)


def _json_array_append(path: str, data: bytes, offset: int, document: bytes, where: list[str], why: str) -> Edit:
    """Add the statement after the last item of the JSON array at ``where`` in ``document`` (which starts at
    ``offset`` of the file)."""
    try:
        parse(document)
    except (JsonSpanError, RecursionError) as err:
        raise CannotEdit(f"the key policy is not JSON: {err}") from None
    array = find(document, where)
    if array is None or array.kind != "array" or not array.items:
        raise CannotEdit("the key policy's Statement is not a list of statements")
    last: Node = array.items[-1]
    nl = newline_of(data)
    indent = indentation(data, offset + last.start)
    multiline = document.count(b"\n", array.start, last.start) > 0
    unit = _unit_after(indent, data, offset + last.start)
    text = json.dumps(STATEMENT, indent=len(unit) if unit.strip(" ") == "" else unit)
    text = text.replace("\n", nl + indent) if multiline else json.dumps(STATEMENT)
    pos = offset + last.end
    return Edit(path, pos, pos, "", "," + (nl + indent if multiline else " ") + text, why)


def _unit_after(indent: str, data: bytes, pos: int) -> str:
    """The indentation step inside a statement: the next line's indentation less the statement's own."""
    _, next_line = line_bounds(data, pos)
    inner = indentation(data, next_line)
    step = inner[len(indent):] if inner.startswith(indent) and len(inner) > len(indent) else "  "
    return step


def cloudformation_edit(path: str, data: bytes, key_logical: str, why: str) -> Edit:
    """Add the statement to the ``KeyPolicy`` of the template's key ``key_logical``."""
    text = data.decode("utf-8")
    if looks_like_json(text.lstrip("\ufeff")):
        node = find(data, ["Resources", key_logical, "Properties", "KeyPolicy"])
        if node is None or node.kind != "object":
            raise CannotEdit(f"the KeyPolicy of {key_logical} is not written as a JSON object in the template")
        return _json_array_append(path, data, 0, data, ["Resources", key_logical, "Properties", "KeyPolicy",
                                                         "Statement"], why)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise CannotEdit(f"the template cannot be read as YAML: {err}") from None
    statements = _member(_member(_member(_member(_member(root, "Resources"), key_logical), "Properties"),
                                 "KeyPolicy"), "Statement")
    if not isinstance(statements, yaml.SequenceNode) or statements.flow_style or not statements.value:
        raise CannotEdit(f"the KeyPolicy Statement of {key_logical} is not written as a block list in the template")
    first = statements.value[0]
    start, _ = line_bounds(data, byte_offset(text, first.start_mark.index))
    dash = re.match(rb"([ \t]*)- ", data[start:])
    end = last_scalar_end(statements)
    if dash is None or end is None:
        raise CannotEdit(f"the KeyPolicy Statement of {key_logical} is not written one '- ' item per line")
    indent = dash.group(1).decode()
    nl = newline_of(data)
    lines = [
        f"- Sid: {STATEMENT['Sid']}",
        "  Effect: Allow",
        "  Principal:",
        "    Service: kinesis.amazonaws.com",
        "  Action:",
        *(f"    - {a}" for a in STATEMENT["Action"]),
        '  Resource: "*"',
    ]
    body = "".join(f"{indent}{line}{nl}" for line in lines)
    return insert_after_line(path, data, byte_offset(text, end), body, nl, why)
