"""An edit of a file's bytes, and applying several to one file. Edits are spans of the file as it was read: every
byte outside them stays as it was."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace bytes ``start:end`` of a file (``old``) with ``new``; an insertion has ``start == end``."""

    path: str
    start: int
    end: int
    old: str
    new: str
    why: str


class EditConflict(ValueError):
    """Two edits of one file overlap and differ."""


def apply_edits(data: bytes, edits: Iterable[Edit]) -> bytes:
    """The file with the edits made. The same edit asked twice (two instances of one block) is made once."""
    unique = sorted(set((e.start, e.end, e.new) for e in edits))
    out: list[bytes] = []
    pos = 0
    for start, end, new in unique:
        if start < pos:
            raise EditConflict(f"two edits overlap at byte {start}")
        out.append(data[pos:start])
        out.append(new.encode("utf-8"))
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def newline_of(data: bytes) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = data.find(b"\n")
    return "\r\n" if first > 0 and data[first - 1:first] == b"\r" else "\n"


def line_bounds(data: bytes, pos: int) -> tuple[int, int]:
    """The start of the line holding ``pos``, and the start of the next line."""
    start = data.rfind(b"\n", 0, pos) + 1
    nl = data.find(b"\n", pos)
    return start, (nl + 1 if nl >= 0 else len(data))


def indentation(data: bytes, pos: int) -> str:
    """The spaces and tabs that open the line holding ``pos``."""
    start, _ = line_bounds(data, pos)
    end = start
    while end < len(data) and data[end:end + 1] in (b" ", b"\t"):
        end += 1
    return data[start:end].decode()
