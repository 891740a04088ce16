"""Planning a fix, proving it in memory, and writing it.

Every edited file is scanned again in memory (the edited bytes stand in for the files on disk) before anything is
written: a targeted stream that does not then pass, or a stream that passed and no longer does, keeps its files
unwritten and says why. Writes are atomic (a temporary file renamed over the old one, its mode kept), and a file
that changed on disk since it was read is not written.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sseguard.files import overlaid, read_regular
from sseguard.fix.edits import EditConflict, apply_edits
from sseguard.fix.plan import MAX_FILE_BYTES, StreamFix, plan
from sseguard.model import Finding, Status
from sseguard.options import ScanOptions
from sseguard.report import Report
from sseguard.scan import scan_paths

# Rounds of proving: a refused fix takes its files out, and the rest is proved again without them.
MAX_ROUNDS = 4


@dataclass
class FixRun:
    """A fix planned and proved: each stream's part, the files as read, and the files as they would be written."""

    report: Report
    fixes: list[StreamFix]
    original: dict[str, bytes]
    edited: dict[str, bytes] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    not_written: dict[str, str] = field(default_factory=dict)

    @property
    def fixed(self) -> list[StreamFix]:
        return [f for f in self.fixes if f.edits and not f.refused]

    @property
    def unfixed(self) -> list[StreamFix]:
        return [f for f in self.fixes if not f.edits or f.refused]


def prepare(paths: list[Path], options: ScanOptions, key: str | None = None,
            codes: frozenset[str] | None = None, key_policy: bool = False) -> FixRun:
    """Scan, plan the fix of every selected failing stream, and prove the edits by scanning them in memory."""
    report = scan_paths(paths, options)
    fixes, original = plan(report.findings, options, key, codes, key_policy)
    run = FixRun(report, fixes, original)
    for _ in range(MAX_ROUNDS):
        run.edited = _edited(run)
        if not run.edited or not _refuse_unproven(run, paths, options):
            break
    return run


def _edited(run: FixRun) -> dict[str, bytes]:
    by_file: dict[str, list[StreamFix]] = {}
    for fix in run.fixed:
        for edit in fix.edits:
            by_file.setdefault(edit.path, []).append(fix)
    out: dict[str, bytes] = {}
    for path, fixes in by_file.items():
        edits = [e for f in fixes for e in f.edits if e.path == path]
        try:
            out[path] = apply_edits(run.original[path], edits)
        except EditConflict as err:
            _refuse(fixes, f"its edits of {path} collide with another stream's ({err}); fix one at a time with "
                           "--code, or by hand")
            return _edited(run)
    return out


def _refuse_unproven(run: FixRun, paths: list[Path], options: ScanOptions) -> bool:
    """Scan with the edits in memory; refuse the fixes whose stream would not pass, and those sharing a file with
    a stream that would stop passing. True when anything was refused."""
    with overlaid(run.edited):
        after = scan_paths(paths, options)
    now = {_identity(f): f for f in after.findings}
    refused = False
    for fix in run.fixed:
        result = now.get(_identity(fix.finding))
        if result is None or result.status is not Status.PASS:
            shown = (f"{result.status.value} {result.verdict.code}: {result.verdict.message}" if result is not None
                     else "gone from the scan")
            _refuse([fix], f"after the edit the stream would be {shown}; not written")
            refused = True
    broken = [f for f in run.report.findings if f.status is Status.PASS
              and (g := now.get(_identity(f))) is not None and g.status is not Status.PASS]
    if broken:
        names = ", ".join(f.stream.address for f in broken[:3])
        for fix in run.fixed:
            _refuse([fix], f"the edits would make streams that pass today stop passing ({names}); not written")
        refused = True
    return refused


def _refuse(fixes: Iterable[StreamFix], why: str) -> None:
    for fix in fixes:
        fix.refused = why
        fix.edits = []


def _identity(finding: Finding) -> tuple[str, str | None, str | None, str]:
    loc = finding.stream.location
    return finding.stream.address, loc.path, loc.root, loc.kind.value


def write(run: FixRun) -> None:
    """Write every proved file, unless it changed on disk since it was read."""
    for path, data in sorted(run.edited.items()):
        try:
            current = read_regular(path, MAX_FILE_BYTES)
        except OSError as err:
            run.not_written[path] = f"cannot be read again: {err.strerror or err}"
            continue
        if current != run.original[path]:
            run.not_written[path] = "changed on disk since sseguard read it; run sseguard fix again"
            continue
        try:
            _atomic_write(Path(path), data)
        except OSError as err:
            run.not_written[path] = f"cannot be written: {err.strerror or err}"
            continue
        run.written.append(path)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, renamed over the old one, with the old file's mode."""
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".sseguard-fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def unified_diff(run: FixRun, base: str) -> str:
    """The edits as one unified diff, paths relative to ``base`` and written ``./path``, which ``git apply`` (run
    from that folder, at the repository's top) and ``patch -p0`` both accept."""
    out: list[str] = []
    for path in sorted(run.edited):
        shown = "./" + os.path.relpath(path, base).replace(os.sep, "/")
        old = run.original[path].decode("utf-8").splitlines(keepends=True)
        new = run.edited[path].decode("utf-8").splitlines(keepends=True)
        for line in difflib.unified_diff(old, new, shown, shown):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
