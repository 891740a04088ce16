"""What a user can tell a scan, shared by every source."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class ScanOptions:
    """Options every source may read. ``base`` is the folder report paths are made relative to."""

    variables: dict[str, str] = field(default_factory=dict)  # --var NAME=VALUE (raw text, HCL-parsed later)
    var_files: tuple[Path, ...] = ()  # --var-file
    parameters: dict[str, str] = field(default_factory=dict)  # --parameter NAME=VALUE (CloudFormation)
    region: str | None = None  # --region: the region of a provider that names none
    strict_key_policy: bool = False
    # Parse every Terraform file whole even in a large tree, so every syntax error is reported (slower).
    full_parse: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    base: Path = field(default_factory=Path.cwd)
    environ: dict[str, str] = field(default_factory=dict)  # TF_VAR_* and friends
    # Real paths of the folders the scan may read files from (file(), module sources, folder links): the git
    # checkout each scanned path is in, else the scanned path itself. Empty: the scanned folder alone.
    boundaries: tuple[str, ...] = ()
    # --exclude: globs of paths a folder scan skips, relative to the scanned folder (see ``exclude.py``).
    exclude: tuple[str, ...] = ()

    def inside(self, path: Path | str, fallback: Path | None = None) -> bool:
        """Whether ``path`` (symlinks resolved) lies within the scan's boundaries (``fallback`` when none are
        set)."""
        real = os.path.realpath(path)
        roots = self.boundaries or ((os.path.realpath(fallback),) if fallback is not None else ())
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)

    @cached_property
    def _base_prefix(self) -> str:
        return os.path.abspath(self.base) + os.sep

    def display_path(self, path: Path) -> str:
        """A path as reports show it: relative to ``base`` when inside it, else absolute (symlinks kept as
        given, so a path reads as the user wrote it)."""
        full = os.path.abspath(path)
        prefix = self._base_prefix
        if full + os.sep == prefix:
            return "."
        shown = full[len(prefix):] if full.startswith(prefix) else full
        return printable(shown.replace(os.sep, "/"))


def boundary_of(path: Path) -> str:
    """The folder a scan of ``path`` may read from: the top of the git checkout it is in (a module source or a
    policy file elsewhere in the same repository is normal in a monorepo), else the path itself (a file's folder)."""
    real = os.path.realpath(path)
    start = real if os.path.isdir(real) else os.path.dirname(real)
    here = start
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return start
        here = parent


def printable(name: str) -> str:
    """A file name as text every report format can hold.

    On POSIX a name is bytes; Python hands the bytes that are not UTF-8 over as lone surrogates, which JSON and
    SARIF writers cannot encode. They are shown as ``\\xNN`` escapes, so the name stays recognisable.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
