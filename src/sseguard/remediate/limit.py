"""The 25 key changes a stream takes per rolling 24 hours (Kinesis, StartStreamEncryption), counted from the
changes the history records. Changes made outside sseguard cannot be counted; AWS then refuses the call with
LimitExceededException, which is reported as "not changed"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sseguard.evidence.store import REMEDIATION, History, Row, format_time, parse_time
from sseguard.remediate.outcome import Action

CHANGES_PER_WINDOW = 25
WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Changes:
    """The times of the changes recorded for each stream (by history stream key) in the window before ``now``."""

    now: dt.datetime
    times: dict[str, list[dt.datetime]]

    def frees_at(self, stream_key: str) -> dt.datetime | None:
        """None when the stream may take another change now; else when the oldest change that holds it at the
        limit leaves the window."""
        times = sorted(self.times.get(stream_key, []))
        if len(times) < CHANGES_PER_WINDOW:
            return None
        return times[len(times) - CHANGES_PER_WINDOW] + WINDOW

    def count(self, stream_key: str) -> int:
        return len(self.times.get(stream_key, []))


# A call AWS accepted uses one of the stream's changes, whether or not it was seen through to ACTIVE.
_COUNTED = frozenset({Action.APPLIED.value, Action.UNVERIFIED.value})


def changes_from(rows: Iterable[Row], now: dt.datetime) -> Changes:
    """The changes among ``rows`` (remediation rows) that AWS accepted in the 24 hours before ``now``."""
    start = now - WINDOW
    times: dict[str, list[dt.datetime]] = {}
    for row in rows:
        if row.kind != REMEDIATION or row.status not in _COUNTED or row.stream_key is None:
            continue
        at = parse_time(row.recorded_at)
        if start < at <= now:
            times.setdefault(row.stream_key, []).append(at)
    return Changes(now, times)


def recorded_changes(db: Path, now: dt.datetime) -> Changes:
    """The changes the history at ``db`` records in the window; none when there is no history yet. A history that
    cannot be read raises ``HistoryError``: a limit that cannot be counted is not assumed free."""
    if not db.exists():
        return Changes(now, {})
    with History.open(db) as history:
        return changes_from(history.rows(kind=REMEDIATION, start=format_time(now - WINDOW)), now)
