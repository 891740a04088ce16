"""Reading a file the user's tree holds, safely: regular files only, never more than a limit.

A name ending in ``.tf`` or ``.json`` can be a FIFO (opening it blocks until someone writes), a device (``/dev/zero``
never ends) or a folder. Such a file is refused before a byte is read, with a reason fit for an error line.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path


class NotRegularFile(OSError):
    """The path is a FIFO, device, socket or folder: not read."""


# Contents that stand in for files on disk (by real path) while a fix is checked: the edited files are scanned
# again in memory, before anything is written. The scan's worker processes are forked inside the ``with`` block,
# so they see the same contents.
_OVERLAY: ContextVar[Mapping[str, bytes] | None] = ContextVar("overlay", default=None)


@contextlib.contextmanager
def overlaid(contents: Mapping[str, bytes]) -> Iterator[None]:
    """Inside the ``with`` block, ``read_regular`` of one of these files (by real path) gives these bytes."""
    token = _OVERLAY.set({os.path.realpath(path): data for path, data in contents.items()})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def read_regular(path: Path | str, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a regular file (one more than the limit, so a caller can tell it is too large).

    Raises ``NotRegularFile`` for anything else, and ``OSError`` when the file cannot be read."""
    overlay = _OVERLAY.get()
    if overlay:
        data = overlay.get(os.path.realpath(path))
        if data is not None:
            return data[:limit + 1]
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before fstat could say what it is.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(0, f"not a regular file ({_kind(info.st_mode)})", str(path))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def path_problem(path: Path) -> str | None:
    """Why a path named on the command line cannot be used, or None when something is there. A name the system
    refuses (too long, say) is a problem to report, never an exception."""
    try:
        if path.exists():
            return None
        return "a broken or looping symbolic link" if path.is_symlink() else "no such file or folder"
    except OSError as err:
        return f"cannot read: {err.strerror or err}"


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where the system refuses the name."""
    try:
        return path.is_file()
    except OSError:
        return False
