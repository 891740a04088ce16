"""Terraform/OpenTofu source: HCL and .tf.json modules, evaluated as Terraform would, into the model."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from pathlib import Path

from sseguard.model import ScannedInput, SourceKind, SourceResult
from sseguard.options import ScanOptions
from sseguard.sources.terraform.instance import ModuleInstance, Tree
from sseguard.sources.terraform.loader import PREREAD, Module, is_terraform_file, load_module, survey
from sseguard.sources.terraform.streams import import_targets, streams_of, walk_instances

__all__ = ["is_terraform_file", "load_single_file", "load_tree"]

# From this many configuration files on, the tree is read by two processes (below it, one is faster).
_PARALLEL_FILES = 400
# From this much configuration text on, blocks are parsed only when a stream needs them (see hcl.parse_hcl).
_FAST_BYTES = 1024 * 1024


def _scan_root(root: Path, options: ScanOptions, module: Module | None = None, fast: bool = False) -> SourceResult:
    tree = Tree(root, options, fast=fast)
    if module is not None:
        tree.modules[root.resolve()] = module
    root_module = tree.module(root)
    inst = ModuleInstance(tree, root_module, "", "")
    result = SourceResult()
    imports = import_targets(inst)
    for item in walk_instances(inst):
        if isinstance(item, tuple):
            parent, name, why = item
            call = parent.module.calls[name]
            tree.error(call.file.display, f"module.{name} not scanned: {why.reason}"
                       + (f" ({why.resolve})" if why.resolve else ""), call.line)
            continue
        result.streams.extend(streams_of(item, imports))
    for mod in tree.modules.values():
        result.errors.extend(mod.errors)
        result.inputs.extend(ScannedInput(SourceKind.TERRAFORM, f.display) for f in mod.files)
    result.errors.extend(tree.errors)
    return result


def _scan_roots(args: tuple[list[Path], ScanOptions, bool]) -> SourceResult:
    roots, options, fast = args
    out = SourceResult()
    for root in roots:
        out.extend(_scan_root(root, options, fast=fast))
    return out


def _survey_part(dirs: list[Path]) -> tuple[set[Path], int]:
    return survey(dirs, keep=False)


def _fast(total: int, options: ScanOptions) -> bool:
    return total >= _FAST_BYTES and not options.full_parse


def _roots(wanted: list[Path], called: set[Path]) -> list[Path]:
    roots = [d for d in wanted if d not in called]
    return roots or wanted[:1]  # every folder calls another (a cycle): start from the first


def load_tree(dirs: list[Path], options: ScanOptions) -> SourceResult:
    """Judge-ready streams of every root module among ``dirs`` (folders holding .tf files).

    A folder another folder calls by local source is scanned through its caller (with its arguments and address);
    every other folder is a root module. A large tree is read by two processes: both first survey half of the
    folders for module calls, then each scans half of the root modules.
    """
    wanted = [d.resolve() for d in dirs]
    files = 0
    for d in wanted:
        with contextlib.suppress(OSError):
            files += sum(1 for n in os.listdir(d) if n.endswith((".tf", ".tf.json")))
    if files < _PARALLEL_FILES or len(wanted) < 2 or (os.cpu_count() or 1) < 2:
        try:
            called, total = survey(wanted, keep=True)
            return _scan_roots((_roots(wanted, called), options, _fast(total, options)))
        finally:
            PREREAD.clear()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        called = set()
        total = 0
        for part_called, part_total in pool.map(_survey_part, [wanted[0::2], wanted[1::2]]):
            called |= part_called
            total += part_total
        roots = _roots(wanted, called)
        half = (len(roots) + 1) // 2
        fast = _fast(total, options)
        result = SourceResult()
        for part in pool.map(_scan_roots, [(roots[:half], options, fast), (roots[half:], options, fast)]):
            result.extend(part)
        return result


def load_single_file(path: Path, options: ScanOptions) -> SourceResult:
    """A single .tf file is scanned alone, as a one-file module (the rest of its folder is not read)."""
    return _scan_root(path.parent, options, load_module(path.parent, options, only=[path]))
