"""Source adapters: each turns one kind of input into the model. Nothing here judges a stream.

A file source is a module with ``KIND``, ``sniff(path, head) -> bool`` (is this file mine? ``head`` is the first
bytes) and ``load(path, options) -> SourceResult``. Terraform folders are handled by ``sources.terraform``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Protocol

from sseguard.model import SourceKind, SourceResult
from sseguard.options import ScanOptions


class FileSource(Protocol):
    KIND: SourceKind

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def load(self, path: Path, options: ScanOptions) -> SourceResult: ...


def file_sources() -> list[ModuleType]:
    """The file sources in the order they are asked; the first whose ``sniff`` says yes reads the file.

    Imported here, not at the top, so a Terraform-only scan never loads YAML and the JSON readers."""
    from sseguard.sources import cloudformation, describe_stream, plan, state

    return [plan, state, describe_stream, cloudformation]
