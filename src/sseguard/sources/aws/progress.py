"""A one-line progress bar on stderr, shown only on a terminal (silent in pipes, CI logs and tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 24
_MIN_INTERVAL = 0.1  # seconds between redraws


class Progress:
    """Counts account-regions listed and streams judged; redraws at most ten times a second by ``clock``, and
    always when everything counted so far is done."""

    def __init__(self, out: TextIO | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out if out is not None and _is_tty(out) else None
        self._clock = clock
        self._lock = threading.Lock()
        self._places = self._places_done = self._streams = self._streams_done = 0
        self._drawn: float | None = None

    @property
    def enabled(self) -> bool:
        return self._out is not None

    def add_places(self, count: int) -> None:
        self._bump(places=count)

    def place_done(self, streams: int) -> None:
        self._bump(places_done=1, streams=streams)

    def stream_done(self) -> None:
        self._bump(streams_done=1)

    def close(self) -> None:
        """Clear the line so the report starts on a clean terminal."""
        if self._out is not None:
            with self._lock:
                self._out.write("\r\x1b[K")
                self._out.flush()

    def _bump(self, places: int = 0, places_done: int = 0, streams: int = 0, streams_done: int = 0) -> None:
        if self._out is None:
            return
        with self._lock:
            self._places += places
            self._places_done += places_done
            self._streams += streams
            self._streams_done += streams_done
            now = self._clock()
            finished = self._places_done == self._places and self._streams_done == self._streams
            if self._drawn is not None and now - self._drawn < _MIN_INTERVAL and not finished:
                return
            self._drawn = now
            self._out.write("\r\x1b[K" + self.line())
            self._out.flush()

    def line(self) -> str:
        """The text of the bar: account-regions listed, and streams judged out of those found."""
        done = self._streams_done / self._streams if self._streams else 0.0
        filled = int(done * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return (f"sseguard aws [{bar}] {self._places_done}/{self._places} account-regions, "
                f"{self._streams_done}/{self._streams} streams")


def _is_tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
