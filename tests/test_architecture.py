"""The shape of the code, checked from its source (issue 15): the import graph has no cycles (imports inside
functions and under TYPE_CHECKING included), no source imports the judge, and the judge does no I/O."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "sseguard"


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name, for its __init__)."""
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, text: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The package's modules ``name`` imports anywhere in its text: ``from a.b import c`` is a.b.c when c is a
    module, else a.b."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: {m for m in imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known)
                   if m in known and m != name}
            for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycles() -> None:
    assert cycles(graph()) == []


def test_no_source_imports_the_judge() -> None:
    offenders = {name: sorted(m for m in targets if m.startswith("sseguard.control"))
                 for name, targets in graph().items() if name.startswith("sseguard.sources")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_judge_and_the_model_do_no_io() -> None:
    # the decision function is pure: it imports nothing that reads files, the network or the clock
    pure = ("sseguard.control", "sseguard.model", "sseguard.kms", "sseguard.keypolicy")
    impure = {"os", "io", "pathlib", "subprocess", "socket", "sqlite3", "time", "datetime", "boto3", "botocore"}
    for name, path in modules().items():
        if not name.startswith(pure):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
        used |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not used & impure, f"{name} imports {sorted(used & impure)}"


def test_the_checker_finds_a_cycle_and_a_forbidden_import() -> None:
    # the checks above can fail: a cycle of two modules and a source importing the judge are found
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    known = {"sseguard.sources.x", "sseguard.control.evaluate", "sseguard.control", "sseguard.model"}
    text = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..model import Key\n"
            "def f():\n    from sseguard.control import evaluate\n")
    assert list(imports_of("sseguard.sources.x", text, False, known)) == ["sseguard.model", "sseguard.control.evaluate"]
