"""The period report: what the history says about every stream over a span of days (UTC).

A day's status for a stream is the status of its last observation that day. A day with no run at all is a coverage
gap (``not-scanned``); a day with runs that did not see the stream is ``not-seen``. Neither is ever counted as
compliant. A failure episode starts at the first ``fail`` and ends at the first ``pass`` after it (the fix);
``unknown`` and ``suppressed`` observations neither start nor end one.

A row this code cannot read (a status it does not know, from a newer sseguard or an edit; a stream key that is not
one) is named in the report's ``rows_not_understood``, never a crash: a row with an unknown status counts as an
``unknown`` day of its stream, and a row with no readable stream key is left out of the timelines.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sseguard import __version__
from sseguard.evidence.compare import SourceComparison, compare, sseguard_days, stream_key_of
from sseguard.evidence.keys import KeyPeriod, keys_of
from sseguard.evidence.results import RESULT_KINDS, RESULT_VERDICTS, RecordedResult
from sseguard.evidence.store import REMEDIATION, History, Row, VerifyResult, day_start, format_time, parse_time

SCHEMA_ID = "sseguard/evidence-period/v1"
NOT_SCANNED = "not-scanned"
NOT_SEEN = "not-seen"
FINDING_STATUSES = ("pass", "fail", "unknown", "suppressed")
DAY_STATUSES = (*FINDING_STATUSES, NOT_SEEN, NOT_SCANNED)


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object from a row body, or an empty one when an edited row holds something else there."""
    return dict(value) if isinstance(value, dict) else {}


def _texts(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


@dataclass(frozen=True)
class Observation:
    """One finding of one run for a stream."""

    at: str
    seq: int
    run_id: str
    status: str
    code: str
    message: str
    suppression: dict[str, Any] | None
    notes: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Row) -> Observation:
        """The observation a finding row records; a status this code does not know is read as ``unknown`` (the
        caller names the row)."""
        data = row.data()
        suppression = data.get("suppression")
        notes = _texts(_mapping(data.get("evidence")).get("suppression_notes"))
        status = str(row.status) if row.status in FINDING_STATUSES else "unknown"
        return cls(row.recorded_at, row.seq, row.run_id, status, str(data.get("code", "")),
                   str(data.get("message", "")), suppression if isinstance(suppression, dict) else None,
                   tuple(notes))

    @property
    def day(self) -> dt.date:
        # Stored times are UTC and start with the date.
        return dt.date.fromisoformat(self.at[:10])


@dataclass
class Span:
    """Consecutive days on which a stream ended in the same status with the same code (or the same kind of gap).

    A timeline is kept as spans, not one cell per day, so a long period over many streams stays small: a stream
    scanned every day of a year and passing throughout is one span.
    """

    first: dt.date
    last: dt.date
    status: str
    code: str | None = None
    observations: int = 0

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days,
                "status": self.status, "code": self.code, "observations": self.observations}


@dataclass(frozen=True)
class Episode:
    """A stretch of non-compliance: from the first fail to the first pass after it (None while still failing)."""

    code: str
    failed_since: str
    fixed_at: str | None
    fixed_by_run: str | None
    started_before_period: bool

    @property
    def time_to_fix_seconds(self) -> int | None:
        if self.fixed_at is None:
            return None
        return int((parse_time(self.fixed_at) - parse_time(self.failed_since)).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        seconds = self.time_to_fix_seconds
        return {
            "code": self.code,
            "failed_since": self.failed_since,
            "started_before_period": self.started_before_period,
            "fixed_at": self.fixed_at,
            "fixed_by_run": self.fixed_by_run,
            "time_to_fix_seconds": seconds,
            "time_to_fix": human_duration(seconds) if seconds is not None else None,
        }


@dataclass
class SuppressionSpan:
    """A suppression seen in force on a stream: the rule and the first and last time it was applied."""

    kind: str
    code: str
    reason: str
    expires: str | None
    first_seen: str
    last_seen: str
    observations: int = 1

    def to_dict(self, end: dt.date) -> dict[str, Any]:
        expired = False
        if self.expires:
            try:
                expired = dt.date.fromisoformat(self.expires) <= end
            except ValueError:
                expired = False
        return {"kind": self.kind, "code": self.code, "reason": self.reason, "expires": self.expires,
                "expires_within_period": expired, "first_seen": self.first_seen, "last_seen": self.last_seen,
                "observations": self.observations}


@dataclass
class StreamPeriod:
    """One stream over the period."""

    control: str
    address: str
    source_kind: str
    location: str
    resource: dict[str, Any]
    source: dict[str, Any]
    timeline: list[Span]
    episodes: list[Episode]
    suppressions: list[SuppressionSpan]
    notes: list[str]
    before: Observation | None
    last: Observation

    def day_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(DAY_STATUSES, 0)
        for span in self.timeline:
            counts[span.status] += span.days
        return counts

    @property
    def non_compliant_days(self) -> int:
        """Days whose last status was ``fail``."""
        return self.day_counts()["fail"]

    @property
    def compliant_all_period(self) -> bool:
        """True only when every day of the period ended in a pass: a gap or an unknown day breaks it."""
        return all(span.status == "pass" for span in self.timeline)

    def to_dict(self, end: dt.date) -> dict[str, Any]:
        fixes = [e for e in self.episodes if e.fixed_at is not None]
        return {
            "control": self.control,
            "address": self.address,
            "source_kind": self.source_kind,
            "location": self.location,
            "resource": self.resource,
            "source": self.source,
            "compliant_all_period": self.compliant_all_period,
            "day_counts": self.day_counts(),
            "non_compliant_days": self.non_compliant_days,
            "status_before_period": (
                {"status": self.before.status, "code": self.before.code, "at": self.before.at}
                if self.before else None
            ),
            "last_status": {"status": self.last.status, "code": self.last.code, "at": self.last.at,
                            "message": self.last.message},
            "fixed_at": fixes[-1].fixed_at if fixes else None,
            "episodes": [e.to_dict() for e in self.episodes],
            "suppressions": [s.to_dict(end) for s in self.suppressions],
            "suppression_notes": self.notes,
            "timeline": [span.to_dict() for span in self.timeline],
        }


@dataclass(frozen=True)
class RunInfo:
    """A run in the period, as its header row tells it."""

    run_id: str
    recorded_at: str
    command: str
    inputs: list[str]
    accounts: list[str]
    regions: list[str]
    git_commit: str | None
    tool_version: str
    finding_count: int
    summary: dict[str, int]
    seq: int

    @classmethod
    def from_row(cls, row: Row) -> RunInfo:
        """The run a header row records; a field an edited row holds in another shape reads as empty."""
        data = row.data()
        commit = _mapping(data.get("git")).get("commit")
        count = data.get("finding_count")
        return cls(row.run_id, row.recorded_at, str(data.get("command", "")), _texts(data.get("inputs")),
                   _texts(data.get("accounts")), _texts(data.get("regions")),
                   str(commit) if commit is not None else None, str(_mapping(data.get("tool")).get("version", "")),
                   count if isinstance(count, int) else 0, _mapping(data.get("summary")), row.seq)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "recorded_at": self.recorded_at, "command": self.command,
                "inputs": self.inputs, "accounts": self.accounts, "regions": self.regions,
                "git_commit": self.git_commit, "tool_version": self.tool_version,
                "finding_count": self.finding_count, "summary": self.summary, "seq": self.seq}


@dataclass(frozen=True)
class RemediationRecord:
    """One stream's remediation as ``sseguard remediate`` recorded it: when, what it did, by whom, with which key,
    and the stream's encryption before and after."""

    at: str
    action: str
    address: str
    by: str
    key: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    why: str
    plaintext_until: str | None

    @classmethod
    def from_row(cls, row: Row) -> RemediationRecord:
        """The record a remediation row holds; a field an edited row holds in another shape reads as empty."""
        data = row.data()
        key, until = data.get("key"), data.get("plaintext_until")
        return cls(row.recorded_at, str(row.status or ""), str(_mapping(data.get("resource")).get("address") or "?"),
                   str(data.get("by") or ""), str(key) if key is not None else None, _mapping(data.get("before")),
                   _mapping(data.get("after")), str(data.get("why") or ""), str(until) if until else None)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "action": self.action, "address": self.address, "by": self.by, "key": self.key,
                "before": self.before, "after": self.after, "why": self.why,
                "plaintext_until": self.plaintext_until}


@dataclass
class PeriodReport:
    """Everything an auditor asks of a period; :meth:`to_dict` is the JSON form every format renders."""

    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    history_path: str
    integrity: VerifyResult
    runs: list[RunInfo]
    streams: list[StreamPeriod]
    days: list[dt.date] = field(default_factory=list)
    # Rows this code cannot read, each named in words (see the module docstring).
    not_understood: list[str] = field(default_factory=list)
    # Live changes ``sseguard remediate`` recorded in the period, in the order they were made.
    remediations: list[RemediationRecord] = field(default_factory=list)
    # The keys the streams use, as their latest findings describe them (the Keys section).
    keys: list[KeyPeriod] = field(default_factory=list)
    # Config and Security Hub results beside sseguard's verdict (``sseguard evidence collect``), per stream and source.
    results: list[SourceComparison] = field(default_factory=list)

    def runs_per_day(self) -> dict[dt.date, int]:
        counts = dict.fromkeys(self.days, 0)
        for run in self.runs:
            counts[parse_time(run.recorded_at).date()] += 1
        return counts

    def gap_days(self) -> list[dt.date]:
        """Days with no run at all."""
        return [d for d, n in self.runs_per_day().items() if n == 0]

    def gap_ranges(self) -> list[tuple[dt.date, dt.date]]:
        """The days with no run, as runs of consecutive days ``(first, last)``."""
        ranges: list[tuple[dt.date, dt.date]] = []
        for day in self.gap_days():
            if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
                ranges[-1] = (ranges[-1][0], day)
            else:
                ranges.append((day, day))
        return ranges

    def compliance_over_time(self) -> list[dict[str, Any]]:
        """Per day: runs, and how many streams ended the day in each status (gaps included)."""
        per_day = self.runs_per_day()
        # Each span adds one stream to its status from its first day and takes it off after its last day; a
        # running sum then gives every day's counts without visiting every stream on every day.
        change = {status: [0] * (len(self.days) + 1) for status in DAY_STATUSES}
        for stream in self.streams:
            for span in stream.timeline:
                change[span.status][(span.first - self.start).days] += 1
                change[span.status][(span.last - self.start).days + 1] -= 1
        running = dict.fromkeys(DAY_STATUSES, 0)
        out = []
        for i, day in enumerate(self.days):
            for status in DAY_STATUSES:
                running[status] += change[status][i]
            out.append({"date": day.isoformat(), "runs": per_day[day], "scanned": per_day[day] > 0, **running})
        return out

    def chart_history(self) -> list[tuple[dt.date, dict[str, int]]]:
        """``(day, {status: streams})`` for each day with a scan, the shape ``report.html.render_page`` charts;
        days without a scan are left out, and that chart marks them as gaps."""
        return [(dt.date.fromisoformat(d["date"]), {k: d[k] for k in ("pass", "fail", "unknown", "suppressed")})
                for d in self.compliance_over_time() if d["scanned"]]

    def to_dict(self) -> dict[str, Any]:
        gaps = self.gap_days()
        return {
            "schema": SCHEMA_ID,
            "tool": {"name": "sseguard", "version": __version__},
            "generated_at": format_time(self.generated_at),
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": len(self.days),
                       "timezone": "UTC"},
            "history": {
                "path": self.history_path,
                "rows": self.integrity.rows,
                "runs": self.integrity.runs,
                "head_seq": self.integrity.head.seq,
                "head_hash": self.integrity.head.hash,
                "chain_intact": self.integrity.ok,
                "problems": [p.message for p in self.integrity.problems],
                "rows_not_understood": self.not_understood,
            },
            "coverage": {
                "days_scanned": len(self.days) - len(gaps),
                "days_without_scan": len(gaps),
                "gap_days": [d.isoformat() for d in gaps],
                "gap_ranges": [{"from": a.isoformat(), "to": b.isoformat(), "days": (b - a).days + 1}
                               for a, b in self.gap_ranges()],
            },
            "summary": self.summary(),
            "days": self.compliance_over_time(),
            "runs": [r.to_dict() for r in self.runs],
            "streams": [s.to_dict(self.end) for s in self.streams],
            "remediations": [r.to_dict() for r in self.remediations],
            "keys": [k.to_dict() for k in self.keys],
            # Only a history with collected results has the section: the report of any other is unchanged.
            **({"results": self.results_dict()} if self.results else {}),
        }

    def results_dict(self) -> dict[str, Any]:
        """The Config and Security Hub section: how many stream-days disagree, and every comparison."""
        return {"disagreeing_days": sum(c.disagreeing_days for c in self.results),
                "streams_disagreeing": len({c.address for c in self.results if c.disagreeing_days}),
                "comparisons": [c.to_dict() for c in self.results]}

    def summary(self) -> dict[str, int]:
        return {
            "streams": len(self.streams),
            "compliant_all_period": sum(1 for s in self.streams if s.compliant_all_period),
            "with_non_compliant_days": sum(1 for s in self.streams if s.non_compliant_days),
            # Fixes are only ever observed inside the period (the scan before it can only open an episode).
            "fixed_in_period": sum(1 for s in self.streams if any(e.fixed_at for e in s.episodes)),
            "still_failing": sum(1 for s in self.streams if s.last.status == "fail"),
            "with_suppressions": sum(1 for s in self.streams if s.suppressions),
        }


def human_duration(seconds: int) -> str:
    """``2d 3h 5m``; under a minute is ``<1m``."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) if parts else "<1m"


def compute_period(history: History, start: dt.date, end: dt.date, *, now: dt.datetime | None = None) -> PeriodReport:
    """Build the period report for ``start``..``end`` (inclusive, UTC days) from the history."""
    return _period(history, start, end, now or dt.datetime.now(dt.UTC), history.verify())


def chart_history(history: History | None, start: dt.date, end: dt.date,
                  unrecorded: Sequence[Row] = ()) -> list[tuple[dt.date, dict[str, int]]]:
    """The scan report's chart (see :meth:`PeriodReport.chart_history`) for ``start``..``end``: the history's rows,
    when there is a history, and ``unrecorded``, the rows of the run being reported, which is recorded after its
    reports are written. The chain is not checked: the chart is no evidence, and checking every row of the history
    on every scan would cost a scan as much as the history is long."""
    # Without the Config and Security Hub results: the chart counts sseguard's own statuses only.
    return _period(history, start, end, dt.datetime.now(dt.UTC), VerifyResult(), unrecorded,
                   with_results=False).chart_history()


def _period(history: History | None, start: dt.date, end: dt.date, now: dt.datetime, integrity: VerifyResult,
            unrecorded: Sequence[Row] = (), *, with_results: bool = True) -> PeriodReport:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    stored_runs = history.rows(kind="run", start=lo, end=hi) if history is not None else iter(())
    # Rows are read one at a time: a long period of many streams holds millions, of which only the last per stream
    # is kept whole.
    stored_findings = history.rows(kind="finding", start=lo, end=hi) if history is not None else iter(())
    runs = [RunInfo.from_row(r) for r in chain(stored_runs, (u for u in unrecorded if u.kind == "run"))]
    not_understood: list[str] = []
    observations: dict[str, list[Observation]] = {}
    latest_row: dict[str, Row] = {}
    identities: dict[str, tuple[str, str, str, str]] = {}
    for row in chain(stored_findings, (u for u in unrecorded if u.kind == "finding")):
        identity = _stream_identity(row.stream_key)
        if identity is None:
            not_understood.append(f"row {row.seq} ({row.describe()}) has no readable stream key: it is left out of "
                                  "the timelines")
            continue
        _name_unknown_status(row, not_understood)
        key = str(row.stream_key)
        identities[key] = identity
        observations.setdefault(key, []).append(Observation.from_row(row))
        latest_row[key] = row
    earlier = history.last_before(lo, list(observations)) if history is not None else {}
    for row in earlier.values():
        _name_unknown_status(row, not_understood)
    before = {k: Observation.from_row(r) for k, r in earlier.items()}
    run_days = {parse_time(r.recorded_at).date() for r in runs}
    streams = [
        _stream_period(identities[key], sorted(obs, key=lambda o: (o.at, o.seq)), before.get(key), latest_row[key],
                       days, run_days)
        for key, obs in observations.items()
    ]
    streams.sort(key=lambda s: (s.address, s.source_kind, s.location))
    remediations = [RemediationRecord.from_row(r) for r in history.rows(kind=REMEDIATION, start=lo, end=hi)] \
        if history is not None else []
    keys = keys_of((identities[key][1], row) for key, row in latest_row.items())
    results = _results(history, lo, hi, days, streams, not_understood) if history is not None and with_results else []
    return PeriodReport(start, end, now, str(history.path) if history is not None else "", integrity, runs, streams,
                        days, not_understood, remediations, keys, results)


def _results(history: History, lo: str, hi: str, days: list[dt.date], streams: list[StreamPeriod],
             not_understood: list[str]) -> list[SourceComparison]:
    """Config and Security Hub results set beside sseguard's day statuses. Results recorded before the period are
    read too: the last one before it is still in force on its first days."""
    found: list[RecordedResult] = []
    for row in chain.from_iterable(history.rows(kind=kind, end=hi) for kind in RESULT_KINDS):
        if _stream_identity(row.stream_key) is None:
            not_understood.append(f"row {row.seq} ({row.describe()}) has no readable stream key: it is left out of "
                                  "the Config and Security Hub section")
            continue
        if row.status not in RESULT_VERDICTS:
            not_understood.append(f"row {row.seq} ({row.describe()}) has status {row.status!r}, which this sseguard "
                                  "does not know: it counts as unknown")
        found.append(RecordedResult.from_row(row))
    if not found:
        return []
    wanted = {r.stream_key for r in found}
    ours = {}
    for s in streams:
        key = stream_key_of(s.control, s.address, s.source_kind, s.location)
        if key in wanted:
            ours[key] = sseguard_days((span.first, span.last, span.status, span.code) for span in s.timeline)
    return compare(found, days, lo, ours)


def _name_unknown_status(row: Row, not_understood: list[str]) -> None:
    if row.status not in FINDING_STATUSES:
        not_understood.append(f"row {row.seq} ({row.describe()}) has status {row.status!r}, which this sseguard "
                              "does not know: it counts as an unknown day")


def _stream_identity(key: str | None) -> tuple[str, str, str, str] | None:
    """(control, address, source kind, location) from a stored stream key; None when it is not one."""
    try:
        value = json.loads(key or "")
    except ValueError:
        return None
    if not isinstance(value, list) or len(value) != 4:
        return None
    control, address, kind, location = (str(v) for v in value)
    return control, address, kind, location


def _stream_period(identity: tuple[str, str, str, str], obs: list[Observation], before: Observation | None,
                   latest: Row, days: list[dt.date], run_days: set[dt.date]) -> StreamPeriod:
    control, address, source_kind, location = identity
    last_of_day: dict[dt.date, Observation] = {}
    count_of_day: dict[dt.date, int] = {}
    for o in obs:
        last_of_day[o.day] = o
        count_of_day[o.day] = count_of_day.get(o.day, 0) + 1
    timeline: list[Span] = []
    for day in days:
        seen = last_of_day.get(day)
        if seen is not None:
            status, code, count = seen.status, seen.code, count_of_day[day]
        else:
            status, code, count = (NOT_SEEN if day in run_days else NOT_SCANNED), None, 0
        if timeline and timeline[-1].status == status and timeline[-1].code == code:
            timeline[-1].last = day
            timeline[-1].observations += count
        else:
            timeline.append(Span(day, day, status, code, count))
    data = latest.data()
    return StreamPeriod(
        control=control, address=address, source_kind=source_kind, location=location,
        resource=_mapping(data.get("resource")), source=_mapping(data.get("source")),
        timeline=timeline, episodes=_episodes(obs, before), suppressions=_suppressions(obs),
        notes=sorted({n for o in obs for n in o.notes}), before=before, last=obs[-1],
    )


def _episodes(obs: list[Observation], before: Observation | None) -> list[Episode]:
    out: list[Episode] = []
    # A stream that was failing at its last scan before the period enters the period failing; its episode is dated
    # from that scan, which is as far back as the period report looks.
    opened: Observation | None = before if before is not None and before.status == "fail" else None
    for o in obs:
        if o.status == "fail" and opened is None:
            opened = o
        elif o.status == "pass" and opened is not None:
            out.append(Episode(opened.code, opened.at, o.at, o.run_id, opened is before))
            opened = None
    if opened is not None:
        out.append(Episode(opened.code, opened.at, None, None, opened is before))
    return out


def _suppressions(obs: list[Observation]) -> list[SuppressionSpan]:
    spans: dict[tuple[str, str, str, str | None], SuppressionSpan] = {}
    for o in obs:
        if o.status != "suppressed" or o.suppression is None:
            continue
        s = o.suppression
        expires = s.get("expires")
        ident = (str(s.get("kind", "")), o.code, str(s.get("reason", "")),
                 expires if isinstance(expires, str) else None)
        span = spans.get(ident)
        if span is None:
            spans[ident] = SuppressionSpan(ident[0], o.code, ident[2], ident[3], o.at, o.at)
        else:
            span.last_seen = o.at
            span.observations += 1
    return list(spans.values())
