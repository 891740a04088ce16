"""Terraform/OpenTofu source: HCL and .tf.json modules, evaluated as Terraform would, into the model."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.pool
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from sseguard.model import ErrorKind, InputError, ScannedInput, SourceKind, SourceResult
from sseguard.options import ScanOptions
from sseguard.sources.terraform.instance import NOT_DOWNLOADED, ModuleInstance, Tree
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
    result = SourceResult(declared={"var": set(root_module.variables)})
    inst.root_inputs()  # variables files are read (and their errors reported) whether or not a stream needs them
    imports = import_targets(inst)
    not_downloaded: list[str] = []
    for item in walk_instances(inst):
        if isinstance(item, tuple):
            parent, name, why = item
            call = parent.module.calls[name]
            if why.resolve == NOT_DOWNLOADED:
                not_downloaded.append(f"{call.file.display}:{call.line}: {why.reason}")
                continue
            tree.error(call.file.display, f"module.{name} not scanned: {why.reason}"
                       + (f" ({why.resolve})" if why.resolve else ""), call.line, ErrorKind.INCOMPLETE)
            continue
        result.streams.extend(streams_of(item, imports))
    for mod in tree.modules.values():
        result.errors.extend(mod.errors)
        result.inputs.extend(ScannedInput(SourceKind.TERRAFORM, f.display) for f in mod.files)
    if not_downloaded:
        result.errors.append(_not_downloaded(options.display_path(root), not_downloaded))
    result.errors.extend(tree.errors)
    result.notes.extend(tree.notes)
    return result


def _not_downloaded(root: str, calls: list[str]) -> InputError:
    """One error for every module call of a root whose source is a registry or repository not downloaded: a
    monorepo without terraform init has hundreds, and a line each would bury the errors that matter."""
    names = [c.split(": module.", 1)[1].split(" ", 1)[0] for c in calls]
    shown = ", ".join(dict.fromkeys(names[:_NAMED_CALLS])) + (", ..." if len(names) > _NAMED_CALLS else "")
    count = f"{len(calls)} module call{'s' if len(calls) != 1 else ''}"
    return InputError(root, f"{count} from a registry or repository {'are' if len(calls) != 1 else 'is'} not on disk "
                            f"({shown}): streams declared inside {'them' if len(calls) != 1 else 'it'} were not seen "
                            f"(run terraform init in {root})", None, ErrorKind.INCOMPLETE, tuple(calls))


_NAMED_CALLS = 5


def _scan_roots(args: tuple[list[Path], ScanOptions, bool]) -> SourceResult:
    roots, options, fast = args
    out = SourceResult()
    for root in roots:
        try:
            out.extend(_scan_root(root, options, fast=fast))
        except RecursionError:
            out.errors.append(InputError(options.display_path(root), "nested too deeply to read"))
        except Exception as err:  # a bug met in one root module costs that root only, never the others
            if os.environ.get("SSEGUARD_DEBUG"):
                raise
            out.errors.append(InputError(options.display_path(root), f"internal error while reading this root "
                                         f"module: {type(err).__name__}: {err} (please report it)"))
    return out


def _survey_part(dirs: list[Path]) -> tuple[set[Path], int]:
    return survey(dirs, keep=False)


def _fast(total: int, options: ScanOptions) -> bool:
    return total >= _FAST_BYTES and not options.full_parse


def _roots(wanted: list[Path], called: set[Path]) -> list[Path]:
    roots = [d for d in wanted if d not in called]
    return roots or wanted[:1]  # every folder calls another (a cycle): start from the first


def _leave_interrupts_to_the_parent() -> None:
    # Ctrl-C reaches every process of the terminal's group: a worker that took it would print its own traceback.
    # The parent stops the pool and says "interrupted" once. A worker starts with SIGINT blocked (see
    # _pool_of_two), so none can arrive before it is ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _pool_of_two() -> Iterator[multiprocessing.pool.Pool]:
    """Two worker processes that leave Ctrl-C to this one. SIGINT is held back while the pool starts: taken halfway,
    it would leave a started worker behind with no pool to stop it (an orphan holding the terminal's pipes)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = multiprocessing.get_context("fork").Pool(2, initializer=_leave_interrupts_to_the_parent)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back is raised here, and stops the pool
    with pool:
        yield pool


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
    with _pool_of_two() as pool:
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
    """A single .tf file is scanned alone, as a one-file module (the rest of its folder is not read); when its folder
    holds more configuration files, the result says so once."""
    module = load_module(path.parent, options, only=[path])
    result = _scan_root(path.parent, options, module)
    if module.partial:
        others = sum(1 for n in os.listdir(path.parent) if is_terraform_file(Path(n)) and n != path.name)
        folder = options.display_path(path.parent)
        result.notes.append(f"{options.display_path(path)} was scanned alone; its folder has {others} more .tf "
                            f"file{'s' if others != 1 else ''}: scan the folder ({folder}) for module context")
    return result
