"""A module instance: one module folder evaluated with its variable values, providers and address prefix.

It is the ``Context`` the evaluator asks to resolve ``var.x``, ``local.y``, ``module.m.out``, ``aws_kms_key.k``...
Everything is computed on demand and memoised, so only what a stream needs is ever evaluated.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sseguard.files import NotRegularFile, read_regular
from sseguard.model import ErrorKind, InputError, OutOfReach, Unknown, Unreadable
from sseguard.options import ScanOptions
from sseguard.sources.terraform.expressions import Bindings, Evaluator, Step, evaluate_string_file
from sseguard.sources.terraform.functions import build_functions
from sseguard.sources.terraform.hcl import Block, Expr, HclSyntaxError, SourceFile, clipped, parse_expression_text
from sseguard.sources.terraform.loader import Module, downloaded_modules, load_module, local_source, parse_file
from sseguard.sources.terraform.values import Branch, Computed, EvalError, Ref, parse_number, to_text, type_name

Value = Any
MAX_MODULE_DEPTH = 16
# How to get a module whose source is a registry or a repository onto disk.
NOT_DOWNLOADED = "run terraform init so .terraform/modules holds it"
# Instances of one resource or module call sseguard expands; past it the stream is judged unknown.
MAX_INSTANCES = 10_000
# The largest file file() and templatefile() read.
MAX_READ_BYTES = 1024 * 1024


def instance_key(key: str | int | None) -> str:
    """Terraform's instance key syntax: ``[0]`` or ``["k"]``."""
    if key is None:
        return ""
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


@dataclass
class Expansion:
    """The instances of a resource or module call: (key, bindings) pairs, or why they cannot be known."""

    instances: list[tuple[str | int | None, Bindings]]
    unknown: Unknown | None = None


@dataclass(frozen=True)
class VariableSource:
    """One place a variable may take its value from: an expression evaluated in ``instance`` (a module call's
    argument, the default), or a root module input (``input``: where it was given, and the raw value; ``expr`` is
    its expression when a variables file gives it). ``via`` says which, in words."""

    instance: ModuleInstance
    expr: Expr | None
    bindings: Bindings
    via: str
    input: tuple[str, Value] | None = None


class Tree:
    """What one scan of a root module shares: loaded modules (by folder), options, errors."""

    def __init__(self, root_dir: Path, options: ScanOptions, modules: dict[Path, Module] | None = None,
                 fast: bool = False) -> None:
        self.root_dir = root_dir
        self.fast = fast
        self.options = options
        self.modules = modules if modules is not None else {}
        self.downloaded = downloaded_modules(root_dir)
        self.errors: list[InputError] = []
        self.notes: list[str] = []
        self.reported: set[str] = set()
        # Conditions whose outcome is forced while a stream's variants are computed; memoised values are neither
        # read nor kept then, as they may depend on those outcomes.
        self.decisions: dict[tuple[str, str, int, str], bool] = {}
        self._recording: list[set[Branch]] = []

    @contextlib.contextmanager
    def recording(self) -> Iterator[set[Branch]]:
        """Collect the undecided conditions met while evaluating inside the ``with`` block (nested ones too)."""
        found: set[Branch] = set()
        self._recording.append(found)
        try:
            yield found
        finally:
            self._recording.pop()
            if self._recording:
                self._recording[-1].update(found)

    def note(self, branches: set[Branch] | frozenset[Branch]) -> None:
        """Record undecided conditions met now (or met when a memoised value was computed)."""
        if self._recording:
            self._recording[-1].update(branches)

    @contextlib.contextmanager
    def deciding(self, decisions: dict[tuple[str, str, int, str], bool]) -> Iterator[None]:
        """Evaluate inside the ``with`` block as if these conditions had these outcomes."""
        saved = self.decisions
        self.decisions = {**saved, **decisions}
        try:
            yield
        finally:
            self.decisions = saved

    def inside(self, path: Path) -> bool:
        """Whether the scan may read ``path``: it lies in the repository the scan is in."""
        return self.options.inside(path, fallback=self.root_dir)

    def module(self, directory: Path) -> Module:
        key = directory.resolve()
        if key not in self.modules:
            self.modules[key] = load_module(directory, self.options, fast=self.fast)
        return self.modules[key]

    def error(self, location: str, message: str, line: int | None = None,
              kind: ErrorKind = ErrorKind.UNREADABLE) -> None:
        token = f"{location}:{line}:{message}"
        if token not in self.reported:
            self.reported.add(token)
            self.errors.append(InputError(location, message, line, kind))


class ModuleInstance:
    """One instance of a module: the root, or ``module.a["k"]`` of its parent."""

    def __init__(self, tree: Tree, module: Module, path: str, call_key: str,
                 parent: ModuleInstance | None = None, call: Block | None = None,
                 call_bindings: Bindings | None = None) -> None:
        self.tree = tree
        self.module = module
        self.path = path  # address prefix: "" or 'module.a["k"]'
        self.call_key = call_key  # modules.json key: "" or "a.b"
        self.parent = parent
        self.call = call
        self.call_bindings = call_bindings or {}
        self.file_base = str(module.dir)
        self.evaluator = Evaluator(self, build_functions(self._read_file, self._template_file))
        self._locals: dict[str, tuple[Value, frozenset[Branch]]] = {}
        self._vars: dict[str, tuple[Value, frozenset[Branch]]] = {}
        self._computing: set[str] = set()
        self._root_inputs: dict[str, tuple[str, Value]] | None = None
        self._input_exprs: dict[str, Expr | None] = {}
        self._children: dict[tuple[str, str | int | None], ModuleInstance | Unknown] = {}
        self._expansions: dict[int, Expansion] = {}
        self._regions: dict[str, str | OutOfReach] = {}

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    # evaluation entry ----------------------------------------------------------------------------------------

    def eval(self, expr: Expr, bindings: Bindings | None = None) -> Value:
        """Evaluate in this instance. Whatever goes wrong evaluating one expression (an error Terraform would
        report, a value too large, a bug) becomes an Unknown naming the expression: the streams that depend on it
        are unknown, and every other stream is judged as usual."""
        if expr.file.syntax_error_line is not None:
            return Unreadable(f"the value at {expr.file.display}:{expr.line} cannot be used: its file has a syntax "
                              f"error at line {expr.file.syntax_error_line}, and Terraform reads none of it",
                              "fix the syntax error (terraform validate shows it)")
        where = f"{_shown(expr.text)} ({expr.file.display}:{expr.line})"
        try:
            return self.evaluator.eval(expr, bindings)
        except EvalError as err:
            return Unreadable(f"{where} cannot be evaluated: {err}", "check the expression with terraform validate")
        except RecursionError:
            return Unreadable(f"{where} is nested too deeply to evaluate")
        except MemoryError:
            return Unreadable(f"{where} would take more memory than the machine has to evaluate")
        except Exception as err:  # a bug here must cost one value, not the streams of every module
            if os.environ.get("SSEGUARD_DEBUG"):
                raise
            return Unreadable(f"{where} cannot be evaluated: internal error {type(err).__name__}: {err}",
                              "please report it; meanwhile scan the plan JSON")

    def undecided(self, expr: Expr, condition: str) -> bool | None:
        """See ``evaluate.Context.undecided``."""
        key = (self.path, expr.file.display, expr.line, condition)
        forced = self.tree.decisions.get(key)
        if forced is None:
            self.tree.note(frozenset({Branch(key, condition)}))
        return forced

    def _memo(self, cache: dict[str, tuple[Value, frozenset[Branch]]], name: str, what: str,
              compute: Callable[[], Value]) -> Value:
        """A memoised value (a variable, a local) that remembers the undecided conditions it met; computed afresh
        while conditions are being forced, since its value may depend on them."""
        if what in self._computing:
            return Unknown(f"{what} refers to itself")
        deciding = bool(self.tree.decisions)
        if not deciding and name in cache:
            value, met = cache[name]
            self.tree.note(met)
            return value
        self._computing.add(what)
        try:
            with self.tree.recording() as found:
                value = compute()
        finally:
            self._computing.discard(what)
        if not deciding:
            cache[name] = (value, frozenset(found))
        return value

    # Context -------------------------------------------------------------------------------------------------

    def resolve(self, root: str, steps: list[Step], bindings: Bindings, expr: Expr) -> tuple[Value, int]:
        """Resolve the head of a reference; see ``evaluate.Context``."""
        first = steps[0].name if steps and steps[0].kind == "attr" else None
        if root == "var":
            if first is None:
                raise EvalError("var must be followed by a variable name")
            return self.variable(first), 1
        if root == "local":
            if first is None:
                raise EvalError("local must be followed by a name")
            return self.local(first), 1
        if root == "module":
            if first is None:
                raise EvalError("module must be followed by a call name")
            return ModuleHandle(self, first, None), 1
        if root == "data":
            if first is None or len(steps) < 2 or steps[1].kind != "attr":
                raise EvalError("data must be followed by a type and a name")
            return self._resource("data", first, steps[1].name), 2
        if root == "path":
            if first == "module":
                return str(self.module.dir), 1
            if first in ("root", "cwd"):
                return str(self.tree.root_dir), 1
            raise EvalError(f"path.{first} is not a path Terraform knows")
        if root == "terraform":
            if first == "workspace":
                return self.tree.options.environ.get("TF_WORKSPACE", "default"), 1
            return Unknown(f"terraform.{first} is not known to sseguard"), 1
        if root in ("count", "each"):
            return Unknown(f"{root}.{first} is used where no {root} is set"), 1
        if root == "self":
            return Unknown("self is only known in provisioners"), 0
        if first is None:
            raise EvalError(f"{root!r} is not a valid reference")
        return self._resource("managed", root, first), 1

    def _resource(self, mode: str, rtype: str, name: str) -> ResourceHandle | Unknown:
        """A resource or data source of this module. Terraform rejects a reference to one the module does not
        declare, so that is unknown, unless the module was read in part (a file scanned alone), where it may be
        declared in a file not read."""
        handle = ResourceHandle(self, mode, rtype, name, None)
        if handle.block is not None or self.module.partial:
            return handle
        address = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
        return self.module.undeclared(address, f"declare {address}, or correct the reference", self.tree.options)

    def call_function(self, name: str, args: list[Value], expr: Expr) -> Value:
        """Call a built-in function with evaluated arguments."""
        fn = self.evaluator.functions.get(name)
        if fn is None:
            return Unknown(f"function {name}() is not evaluated by sseguard ({expr.file.display}:{expr.line})",
                           "scan the plan JSON instead")
        try:
            return fn(*args)
        except EvalError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
            raise EvalError(f"{name}(): {err}") from None

    def _read_file(self, path: str) -> str | Unknown:
        """What ``file()`` reads: a regular file of the repository the scan is in, of at most ``MAX_READ_BYTES``.
        Anything else (a file outside it, a device, a FIFO, a folder) is not read: an Unknown that says why, so
        no secret of the machine reaches a report."""
        p = Path(path)
        if not p.is_absolute():
            p = self.tree.root_dir / p
        path = clipped(path)
        if not self.tree.inside(p):
            return Unreadable(f"file({path}) not read: outside the scanned tree (sseguard reads files of the "
                              "repository the scan is in only)", "keep the file inside the repository, or scan the "
                              "plan JSON")
        try:
            data = read_regular(p, MAX_READ_BYTES)
        except NotRegularFile as err:
            return Unreadable(f"file({path}) not read: {err.strerror}", "point it at a regular file")
        except OSError as err:
            raise EvalError(f"file({path}) cannot be read: {err.strerror or err}") from None
        if len(data) > MAX_READ_BYTES:
            return Unreadable(f"file({path}) not read: more than the {MAX_READ_BYTES:,} bytes sseguard reads",
                              "scan the plan JSON")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise EvalError(f"file({path}) is not UTF-8 text; Terraform's file() reads UTF-8 only") from None

    def _template_file(self, path: str, variables: Value) -> Value:
        if isinstance(variables, Unknown):
            return variables
        if not isinstance(variables, dict):
            raise EvalError("templatefile() needs a map of variables")
        text = self._read_file(path)
        if isinstance(text, Unknown):
            return text
        source = SourceFile(Path(path), path, text.encode())
        return evaluate_string_file(text, source, 1, self.evaluator, dict(variables))

    # variables and locals ---------------------------------------------------------------------------------------

    def variable(self, name: str) -> Value:
        return self._memo(self._vars, name, f"var.{name}", lambda: self._compute_variable(name))

    def _compute_variable(self, name: str) -> Value:
        block = self.module.variables.get(name)
        if block is None:
            return self.module.undeclared(f"var.{name}", f"declare variable {name!r}", self.tree.options)
        for source in self.variable_sources(name):
            if source.input is not None:
                where, raw = source.input
                return self._with_type(block, self._typed_input(block, name, raw, where))
            assert source.expr is not None
            value = source.instance.eval(source.expr, source.bindings)
            if value is not None or source.via == "default":
                return self._with_type(block, value)
        where = "the module call " + self.path if self.parent is not None else "this root module"
        resolve = (f"pass {name} = ... in module {self.call.labels[0]!r}" if self.parent is not None and self.call
                   else f"pass --var {name}=... or set it in a tfvars file (terraform.tfvars, *.auto.tfvars, "
                        "--var-file)")
        return Unknown(f"var.{name} has no value in {where}", resolve)

    def variable_sources(self, name: str) -> list[VariableSource]:
        """Where a declared variable may take its value, in Terraform's order: the module call's argument (a null
        argument falls through to the default) or the root module's inputs, then the declaration's default."""
        block = self.module.variables.get(name)
        if block is None:
            return []
        sources: list[VariableSource] = []
        if self.parent is not None and self.call is not None:
            attr = self.call.attr(name)
            if attr is not None:
                sources.append(VariableSource(self.parent, attr.expr, self.call_bindings,
                                              f"the argument {name} of module.{self.call.labels[0]}"))
        elif self.parent is None:
            given = self.root_inputs().get(name)
            if given is not None:
                expr = self._input_exprs.get(name)
                return [VariableSource(self, expr, {}, f"{given[0]}" if expr is not None else
                                       given[0].removeprefix("text:"), given)]
        default = block.attr("default")
        if default is not None:
            sources.append(VariableSource(self, default.expr, {}, "default"))
        return sources

    def _with_type(self, block: Block, value: Value) -> Value:
        """Terraform converts a variable's value to its type constraint. What changes a stream's settings: text
        given for a bool or number (``encrypt = "false"`` in a tfvars file is false), and the optional attributes
        of object types (one left out, or null, takes its default, or null)."""
        type_attr = block.attr("type")
        if type_attr is None or value is None or isinstance(value, Unknown | Computed):
            return value
        expr = type_attr.expr
        if expr.node is None:  # .tf.json: the type constraint is written as a string
            if not isinstance(expr.value, str):
                return value
            try:
                expr = parse_expression_text(expr.value, expr.file, expr.line)
            except HclSyntaxError:
                return value
        assert expr.node is not None
        return self._convert(expr.node, expr, value)

    def _convert(self, node: Any, expr: Expr, value: Value) -> Value:
        if value is None or isinstance(value, Unknown | Computed):
            return value
        call = _type_call(node, expr.src)
        if call is None:
            return _convert_primitive(expr.src[node.start_byte:node.end_byte].decode().strip(), value)
        kind, args = call
        if kind in ("list", "set", "map") and len(args) == 1:
            if isinstance(value, list):
                return [self._convert(args[0], expr, v) for v in value]
            if isinstance(value, dict) and kind == "map":
                return {k: self._convert(args[0], expr, v) for k, v in value.items()}
            return value
        if kind != "object" or len(args) != 1 or not isinstance(value, dict):
            return value
        out = dict(value)
        for attr_name, attr_type in _object_attributes(args[0], expr.src):
            optional = _type_call(attr_type, expr.src)
            if optional is not None and optional[0] == "optional" and optional[1]:
                if out.get(attr_name) is None:
                    default = optional[1][1] if len(optional[1]) > 1 else None
                    out[attr_name] = None if default is None else self.eval(
                        Expr(expr.file, expr.line, default, src=expr.src))
                attr_type = optional[1][0]
            if attr_name in out:
                out[attr_name] = self._convert(attr_type, expr, out[attr_name])
        return out

    def _typed_input(self, block: Block, name: str, raw: Value, where: str) -> Value:
        """Values from the command line and TF_VAR_ are text: parsed as HCL unless the variable is a string."""
        if not isinstance(raw, str) or not where.startswith("text:"):
            return raw
        type_attr = block.attr("type")
        type_text = type_attr.expr.text.strip() if type_attr is not None else "string"
        if type_text == "string":
            return raw
        try:
            expr = parse_expression_text(raw, SourceFile(Path(where), where, raw.encode()), 1)
        except HclSyntaxError:
            return raw
        return self.eval(expr)

    def root_inputs(self) -> dict[str, tuple[str, Value]]:
        """Variable values of the root module, by Terraform's precedence: environment, terraform.tfvars(.json),
        *.auto.tfvars(.json) in name order, --var-file, --var (later wins)."""
        if self._root_inputs is not None:
            return self._root_inputs
        out: dict[str, tuple[str, Value]] = {}
        opts = self.tree.options
        for key, value in opts.environ.items():
            if key.startswith("TF_VAR_"):
                out[key[7:]] = ("text:TF_VAR_" + key[7:], value)
        d = self.module.dir
        files = [d / "terraform.tfvars", d / "terraform.tfvars.json"]
        with contextlib.suppress(OSError):
            files += sorted(d / n for n in os.listdir(d) if n.endswith((".auto.tfvars", ".auto.tfvars.json")))
        for f in [*files, *opts.var_files]:
            if f.is_file():
                read, exprs = self._read_tfvars(f)
                for name in read:
                    self._input_exprs[name] = exprs.get(name)
                # a file scanned alone may use variables its siblings declare: nothing to say of those
                for name in sorted(set(read) - set(self.module.variables) if not self.module.partial else ()):
                    # Terraform warns and goes on: a value for a variable no one declared sets nothing
                    self.tree.notes.append(f"{read[name][0]} sets {name}, which {opts.display_path(d)} does not "
                                           "declare as a variable; the value is not used")
                out.update(read)
        for key, value in opts.variables.items():
            out[key] = ("text:--var " + key, value)
            self._input_exprs.pop(key, None)
        self._root_inputs = out
        return out

    def _read_tfvars(self, path: Path) -> tuple[dict[str, tuple[str, Value]], dict[str, Expr]]:
        """The values a variables file sets, and the expression each is written as (none when unreadable)."""
        display = self.tree.options.display_path(path)
        try:
            parsed = parse_file(path, self.tree.options)
        except HclSyntaxError as err:
            self.tree.error(display, str(err), err.line)
            try:
                with path.open("rb") as fh:
                    data = fh.read(1024 * 1024)
            except OSError:
                return {}, {}
            return _unreadable_values(data, path.name.endswith(".json"), display, err.line), {}
        if parsed.error_line is not None:
            self.tree.error(display, "syntax error in variables file", parsed.error_line)
            # Terraform reads none of the file; a value it meant to set must not silently fall back to a default
            return _unreadable_values(parsed.file.data, path.name.endswith(".json"), display, parsed.error_line), {}
        out: dict[str, tuple[str, Value]] = {}
        if parsed.blocks and not path.name.endswith(".json"):
            self.tree.error(display, "a variables file holds only NAME = VALUE lines; blocks ignored",
                            parsed.blocks[0].line)
        literal = Tree(self.tree.root_dir, self.tree.options, self.tree.modules)
        literal_ctx = ModuleInstance(literal, Module(path.parent), "", "")
        for name, attr in parsed.attributes.items():
            out[name] = (display, literal_ctx.eval(attr.expr))
        return out, {name: attr.expr for name, attr in parsed.attributes.items()}

    def local(self, name: str) -> Value:
        attr = self.module.locals.get(name)
        if attr is None:
            return self.module.undeclared(f"local.{name}", f"declare local {name!r}", self.tree.options)
        return self._memo(self._locals, name, f"local.{name}", lambda: self.eval(attr.expr))

    # expansion (count / for_each) ---------------------------------------------------------------------------

    def expand(self, block: Block) -> Expansion:
        """The instances a resource, data source or module call block creates."""
        if self.tree.decisions:
            return self._expand(block)
        cached = self._expansions.get(id(block))
        if cached is not None:
            return cached
        result = self._expand(block)
        self._expansions[id(block)] = result
        return result

    def _expand(self, block: Block) -> Expansion:
        count = block.attr("count")
        for_each = block.attr("for_each")
        if count is not None:
            n = self.eval(count.expr)
            if isinstance(n, Unknown | Computed):
                return Expansion([(None, {"count": {"index": Unknown("count.index: the count is not known")}})],
                                 _unknown_meta("count", count.expr, n))
            if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 0 or n != int(n):
                shown = type_name(n) if not isinstance(n, int | float) or isinstance(n, bool) else n
                return Expansion([], Unknown(f"count = {count.expr.shown} is not a whole number ({shown})"))
            if n > MAX_INSTANCES:
                return Expansion([], _too_many("count", count.expr, int(n)))
            return Expansion([(i, {"count": {"index": i}}) for i in range(int(n))])
        if for_each is not None:
            coll = self.eval(for_each.expr)
            if isinstance(coll, Unknown | Computed):
                each = {"key": Unknown("each.key: for_each is not known"),
                        "value": Unknown("each.value: for_each is not known")}
                return Expansion([(None, {"each": each})], _unknown_meta("for_each", for_each.expr, coll))
            if isinstance(coll, dict | list) and len(coll) > MAX_INSTANCES:
                return Expansion([], _too_many("for_each", for_each.expr, len(coll)))
            if isinstance(coll, dict):
                return Expansion([(k, {"each": {"key": k, "value": v}}) for k, v in sorted(coll.items())])
            if isinstance(coll, list):
                keys: list[str] = []
                for v in coll:
                    try:
                        text = to_text(v) if v is not None else None
                    except EvalError:  # a list or object: Terraform takes sets of strings only
                        text = None
                    if not isinstance(text, str):
                        return Expansion([], Unknown(f"for_each = {for_each.expr.shown} holds a value that is not a "
                                                     "known string"))
                    keys.append(text)
                return Expansion([(k, {"each": {"key": k, "value": k}}) for k in sorted(set(keys))])
            return Expansion([], Unknown(f"for_each = {for_each.expr.shown} is a {type_name(coll)}, not a map or set"))
        return Expansion([(None, {})])

    # modules ---------------------------------------------------------------------------------------------------

    def child(self, name: str, key: str | int | None) -> ModuleInstance | Unknown:
        """The instance ``module.name[key]`` of this module, loaded from disk if its source is there."""
        token = (name, key)
        if self.tree.decisions:
            return self._load_child(name, key)
        if token in self._children:
            return self._children[token]
        result = self._load_child(name, key)
        self._children[token] = result
        return result

    def _load_child(self, name: str, key: str | int | None) -> ModuleInstance | Unknown:
        call = self.module.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not declared in {self.tree.options.display_path(self.module.dir)}")
        src_attr = call.attr("source")
        source = self.eval(src_attr.expr) if src_attr is not None else None
        if not isinstance(source, str):
            return Unknown(f"module.{name} has no literal source")
        call_key = f"{self.call_key}.{name}" if self.call_key else name
        directory: Path | None = None
        try:
            if local_source(source):
                directory = (self.module.dir / source).resolve()
            elif call_key in self.tree.downloaded:
                directory = self.tree.downloaded[call_key]
            on_disk = directory is not None and directory.is_dir()
        except (OSError, RuntimeError) as err:  # a name too long for the system, a link loop
            why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            return Unknown(f"module.{name} (source {_shown(source)}) cannot be read: {why}",
                           "correct the module's source")
        if directory is None or not on_disk:
            how = NOT_DOWNLOADED if not local_source(source) else "the folder does not exist"
            return Unknown(f"module.{name} (source {_shown(source)}) is not on disk", how)
        if local_source(source) and not self.tree.inside(directory):
            return Unknown(f"module.{name} (source {_shown(source)}) is outside the repository the scan is in: not "
                           "read", "scan from the repository that holds the module")
        here: ModuleInstance | None = self
        while here is not None:  # a folder that calls itself, directly or not, would nest without end
            if here.module.dir.resolve() == directory.resolve():
                shown = self.tree.options.display_path(directory)
                return Unknown(f"module.{name} calls {shown}, which is already on its call path (a module cycle)",
                               "break the cycle of module sources")
            here = here.parent
        if self.depth >= MAX_MODULE_DEPTH:
            return Unknown(f"module.{name}: modules nested more than {MAX_MODULE_DEPTH} deep (a call cycle?)")
        bindings = {}
        for k, b in self.expand(call).instances:
            if k == key:
                bindings = b
        path = f"{self.path}.module.{name}{instance_key(key)}" if self.path else f"module.{name}{instance_key(key)}"
        return ModuleInstance(self.tree, self.tree.module(directory), path, call_key, self, call, bindings)

    def children(self) -> Iterator[tuple[str, Block, Expansion]]:
        for name, call in sorted(self.module.calls.items()):
            yield name, call, self.expand(call)

    # providers ---------------------------------------------------------------------------------------------

    def provider_region(self, provider_key: str) -> str | OutOfReach:
        """The region of provider ``aws`` or ``aws.alias`` as seen from this module instance."""
        if provider_key in self._regions:
            return self._regions[provider_key]
        region = self._provider_region(provider_key)
        self._regions[provider_key] = region
        return region

    def _provider_region(self, provider_key: str) -> str | OutOfReach:
        for block in self.module.providers:
            alias_attr = block.attr("alias")
            alias = self.eval(alias_attr.expr) if alias_attr is not None else None
            key = f"{block.labels[0]}.{alias}" if alias else block.labels[0]
            if key != provider_key:
                continue
            attr = block.attr("region")
            if attr is None:
                break
            value = self.eval(attr.expr)
            if isinstance(value, str):
                return value
            if isinstance(value, Unknown):
                return OutOfReach(f"the region of provider {key} cannot be resolved: {value.reason}")
            return OutOfReach(f"the region of provider {key} is not a known string ({attr.expr.shown})")
        if self.parent is not None and self.call is not None:
            mapping = self.call.attr("providers")
            if mapping is not None and mapping.expr.node is not None:
                target = _provider_map(mapping.expr).get(provider_key)
                if target is not None:
                    return self.parent.provider_region(target)
            elif mapping is not None and isinstance(mapping.expr.value, dict):
                target = mapping.expr.value.get(provider_key)
                if isinstance(target, str):
                    return self.parent.provider_region(target)
            if "." not in provider_key:
                return self.parent.provider_region(provider_key)
        if self.tree.options.region:
            return self.tree.options.region
        return OutOfReach(f"provider {provider_key} names no region: pass --region")


_TFVARS_NAME = re.compile(rb"^([A-Za-z_][\w-]*)[ \t]*=", re.M)
_TFVARS_JSON_NAME = re.compile(rb'"([A-Za-z_][\w-]*)"\s*:')


def _unreadable_values(data: bytes, is_json: bool, display: str, line: int | None) -> dict[str, tuple[str, Value]]:
    """The variables a variables file that cannot be read seems to set, each an Unknown naming the file."""
    where = f"{display}:{line}" if line else display
    names = {m.group(1).decode() for m in (_TFVARS_JSON_NAME if is_json else _TFVARS_NAME).finditer(data)}
    return {name: (display, Unknown(f"var.{name} is set in {display}, which cannot be read (error at {where})",
                                    f"fix {display}")) for name in sorted(names)}


def _convert_primitive(kind: str, value: Value) -> Value:
    """Terraform's conversions to a primitive type: ``"true"``/``"false"`` to a bool, numeric text to a number,
    a bool or number to text. A value that does not convert is kept, and the expression using it says so."""
    if kind == "bool" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if kind == "number" and isinstance(value, str):
        try:
            return parse_number(value)
        except EvalError:
            return value  # not Terraform number syntax ("inf", "1e400", "0x10"): whatever uses it says why
    if kind == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "string" and isinstance(value, int | float):
        return str(value)
    return value


def _type_call(node: Any, src: bytes) -> tuple[str, list[Any]] | None:
    """``object({...})``, ``list(T)``, ``optional(T, d)``... as (name, argument expression nodes); None otherwise."""
    while node.type == "expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "function_call" or node.named_child_count == 0:
        return None
    name = src[node.named_children[0].start_byte:node.named_children[0].end_byte].decode()
    args = [a for c in node.named_children if c.type == "function_arguments" for a in c.named_children
            if a.type == "expression"]
    return name, args


def _object_attributes(node: Any, src: bytes) -> list[tuple[str, Any]]:
    """The (name, type node) pairs of an object type's ``{ name = type, ... }`` argument."""
    out: list[tuple[str, Any]] = []
    stack = [node]
    while stack:
        here = stack.pop()
        if here.type == "object_elem":
            key, val = here.child_by_field_name("key"), here.child_by_field_name("val")
            if key is not None and val is not None:
                out.append((src[key.start_byte:key.end_byte].decode().strip().strip('"'), val))
        elif here.type in ("expression", "collection_value", "object"):
            stack.extend(reversed(here.named_children))
    return out


def _provider_map(expr: Expr) -> dict[str, str]:
    """``providers = { aws = aws.west, "aws.east" = aws.east }`` read as text (provider references are not values)."""
    node = expr.node
    out: dict[str, str] = {}
    if node is None:
        return out
    src = expr.src

    def walk(n: Any) -> Iterator[Any]:
        yield n
        for c in n.children:
            yield from walk(c)

    for elem in walk(node):
        if elem.type == "object_elem":
            k = elem.child_by_field_name("key")
            v = elem.child_by_field_name("val")
            if k is not None and v is not None:
                key = src[k.start_byte:k.end_byte].decode().strip().strip('"')
                out[key] = src[v.start_byte:v.end_byte].decode().strip()
    return out


def _too_many(kind: str, expr: Expr, count: int) -> Unknown:
    return Unknown(f"{kind} = {expr.shown} gives {count:,} instances: too many instances to expand (sseguard expands "
                   f"at most {MAX_INSTANCES:,} of one resource or module call)",
                   "scan the plan JSON, which lists every instance")


def _shown(text: str) -> str:
    """An expression's text for a message: quoted, and cut when long (a whole heredoc is not a message)."""
    return repr(text if len(text) <= 120 else text[:117] + "...")


def _unknown_meta(kind: str, expr: Expr, value: Value) -> Unknown:
    if isinstance(value, Unknown):
        return Unknown(f"{kind} = {expr.shown} cannot be resolved: {value.reason}", value.resolve)
    return Unknown(f"{kind} = {expr.shown} is only known after apply", "scan the plan JSON")


class ResourceHandle:
    """``aws_kms_key.k`` / ``data.aws_iam_policy_document.p`` (optionally ``[key]``) inside a module instance."""

    def __init__(self, inst: ModuleInstance, mode: str, rtype: str, name: str, key: str | int | None,
                 keyed: bool = False) -> None:
        self.inst = inst
        self.mode = mode
        self.type = rtype
        self.name = name
        self.key = key
        self.keyed = keyed
        table = inst.module.resources if mode == "managed" else inst.module.data
        self.block = table.get((rtype, name))

    def ref(self, attr: str | None) -> Ref:
        return Ref(self.inst.path, self.mode, self.type, self.name, self.key, attr, self.block is not None)

    def bindings(self) -> Bindings:
        if self.block is None:
            return {}
        for k, b in self.inst.expand(self.block).instances:
            if k == self.key or not self.keyed:
                return b
        return {}

    def get_attr(self, name: str) -> Value:
        if self.block is not None and name in _CONFIG_ATTRS.get(self.type, ()):
            why = self.block.defect
            if why is not None:
                return Unreadable(f"{self.ref(name)} cannot be read ({self.block.file.display}:{self.block.line}: "
                                  f"{why})", "fix the block (terraform validate shows the error)")
            attr = self.block.attr(name)
            if attr is not None:
                return self.inst.eval(attr.expr, self.bindings())
        return Computed.of(self.ref(name))

    def index(self, key: Value) -> Value:
        if isinstance(key, Unknown):
            return key
        if not isinstance(key, str | int) or isinstance(key, bool):
            return Computed.of(self.ref(None))
        return ResourceHandle(self.inst, self.mode, self.type, self.name, key, keyed=True)

    def whole(self) -> Value:
        if self.block is None:
            return Computed.of(self.ref(None))
        exp = self.inst.expand(self.block)
        if exp.unknown is not None:
            return exp.unknown
        if self.block.attr("count") is None and self.block.attr("for_each") is None:
            return [self]
        return [ResourceHandle(self.inst, self.mode, self.type, self.name, k, keyed=True) for k, _ in exp.instances]


# Attributes whose planned value is the configured one, so reading them from configuration is what Terraform does.
# Everything else (arn, id, key_id, json...) is only known after apply, or is computed by sseguard itself.
_CONFIG_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_kms_alias": ("name", "target_key_id"),
    "aws_kms_key": ("policy", "is_enabled", "description", "multi_region", "tags"),
    "aws_kinesis_stream": ("name", "encryption_type", "kms_key_id", "shard_count", "retention_period"),
    "aws_kms_key_policy": ("policy", "key_id"),
}


class ModuleHandle:
    """``module.name`` (optionally ``[key]``): reading an output evaluates it in the child instance."""

    def __init__(self, inst: ModuleInstance, name: str, key: str | int | None) -> None:
        self.inst = inst
        self.name = name
        self.key = key

    def get_attr(self, name: str) -> Value:
        child = self.inst.child(self.name, self.key)
        if isinstance(child, Unknown):
            return Unknown(f"module.{self.name}.{name}: {child.reason}", child.resolve)
        out = child.module.outputs.get(name)
        if out is None:
            return Unknown(f"module.{self.name} has no output {name!r}")
        value_attr = out.attr("value")
        if value_attr is None:
            return Unknown(f"output {name!r} of module.{self.name} has no value")
        return child.eval(value_attr.expr)

    def index(self, key: Value) -> Value:
        if isinstance(key, Unknown):
            return key
        if not isinstance(key, str | int) or isinstance(key, bool):
            return Unknown(f"module.{self.name}[...]: the key is not known")
        return ModuleHandle(self.inst, self.name, key)

    def whole(self) -> Value:
        return Unknown(f"module.{self.name} as a whole value is not evaluated by sseguard")


__all__ = ["Expansion", "ModuleHandle", "ModuleInstance", "ResourceHandle", "Tree", "instance_key"]
