"""Every ``aws_kinesis_stream`` instance of a module tree, turned into the model."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sseguard.kms import is_aws_managed_alias, parse_kms_arn
from sseguard.model import (
    ErrorKind,
    Key,
    Location,
    Origin,
    OutOfReach,
    SourceKind,
    Stream,
    SuppressionRule,
    Unknown,
    Variant,
)
from sseguard.sources.terraform.hcl import Block, Expr
from sseguard.sources.terraform.instance import ModuleInstance, instance_key
from sseguard.sources.terraform.keys import (
    key_from_literal,
    key_from_ref,
    key_ref_is_given,
    provider_of,
    region_of,
)
from sseguard.sources.terraform.loader import STREAM_TYPE
from sseguard.sources.terraform.origins import block_origin, value_origin
from sseguard.sources.terraform.values import Branch, Computed
from sseguard.suppressions import parse_comment

_SUPPRESSION_HINT = re.compile(r"(?:#|//)\s*(?:sseguard:ignore|checkov:skip|trivy:ignore|tfsec:ignore)", re.I)


def walk_instances(root: ModuleInstance) -> Iterator[ModuleInstance | tuple[ModuleInstance, str, Unknown]]:
    """The root and every module instance below it; a call that cannot be expanded or loaded is yielded as
    (parent, call name, why)."""
    yield root
    for name, _call, expansion in root.children():
        if expansion.unknown is not None and not expansion.instances:
            yield (root, name, expansion.unknown)
            continue
        for key, _ in expansion.instances:
            child = root.child(name, key)
            if isinstance(child, Unknown):
                yield (root, name, child)
                continue
            yield from walk_instances(child)


def import_targets(root: ModuleInstance) -> set[str]:
    """Addresses that root ``import`` blocks target, with ``for_each`` expanded."""
    out: set[str] = set()
    for block in root.module.imports:
        to = block.attr("to")
        if to is None:
            continue
        for _key, bindings in root.expand(block).instances:
            address = _render_address(to.expr, root, bindings)
            if address:
                out.add(address)
    return out


def _render_address(expr: Expr, inst: ModuleInstance, bindings: dict[str, Any]) -> str | None:
    """The address text of ``to = module.a["x"].aws_kinesis_stream.s[each.key]``, with its keys evaluated."""
    if expr.node is None:
        return str(expr.value) if isinstance(expr.value, str) else None
    parts: list[str] = []
    src = expr.src
    for child in expr.node.children:
        if child.type == "variable_expr":
            parts.append(src[child.start_byte:child.end_byte].decode())
        elif child.type == "get_attr":
            parts.append("." + src[child.start_byte:child.end_byte].decode().lstrip(".").strip())
        elif child.type == "index":
            inner = [c for c in child.children[0].children if c.type == "expression"]
            if not inner:
                return None
            value = inst.evaluator.eval(type(expr)(expr.file, expr.line, inner[0], src=src), bindings)
            if not isinstance(value, str | int) or isinstance(value, bool):
                return None
            parts.append(instance_key(value))
    return "".join(parts)


def streams_of(inst: ModuleInstance, imports: set[str]) -> Iterator[Stream]:
    """The streams one module instance declares."""
    for name, block in inst.module.resources_of(STREAM_TYPE):
        base = f"{inst.path}.{STREAM_TYPE}.{name}" if inst.path else f"{STREAM_TYPE}.{name}"
        expansion = inst.expand(block)
        rules = suppressions_for(block)
        if expansion.unknown is not None and not expansion.instances:
            yield _unknown_stream(inst, base, block, expansion.unknown, rules)
            continue
        for key, bindings in expansion.instances:
            address = base + instance_key(key)
            importing = address in imports or (key is None and base in imports)
            yield to_stream(StreamSite(inst, block, address, bindings, importing, rules, expansion.unknown))
    for unread in inst.module.unread_streams:
        address = f"{inst.path}.{STREAM_TYPE}.{unread.name}" if inst.path else f"{STREAM_TYPE}.{unread.name}"
        yield Stream(address, STREAM_TYPE, Location(SourceKind.TERRAFORM, unread.display, unread.line,
                                                     root=_root_of(inst)),
                     Unknown(unread.reason, unread.resolve))


def _unknown_stream(inst: ModuleInstance, address: str, block: Block, why: Unknown,
                    rules: tuple[SuppressionRule, ...]) -> Stream:
    return Stream(address, STREAM_TYPE, _location(inst, block), why, suppressions=rules)


def _location(inst: ModuleInstance, block: Block) -> Location:
    return Location(SourceKind.TERRAFORM, block.file.display, block.line, block.end_line, _root_of(inst))


def _root_of(inst: ModuleInstance) -> str | None:
    """The root module's folder, for a stream in a module folder outside it: such a folder may be called from
    several roots (env/dev and env/prod both calling ../../modules/s), and only the root tells their streams apart.
    A module inside its root's folder is named by its own path already."""
    root = os.path.abspath(inst.tree.root_dir)
    if not inst.path or os.path.abspath(inst.module.dir).startswith(root + os.sep):
        return None
    return inst.tree.options.display_path(inst.tree.root_dir)


@dataclass(frozen=True)
class StreamSite:
    """One stream instance to build: its module instance and block, its address and bindings (count, each),
    whether an import targets it, its suppressions, and why its instances could not be expanded, if so."""

    inst: ModuleInstance
    block: Block
    address: str
    bindings: dict[str, Any]
    importing: bool
    rules: tuple[SuppressionRule, ...]
    expansion_unknown: Unknown | None


# The most undecided conditions whose outcomes are combined for one stream (2**4 = 16 variants); past it, unknown.
MAX_BRANCHES = 4


def to_stream(site: StreamSite) -> Stream:
    """One stream instance in the model. When its encryption type or key hangs on conditions that cannot be decided,
    the stream carries a variant for each way they can go, and the judge decides it when they agree. A bug met
    while building it makes this one stream unknown, never the scan."""
    try:
        with site.inst.tree.recording() as met:
            stream = _one_stream(site)
        undecided = isinstance(stream.encryption_type, Unknown) or isinstance(stream.key_reference, Unknown)
        if not met or not undecided:
            return stream
        variants = _variants(site, met)
        return replace(stream, variants=variants) if variants else stream
    except Exception as err:
        if os.environ.get("SSEGUARD_DEBUG"):
            raise
        why = Unknown(f"internal error while reading this stream ({type(err).__name__}: {err})",
                      "please report it; meanwhile scan the plan JSON")
        return _unknown_stream(site.inst, site.address, site.block, why, site.rules)


def _variants(site: StreamSite, met: set[Branch]) -> tuple[Variant, ...]:
    """The stream under every combination of outcomes of the undecided conditions it met (conditions met only
    under some outcome are split in turn); empty when there are too many to judge each."""
    pending: list[tuple[dict[tuple[str, str, int, str], bool], list[Branch], set[Branch]]] = [({}, [], set(met))]
    done: list[Variant] = []
    while pending:
        decisions, chosen, open_ = pending.pop(0)
        todo = sorted((b for b in open_ if b.key not in decisions), key=lambda b: b.key)
        if todo:
            if len(decisions) >= MAX_BRANCHES:
                return ()
            branch = todo[0]
            for outcome in (True, False):
                pending.append(({**decisions, branch.key: outcome}, [*chosen, branch], open_))
            continue
        with site.inst.tree.deciding(decisions), site.inst.tree.recording() as more:
            variant = _one_stream(site)
        fresh = {b for b in more if b.key not in decisions}
        if fresh and (isinstance(variant.encryption_type, Unknown) or isinstance(variant.key_reference, Unknown)):
            pending.append((decisions, chosen, open_ | fresh))
            continue
        when = " and ".join(f"{b.condition} is {'true' if decisions[b.key] else 'false'}" for b in chosen)
        done.append(Variant(when, variant))
    return tuple(done)


def _one_stream(site: StreamSite) -> Stream:
    inst, block, address, bindings = site.inst, site.block, site.address, site.bindings
    importing, rules, expansion_unknown = site.importing, site.rules, site.expansion_unknown
    provider = provider_of(block, inst)
    region = region_of(block, inst, bindings)
    facts: dict[str, Any] = {"provider": provider}
    if expansion_unknown is not None:
        facts["instances"] = expansion_unknown.reason + "; judged once for every instance"
    # read the attributes before asking for defects: in a large tree only what is read is parsed
    enc_attr = block.attr("encryption_type")
    key_attr = block.attr("kms_key_id")
    name_attr = block.attr("name")
    defect = block.defect
    if defect is not None:
        if not any(e.location == block.file.display for e in inst.module.errors):
            # in a large tree the file was not parsed whole, so nothing else has reported this error yet
            inst.tree.error(block.file.display, block.problem or "syntax error in this block", block.line,
                            ErrorKind.INCOMPLETE if block.problem else ErrorKind.UNREADABLE)
        why = Unknown(f"the block has a syntax error ({block.file.display}:{block.line}-{block.end_line})"
                      if block.problem is None and block.has_error else
                      f"the block cannot be read ({block.file.display}:{block.line}: {defect})",
                      "fix the syntax error (terraform validate shows it)")
        return Stream(address, STREAM_TYPE, _location(inst, block), why, region=region, importing=importing,
                      suppressions=rules, facts=facts)
    encryption: str | Unknown | None = None
    if enc_attr is not None:
        facts["encryption_type_expression"] = enc_attr.expr.text
        encryption = _encryption_type(inst.eval(enc_attr.expr, bindings), enc_attr.expr)
    reference: str | Unknown | None = None
    key: Key | None = None
    if key_attr is not None:
        facts["kms_key_id_expression"] = key_attr.expr.text
        reference, key = _key(inst, inst.eval(key_attr.expr, bindings), key_attr.expr, region)
    name = inst.eval(name_attr.expr, bindings) if name_attr is not None else None
    return Stream(
        address, STREAM_TYPE, _location(inst, block), encryption, reference, key, region,
        name=name if isinstance(name, str) else None, importing=importing, suppressions=rules, facts=facts,
        origins=_origins(inst, block),
    )


def _origins(inst: ModuleInstance, block: Block) -> dict[str, Origin | OutOfReach]:
    """Where the block and its encryption arguments are written, for ``sseguard fix``."""
    found: dict[str, Origin | OutOfReach] = {"block": block_origin(block)}
    for name in ("encryption_type", "kms_key_id"):
        origin = value_origin(inst, block, name)
        if origin is not None:
            found[name] = origin
    return found


def _encryption_type(value: Any, expr: Expr) -> str | Unknown | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return Unknown(f"encryption_type = {expr.shown}: {value.reason}", value.resolve)
    if isinstance(value, Computed):
        return Unknown(f"encryption_type = {expr.shown} is only known after apply", "scan the plan JSON")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return Unknown(f"encryption_type = {expr.shown} is not a string")


def _key(inst: ModuleInstance, value: Any, expr: Expr, region: str | OutOfReach) -> tuple[str | Unknown | None,
                                                                                          Key | None]:
    if value is None:
        return None, None
    if isinstance(value, Unknown):
        return Unknown(f"kms_key_id = {expr.shown}: {value.reason}", value.resolve), None
    if isinstance(value, str):
        return value, (key_from_literal(value, region, inst) if value.strip() else None)
    if isinstance(value, Computed):
        if is_aws_managed_alias(value.text) or parse_kms_arn(value.text) is not None:
            # the parts known say what the key is: arn:aws:kms:${region}:${account}:alias/aws/kinesis
            return value.text, key_from_literal(value.text, region, inst)
        given = key_ref_is_given(value)
        if given is None:
            return Unknown(f"kms_key_id = {expr.shown} is only known after apply and references no KMS key",
                           "scan the plan JSON"), None
        reference = value.text[2:-1] if value.text.startswith("${") and value.text.endswith("}") else value.text
        return reference, key_from_ref(given, reference, inst)
    return Unknown(f"kms_key_id = {expr.shown} is not a string"), None


def suppressions_for(block: Block) -> tuple[SuppressionRule, ...]:
    """Suppression comments inside the block, or in the comment lines right above it."""
    if not block.file.may_suppress:
        return ()
    lines = block.file.lines
    first = block.line - 1
    while first > 0 and lines[first - 1].lstrip().startswith(("#", "//")):
        first -= 1
    rules: list[SuppressionRule] = []
    for idx in range(first, min(block.end_line, len(lines))):
        text = lines[idx]
        m = _SUPPRESSION_HINT.search(text)
        if m is None:
            continue
        rule = parse_comment(text[m.start():], idx + 1)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)
