"""HTML: one self-contained page (no network fetches) an auditor can open from a file or an evidence bundle.

The page holds a summary, a per-stream table with status filters and a text filter, each finding's evidence in an
expandable row (the verdict, the key, the policy analysis, the source or API fields), the framework mapping table,
and, when a scan history is given, a chart of compliance over time drawn as inline SVG.

Every value goes through ``escape.html_safe``. A Content-Security-Policy forbids every fetch and runs only the page's
own script and style (by hash), so even a value that slipped past escaping could neither run nor phone home. Without
JavaScript the page still shows everything: the script only adds the filters and folds the evidence rows away.

The building blocks (``document``, ``summary_section``, ``findings_section``, ``finding_rows``, ``evidence_block``,
``mapping_section``, ``history_chart``) are public so a period report can compose its own page from them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sseguard import __version__
from sseguard.control.codes import CODES, CONTROL_ID, CONTROL_TITLE
from sseguard.control.mappings import mappings
from sseguard.model import Finding, InputError, Status
from sseguard.report.core import RenderOptions, Report, remediation_of, severity, shown_evidence
from sseguard.report.decryptors import decryptor_lines
from sseguard.report.escape import html_safe
from sseguard.report.markdown import location as location_text
from sseguard.report.words import counted, noun_for

History = Sequence[tuple[dt.date, Mapping[str, int]]]

STATUS_ORDER = (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.BASELINED, Status.PASS)
# Fill colours of the statuses, shared by the badges (CSS) and the chart (SVG attributes).
# The history records a baselined stream with its verdict's status, so the chart has no baselined bar.
CHART_ORDER = (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.PASS)
COLORS = {"fail": "#b42318", "unknown": "#b54708", "suppressed": "#667085", "baselined": "#475467",
          "pass": "#067647"}

CSS = """
:root{color-scheme:light;--fg:#101828;--muted:#475467;--line:#d0d5dd;--bg:#f9fafb}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:14px;margin:12px 0 6px}
.meta{color:var(--muted);margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px;background:var(--bg)}
.card .n{font-size:24px;font-weight:600}.card .l{color:var(--muted)}
.card.fail .n{color:#b42318}.card.unknown .n{color:#b54708}.card.suppressed .n{color:#667085}
.card.pass .n{color:#067647}.card.error .n{color:#b42318}
.bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0 12px}
.bar button{border:1px solid var(--line);background:#fff;border-radius:16px;padding:4px 12px;cursor:pointer;
font:inherit}
.bar button[aria-pressed=true]{background:var(--fg);color:#fff;border-color:var(--fg)}
.bar input{border:1px solid var(--line);border-radius:6px;padding:5px 8px;min-width:260px;font:inherit}
.bar .count{color:var(--muted)}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.addr{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;color:#fff;font-size:12px;font-weight:600}
.badge.fail{background:#b42318}.badge.unknown{background:#b54708}.badge.suppressed{background:#667085}
.badge.pass{background:#067647}.badge.baselined{background:#475467}
tr.evidence>td{background:var(--bg);padding:10px 16px}
.evidence dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
.evidence dt{color:var(--muted)}.evidence dd{margin:0;word-break:break-word}
.evidence pre{background:#fff;border:1px solid var(--line);padding:8px;overflow:auto;max-height:320px;margin:4px 0}
.muted{color:var(--muted)}
button.toggle{border:1px solid var(--line);background:#fff;border-radius:4px;cursor:pointer;font:inherit;
font-size:12px;padding:1px 6px}
.js-only{display:none}
[hidden]{display:none!important}
svg text{font:11px system-ui,sans-serif}
""".strip()

JS = """
(function () {
  "use strict";
  var active = "all";
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button[data-filter]"));
  var query = document.getElementById("filter-text");
  var groups = Array.prototype.slice.call(document.querySelectorAll("tbody.finding"));
  var shown = document.getElementById("shown-count");
  function apply() {
    if (!query || !shown) { return; }
    var q = query.value.trim().toLowerCase();
    var n = 0;
    groups.forEach(function (g) {
      var ok = (active === "all" || g.getAttribute("data-status") === active) &&
        (q === "" || g.getAttribute("data-search").indexOf(q) !== -1);
      g.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      active = b.getAttribute("data-filter");
      buttons.forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
      apply();
    });
  });
  if (query) { query.addEventListener("input", apply); }
  Array.prototype.forEach.call(document.querySelectorAll("button.toggle"), function (b) {
    var row = document.getElementById(b.getAttribute("aria-controls"));
    if (!row) { return; }
    row.hidden = true;
    b.addEventListener("click", function () {
      var open = row.hidden;
      row.hidden = !open;
      b.setAttribute("aria-expanded", open ? "true" : "false");
      b.textContent = open ? "hide" : "evidence";
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.classList.remove("js-only");
  });
  apply();
}());
""".strip()


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy() -> str:
    """The page's policy: nothing may be fetched; only this module's own style and script run."""
    return (f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(JS)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def document(title: str, body: str) -> str:
    """A complete page around ``body`` (already-escaped HTML), with the inline style, script and policy."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{html_safe(content_security_policy())}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{html_safe(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{JS}</script>\n</body>\n</html>\n"
    )


def _timestamp(report: Report) -> str:
    return report.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def summary_section(report: Report) -> str:
    """Cards with the count of each status, the share of passing streams, and the input errors."""
    counts = report.summary()
    total = len(report.findings)
    share = f"{100 * counts['pass'] / total:.0f}%" if total else "n/a"
    cards = [f'<div class="card"><div class="n">{total}</div><div class="l">{noun_for(total, "stream")}</div></div>',
             f'<div class="card"><div class="n">{html_safe(share)}</div><div class="l">passing</div></div>']
    for s in (s for s in STATUS_ORDER if s.value in counts):
        cards.append(f'<div class="card {s.value}"><div class="n">{counts[s.value]}</div>'
                     f'<div class="l">{s.value}</div></div>')
    if report.errors:
        cards.append(f'<div class="card error"><div class="n">{len(report.errors)}</div>'
                     f'<div class="l">{noun_for(len(report.errors), "input error")}</div></div>')
    inputs = "".join(f"<li>{html_safe(i.kind.value)}: <code>{html_safe(i.location)}</code></li>" for i in report.inputs)
    listing = (f"<details><summary>{counted(len(report.inputs), 'input')} read</summary>"
               f"<ul>{inputs}</ul></details>") if report.inputs else '<p class="muted">No input was read.</p>'
    return f'<section id="summary"><h2>Summary</h2><div class="cards">{"".join(cards)}</div>{listing}</section>'


def _fact_html(value: Any) -> str:
    """A fact from the evidence: unknown and not-known markers spelled out, structures as JSON."""
    if value is None:
        return '<span class="muted">none</span>'
    if isinstance(value, Mapping):
        if set(value) == {"not_known"}:
            return f'<span class="muted">not known: {html_safe(value["not_known"])}</span>'
        if "unknown" in value:
            resolve = f"; to resolve: {html_safe(value['resolve'])}" if value.get("resolve") else ""
            return (f"<strong>unknown</strong> ({html_safe(value.get('code', ''))}): {html_safe(value['unknown'])}"
                    f"{resolve}")
        # Line by line: the layout's line breaks stay; the values' own controls are \u escapes (ASCII JSON).
        lines = json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()
        return "<pre>" + "\n".join(html_safe(line) for line in lines) + "</pre>"
    if isinstance(value, list | tuple):
        return f"<code>{html_safe(json.dumps(list(value), default=str))}</code>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"<code>{html_safe(value)}</code>"


def _dl(pairs: Sequence[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{html_safe(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def evidence_block(f: Finding) -> str:
    """The facts behind one verdict, as HTML: verdict, suppression, stream, key, policy analysis, source fields."""
    v = f.verdict
    ev = shown_evidence(f)
    parts: list[str] = []
    rc = CODES[v.code]
    verdict = [("status", html_safe(f.status.value)), ("reason", html_safe(f"{v.code} {rc.slug}: {rc.title}")),
               ("message", html_safe(v.message)), ("severity", html_safe(severity(f)))]
    verdict += [(f"advisory {a}", html_safe(CODES[a].title)) for a in v.advisories]
    if v.also_failing:
        verdict.append(("also failing", html_safe(", ".join(v.also_failing))))
    verdict += [("note", html_safe(n)) for n in ev.get("suppression_notes", [])]
    if f.status is not Status.PASS:
        verdict.append(("how to fix", html_safe(remediation_of(f))))
    parts.append("<h3>Verdict</h3>" + _dl(verdict))
    if f.suppression is not None:
        sup = f.suppression
        rows = [("by", html_safe(sup.kind)), ("reason", html_safe(sup.reason)),
                ("expires", html_safe(sup.expires or "never"))]
        if sup.line:
            rows.append(("line", html_safe(sup.line)))
        parts.append("<h3>Suppression</h3>" + _dl(rows))
    s = f.stream
    stream_rows = [("address", _fact_html(s.address)), ("resource type", _fact_html(s.resource_type)),
                   ("ARN", _fact_html(s.arn)), ("account", _fact_html(s.account)),
                   ("source", _fact_html(f"{s.location.kind.value} {location_text(f)}")),
                   ("encryption type", _fact_html(ev["encryption_type"])),
                   ("key reference", _fact_html(ev["key_reference"])), ("region", _fact_html(ev["region"]))]
    if ev.get("importing"):
        stream_rows.append(("importing", "yes"))
    parts.append("<h3>Stream</h3>" + _dl(stream_rows))
    key = ev.get("key")
    if isinstance(key, Mapping):
        key_rows = [(name.replace("_", " "), _fact_html(val)) for name, val in key.items()
                    if name not in ("policy", "decrypt_principals")]
        parts.append("<h3>Key</h3>" + _dl(key_rows))
        who = decryptor_lines(key.get("decrypt_principals"))
        if who:
            parts.append("<h3>Who can decrypt</h3><ul>" + "".join(f"<li>{html_safe(w)}</li>" for w in who)
                         + "</ul>")
    checks = ev.get("key_checks_not_run")
    if isinstance(checks, Mapping) and checks:
        parts.append("<h3>Key checks that could not run</h3>"
                     + _dl([(f"{c} {CODES[c].slug}", html_safe(why)) for c, why in checks.items()]))
    notes = ev.get("policy_analysis")
    if notes:
        parts.append("<h3>Key policy analysis</h3><ul>" + "".join(f"<li>{html_safe(n)}</li>" for n in notes) + "</ul>")
    if isinstance(key, Mapping) and isinstance(key.get("policy"), Mapping | str):
        parts.append("<h3>Key policy</h3>" + _fact_html(key["policy"]))
    facts = ev.get("source_facts")
    if isinstance(facts, Mapping) and facts:
        parts.append("<h3>Source and API fields</h3>" + _dl([(str(k), _fact_html(val)) for k, val in facts.items()]))
    return '<div class="evidence">' + "".join(parts) + "</div>"


def search_text(f: Finding) -> str:
    """What the text filter matches: address, ARN, location, code, message and suppression reason, lower-cased."""
    s = f.stream
    words = [s.address, s.arn or "", location_text(f), f.verdict.code, CODES[f.verdict.code].slug, f.verdict.message,
             *f.verdict.advisories, f.suppression.reason if f.suppression else ""]
    return " ".join(words).lower()


def finding_rows(f: Finding, index: int) -> str:
    """One finding as a ``<tbody>``: its row, and the evidence row the toggle button folds."""
    v = f.verdict
    row_id = f"ev-{index}"
    adv = "".join(f' <span class="muted">+{html_safe(a)}</span>' for a in v.advisories)
    shows_arn = f.stream.arn and f.stream.arn != f.stream.address
    arn = f'<div class="muted">{html_safe(f.stream.arn)}</div>' if shows_arn else ""
    return (
        f'<tbody class="finding" data-status="{html_safe(f.status.value)}" data-search="{html_safe(search_text(f))}">'
        f'<tr class="row"><td><button type="button" class="toggle js-only" aria-expanded="false" '
        f'aria-controls="{row_id}">evidence</button></td>'
        f'<td><span class="badge {html_safe(f.status.value)}">{html_safe(f.status.value)}</span></td>'
        f'<td class="addr">{html_safe(f.stream.address)}{arn}</td>'
        f"<td>{html_safe(location_text(f))}</td><td>{html_safe(v.code)} {html_safe(CODES[v.code].slug)}{adv}</td>"
        f"<td>{html_safe(v.message)}</td></tr>"
        f'<tr class="evidence" id="{row_id}"><td colspan="6">{evidence_block(f)}</td></tr></tbody>'
    )


def findings_section(findings: Sequence[Finding]) -> str:
    """The per-stream table, worst first, with its filter bar."""
    ordered = sorted(findings, key=lambda f: STATUS_ORDER.index(f.status))
    counts = {s: sum(1 for f in findings if f.status is s) for s in STATUS_ORDER}
    buttons = [f'<button type="button" data-filter="all" aria-pressed="true">all ({len(findings)})</button>']
    buttons += [f'<button type="button" data-filter="{s.value}" aria-pressed="false">{s.value} ({counts[s]})</button>'
                for s in STATUS_ORDER if s is not Status.BASELINED or counts[s]]
    bar = (f'<div class="bar js-only" role="toolbar" aria-label="filters">{"".join(buttons)}'
           '<input id="filter-text" type="search" placeholder="filter by stream, file, code or message" '
           'aria-label="filter text"><span class="count"><span id="shown-count">'
           f"{len(findings)}</span> shown</span></div>")
    body = "".join(finding_rows(f, i) for i, f in enumerate(ordered))
    if not findings:
        body = '<tbody><tr><td colspan="6" class="muted">No Kinesis stream was found in the inputs.</td></tr></tbody>'
    return (f'<section id="streams"><h2>Streams</h2>{bar}<table id="findings"><thead><tr><th></th><th>status</th>'
            "<th>stream</th><th>location</th><th>code</th><th>message</th></tr></thead>"
            f"{body}</table></section>")


def errors_section(errors: Sequence[InputError]) -> str:
    """Inputs that could not be read; empty when there are none."""
    if not errors:
        return ""
    rows = "".join(f"<tr><td><code>{html_safe(e.location)}</code></td><td>{html_safe(e.line or '')}</td>"
                   f"<td>{html_safe(e.message)}</td></tr>" for e in errors)
    return ('<section id="errors"><h2>Inputs that could not be read</h2><table><thead><tr><th>input</th>'
            f"<th>line</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></section>")


def mapping_section() -> str:
    """The framework requirements and the same control's ids in other tools, each with its source."""
    m = mappings()
    fw_rows = "".join(f"<tr><td>{html_safe(r['framework'])}</td><td>{html_safe(r['requirement'])}</td>"
                      f"<td>{html_safe(', '.join(r['sources']))}</td></tr>" for r in m["frameworks"])
    tool_rows = "".join(f"<tr><td>{html_safe(t['scheme'])}</td><td><code>{html_safe(t['id'])}</code></td>"
                        f"<td>{html_safe(t['note'])}</td></tr>" for t in m["tools"])
    return ('<section id="mappings"><h2>Framework mapping</h2><table id="frameworks"><thead><tr><th>framework</th>'
            f"<th>requirement</th><th>source</th></tr></thead><tbody>{fw_rows}</tbody></table>"
            '<h3>Same control in other tools</h3><table id="tools"><thead><tr><th>tool</th><th>id</th><th>note</th>'
            f"</tr></thead><tbody>{tool_rows}</tbody></table></section>")


def history_chart(history: History, width: int = 760, height: int = 240) -> str:
    """Stacked daily bars of stream statuses over the history's days, as inline SVG.

    Days with no scan get no bar and a grey "no scan" mark on the axis, so a gap in coverage never looks compliant.
    When a day holds several entries, the last one counts.
    """
    by_day: dict[dt.date, Mapping[str, int]] = {}
    for day, counts in sorted(history, key=lambda item: item[0]):
        by_day[day] = counts
    if not by_day:
        return ""
    first, last = min(by_day), max(by_day)
    days = (last - first).days + 1
    left, right, top, bottom = 44, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(sum(c.get(s.value, 0) for s in STATUS_ORDER) for c in by_day.values()), 1)
    slot = plot_w / days
    bar_w = max(slot * 0.8, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="history-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="stream statuses per day, {html_safe(first)} to '
             f'{html_safe(last)}">']
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d5dd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#475467">'
                     f"{round(peak * frac)}</text>")
    for i in range(days):
        day = first + dt.timedelta(days=i)
        x = left + i * slot + (slot - bar_w) / 2
        if day not in by_day:
            parts.append(f'<rect class="gap" x="{x:.1f}" y="{top + plot_h + 2}" width="{bar_w:.1f}" height="4" '
                         f'fill="#98a2b3"><title>{html_safe(day)}: no scan</title></rect>')
            continue
        counts = by_day[day]
        total = sum(counts.get(s.value, 0) for s in CHART_ORDER)
        tip = f"{day}: " + ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in CHART_ORDER)
        y = top + plot_h
        for s in reversed(CHART_ORDER):
            n = counts.get(s.value, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(f'<rect class="{s.value}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS[s.value]}"><title>{html_safe(tip)}</title></rect>')
        if total == 0:
            parts.append(f'<rect class="empty" x="{x:.1f}" y="{top + plot_h - 1}" width="{bar_w:.1f}" height="1" '
                         f'fill="#475467"><title>{html_safe(day)}: scanned, no streams</title></rect>')
    parts.append(f'<text x="{left}" y="{height - 8}" fill="#475467">{html_safe(first)}</text>'
                 f'<text x="{width - right}" y="{height - 8}" text-anchor="end" fill="#475467">'
                 f"{html_safe(last)}</text>")
    legend_x = left
    for label, color in [*((s.value, COLORS[s.value]) for s in CHART_ORDER), ("no scan", "#98a2b3")]:
        parts.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + 14}" y="17" fill="#101828">{html_safe(label)}</text>')
        legend_x += 14 + 7 * len(label) + 18
    parts.append("</svg>")
    return "".join(parts)


def history_section(history: History | None) -> str:
    """The chart of compliance over time, with the share of passing streams on the last day; empty without history."""
    if not history:
        return ""
    last_day, last = max(history, key=lambda item: item[0])
    total = sum(last.get(s.value, 0) for s in STATUS_ORDER)
    share = (f"{100 * last.get('pass', 0) / total:.0f}% of {counted(total, 'stream')} passing on {last_day}"
             if total else "")
    return (f'<section id="history"><h2>Compliance over time</h2><p class="muted">{html_safe(share)}</p>'
            f"{history_chart(history)}</section>")


def render_page(report: Report, history: History | None = None, title: str | None = None) -> str:
    """The whole page for one report; ``history`` is ``(day, {status: count})`` per day, for the chart."""
    heading = title or f"sseguard report: {CONTROL_TITLE}"
    meta = (f"Control <code>{html_safe(CONTROL_ID)}</code> · sseguard {html_safe(__version__)} · generated "
            f"{html_safe(_timestamp(report))} · {counted(len(report.inputs), 'input')}")
    body = (f"<header><h1>{html_safe(heading)}</h1><p class=\"meta\">{meta}</p></header><main>"
            f"{summary_section(report)}{history_section(history)}{errors_section(report.errors)}"
            f"{findings_section(report.findings)}{mapping_section()}</main>")
    return document(heading, body)


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as a self-contained HTML page, with the compliance chart when the options carry history."""
    history = list(options.history) if options is not None and options.history else None
    return render_page(report, history)
