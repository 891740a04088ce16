"""Terraform/OpenTofu source: HCL and .tf.json modules, evaluated as Terraform would, into the model."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from sseguard.model import ScannedInput, SourceKind, SourceResult
from sseguard.options import ScanOptions
from sseguard.sources.terraform.instance import ModuleInstance, Tree
from sseguard.sources.terraform.loader import PREREAD, Module, called_dirs, is_terraform_file, load_module
from sseguard.sources.terraform.streams import import_targets, streams_of, walk_instances

__all__ = ["is_terraform_file", "load_single_file", "load_tree"]

# Below this much configuration text one process is faster than starting a second.
_PARALLEL_BYTES = 1024 * 1024
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


def load_tree(dirs: list[Path], options: ScanOptions) -> SourceResult:
    """Judge-ready streams of every root module among ``dirs`` (folders holding .tf files).

    A folder another folder calls by local source is scanned through its caller (with its arguments and address);
    every other folder is a root module. Many roots are split over two processes when there is enough to read.
    """
    wanted = [d.resolve() for d in dirs]
    called: set[Path] = set()
    for d in wanted:
        called |= {c for c in called_dirs(d) if c != d}
    roots = [d for d in wanted if d not in called]
    if not roots and wanted:  # every folder calls another (a cycle): start from the first
        roots = wanted[:1]
    total = sum(len(data) for data in PREREAD.values())
    fast = total >= _FAST_BYTES
    try:
        workers = min(2, os.cpu_count() or 1, len(roots))
        if workers < 2 or total < _PARALLEL_BYTES:
            return _scan_roots((roots, options, fast))
        half = (len(roots) + 1) // 2
        ctx = multiprocessing.get_context("fork")
        result = SourceResult()
        with ctx.Pool(workers) as pool:
            for part in pool.map(_scan_roots, [(roots[:half], options, fast), (roots[half:], options, fast)]):
                result.extend(part)
        return result
    finally:
        PREREAD.clear()


def load_single_file(path: Path, options: ScanOptions) -> SourceResult:
    """A single .tf file is scanned alone, as a one-file module (the rest of its folder is not read)."""
    return _scan_root(path.parent, options, load_module(path.parent, options, only=[path]))
