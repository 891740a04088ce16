"""Evaluate Terraform expressions the way Terraform would, as far as the configuration alone allows.

The evaluator walks tree-sitter nodes directly (no intermediate tree). References are resolved by a ``Context``
(the module instance), so this module knows expressions, not modules.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import tree_sitter

from sseguard.model import Unknown
from sseguard.sources.terraform.hcl import (
    Expr,
    HclSyntaxError,
    SourceFile,
    parse_template_string,
    parse_template_text,
    unescape,
)
from sseguard.sources.terraform.limits import MAX_TEXT_LENGTH, too_large
from sseguard.sources.terraform.values import MAX_NUMBER_BITS, Computed, EvalError, parse_number, to_text, type_name

Value = Any
Bindings = dict[str, Value]
# Iterations of for expressions and directives one value may take: a for expression that would grow without bound is
# an error of that value, not a hang of the scan (templates are bounded by limits.MAX_TEXT_LENGTH).
MAX_ITERATIONS = 200_000


class Handle(Protocol):
    """A value that resolves attribute and index steps itself (a resource, a module call)."""

    def get_attr(self, name: str) -> Value: ...

    def index(self, key: Value) -> Value: ...

    def whole(self) -> Value: ...


class Context(Protocol):
    """Resolves the first steps of a reference (``var.x``, ``aws_kms_key.k``) within one module instance."""

    file_base: str

    def resolve(self, root: str, steps: list[Step], bindings: Bindings, expr: Expr) -> tuple[Value, int]:
        """Return the value of ``root`` followed by some of ``steps``, and how many steps it used."""
        ...

    def call_function(self, name: str, args: list[Value], expr: Expr) -> Value: ...

    def undecided(self, expr: Expr, condition: str) -> bool | None:
        """A conditional whose condition cannot be decided: the outcome forced for it, or None (and it is noted, so
        the caller can judge each way it can go)."""
        ...


@dataclass(frozen=True)
class Step:
    kind: str  # "attr", "index", "splat"
    name: str = ""
    index: tree_sitter.Node | None = None
    legacy: int | None = None
    each: tuple[Step, ...] = ()  # a splat's traversals, applied to every element


class Evaluator:
    """Evaluates expressions of one module instance."""

    def __init__(self, ctx: Context, functions: dict[str, Callable[..., Value]]) -> None:
        self.ctx = ctx
        self.functions = functions
        self._depth = 0
        self._iterations = 0

    # entry points ---------------------------------------------------------------------------------------------

    def eval(self, expr: Expr, bindings: Bindings | None = None) -> Value:
        """The value of an expression; Terraform errors raise EvalError."""
        if self._depth == 0:
            self._iterations = 0  # the budget of for expressions is per value asked for, nested ones included
        self._depth += 1
        try:
            b = bindings or {}
            if expr.node is None:
                return self._json(expr.value, expr, b)
            return self._node(expr.node, expr, b)
        finally:
            self._depth -= 1

    def _iterate(self, count: int, what: str) -> None:
        """Count ``count`` more iterations of for expressions and directives against the budget of one value."""
        self._iterations += count
        if self._iterations > MAX_ITERATIONS:
            raise EvalError(f"{what} would iterate more than {MAX_ITERATIONS:,} times (with the for expressions "
                            "around it), more than sseguard evaluates")

    def _json(self, value: Any, expr: Expr, b: Bindings) -> Value:
        if isinstance(value, str):
            if "${" not in value and "%{" not in value:
                return value
            try:
                template = parse_template_string(value, expr.file, expr.line)
            except HclSyntaxError as err:
                raise EvalError(str(err)) from None
            return self.eval(template, b)
        if isinstance(value, list):
            return [self._json(v, expr, b) for v in value]
        if isinstance(value, dict):
            return {k: self._json(v, expr, b) for k, v in value.items() if k != "//"}
        return value

    # native syntax ----------------------------------------------------------------------------------------------

    def _node(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        t = node.type
        if t == "expression":
            return self._expression(node, expr, b)
        method = _DISPATCH.get(t)
        if method is None:
            raise EvalError(f"unsupported expression ({t})")
        return method(self, node, expr, b)

    def _text(self, node: tree_sitter.Node, expr: Expr) -> str:
        return expr.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def _expression(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        return self._term([c for c in node.children if c.is_named and c.type != "comment"], expr, b)

    def _term(self, kids: list[tree_sitter.Node], expr: Expr, b: Bindings) -> Value:
        """A head (variable, literal, call, parenthesised expression...) and the traversals written after it."""
        if not kids:
            raise EvalError("empty expression")
        head = kids[0]
        steps = [s for c in kids[1:] for s in _steps(c, expr)]
        if head.type == "variable_expr":
            name = self._text(head, expr)
            if name in b:  # count, each, a for-expression variable, a dynamic block iterator
                value: Value = b[name]
                used = 0
                if name in ("count", "each") and isinstance(value, dict) and steps and steps[0].kind == "attr":
                    value = value.get(steps[0].name, Unknown(f"{name}.{steps[0].name} is not available here"))
                    used = 1
            else:
                value, used = self.ctx.resolve(name, steps, b, expr)
            return self._apply_steps(value, steps[used:], expr, b)
        value = self._node(head, expr, b)
        return self._apply_steps(value, steps, expr, b)

    def _apply_steps(self, value: Value, steps: list[Step], expr: Expr, b: Bindings) -> Value:
        for i, step in enumerate(steps):
            if isinstance(value, Unknown):
                return value
            if step.kind == "splat":
                items = _splat_items(value)
                if isinstance(items, Unknown | Computed):
                    return items
                value = [self._apply_steps(item, list(step.each), expr, b) for item in items]
                return self._apply_steps(value, steps[i + 1:], expr, b)
            if step.kind == "attr":
                value = self._get_attr(value, step.name)
            else:
                key = step.legacy if step.index is None else self._node(step.index, expr, b)
                value = self._index(value, key)
        return value

    def _get_attr(self, value: Value, name: str) -> Value:
        if isinstance(value, Computed):
            return Computed(value.text[:-1] + "." + name + "}" if value.text.endswith("}") else value.text,
                            value.refs)
        if hasattr(value, "get_attr") and not isinstance(value, dict):
            return value.get_attr(name)
        if isinstance(value, dict):
            if name not in value:
                raise EvalError(f"this object has no attribute {name!r}")
            return value[name]
        raise EvalError(f"cannot read attribute {name!r} of a {type_name(value)} value")

    def _index(self, value: Value, key: Value) -> Value:
        if isinstance(key, Unknown):
            return key
        if isinstance(value, Computed):
            return value
        if isinstance(key, Computed):
            return Computed(key.text, key.refs)
        if hasattr(value, "index") and not isinstance(value, list | dict | str):
            return value.index(key)
        if isinstance(value, list):
            try:
                i = int(key)
            except (TypeError, ValueError):
                raise EvalError(f"a list index must be a number, not {key!r}") from None
            if not 0 <= i < len(value):
                raise EvalError(f"index {i} is out of range for a list of {len(value)}")
            return value[i]
        if isinstance(value, dict):
            k = to_text(key)
            if not isinstance(k, str) or k not in value:
                raise EvalError(f"no element with key {key!r}")
            return value[k]
        raise EvalError(f"cannot index a {type_name(value)} value")

    def _literal(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = node.children[0]
        t = inner.type
        if t == "numeric_lit":
            return parse_number(self._text(inner, expr))
        if t == "bool_lit":
            return self._text(inner, expr) == "true"
        if t == "null_lit":
            return None
        if t == "string_lit":
            return self._quoted(inner, expr, b)
        raise EvalError(f"unsupported literal ({t})")

    def _quoted(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        """A quoted template: literal runs are taken from the raw bytes between parts, so no space is lost."""
        if node.child_count == 3:  # the common "text" with no interpolation: no need to look at every part
            middle = node.child(1)
            if middle is not None and middle.type == "template_literal":
                return unescape(expr.src[middle.start_byte:middle.end_byte].decode("utf-8", "replace"))
        elif node.child_count == 2:
            return ""
        kids = node.children
        start = kids[0].end_byte if kids and kids[0].type == "quoted_template_start" else node.start_byte
        end = kids[-1].start_byte if kids and kids[-1].type == "quoted_template_end" else node.end_byte
        parts = [c for c in kids if c.type in _PARTS]
        return self._template(expr, _Span(start, end, parts), b, quoted=True)

    def _template_expr(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = node.children[0]
        if inner.type == "quoted_template":
            return self._quoted(inner, expr, b)
        # heredoc: the body runs from the line after the opening marker to the line of the closing one
        kids = inner.children
        idents = [c for c in kids if c.type == "heredoc_identifier"]
        strip = any(self._text(c, expr) == "<<-" for c in kids[0].children) if kids else False
        if len(idents) < 2:
            raise EvalError("unterminated heredoc")
        src = expr.src
        start = src.index(b"\n", idents[0].end_byte) + 1
        end = src.rindex(b"\n", 0, idents[-1].start_byte) + 1
        parts = [c for c in kids if c.type in _PARTS]
        value = self._template(expr, _Span(start, end, parts), b, quoted=False, single_is_value=False)
        if strip and isinstance(value, str):
            value = _dedent(value)
        return value

    def _template(self, expr: Expr, span: _Span, b: Bindings, quoted: bool, single_is_value: bool = True) -> Value:
        parts = span.parts
        if (single_is_value and len(parts) == 1 and parts[0].type == "template_interpolation"
                and span.start == parts[0].start_byte and span.end == parts[0].end_byte):
            # "${x}" alone is x itself, not its string form (Terraform keeps its type)
            return self._interp(parts[0], expr, b)
        rendering = _Rendering(expr, quoted)
        why = self._segment(rendering, span, b)
        if why is not None:
            return why
        text = "".join(rendering.out)
        if rendering.computed:
            return Computed(text, tuple(r for c in rendering.computed for r in c.refs), not_null=True)
        return text

    def _segment(self, rendering: _Rendering, span: _Span, b: Bindings) -> Unknown | None:
        """Render the template text of ``span``: literal runs are taken from the raw bytes between the parts
        (interpolations and directives), so no space is lost; ``~`` markers strip the whitespace next to them."""
        src = rendering.expr.src
        pos = span.start
        strip_next = span.strip_first
        for part in span.parts:
            rendering.write(_run(src[pos:part.start_byte], rendering.quoted, strip_next, _strips(part, before=True)))
            if part.type == "template_directive":
                why = self._directive(part.children[0], rendering, b)
                if why is not None:
                    return why
            else:
                value = self._interp(part, rendering.expr, b)
                if isinstance(value, Unknown):
                    return value
                if isinstance(value, Computed):
                    rendering.computed.append(value)
                    rendering.write(value.text)
                else:
                    text = to_text(value)
                    assert isinstance(text, str)
                    rendering.write(text)
            strip_next = _strips(part, before=False)
            pos = part.end_byte
        rendering.write(_run(src[pos:span.end], rendering.quoted, strip_next, span.strip_last))
        return None

    def _directive(self, node: tree_sitter.Node, rendering: _Rendering, b: Bindings) -> Unknown | None:
        """``%{ if }...%{ else }...%{ endif }`` and ``%{ for k, v in coll }...%{ endfor }``."""
        expr = rendering.expr
        kids = node.children
        opening, closing = kids[0], kids[-1]
        header = next((c for c in opening.children if c.type == "expression"), None)
        if header is None:
            raise EvalError(f"unsupported template directive: {self._text(node, expr)}")
        value = self._expression(header, expr, b)
        what = f"the {'condition' if node.type == 'template_if' else 'collection'} of {self._text(opening, expr)}"
        if isinstance(value, Unknown):
            return Unknown(f"{what} cannot be resolved: {value.reason}", value.resolve)
        if isinstance(value, Computed):
            return Unknown(f"{what} is only known after apply ({value.text})", "scan the plan JSON")
        if node.type == "template_if":
            if not isinstance(value, bool):
                raise EvalError(f"a template condition must be a bool, not {type_name(value)}")
            otherwise = next((c for c in kids if c.type == "template_else_intro"), None)
            if value:
                lo, hi = opening, otherwise or closing
            elif otherwise is not None:
                lo, hi = otherwise, closing
            else:
                return None
            parts = [c for c in kids if c.type in _PARTS and lo.end_byte <= c.start_byte < hi.start_byte]
            return self._segment(rendering, _Span(lo.end_byte, hi.start_byte, parts, _strips(lo, before=False),
                                                  _strips(hi, before=True)), b)
        if node.type != "template_for":
            raise EvalError(f"unsupported template directive: {self._text(node, expr)}")
        names = [self._text(c, expr) for c in opening.children if c.type == "identifier"]
        if isinstance(value, dict):
            items: list[tuple[Value, Value]] = sorted(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            raise EvalError(f"cannot iterate over a {type_name(value)} value")
        body = _Span(opening.end_byte, closing.start_byte, [c for c in kids[1:-1] if c.type in _PARTS],
                     _strips(opening, before=False), _strips(closing, before=True))
        self._iterate(len(items), self._text(opening, expr))
        for k, v in items:
            local = dict(b)
            if len(names) == 2:
                local[names[0]], local[names[1]] = k, v
            elif names:
                local[names[0]] = v
            why = self._segment(rendering, body, local)
            if why is not None:
                return why
        return None

    def _interp(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = [c for c in node.children if c.type == "expression"]
        if not inner:
            raise EvalError("empty interpolation")
        return self._expression(inner[0], expr, b)

    def _collection(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = node.children[0]
        if inner.type == "tuple":
            return [self._expression(c, expr, b) for c in inner.children if c.type == "expression"]
        out: dict[str, Value] = {}
        for elem in inner.children:
            if elem.type != "object_elem":
                continue
            key_node = elem.child_by_field_name("key")
            val_node = elem.child_by_field_name("val")
            if key_node is None or val_node is None:
                continue
            key = self._object_key(key_node, expr, b)
            value = self._expression(val_node, expr, b)
            if isinstance(key, Unknown):
                return key
            if isinstance(key, Computed):
                return Unknown(f"an object key is only known after apply ({key.text})")
            out[key] = value
        return out

    def _object_key(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        kids = [c for c in node.children if c.is_named]
        # a bare identifier key is the literal name, not a variable reference
        if len(kids) == 1 and kids[0].type == "variable_expr":
            return self._text(kids[0], expr)
        key = self._expression(node, expr, b)
        return key if isinstance(key, Unknown | Computed) else to_text(key)

    def _function(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        name = self._text(node.children[0], expr)
        if "::" in name:
            name = name.rsplit("::", 1)[1]
        args_node = [c for c in node.children if c.type == "function_arguments"]
        arg_nodes = [c for c in args_node[0].children if c.type == "expression"] if args_node else []
        expand = bool(args_node) and any(c.type == "ellipsis" for c in args_node[0].children)
        if name in ("try", "can"):
            return self._try_can(name, arg_nodes, expr, b)
        args = [self._expression(a, expr, b) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown | Computed):
                return last if isinstance(last, Unknown) else Computed(last.text, last.refs)
            if not isinstance(last, list):
                raise EvalError("only a list can be expanded with ...")
            args.extend(last)
        return self.ctx.call_function(name, args, expr)

    def _try_can(self, name: str, arg_nodes: list[tree_sitter.Node], expr: Expr, b: Bindings) -> Value:
        for a in arg_nodes:
            try:
                value = self._expression(a, expr, b)
            except EvalError:
                if name == "can":
                    return False
                continue
            if name == "can":
                return value if isinstance(value, Unknown) else True
            return value
        if name == "can":
            return False
        raise EvalError("no argument of try() could be evaluated")

    def _conditional(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        parts = [c for c in node.children if c.type == "expression"]
        cond = self._expression(parts[0], expr, b)
        if isinstance(cond, Unknown | Computed):
            yes = self._safe(parts[1], expr, b)
            no = self._safe(parts[2], expr, b)
            if yes == no and not isinstance(yes, EvalError):
                return yes
            text = self._text(parts[0], expr)
            forced = self.ctx.undecided(expr, text)
            if forced is not None:
                chosen = yes if forced else no
                if isinstance(chosen, EvalError):
                    raise chosen
                return chosen
            reason = cond.reason if isinstance(cond, Unknown) else f"it is only known after apply ({cond.text})"
            resolve = cond.resolve if isinstance(cond, Unknown) else "scan the plan JSON"
            return Unknown(f"the condition {text!r} cannot be decided: {reason}", resolve)
        if not isinstance(cond, bool):
            raise EvalError(f"a condition must be a bool, not {type_name(cond)}")
        return self._expression(parts[1] if cond else parts[2], expr, b)

    def _safe(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        try:
            return self._expression(node, expr, b)
        except EvalError as err:
            return err

    def _operation(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = node.children[0]
        # tree-sitter flattens each operand into its head and traversals (var, .env), so the operands are the
        # named runs on either side of the operator token
        kids = [c for c in inner.children if c.type != "comment"]
        at = next((i for i, c in enumerate(kids) if not c.is_named and self._text(c, expr) not in ("(", ")")), None)
        if at is None:
            raise EvalError(f"no operator in {self._text(node, expr)!r}")
        op = self._text(kids[at], expr)
        left_kids = [c for c in kids[:at] if c.is_named]
        right_kids = [c for c in kids[at + 1:] if c.is_named]
        if inner.type == "unary_operation":
            value = self._term(right_kids, expr, b)
            if isinstance(value, Unknown | Computed):
                return value if isinstance(value, Unknown) else Unknown(f"{self._text(node, expr)} is only known "
                                                                        "after apply", "scan the plan JSON")
            if op == "!":
                if not isinstance(value, bool):
                    raise EvalError("! needs a bool")
                return not value
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise EvalError("- needs a number")
            return -value
        left = self._term(left_kids, expr, b)
        if op in ("&&", "||"):
            # Terraform's rule holds whichever side is unknown: false && x is false, true || x is true
            deciding = op == "||"
            if left is deciding:
                return left
            right = self._term(right_kids, expr, b)
            if right is deciding and isinstance(left, bool | Unknown | Computed):
                return right
            return _binary(op, left, right, self._text(node, expr))
        right = self._term(right_kids, expr, b)
        return _binary(op, left, right, self._text(node, expr))

    def _for(self, node: tree_sitter.Node, expr: Expr, b: Bindings) -> Value:
        inner = node.children[0]
        intro = next(c for c in inner.children if c.type == "for_intro")
        names = [self._text(c, expr) for c in intro.children if c.type == "identifier"]
        source = self._expression(next(c for c in intro.children if c.type == "expression"), expr, b)
        if isinstance(source, Unknown):
            return source
        if isinstance(source, Computed):
            return Unknown(f"the collection of {self._text(node, expr)!r} is only known after apply",
                           "scan the plan JSON")
        body = [c for c in inner.children if c.type == "expression"]
        cond = [c for c in inner.children if c.type == "for_cond"]
        grouping = any(c.type == "ellipsis" for c in inner.children)
        items: list[tuple[Value, Value]]
        if isinstance(source, dict):
            items = list(source.items())
        elif isinstance(source, list):
            items = list(enumerate(source))
        else:
            raise EvalError(f"cannot iterate over a {type_name(source)} value")
        self._iterate(len(items), repr(self._text(node, expr)[:80]))
        is_object = inner.type == "for_object_expr"
        out_list: list[Value] = []
        out_map: dict[str, Value] = {}
        for k, v in items:
            local = dict(b)
            if len(names) == 2:
                local[names[0]], local[names[1]] = k, v
            else:
                local[names[0]] = v
            if cond:
                keep = self._expression(next(c for c in cond[0].children if c.type == "expression"), expr, local)
                if isinstance(keep, Unknown | Computed):
                    return Unknown(f"the filter of {self._text(node, expr)!r} cannot be decided", "")
                if not keep:
                    continue
            if is_object:
                key = self._expression(body[0], expr, local)
                value = self._expression(body[1], expr, local)
                if isinstance(key, Unknown):
                    return key
                skey = to_text(key)
                if not isinstance(skey, str):
                    return Unknown(f"a key of {self._text(node, expr)!r} is only known after apply", "")
                if grouping:
                    out_map.setdefault(skey, []).append(value)
                else:
                    out_map[skey] = value
            else:
                out_list.append(self._expression(body[0], expr, local))
        return out_map if is_object else out_list


_PARTS = ("template_interpolation", "template_directive")


@dataclass(frozen=True)
class _Span:
    """Part of a template's source: its bytes, the interpolations and directives in it, and whether ``~`` markers
    strip the whitespace at its ends."""

    start: int
    end: int
    parts: list[tree_sitter.Node]
    strip_first: bool = False
    strip_last: bool = False


@dataclass
class _Rendering:
    """A template being rendered: where it comes from, and the text written so far (bounded as it grows, so a
    %{for} over a long list of long values stops before it is joined)."""

    expr: Expr
    quoted: bool
    out: list[str] = field(default_factory=list)
    computed: list[Computed] = field(default_factory=list)
    length: int = 0

    def write(self, text: str) -> None:
        self.length += len(text)
        if self.length > MAX_TEXT_LENGTH:
            raise too_large("the template's text", MAX_TEXT_LENGTH, "characters")
        self.out.append(text)


def _strips(node: tree_sitter.Node, before: bool) -> bool:
    """Whether a ``~`` marker strips the whitespace before (``${~``, ``%{~``) or after (``~}``) this part."""
    if node.type == "template_directive":
        inner = node.children[0]
        node = inner.children[0] if before else inner.children[-1]
    kids = node.children
    if len(kids) < 3:
        return False
    return kids[1 if before else -2].type == "strip_marker"


def _run(raw: bytes, quoted: bool, strip_left: bool, strip_right: bool) -> str:
    text = unescape(raw.decode("utf-8", "replace"), quoted)
    if strip_left:
        text = text.lstrip()
    if strip_right:
        text = text.rstrip()
    return text


def _dedent(text: str) -> str:
    lines = text.split("\n")
    indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(ln[cut:] for ln in lines)


def _splat_items(value: Value) -> list[Value] | Unknown | Computed:
    if isinstance(value, Unknown | Computed):
        return value
    if hasattr(value, "whole") and not isinstance(value, list | dict):
        value = value.whole()
        if isinstance(value, Unknown | Computed):
            return value
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    return [value]


def _step(node: tree_sitter.Node, expr: Expr) -> Step:
    t = node.type
    if t == "get_attr":
        ident = next(c for c in node.children if c.type == "identifier")
        return Step("attr", name=expr.src[ident.start_byte:ident.end_byte].decode())
    if t == "index":
        inner = node.children[0]
        if inner.type == "legacy_index":
            text = expr.src[inner.start_byte:inner.end_byte].decode().lstrip(".")
            return Step("index", legacy=int(text) if text.isdigit() else None)
        exprs = [c for c in inner.children if c.type == "expression"]
        return Step("index", index=exprs[0] if exprs else None)
    if t == "splat":
        return Step("splat")
    raise EvalError(f"unsupported traversal ({t})")


def _steps(node: tree_sitter.Node, expr: Expr) -> list[Step]:
    """The traversal steps of one node. tree-sitter nests what follows a splat inside it: a full splat
    (``[*].a[0]``) applies all of it to every element; an attribute splat (``.*.a``) only its attribute
    lookups, and an index after them applies to the resulting list."""
    if node.type != "splat":
        return [_step(node, expr)]
    inner = node.children[0]
    parts = [_step(c, expr) for c in inner.children if c.type in ("get_attr", "index")]
    if inner.type == "full_splat":
        return [Step("splat", each=tuple(parts))]
    cut = next((i for i, s in enumerate(parts) if s.kind != "attr"), len(parts))
    return [Step("splat", each=tuple(parts[:cut])), *parts[cut:]]


def _number(v: Value, text: str) -> float | int:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise EvalError(f"{text}: a number is required, got {type_name(v)}")
    if isinstance(v, str):
        try:
            return parse_number(v)
        except EvalError as err:
            raise EvalError(f"{text}: {err}") from None
    return v


def _bounded(value: float | int, text: str) -> float | int:
    """An arithmetic result, refused when it is past what a number can usefully be (a chain of squarings would
    otherwise grow without end)."""
    if isinstance(value, int) and value.bit_length() > MAX_NUMBER_BITS:
        raise EvalError(f"{text}: the result has more than {MAX_NUMBER_BITS} bits, more than sseguard evaluates")
    if isinstance(value, float) and not math.isfinite(value):
        raise EvalError(f"{text}: the result is too large for sseguard to evaluate")
    return value


def _binary(op: str, left: Value, right: Value, text: str) -> Value:
    for side in (left, right):
        if isinstance(side, Unknown):
            return side
    if isinstance(left, Computed) or isinstance(right, Computed):
        c = left if isinstance(left, Computed) else right
        assert isinstance(c, Computed)
        other = right if c is left else left
        if op in ("==", "!=") and other is None and c.not_null:
            return op == "!="  # a resource's ARN is unknown until apply, but never null
        return Unknown(f"{text!r} depends on a value only known after apply ({c.text})", "scan the plan JSON")
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op in ("&&", "||"):
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise EvalError(f"{text}: {op} needs bools")
        return (left and right) if op == "&&" else (left or right)
    a, c = _number(left, text), _number(right, text)
    if op == "+":
        return _bounded(a + c, text)
    if op == "-":
        return _bounded(a - c, text)
    if op == "*":
        return _bounded(a * c, text)
    if op == "/":
        if c == 0:
            raise EvalError(f"{text}: division by zero")
        q = _bounded(a / c, text)
        return int(q) if isinstance(q, float) and q.is_integer() and abs(q) < 2 ** 53 else q
    if op == "%":
        if c == 0:
            raise EvalError(f"{text}: division by zero")
        return a % c
    if op == "<":
        return a < c
    if op == ">":
        return a > c
    if op == "<=":
        return a <= c
    if op == ">=":
        return a >= c
    raise EvalError(f"unsupported operator {op!r}")


def _equal(a: Value, b: Value) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b  # Terraform has one number type: 1e3 == 1000
    return bool(json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str))


_DISPATCH: dict[str, Callable[[Evaluator, tree_sitter.Node, Expr, Bindings], Value]] = {
    "literal_value": Evaluator._literal,
    "template_expr": Evaluator._template_expr,
    "collection_value": Evaluator._collection,
    "function_call": Evaluator._function,
    "conditional": Evaluator._conditional,
    "operation": Evaluator._operation,
    "for_expr": Evaluator._for,
}


def evaluate_string_file(text: str, file: SourceFile, line: int, evaluator: Evaluator, bindings: Bindings) -> Value:
    """Evaluate a whole text as a template (``templatefile``)."""
    try:
        expr = parse_template_text(text, file, line)
    except HclSyntaxError as err:
        raise EvalError(f"the template file has a syntax error: {err}") from None
    value = evaluator.eval(expr, bindings)
    if isinstance(value, str) and value.endswith("\n") and not text.endswith("\n"):
        value = value[:-1]
    return value
