"""What a file source is (``FileSource``), and how its ``load`` says a file is not of its kind (``NotThisKind``).

Kept apart from the registry in ``sources/__init__.py``, which imports the sources: they import this module."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sseguard.model import SourceKind, SourceResult
from sseguard.options import ScanOptions


class NotThisKind(Exception):
    """Raised by a source's ``load`` for a file that parses but is not of its kind: the one-line reason and line,
    reported only when the user named the file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class FileSource(Protocol):
    KIND: SourceKind

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def load(self, path: Path, options: ScanOptions) -> SourceResult: ...
