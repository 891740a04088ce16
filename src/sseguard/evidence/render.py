"""The period report's formats: JSON (the full record), CSV (one row per stream and span of days), Markdown and a
self-contained HTML page (no scripts, styles inline, no network fetches).

Every value read from the history (addresses, paths, reasons, codes, commands) goes through the same escaping helper
as the scan report of that format (``report.escape``): a history is written from scanned files, and a row can be
edited by anyone who can write the file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from sseguard.control.codes import CONTROL_ID
from sseguard.evidence.compare import AGREE, DISAGREE, NOT_COMPARED
from sseguard.evidence.keys import fact_words, rotation_words
from sseguard.evidence.period import NOT_SCANNED, NOT_SEEN, PeriodReport
from sseguard.report.decryptors import decryptor_lines
from sseguard.report.escape import csv_safe, html_safe, json_safe, md_code, md_safe
from sseguard.report.html import mapping_section
from sseguard.report.words import counted

TIMELINE_CHARS = {"pass": "P", "fail": "F", "unknown": "U", "suppressed": "S", NOT_SEEN: "-", NOT_SCANNED: "."}
TIMELINE_LEGEND = ("P pass, F fail, U unknown, S suppressed, - not seen by that day's runs, . no scan that day; "
                   "a space every 7 days")
CSV_COLUMNS = ("control", "address", "resource_type", "source_kind", "location", "from", "to", "days", "day_status",
               "code", "observations")
STREAM_TYPE = "AWS::Kinesis::Stream"
# How a comparison of Config's or Security Hub's result with sseguard's verdict reads.
MARKS = {AGREE: "agree", DISAGREE: "DISAGREE", NOT_COMPARED: "not compared"}
_COLORS = {"pass": "#2e7d32", "suppressed": "#1565c0", "unknown": "#f9a825", "fail": "#c62828",
           NOT_SEEN: "#9e9e9e", NOT_SCANNED: "#e0e0e0"}


def render_json(report: PeriodReport) -> str:
    """The whole period report as indented JSON."""
    return json_safe(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)) + "\n"


def render_csv(report: PeriodReport) -> str:
    """One row per stream and span of days that ended in the same status and code (or the same kind of gap)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in report.streams:
        for span in s.timeline:
            cells = [s.control, s.address, s.resource.get("type") or "", s.source_kind, s.location,
                     span.first.isoformat(), span.last.isoformat(), span.days, span.status, span.code or "",
                     span.observations]
            writer.writerow([csv_safe(cell) for cell in cells])
    for c in report.results:
        for r in c.spans:
            # Rows of the same columns: the source stands where sseguard's source kind does, and the code names
            # the service's word and sseguard's status beside it, with a disagreement spelled out.
            cells = [CONTROL_ID, c.address, STREAM_TYPE, result_kind(c.source), c.source, r.first.isoformat(),
                     r.last.isoformat(), r.days, r.result.verdict, result_code(r.to_dict()),
                     1 if r.first.isoformat() <= r.result.at[:10] <= r.last.isoformat() else 0]
            writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()


def result_kind(source: str) -> str:
    """``config`` or ``securityhub``: the CSV's source kind of a result."""
    return "securityhub" if source.startswith("Security Hub") else "config"


def result_code(span: dict[str, Any]) -> str:
    """A result span's word beside sseguard's: ``COMPLIANT; sseguard fail KSSE012; DISAGREE``."""
    ours = " ".join(str(v) for v in (span["sseguard"], span["sseguard_code"]) if v)
    return f"{span['word']}; sseguard {ours}; {MARKS[span['agreement']]}"


def _t(stamp: str | None) -> str:
    """A stored timestamp as people read it: to the second (the JSON keeps the microseconds)."""
    return f"{stamp[:19]}Z" if stamp else ""


def timeline_text(spans: list[dict[str, Any]]) -> str:
    """A stream's days as one character each (see ``TIMELINE_LEGEND``), a space after every seventh day."""
    chars = "".join(TIMELINE_CHARS[s["status"]] * s["days"] for s in spans)
    return " ".join(chars[i:i + 7] for i in range(0, len(chars), 7))


def _md(value: object) -> str:
    return md_safe("" if value is None else value)


def _history_counts(h: dict[str, Any]) -> str:
    return f"History: {counted(h['runs'], 'run')}, {counted(h['rows'], 'row')}"


def _integrity_line(data: dict[str, Any]) -> list[str]:
    h = data["history"]
    if h["chain_intact"]:
        lines = [f"{_history_counts(h)}, hash chain intact (head row {h['head_seq']}, sha256 "
                 f"{md_code(h['head_hash'])})."]
    else:
        lines = [f"**History hash chain BROKEN** ({counted(len(h['problems']), 'problem')}); this report cannot be "
                 "trusted:"]
        lines.extend(f"- {_md(p)}" for p in h["problems"])
    if h["rows_not_understood"]:
        lines += ["", f"**{counted(len(h['rows_not_understood']), 'history row')} not understood** by this sseguard:"]
        lines.extend(f"- {_md(p)}" for p in h["rows_not_understood"])
    return lines


def _coverage(data: dict[str, Any]) -> str:
    cov = data["coverage"]
    days = data["period"]["days"]
    return (f"Coverage: {cov['days_scanned']} of {counted(days, 'day')} scanned; days without a scan: "
            f"{gap_text(cov['gap_ranges'])}. A day without a scan is a gap, never a pass.")


def render_markdown(report: PeriodReport) -> str:
    """A readable summary: coverage, one line per stream with its day-by-day timeline, fixes and suppressions."""
    data = report.to_dict()
    sm = data["summary"]
    lines = [f"# Kinesis stream encryption evidence, {data['period']['from']} to {data['period']['to']} (UTC)", ""]
    lines += _integrity_line(data)
    lines.append("")
    lines.append(_coverage(data))
    lines += ["", "| streams | compliant all period | with non-compliant days | fixed in period | still failing | "
                  "with suppressions |", "|---|---|---|---|---|---|",
              f"| {sm['streams']} | {sm['compliant_all_period']} | {sm['with_non_compliant_days']} | "
              f"{sm['fixed_in_period']} | {sm['still_failing']} | {sm['with_suppressions']} |", ""]
    lines += ["## Streams", "", f"Timeline, one character per day: {TIMELINE_LEGEND}.", "",
              "| stream | source | timeline | compliant all period | non-compliant days | gap days | last status | "
              "fixed at | time to fix |", "|---|---|---|---|---|---|---|---|---|"]
    for s in data["streams"]:
        counts = s["day_counts"]
        fixes = [e for e in s["episodes"] if e["fixed_at"]]
        last = s["last_status"]
        lines.append(
            f"| {md_code(s['address'])} | {_md(s['source_kind'])} {_md(s['location'])} | "
            f"`{timeline_text(s['timeline'])}` | {'yes' if s['compliant_all_period'] else 'no'}"
            f" | {s['non_compliant_days']} | {counts[NOT_SEEN] + counts[NOT_SCANNED]} | {_md(last['status'])} "
            f"{_md(last['code'])} | {_md(_t(fixes[-1]['fixed_at'])) if fixes else ''} | "
            f"{_md(fixes[-1]['time_to_fix']) if fixes else ''} |")
    episodes = [(s, e) for s in data["streams"] for e in s["episodes"]]
    if episodes:
        lines += ["", "## Failure episodes", "", "| stream | code | failed since | fixed at | time to fix |",
                  "|---|---|---|---|---|"]
        for s, e in episodes:
            since = _t(e["failed_since"]) + (" (before the period)" if e["started_before_period"] else "")
            lines.append(f"| {md_code(s['address'])} | {_md(e['code'])} | {_md(since)} | "
                         f"{_md(_t(e['fixed_at']) or 'not fixed')} | {_md(e['time_to_fix'])} |")
    sups = [(s, x) for s in data["streams"] for x in s["suppressions"]]
    if sups:
        lines += ["", "## Suppressions in force", "",
                  "| stream | code | kind | reason | expires | first seen | last seen |",
                  "|---|---|---|---|---|---|---|"]
        for s, x in sups:
            expires = (x["expires"] or "never") + (" (within the period)" if x["expires_within_period"] else "")
            lines.append(f"| {md_code(s['address'])} | {_md(x['code'])} | {_md(x['kind'])} | {_md(x['reason'])} | "
                         f"{_md(expires)} | {_md(_t(x['first_seen']))} | {_md(_t(x['last_seen']))} |")
    notes = [(s, n) for s in data["streams"] for n in s["suppression_notes"]]
    if notes:
        lines += ["", "## Suppressions not applied", ""]
        lines += [f"- {md_code(s['address'])}: {_md(n)}" for s, n in notes]
    if data["remediations"]:
        lines += ["", "## Live remediation", ""]
        lines += [f"- {md_code(r['address'])}: {_md(remediation_text(r))}" for r in data["remediations"]]
    lines += _md_keys(data["keys"])
    lines += _md_results(data.get("results"))
    lines += ["", "## Runs", "", "| recorded at | run | command | inputs | git commit | findings |",
              "|---|---|---|---|---|---|"]
    for r in data["runs"]:
        lines.append(f"| {_md(_t(r['recorded_at']))} | {_md(r['run_id'])} | {_md(r['command'])} | "
                     f"{_md(', '.join(r['inputs']))} | {_md(r['git_commit'])} | {r['finding_count']} |")
    return "\n".join(lines) + "\n"


def _md_keys(keys: list[dict[str, Any]]) -> list[str]:
    if not keys:
        return []
    lines = ["", "## Keys", "", "Each key the streams use, as their latest findings in the period describe it.", "",
             "| key | manager | state | rotation | who can decrypt | streams |", "|---|---|---|---|---|---|"]
    for k in keys:
        where = f" ({_md(k['where'])})" if k["where"] else ""
        who = "<br>".join(_md(line) for line in decryptor_lines(k["decrypt_principals"]))
        lines.append(f"| {md_code(k['key'])}{where} | {_md(fact_words(k['manager']))} | "
                     f"{_md(fact_words(k['state']))} | {_md(rotation_words(k))} | {who} | "
                     f"{', '.join(md_code(s) for s in k['streams'])} |")
    return lines


RESULTS_INTRO = ("Each Config or Security Hub result stays in force until its next one; sseguard's status is its "
                 "last of the day. A pass against a fail is a disagreement; anything else is not compared.")


def results_headline(results: dict[str, Any]) -> str:
    """The section's first line: how many stream-days disagree."""
    if not results["disagreeing_days"]:
        return "No disagreement: on every day both judged, Config and Security Hub said what sseguard said."
    return (f"DISAGREEMENT on {counted(results['disagreeing_days'], 'stream-day')} "
            f"({counted(results['streams_disagreeing'], 'stream')}): Config or Security Hub said otherwise than "
            "sseguard.")


def _result_cells(span: dict[str, Any]) -> tuple[str, str, str]:
    """sseguard's status, the result in force, and when that result was recorded, as text."""
    ours = " ".join(str(v) for v in (span["sseguard"], span["sseguard_code"]) if v)
    return ours, f"{span['word']} ({span['result']})", _t(span["recorded_at"])


def _md_results(results: dict[str, Any] | None) -> list[str]:
    if not results:
        return []
    lines = ["", "## Config and Security Hub beside sseguard", "", f"**{results_headline(results)}**", "",
             RESULTS_INTRO, "", "| stream | source | days | sseguard | result in force | recorded at | agreement |",
             "|---|---|---|---|---|---|---|"]
    for c in results["comparisons"]:
        for span in c["spans"]:
            ours, theirs, at = _result_cells(span)
            mark = MARKS[span["agreement"]]
            if span["agreement"] == DISAGREE:
                mark = f"**{mark}**"
            lines.append(f"| {md_code(c['address'])} | {_md(c['source'])} | {_md(_span_dates(span))} | {_md(ours)} | "
                         f"{_md(theirs)} | {_md(at)} | {mark} |")
    return lines


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#212121}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f5f5f5}code{font-size:90%}
.ok{background:#e8f5e9;border:1px solid #2e7d32;padding:8px}.broken{background:#ffebee;border:2px solid #c62828;
padding:8px}.cells{white-space:nowrap}.cell{display:inline-block;width:12px;height:16px;margin-right:1px}
.legend span{margin-right:1em}tr.disagree td{background:#ffebee;font-weight:bold}
"""


def _e(value: object) -> str:
    return html_safe("" if value is None else value)


def _chart(days: list[dict[str, Any]]) -> str:
    """A stacked bar per day: streams by status; a day without a scan is a full-height pale bar marked as a gap."""
    order = ["pass", "suppressed", "unknown", "fail", NOT_SEEN, NOT_SCANNED]
    total = max((sum(d[s] for s in order) for d in days), default=0) or 1
    width, height = 760, 120
    slot = width / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [f'<svg role="img" aria-label="compliance over time" width="{width}" height="{height + 20}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, d in enumerate(days):
        x = i * slot + (slot - bar) / 2
        y = float(height)
        for status in order:
            n = d[status]
            if not n:
                continue
            h = height * n / total
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_COLORS[status]}">'
                         f'<title>{_e(d["date"])}: {n} {status}</title></rect>')
        if not d["scanned"] and not any(d[s] for s in order):
            parts.append(f'<rect x="{x:.1f}" y="0" width="{bar:.1f}" height="{height}" fill="{_COLORS[NOT_SCANNED]}">'
                         f'<title>{_e(d["date"])}: no scan</title></rect>')
    if days:
        parts.append(f'<text x="2" y="{height + 15}" font-size="10">{_e(days[0]["date"])}</text>')
        parts.append(f'<text x="{width - 2}" y="{height + 15}" font-size="10" text-anchor="end">'
                     f'{_e(days[-1]["date"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are already-escaped HTML."""
    out = ["<table><thead><tr>", *(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _span_dates(span: dict[str, Any]) -> str:
    return str(span["from"]) if span["days"] == 1 else f"{span['from']} to {span['to']} ({span['days']} days)"


def gap_text(ranges: list[dict[str, Any]]) -> str:
    """Days without a scan as a reader wants them: single days as dates, longer runs as one span with its length."""
    return ", ".join(_span_dates(r) for r in ranges) or "none"


def _html_integrity(h: dict[str, Any]) -> str:
    """The chain's state, and the rows this sseguard does not understand, as HTML."""
    if h["chain_intact"]:
        out = (f'<p class="ok" id="integrity">{_e(_history_counts(h))}, hash chain intact (head row '
               f'{h["head_seq"]}, sha256 <code>{_e(h["head_hash"])}</code>).</p>')
    else:
        items = "".join(f"<li>{_e(p)}</li>" for p in h["problems"])
        out = (f'<div class="broken" id="integrity"><strong>History hash chain BROKEN</strong>: this report '
               f"cannot be trusted.<ul>{items}</ul></div>")
    if h["rows_not_understood"]:
        items = "".join(f"<li>{_e(p)}</li>" for p in h["rows_not_understood"])
        out += (f'<div class="broken" id="not-understood"><strong>'
                f"{_e(counted(len(h['rows_not_understood']), 'history row'))} not understood</strong> by this "
                f"sseguard:<ul>{items}</ul></div>")
    return out


def render_html(report: PeriodReport) -> str:
    """One self-contained page: integrity, coverage, a chart of compliance over time, every stream's timeline,
    failure episodes, suppressions, the runs behind them, and the framework mapping table.

    The scan report's chart (``report.html.history_chart``) spans only the days it is given, so leading and
    trailing days without a scan would vanish; this page draws every day of the period, gaps included."""
    data = report.to_dict()
    period = f"{data['period']['from']} to {data['period']['to']} (UTC)"
    body = [f"<h1>Kinesis stream encryption evidence, {_e(period)}</h1>", _html_integrity(data["history"]),
            f'<p id="coverage">{_e(_coverage(data))}</p>', _html_summary(data["summary"]),
            "<h2>Compliance over time</h2>" + _chart(data["days"]), _html_legend(),
            _html_streams(data["streams"], len(report.days)), *_html_episodes(data["streams"]),
            *_html_suppressions(data["streams"]), *_html_remediations(data["remediations"]), *_html_keys(data["keys"]),
            *_html_results(data.get("results")), _html_runs(data["runs"]),
            mapping_section()]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>sseguard evidence {_e(period)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + f"<footer><p>sseguard {_e(data['tool']['version'])}, generated "
            f"{_e(data['generated_at'])}</p></footer></body></html>\n")


def _html_summary(sm: dict[str, Any]) -> str:
    return _table(["streams", "compliant all period", "with non-compliant days", "fixed in period", "still failing",
                   "with suppressions"],
                  [[str(sm[k]) for k in ("streams", "compliant_all_period", "with_non_compliant_days",
                                         "fixed_in_period", "still_failing", "with_suppressions")]])


def _html_legend() -> str:
    legend = "".join(f'<span><i class="cell" style="background:{c}"></i> {_e(s)}</span>' for s, c in _COLORS.items())
    return f'<p class="legend">{legend}</p>'


def _html_streams(streams: list[dict[str, Any]], days: int) -> str:
    # A long period keeps its timeline about as wide as a screen: thinner days, never under 2 px; a span of days
    # is one bar as wide as its days.
    day_w = max(2, min(12, 720 // max(days, 1) - 1))
    rows = []
    for s in streams:
        cells = "".join(
            f'<i class="cell" style="background:{_COLORS[c["status"]]};width:{(day_w + 1) * c["days"] - 1}px" '
            f'title="{_e(_span_dates(c))}: {_e(c["status"])}'
            f'{" " + _e(c["code"]) if c["code"] else ""}"></i>' for c in s["timeline"])
        fixes = [e for e in s["episodes"] if e["fixed_at"]]
        counts = s["day_counts"]
        rows.append([f"<code>{_e(s['address'])}</code>", f"{_e(s['source_kind'])} {_e(s['location'])}",
                     f'<span class="cells">{cells}</span>', "yes" if s["compliant_all_period"] else "no",
                     str(s["non_compliant_days"]), str(counts[NOT_SEEN] + counts[NOT_SCANNED]),
                     f"{_e(s['last_status']['status'])} {_e(s['last_status']['code'])}",
                     _e(_t(fixes[-1]["fixed_at"])) if fixes else "", _e(fixes[-1]["time_to_fix"]) if fixes else ""])
    return '<h2>Streams</h2><div id="streams">' + _table(
        ["stream", "source", "timeline", "compliant all period", "non-compliant days", "gap days", "last status",
         "fixed at", "time to fix"], rows) + "</div>"


def _html_episodes(streams: list[dict[str, Any]]) -> list[str]:
    episodes = [[f"<code>{_e(s['address'])}</code>", _e(e["code"]),
                 _e(_t(e["failed_since"])) + (" (before the period)" if e["started_before_period"] else ""),
                 _e(_t(e["fixed_at"]) or "not fixed"), _e(e["time_to_fix"] or "")]
                for s in streams for e in s["episodes"]]
    if not episodes:
        return []
    return ["<h2>Failure episodes</h2>" + _table(["stream", "code", "failed since", "fixed at", "time to fix"],
                                                  episodes)]


def _html_suppressions(streams: list[dict[str, Any]]) -> list[str]:
    out = []
    sups = [[f"<code>{_e(s['address'])}</code>", _e(x["code"]), _e(x["kind"]), _e(x["reason"]),
             _e(x["expires"] or "never") + (" (within the period)" if x["expires_within_period"] else ""),
             _e(_t(x["first_seen"])), _e(_t(x["last_seen"]))] for s in streams for x in s["suppressions"]]
    if sups:
        out.append("<h2>Suppressions in force</h2>" + _table(
            ["stream", "code", "kind", "reason", "expires", "first seen", "last seen"], sups))
    notes = [f"<li><code>{_e(s['address'])}</code>: {_e(n)}</li>" for s in streams for n in s["suppression_notes"]]
    if notes:
        out.append("<h2>Suppressions not applied</h2><ul>" + "".join(notes) + "</ul>")
    return out


def remediation_text(r: dict[str, Any]) -> str:
    """One recorded remediation in words: "fixed at ... by sseguard remediate" for a change made, else what
    happened and why."""
    by = f" ({r['by']})" if r["by"] else ""
    if r["action"] != "applied":
        return f"{r['action']} at {_t(r['at'])} by sseguard remediate{by}: {r['why']}"
    text = (f"fixed at {_t(r['at'])} by sseguard remediate{by}: key {r['key']}; before "
            f"{_encryption_words(r['before'])}, after {_encryption_words(r['after'])}")
    if r["plaintext_until"]:
        text += f"; records written before it stay plaintext until {r['plaintext_until']}"
    return text


def _encryption_words(recorded: dict[str, Any]) -> str:
    """A recorded encryption (``{"encryption_type": ..., "key_id": ...}``) as ``KMS key-id`` or ``NONE``."""
    key = recorded.get("key_id")
    return f"{recorded.get('encryption_type')}" + (f" {key}" if key else "")


def _html_remediations(remediations: list[dict[str, Any]]) -> list[str]:
    if not remediations:
        return []
    items = "".join(f"<li><code>{_e(r['address'])}</code>: {_e(remediation_text(r))}</li>" for r in remediations)
    return [f'<h2>Live remediation</h2><ul id="remediations">{items}</ul>']


def _html_keys(keys: list[dict[str, Any]]) -> list[str]:
    if not keys:
        return []
    rows = [[f"<code>{_e(k['key'])}</code>" + (f" ({_e(k['where'])})" if k["where"] else ""),
             _e(fact_words(k["manager"])), _e(fact_words(k["state"])), _e(rotation_words(k)),
             "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in decryptor_lines(k["decrypt_principals"])) + "</ul>",
             ", ".join(f"<code>{_e(s)}</code>" for s in k["streams"])] for k in keys]
    return ['<h2 id="keys">Keys</h2><p>Each key the streams use, as their latest findings in the period describe it.'
            "</p>" + _table(["key", "manager", "state", "rotation", "who can decrypt", "streams"], rows)]


def _html_results(results: dict[str, Any] | None) -> list[str]:
    if not results:
        return []
    rows = []
    for c in results["comparisons"]:
        for span in c["spans"]:
            ours, theirs, at = _result_cells(span)
            css = ' class="disagree"' if span["agreement"] == DISAGREE else ""
            cells = [f"<code>{_e(c['address'])}</code>", _e(c["source"]), _e(_span_dates(span)), _e(ours), _e(theirs),
                     _e(at), _e(MARKS[span["agreement"]])]
            rows.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("stream", "source", "days", "sseguard", "result in force",
                                              "recorded at", "agreement"))
    headline = results_headline(results)
    box = "broken" if results["disagreeing_days"] else "ok"
    return [f'<h2 id="results">Config and Security Hub beside sseguard</h2><p class="{box}">{_e(headline)}</p>'
            f"<p>{_e(RESULTS_INTRO)}</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"]


def _html_runs(runs: list[dict[str, Any]]) -> str:
    rows = [[_e(_t(r["recorded_at"])), _e(r["run_id"]), _e(r["command"]), _e(", ".join(r["inputs"])),
             _e(r["git_commit"] or ""), str(r["finding_count"])] for r in runs]
    return "<h2>Runs</h2>" + _table(["recorded at", "run", "command", "inputs", "git commit", "findings"], rows)


PERIOD_FORMATS: dict[str, Callable[[PeriodReport], str]] = {
    "json": render_json,
    "csv": render_csv,
    "md": render_markdown,
    "html": render_html,
}
