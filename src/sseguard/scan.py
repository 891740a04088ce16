"""Run a scan: find the inputs under the given paths, adapt each through its source, judge every stream."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

from sseguard.control import evaluate
from sseguard.exclude import excluded
from sseguard.files import is_file, path_problem, read_regular
from sseguard.model import ErrorKind, Finding, InputError, SourceResult, Stream
from sseguard.options import ScanOptions, boundary_of, printable
from sseguard.report.core import Report
from sseguard.sources import file_sources, terraform
from sseguard.sources.file_source import NotThisKind
from sseguard.suppressions import apply

_DATA_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_HEAD_BYTES = 4096


def judge(streams: Iterable[Stream], options: ScanOptions) -> list[Finding]:
    """Evaluate every stream and apply its suppressions, in a stable order (file, line, address)."""
    findings = [
        apply(s, evaluate(s, strict_key_policy=options.strict_key_policy), options.today) for s in streams
    ]
    findings.sort(key=lambda f: (f.stream.location.path or "", f.stream.location.line or 0, f.stream.address))
    return findings


def scan_paths(paths: Iterable[Path], options: ScanOptions) -> Report:
    """Scan files and folders as ``sseguard scan`` does and return the report.

    Every file is read once, however it is reached: a path named twice, a file and its folder, or a folder
    through a symlink all give one finding per stream.
    """
    paths = list(paths)
    checked = [(path, path_problem(path)) for path in paths]
    if not options.boundaries:
        present = [path for path, why in checked if why is None]
        options = replace(options, boundaries=tuple(dict.fromkeys(boundary_of(p) for p in present)))
    result = SourceResult()
    tf_dirs: list[Path] = []
    tf_files: list[Path] = []
    data_files: dict[str, tuple[Path, bool]] = {}  # real path -> (file, named on the command line)
    seen_dirs: set[str] = set()
    for path, why in checked:
        if why is not None:
            # a path that is not there is a mistake in the command (a typo, a job run from the wrong folder)
            result.errors.append(InputError(printable(str(path)), why, kind=ErrorKind.USAGE))
        elif path.is_dir():
            _discover(path, tf_dirs, data_files, seen_dirs, result, options)
        elif terraform.is_terraform_file(path):
            tf_files.append(path)
        else:
            data_files[os.path.realpath(path)] = (path, True)
    if tf_dirs:
        result.extend(_guarded(partial(terraform.load_tree, tf_dirs, options), "the Terraform modules"))
    for file in _unique_files(tf_files, seen_dirs):
        result.extend(_guarded(partial(terraform.load_single_file, file, options), options.display_path(file)))
    for file, explicit in data_files.values():
        result.extend(_guarded(partial(_load_data_file, file, explicit, options), options.display_path(file)))
    result.errors.extend(_undeclared_values(options, result))
    named = tuple(options.display_path(p) for p in [*paths, *options.var_files] if is_file(p))
    return Report(judge(result.streams, options), result.inputs, result.errors, notes=result.notes, named=named)


def _undeclared_values(options: ScanOptions, result: SourceResult) -> list[InputError]:
    """A --var no root module scanned declares, or a --parameter no template declares, is a mistake in the command
    (Terraform and CloudFormation reject both): it would set nothing, and the user believes it did."""
    errors = []
    for option, given, kind, what in (("--var", options.variables, "var", "variable"),
                                      ("--parameter", options.parameters, "parameter", "parameter")):
        declared = result.declared.get(kind, set())
        holder = "root module" if kind == "var" else "template"
        for name in sorted(set(given) - declared):
            errors.append(InputError(f"{option} {printable(name)}", f"no {holder} scanned declares the {what} "
                                     f"{printable(name)!r}; a value for an undeclared {what} is rejected",
                                     kind=ErrorKind.USAGE))
    return errors


def _unique_files(files: list[Path], module_dirs: set[str]) -> list[Path]:
    """Terraform files named on their own, less repeats and those whose folder is already scanned whole."""
    unique: dict[str, Path] = {}
    for file in files:
        real = os.path.realpath(file)
        if os.path.dirname(real) not in module_dirs:
            unique.setdefault(real, file)
    return list(unique.values())


def _guarded(load: Callable[[], SourceResult], what: str) -> SourceResult:
    """Run one source; a bug in it becomes an error line for that input, and the other inputs are still scanned."""
    try:
        return load()
    except RecursionError:
        return SourceResult(errors=[InputError(what, "nested too deeply to read")])
    except Exception as err:
        if os.environ.get("SSEGUARD_DEBUG"):
            raise
        return SourceResult(errors=[InputError(what, f"internal error while reading: {type(err).__name__}: {err} "
                                                     "(please report it)")])


def _discover(
    root: Path,
    tf_dirs: list[Path],
    data_files: dict[str, tuple[Path, bool]],
    seen: set[str],
    result: SourceResult,
    options: ScanOptions,
) -> None:
    """Walk a folder: every folder holding .tf files is a module; other data files are sniffed later.

    Symlinked folders are followed once (by real path), so a link loop ends, and only while they stay in the
    repository the scan is in: a link to /proc or a home folder is not walked, and the scan says so. Hidden
    folders and the ``.terraform`` cache are skipped (the Terraform source reads module copies from it on its own).
    ``seen`` holds the real paths of folders already walked, across every root named on the command line.
    """

    def on_error(err: OSError) -> None:
        result.errors.append(InputError(printable(str(err.filename or root)), f"cannot read folder: {err.strerror}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not _skipped(root, here / d, options)
                             and _may_follow(here / d, options, result))
        has_tf = False
        for name in sorted(filenames):
            file = here / name
            if _skipped(root, file, options):
                continue
            if terraform.is_terraform_file(file):
                has_tf = True  # the module's loader reads its files, and refuses links leading out on its own
            elif name.lower().endswith(_DATA_SUFFIXES) and not name.startswith(".") and \
                    _may_follow(file, options, result):
                data_files.setdefault(os.path.realpath(file), (file, False))
        if has_tf:
            tf_dirs.append(here)


def _skipped(root: Path, path: Path, options: ScanOptions) -> bool:
    """Whether --exclude skips a path of a folder walk (matched relative to the folder named on the command line)."""
    if not options.exclude:
        return False
    return excluded(os.path.relpath(path, root).replace(os.sep, "/"), options.exclude)


def _may_follow(path: Path, options: ScanOptions, result: SourceResult) -> bool:
    """Whether a folder walk may go into ``path``: anything but a link leading outside the scan's repository."""
    if not path.is_symlink() or options.inside(path):
        return True
    target = printable(os.path.realpath(path))
    result.notes.append(f"{options.display_path(path)}: a link to {target}, outside the repository the scan is in; "
                        "not followed")
    return False


def _load_data_file(path: Path, explicit: bool, options: ScanOptions) -> SourceResult:
    """Read one data file through the first source that takes it.

    A file no source takes is not an input. That is no error in a folder scan, where a folder holds all kinds of
    data files (package.json, CI configs, API examples that mention a stream); named on the command line it is, so
    the user hears that nothing was judged, and why when a source looked at it closely (``NotThisKind``).
    """

    shown = options.display_path(path)
    try:
        head = read_regular(path, _HEAD_BYTES)[:_HEAD_BYTES]  # a FIFO or device is refused before it is opened
    except OSError as err:
        return SourceResult(errors=[InputError(shown, f"cannot read: {err.strerror or err}")])
    refusal: NotThisKind | None = None
    for source in file_sources():
        if source.sniff(path, head):
            try:
                loaded: SourceResult = source.load(path, options)
            except NotThisKind as err:
                refusal = refusal or err
                continue
            return loaded
    if not explicit:
        return SourceResult()
    if refusal is not None:
        return SourceResult(errors=[InputError(shown, refusal.message, refusal.line)])
    return SourceResult(errors=[InputError(shown, "not a Terraform, plan, state, CloudFormation or "
                                                  "describe-stream file")])
