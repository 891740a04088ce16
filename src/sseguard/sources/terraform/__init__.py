"""Terraform/OpenTofu source: HCL and .tf.json modules, evaluated as Terraform would, into the model."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from sseguard.model import ScannedInput, SourceKind, SourceResult
from sseguard.options import ScanOptions
from sseguard.sources.terraform.instance import ModuleInstance, Tree
from sseguard.sources.terraform.loader import Module, called_dirs, is_terraform_file, load_module
from sseguard.sources.terraform.streams import import_targets, streams_of, walk_instances

__all__ = ["is_terraform_file", "load_single_file", "load_tree"]

# Below this much configuration text one process is faster than starting a second.
_PARALLEL_BYTES = 2 * 1024 * 1024


def _scan_root(root: Path, options: ScanOptions, module: Module | None = None) -> SourceResult:
    tree = Tree(root, options)
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


def _scan_roots(args: tuple[list[Path], ScanOptions]) -> SourceResult:
    roots, options = args
    out = SourceResult()
    for root in roots:
        out.extend(_scan_root(root, options))
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
    total = 0
    for d in roots:
        try:
            total += sum(e.stat().st_size for e in os.scandir(d) if e.name.endswith((".tf", ".tf.json")))
        except OSError:
            continue
    workers = min(2, os.cpu_count() or 1, len(roots))
    if workers < 2 or total < _PARALLEL_BYTES:
        return _scan_roots((roots, options))
    half = (len(roots) + 1) // 2
    groups = [roots[:half], roots[half:]]
    ctx = multiprocessing.get_context("fork")
    result = SourceResult()
    with ctx.Pool(workers) as pool:
        for part in pool.map(_scan_roots, [(g, options) for g in groups]):
            result.extend(part)
    return result


def load_single_file(path: Path, options: ScanOptions) -> SourceResult:
    """A single .tf file is scanned alone, as a one-file module (the rest of its folder is not read)."""
    return _scan_root(path.parent, options, load_module(path.parent, options, only=[path]))
