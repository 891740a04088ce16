"""Where a stream's encryption settings are written: the origin ``sseguard fix`` edits.

A value is traced through the references that only pass it on (``var.x``, ``local.y``, a module call's argument, a
variables file) to the literal that gives it. Anything that computes (a conditional, a function, ``each.value``)
ends the trace: the fixer says why it does not rewrite that stream rather than guess.
"""

from __future__ import annotations

from sseguard.jsonspans import value_span
from sseguard.model import Origin, OutOfReach
from sseguard.sources.terraform.hcl import Block, Expr, SourceFile
from sseguard.sources.terraform.instance import ModuleInstance

# References followed before giving up: a chain longer than this is not a plain hand-over of a value.
MAX_HOPS = 16


def block_origin(block: Block) -> Origin | OutOfReach:
    """The whole block of a stream, where a missing argument is added."""
    if block.file.path.name.endswith(".json"):
        span = value_span(block.file.data, ["resource", *block.labels])
        if span is None:
            return OutOfReach(f"the block {'.'.join(block.labels)} is not found in {block.file.display}")
        return Origin(str(block.file.path), span[0], span[1], block.line, "the resource block")
    start = _line_start(block.file, block.line)
    end = _line_start(block.file, block.end_line + 1)
    return Origin(str(block.file.path), start, end, block.line, "the resource block")


def expr_origin(expr: Expr, via: str) -> Origin | None:
    """Where an expression of native syntax is written; None for JSON syntax or when it cannot be located."""
    if expr.node is None:
        return None
    span = _span(expr)
    return None if span is None else Origin(str(expr.file.path), span[0], span[1], expr.line, via)


def value_origin(inst: ModuleInstance, block: Block, name: str) -> Origin | OutOfReach | None:
    """Where the value of a stream's argument is written; None when the argument is absent."""
    attr = block.attr(name)
    if attr is None:
        return None
    if attr.expr.node is None:  # JSON syntax: only a literal in the block itself is traced
        value = attr.expr.value
        span = value_span(block.file.data, ["resource", *block.labels, name])
        if span is None or (isinstance(value, str) and "${" in value) or isinstance(value, dict | list):
            return OutOfReach(f"{name} = {attr.expr.shown} ({block.file.display}:{attr.line}) is not a literal")
        return Origin(str(block.file.path), span[0], span[1], attr.line, "the argument itself")
    return _trace(inst, attr.expr, "the argument itself")


def _trace(inst: ModuleInstance, expr: Expr, via: str) -> Origin | OutOfReach:
    for _ in range(MAX_HOPS):
        if expr.node is None:
            return OutOfReach(f"{expr.shown} ({expr.file.display}:{expr.line}, {via}) is written in JSON syntax, "
                              "which sseguard fixes only in the stream's own block")
        if _is_literal(expr):
            span = _span(expr)
            if span is None:
                return OutOfReach(f"{expr.shown} ({expr.file.display}:{expr.line}) cannot be located in its file")
            return Origin(str(expr.file.path), span[0], span[1], expr.line, via)
        ref = _plain_reference(expr)
        if ref is None:
            return OutOfReach(f"the value is computed by {expr.shown} ({expr.file.display}:{expr.line}); sseguard "
                              "rewrites literals, and the variables and locals that pass them on")
        kind, name = ref
        if kind == "local":
            attr = inst.module.locals.get(name)
            if attr is None:
                return OutOfReach(f"local.{name} is not declared")
            expr, via = attr.expr, f"local.{name}"
            continue
        sources = inst.variable_sources(name)
        if not sources:
            return OutOfReach(f"var.{name} is not declared, or has no value")
        source = sources[0]
        if source.input is not None and source.expr is None:
            return OutOfReach(f"var.{name} is set by {source.via}, which is not a file sseguard can edit")
        if len(sources) > 1 and _is_null(source.expr):
            source = sources[1]  # a null argument hands the variable its default
        assert source.expr is not None
        inst, expr = source.instance, source.expr
        via = f'variable "{name}" default' if source.via == "default" else source.via
    return OutOfReach(f"the value is passed on through more than {MAX_HOPS} references")


def _value_node(expr: Expr) -> object | None:
    node = expr.node
    if node is not None and node.type == "expression" and node.child_count == 1:
        return node.child(0)
    return node


def _is_literal(expr: Expr) -> bool:
    """A null, bool or number, or a quoted string with no interpolation (the parser calls one with
    interpolation a template)."""
    node = _value_node(expr)
    return getattr(node, "type", None) == "literal_value"


def _is_null(expr: Expr | None) -> bool:
    return expr is not None and expr.node is not None and expr.text.strip() == "null"


def _plain_reference(expr: Expr) -> tuple[str, str] | None:
    """``("var", "x")`` for exactly ``var.x``, ``("local", "y")`` for exactly ``local.y``; else None."""
    node = expr.node
    if node is None or node.type != "expression" or node.child_count != 2:
        return None
    head, attr = node.child(0), node.child(1)
    if head is None or attr is None or head.type != "variable_expr" or attr.type != "get_attr":
        return None
    kind = expr.src[head.start_byte:head.end_byte].decode()
    name = expr.src[attr.start_byte:attr.end_byte].decode().lstrip(".").strip()
    return (kind, name) if kind in ("var", "local") and name else None


def _span(expr: Expr) -> tuple[int, int] | None:
    """The expression's byte span in its file. The parser may have read only a block or one argument's lines, so
    the span is found from the expression's line and column, and checked against the file's bytes."""
    node = expr.node
    assert node is not None
    text = expr.src[node.start_byte:node.end_byte]
    data = expr.file.data
    line_start = _line_start(expr.file, expr.line)
    start = line_start + node.start_point[1]
    if data[start:start + len(text)] == text:
        return start, start + len(text)
    found = data.find(text, line_start)
    if found < 0 or data.count(b"\n", line_start, found) > 0:
        return None
    return found, found + len(text)


def _line_start(file: SourceFile, line: int) -> int:
    """The offset of the first byte of a 1-based line (past the last line: the end of the file)."""
    starts = file.line_starts
    return starts[line - 1] if line <= len(starts) else len(file.data)
