"""Config and Security Hub results beside sseguard's own verdict, per stream and day (the period report's
"Config and Security Hub" section).

A result stays in force from the time its service recorded it until the next result of the same source about the
same stream: Config re-evaluates a stream only when it changes (or on a schedule), so a COMPLIANT recorded in March
is still Config's word in May. Each day of the period pairs sseguard's day status (its last finding that day, or
the gap it had) with the result in force at that day's end. The two agree or disagree only when both judged: pass
against fail (a suppressed stream counts as passing, as sseguard's Config rule reports it COMPLIANT). Anything else
(an unknown, a gap, Config's NOT_APPLICABLE, a stream sseguard never judged) is shown, and not compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sseguard.evidence.results import RecordedResult
from sseguard.evidence.store import canonical

NOT_JUDGED = "not judged"  # the stream has no finding of sseguard's in the period
AGREE, DISAGREE, NOT_COMPARED = "agree", "disagree", "not compared"
_COMPARED = {"pass": "pass", "suppressed": "pass", "fail": "fail"}


@dataclass
class ResultSpan:
    """Consecutive days with the same sseguard status and the same result in force."""

    first: dt.date
    last: dt.date
    sseguard: str
    sseguard_code: str | None
    result: RecordedResult

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def agreement(self) -> str:
        ours, theirs = _COMPARED.get(self.sseguard), self.result.verdict
        if ours is None or theirs not in ("pass", "fail"):
            return NOT_COMPARED
        return AGREE if ours == theirs else DISAGREE

    def to_dict(self) -> dict[str, object]:
        r = self.result
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days,
                "sseguard": self.sseguard, "sseguard_code": self.sseguard_code, "result": r.verdict,
                "word": r.word, "recorded_at": r.at, "detail": r.detail, "agreement": self.agreement}


@dataclass
class SourceComparison:
    """One stream as one other source (a Config rule, Security Hub) judged it over the period."""

    address: str
    source: str
    spans: list[ResultSpan]
    results_in_period: int

    @property
    def disagreeing_days(self) -> int:
        return sum(s.days for s in self.spans if s.agreement == DISAGREE)

    def to_dict(self) -> dict[str, object]:
        return {"address": self.address, "source": self.source, "results_in_period": self.results_in_period,
                "disagreeing_days": self.disagreeing_days, "spans": [s.to_dict() for s in self.spans]}


DayStatus = tuple[str, str | None]


def sseguard_days(timeline: Iterable[tuple[dt.date, dt.date, str, str | None]]) -> dict[dt.date, DayStatus]:
    """A stream's timeline spans (first, last, status, code) as one entry per day."""
    out: dict[dt.date, DayStatus] = {}
    for first, last, status, code in timeline:
        for i in range((last - first).days + 1):
            out[first + dt.timedelta(days=i)] = (status, code)
    return out


def compare(results: Sequence[RecordedResult], days: Sequence[dt.date], start: str,
            ours: dict[str, dict[dt.date, DayStatus]]) -> list[SourceComparison]:
    """Every (stream, source) pair with a result in force on some day of the period. ``results``: every result
    recorded before the period's end (earlier ones may still be in force); ``start``: the period's first stored
    time; ``ours``: sseguard's day statuses by stream key."""
    grouped: dict[tuple[str, str], list[RecordedResult]] = {}
    for r in results:
        grouped.setdefault((r.stream_key, r.source), []).append(r)
    out = []
    for (key, source), found in grouped.items():
        found.sort(key=lambda r: (r.at, r.seq))
        spans = _spans(found, days, ours.get(key, {}))
        if spans:
            out.append(SourceComparison(found[-1].address, source, spans, sum(1 for r in found if r.at >= start)))
    out.sort(key=lambda c: (c.address, c.source))
    return out


def _spans(found: list[RecordedResult], days: Sequence[dt.date],
           ours: dict[dt.date, DayStatus]) -> list[ResultSpan]:
    spans: list[ResultSpan] = []
    i, current = 0, None
    for day in days:
        end = (day + dt.timedelta(days=1)).isoformat()
        while i < len(found) and found[i].at < end:  # stored times start with the date, so text order is time order
            current = found[i]
            i += 1
        if current is None:
            continue  # no result of this source yet: nothing to set beside sseguard's
        status, code = ours.get(day, (NOT_JUDGED, None))
        last = spans[-1] if spans else None
        if (last is not None and last.result is current and last.sseguard == status and last.sseguard_code == code
                and last.last + dt.timedelta(days=1) == day):
            last.last = day
        else:
            spans.append(ResultSpan(day, day, status, code, current))
    return spans


def stream_key_of(control: str, address: str, source_kind: str, location: str) -> str:
    """The stored stream key of a period stream's identity (the inverse of reading one)."""
    return canonical([control, address, source_kind, location])
