"""Period reports over a fixed history: timelines (last status of each day), gaps, fixes, suppressions, formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evidence_factory import at, ignore, record_streams, stream
from sseguard.evidence.period import PeriodReport, compute_period
from sseguard.evidence.render import render_csv, render_html, render_json, render_markdown
from sseguard.evidence.store import History

START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 7)
NOW = at("2025-03-08 12:00")


def a_pass() -> object:
    return stream("aws_kinesis_stream.a", line=1)


def b(encryption: str | None) -> object:
    return stream("aws_kinesis_stream.b", encryption, line=10)


def c() -> object:
    # Fails KSSE001, silenced until 2025-03-06: from 2025-03-07 the suppression has expired and the fail shows.
    return stream("aws_kinesis_stream.c", None, line=20,
                  suppressions=(ignore("KSSE001", "stream holds only public data", "2025-03-06", line=19),))


def d(encryption: str | None) -> object:
    return stream("aws_kinesis_stream.d", encryption, line=30)


def build_history(db: Path) -> dict[str, str]:
    """The scenario every test below reads; returns run ids by label."""
    runs = {
        "before": ("2025-02-27 09:00", [a_pass(), b(None), c()]),
        "d1": ("2025-03-01 09:00", [a_pass(), b(None), c()]),
        "d2am": ("2025-03-02 09:00", [a_pass(), b(None), c()]),
        "d2pm": ("2025-03-02 18:00", [a_pass(), b("KMS"), c()]),  # b fixed: the day's last status is pass
        "d3": ("2025-03-03 10:00", [a_pass(), b("NONE"), c()]),  # b regresses (KSSE002)
        # 2025-03-04: no scan at all
        "d5": ("2025-03-05 09:00", [a_pass(), b("KMS"), c(), d("NONE")]),
        # 2025-03-06: no scan at all
        "d7": ("2025-03-07 09:00", [a_pass(), b("KMS"), c(), d("KMS")]),
        "after": ("2025-03-08 09:00", [a_pass(), b(None), c(), d(None)]),
    }
    ids = {}
    for label, (when, streams) in runs.items():
        ids[label] = record_streams(db, list(streams), at(when), inputs=["infra"]).run_id  # type: ignore[arg-type]
    return ids


@pytest.fixture
def period(tmp_path: Path) -> tuple[PeriodReport, dict[str, str]]:
    db = tmp_path / "h.sqlite3"
    ids = build_history(db)
    with History.open(db) as history:
        return compute_period(history, START, END, now=NOW), ids


def by_address(report: PeriodReport) -> dict[str, dict[str, object]]:
    return {s["address"]: s for s in report.to_dict()["streams"]}


def test_timelines_take_the_last_status_of_each_day_and_show_gaps(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, _ = period
    streams = by_address(report)
    assert list(streams) == ["aws_kinesis_stream.a", "aws_kinesis_stream.b", "aws_kinesis_stream.c",
                             "aws_kinesis_stream.d"]

    def line(address: str) -> list[tuple[str, str, str, str | None, int]]:
        return [(c["from"], c["to"], c["status"], c["code"], c["observations"])  # type: ignore[index]
                for c in streams[address]["timeline"]]  # type: ignore[attr-defined]

    assert line("aws_kinesis_stream.b") == [
        ("2025-03-01", "2025-03-01", "fail", "KSSE001", 1), ("2025-03-02", "2025-03-02", "pass", "KSSE000", 2),
        ("2025-03-03", "2025-03-03", "fail", "KSSE002", 1), ("2025-03-04", "2025-03-04", "not-scanned", None, 0),
        ("2025-03-05", "2025-03-05", "pass", "KSSE000", 1), ("2025-03-06", "2025-03-06", "not-scanned", None, 0),
        ("2025-03-07", "2025-03-07", "pass", "KSSE000", 1)]
    # consecutive days that ended alike are one span, its observations summed
    assert line("aws_kinesis_stream.d") == [
        ("2025-03-01", "2025-03-03", "not-seen", None, 0), ("2025-03-04", "2025-03-04", "not-scanned", None, 0),
        ("2025-03-05", "2025-03-05", "fail", "KSSE002", 1), ("2025-03-06", "2025-03-06", "not-scanned", None, 0),
        ("2025-03-07", "2025-03-07", "pass", "KSSE000", 1)]
    assert [(first, last, status) for first, last, status, _, _ in line("aws_kinesis_stream.c")] == [
        ("2025-03-01", "2025-03-03", "suppressed"), ("2025-03-04", "2025-03-04", "not-scanned"),
        ("2025-03-05", "2025-03-05", "suppressed"), ("2025-03-06", "2025-03-06", "not-scanned"),
        ("2025-03-07", "2025-03-07", "fail")]
    assert streams["aws_kinesis_stream.c"]["timeline"][0]["observations"] == 4  # type: ignore[index]
    a = streams["aws_kinesis_stream.a"]
    # Passing every day it was scanned is not compliant all period: two days had no scan.
    assert a["compliant_all_period"] is False
    assert a["day_counts"] == {"pass": 5, "fail": 0, "unknown": 0, "suppressed": 0, "not-seen": 0, "not-scanned": 2}
    data = report.to_dict()
    assert data["coverage"] == {"days_scanned": 5, "days_without_scan": 2, "gap_days": ["2025-03-04", "2025-03-06"],
                                "gap_ranges": [{"from": "2025-03-04", "to": "2025-03-04", "days": 1},
                                               {"from": "2025-03-06", "to": "2025-03-06", "days": 1}]}
    assert [(d["date"], d["runs"], d["pass"], d["fail"], d["suppressed"], d["not-seen"], d["not-scanned"])
            for d in data["days"]] == [
        ("2025-03-01", 1, 1, 1, 1, 1, 0), ("2025-03-02", 2, 2, 0, 1, 1, 0), ("2025-03-03", 1, 1, 1, 1, 1, 0),
        ("2025-03-04", 0, 0, 0, 0, 0, 4), ("2025-03-05", 1, 2, 1, 1, 0, 0), ("2025-03-06", 0, 0, 0, 0, 0, 4),
        ("2025-03-07", 1, 3, 1, 0, 0, 0)]


def test_fixes_and_time_to_fix(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, ids = period
    streams = by_address(report)
    b = streams["aws_kinesis_stream.b"]
    assert b["non_compliant_days"] == 2
    assert b["status_before_period"] == {"status": "fail", "code": "KSSE001", "at": "2025-02-27T09:00:00.000000Z"}
    assert b["episodes"] == [
        {"code": "KSSE001", "failed_since": "2025-02-27T09:00:00.000000Z", "started_before_period": True,
         "fixed_at": "2025-03-02T18:00:00.000000Z", "fixed_by_run": ids["d2pm"],
         "time_to_fix_seconds": 3 * 86400 + 9 * 3600, "time_to_fix": "3d 9h"},
        {"code": "KSSE002", "failed_since": "2025-03-03T10:00:00.000000Z", "started_before_period": False,
         "fixed_at": "2025-03-05T09:00:00.000000Z", "fixed_by_run": ids["d5"],
         "time_to_fix_seconds": 86400 + 23 * 3600, "time_to_fix": "1d 23h"},
    ]
    assert b["fixed_at"] == "2025-03-05T09:00:00.000000Z"
    d = streams["aws_kinesis_stream.d"]
    assert [(e["failed_since"], e["fixed_at"], e["time_to_fix"]) for e in d["episodes"]] == [
        ("2025-03-05T09:00:00.000000Z", "2025-03-07T09:00:00.000000Z", "2d")]
    c = streams["aws_kinesis_stream.c"]
    assert c["episodes"] == [{"code": "KSSE001", "failed_since": "2025-03-07T09:00:00.000000Z",
                              "started_before_period": False, "fixed_at": None, "fixed_by_run": None,
                              "time_to_fix_seconds": None, "time_to_fix": None}]
    assert c["last_status"]["status"] == "fail"  # type: ignore[index]
    assert report.to_dict()["summary"] == {"streams": 4, "compliant_all_period": 0, "with_non_compliant_days": 3,
                                           "fixed_in_period": 2, "still_failing": 1, "with_suppressions": 1}


def test_suppressions_in_force_with_reason_and_expiry(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, _ = period
    c = by_address(report)["aws_kinesis_stream.c"]
    assert c["suppressions"] == [{"kind": "sseguard", "code": "KSSE001", "reason": "stream holds only public data",
                                  "expires": "2025-03-06", "expires_within_period": True,
                                  "first_seen": "2025-03-01T09:00:00.000000Z",
                                  "last_seen": "2025-03-05T09:00:00.000000Z", "observations": 5}]
    assert c["suppression_notes"] == ["sseguard suppression (line 19) expired on 2025-03-06 and no longer applies"]


def test_runs_in_the_period_and_history_integrity(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, ids = period
    data = report.to_dict()
    assert [r["run_id"] for r in data["runs"]] == [ids[k] for k in ("d1", "d2am", "d2pm", "d3", "d5", "d7")]
    assert data["runs"][0]["inputs"] == ["infra"] and data["runs"][4]["finding_count"] == 4
    assert data["history"]["chain_intact"] is True and data["history"]["runs"] == 8
    assert data["period"] == {"from": "2025-03-01", "to": "2025-03-07", "days": 7, "timezone": "UTC"}
    assert data["generated_at"] == "2025-03-08T12:00:00.000000Z"


def test_a_period_with_no_runs_is_all_gaps(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    build_history(db)
    with History.open(db) as history:
        report = compute_period(history, dt.date(2025, 1, 1), dt.date(2025, 1, 3), now=NOW)
    data = report.to_dict()
    assert data["streams"] == [] and data["runs"] == []
    assert data["coverage"]["gap_days"] == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert data["coverage"]["gap_ranges"] == [{"from": "2025-01-01", "to": "2025-01-03", "days": 3}]
    assert "days without a scan: 2025-01-01 to 2025-01-03 (3 days). A day" in render_markdown(report)
    with pytest.raises(ValueError, match="the period ends"), History.open(db) as history:
        compute_period(history, END, START)


def test_same_address_in_another_file_is_another_stream(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    record_streams(db, [stream("aws_kinesis_stream.a", path="prod/main.tf"),
                        stream("aws_kinesis_stream.a", None, path="dev/main.tf")], at("2025-03-01 09:00"))
    with History.open(db) as history:
        report = compute_period(history, START, START, now=NOW)
    assert [(s.location, s.timeline[0].status) for s in report.streams] == [("dev/main.tf", "fail"),
                                                                           ("prod/main.tf", "pass")]


def test_markdown(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, ids = period
    text = render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "# Kinesis stream encryption evidence, 2025-03-01 to 2025-03-07 (UTC)"
    assert lines[2].startswith("History: 8 runs, 35 rows, hash chain intact (head row 35, sha256 `")
    assert ("Coverage: 5 of 7 days scanned; days without a scan: 2025-03-04, 2025-03-06. A day without a scan is a "
            "gap, never a pass.") in lines
    assert "| `aws_kinesis_stream.a` | terraform main.tf | `PPP.P.P` | no | 0 | 2 | pass KSSE000 |  |  |" in lines
    assert ("| `aws_kinesis_stream.b` | terraform main.tf | `FPF.P.P` | no | 2 | 2 | pass KSSE000 | "
            "2025-03-05T09:00:00Z | 1d 23h |") in lines
    assert "| `aws_kinesis_stream.c` | terraform main.tf | `SSS.S.F` | no | 1 | 2 | fail KSSE001 |  |  |" in lines
    assert ("| `aws_kinesis_stream.d` | terraform main.tf | `---.F.P` | no | 1 | 5 | pass KSSE000 | "
            "2025-03-07T09:00:00Z | 2d |") in lines
    assert ("| `aws_kinesis_stream.b` | KSSE001 | 2025-02-27T09:00:00Z (before the period) | "
            "2025-03-02T18:00:00Z | 3d 9h |") in lines
    assert "| `aws_kinesis_stream.c` | KSSE001 | 2025-03-07T09:00:00Z | not fixed |  |" in lines
    assert ("| `aws_kinesis_stream.c` | KSSE001 | sseguard | stream holds only public data | 2025-03-06 (within the "
            "period) | 2025-03-01T09:00:00Z | 2025-03-05T09:00:00Z |") in lines
    assert f"| 2025-03-02T18:00:00Z | {ids['d2pm']} | scan | infra |  | 3 |" in lines


def test_csv_has_one_row_per_stream_and_span_of_days(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, _ = period
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == sum(len(s.timeline) for s in report.streams) == 22
    assert rows[0] == {"control": "kinesis_stream_server_side_encryption_enabled", "address": "aws_kinesis_stream.a",
                       "resource_type": "aws_kinesis_stream", "source_kind": "terraform", "location": "main.tf",
                       "from": "2025-03-01", "to": "2025-03-03", "days": "3", "day_status": "pass",
                       "code": "KSSE000", "observations": "4"}
    b = [(r["from"], r["to"], r["day_status"], r["code"]) for r in rows if r["address"] == "aws_kinesis_stream.b"]
    assert b[2:4] == [("2025-03-03", "2025-03-03", "fail", "KSSE002"), ("2025-03-04", "2025-03-04", "not-scanned", "")]


def test_json_round_trips(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, _ = period
    assert json.loads(render_json(report)) == json.loads(json.dumps(report.to_dict()))
    assert json.loads(render_json(report))["schema"] == "sseguard/evidence-period/v1"


class _Cells(HTMLParser):
    """Collects the title of every timeline cell and the text of the integrity and coverage paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.ids: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "i" and a.get("class") == "cell" and a.get("title"):
            self.titles.append(str(a["title"]))
        if a.get("id") in ("integrity", "coverage"):
            self._in = str(a["id"])
            self.ids[self._in] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.ids[self._in] += data


def test_html_is_self_contained_and_shows_gaps(period: tuple[PeriodReport, dict[str, str]]) -> None:
    report, _ = period
    page = render_html(report)
    parser = _Cells()
    parser.feed(page)
    # One bar per span of days: stream a's five, then b's seven days that each differ from the day before.
    assert parser.titles[5:12] == ["2025-03-01: fail KSSE001", "2025-03-02: pass KSSE000", "2025-03-03: fail KSSE002",
                                   "2025-03-04: not-scanned", "2025-03-05: pass KSSE000", "2025-03-06: not-scanned",
                                   "2025-03-07: pass KSSE000"]
    assert parser.titles[0] == "2025-03-01 to 2025-03-03 (3 days): pass KSSE000"
    # three days of 12 px with the 1 px gaps between them
    assert 'width:38px" title="2025-03-01 to 2025-03-03 (3 days): pass KSSE000"' in page
    assert parser.ids["coverage"].startswith("Coverage: 5 of 7 days scanned; days without a scan: 2025-03-04, "
                                             "2025-03-06.")
    assert parser.ids["integrity"].startswith("History: 8 runs, 35 rows, hash chain intact")
    assert "<title>2025-03-04: 4 not-scanned</title>" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "<script" not in page
    assert 'id="mappings"' in page and "3.5.1" in page


def test_broken_chain_is_shown_in_every_format(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "h.sqlite3"
    build_history(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET status = 'pass' WHERE seq = 8")
    conn.commit()
    conn.close()
    with History.open(db) as history:
        report = compute_period(history, START, END, now=NOW)
    assert report.to_dict()["history"]["chain_intact"] is False
    md = render_markdown(report)
    assert "**History hash chain BROKEN** (1 problem); this report cannot be trusted:" in md
    assert "History hash chain BROKEN</strong>" in render_html(report)


def test_chart_history_feeds_the_scan_report_chart(period: tuple[PeriodReport, dict[str, str]]) -> None:
    from sseguard.report.html import history_chart

    report, _ = period
    history = report.chart_history()
    assert history == [
        (dt.date(2025, 3, 1), {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 1}),
        (dt.date(2025, 3, 2), {"pass": 2, "fail": 0, "unknown": 0, "suppressed": 1}),
        (dt.date(2025, 3, 3), {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 1}),
        (dt.date(2025, 3, 5), {"pass": 2, "fail": 1, "unknown": 0, "suppressed": 1}),
        (dt.date(2025, 3, 7), {"pass": 3, "fail": 1, "unknown": 0, "suppressed": 0}),
    ]
    svg = history_chart(history)
    assert "2025-03-04: no scan" in svg and "2025-03-06: no scan" in svg
