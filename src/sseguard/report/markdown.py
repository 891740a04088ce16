"""Markdown for a pull-request comment: a summary table, then failing streams, unknown ones, suppressed ones, and
passes folded away in ``<details>``.

Every value from the scanned code is escaped: an address or message could otherwise close a table cell, start
emphasis, or inject HTML into the comment. A hidden marker on the first line lets a CI bot find and update its own
comment instead of adding a new one on every push.
"""

from __future__ import annotations

from collections.abc import Iterable

from sseguard import __version__
from sseguard.control.codes import CODES, CONTROL_ID
from sseguard.control.mappings import mappings
from sseguard.model import Finding, InputError, Status
from sseguard.report.core import RenderOptions, Report
from sseguard.report.escape import md_code, md_safe
from sseguard.report.words import counted

MARKER = "<!-- sseguard-report -->"
# GitHub caps a comment at 65536 characters; a section past this many rows is cut with a count of the rest.
MAX_ROWS = 100

_ICONS = {Status.FAIL: "❌", Status.UNKNOWN: "❓", Status.SUPPRESSED: "🔕", Status.BASELINED: "📌", Status.PASS: "✅"}
_LABELS = {Status.FAIL: "fail", Status.UNKNOWN: "unknown", Status.SUPPRESSED: "suppressed",
           Status.BASELINED: "baselined", Status.PASS: "pass"}


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A GFM table; cells must already be escaped."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines.extend("| " + " | ".join(r) + " |" for r in rows)
    return "\n".join(lines)


def location(f: Finding) -> str:
    """Where a stream is, as plain text (the HTML report shows the same): ``file:line``, ``account/region`` for live
    streams, or the source kind."""
    loc = f.stream.location
    if loc.path:
        return (f"{loc.path}:{loc.line}" if loc.line else loc.path) + loc.root_note
    region = f.stream.region if isinstance(f.stream.region, str) else None
    parts = [p for p in (f.stream.account, region) if p]
    return "/".join(parts) if parts else loc.kind.value


def codes_cell(f: Finding) -> str:
    """The primary code with its slug, and any advisories after it."""
    v = f.verdict
    out = f"{v.code} {CODES[v.code].slug}"
    if v.advisories:
        out += " (+" + ", ".join(v.advisories) + ")"
    return md_safe(out)


def finding_row(f: Finding) -> list[str]:
    """One failing or unknown stream: address, location, code, why."""
    v = f.verdict
    why = v.message
    if v.also_failing:
        why += "; also failing: " + ", ".join(v.also_failing)
    for note in f.notes:
        why += f"; note: {note}"
    return [md_code(f.stream.address), md_code(location(f)), codes_cell(f), md_safe(why)]


def fixes(findings: Iterable[Finding]) -> list[str]:
    """How to fix the failing codes among ``findings`` (primary and also-failing) as list items, one per distinct
    remediation, in code order."""
    present = {c for f in findings for c in (f.verdict.code, *f.verdict.also_failing)}
    by_fix: dict[str, list[str]] = {}
    for rc in CODES.values():
        if rc.code in present:
            by_fix.setdefault(rc.fix, []).append(f"{rc.code} {rc.slug}")
    return [f"- **{md_safe(', '.join(names))}**: {md_safe(fix)}" for fix, names in by_fix.items()]


def suppressed_row(f: Finding) -> list[str]:
    """One suppressed stream: address, location, the finding, and the suppression's kind, reason and expiry."""
    sup = f.suppression
    assert sup is not None
    return [md_code(f.stream.address), md_code(location(f)), codes_cell(f), md_safe(f.verdict.message),
            md_safe(sup.kind), md_safe(sup.reason), md_safe(sup.expires or "never")]


def pass_row(f: Finding) -> list[str]:
    """One passing stream: address, location, the verdict and its advisories."""
    adv = "; ".join(f"{a} {CODES[a].title}" for a in f.verdict.advisories) or "none"
    return [md_code(f.stream.address), md_code(location(f)), md_safe(f.verdict.message), md_safe(adv)]


def _capped(rows: list[list[str]], width: int) -> list[list[str]]:
    if len(rows) <= MAX_ROWS:
        return rows
    rest = len(rows) - MAX_ROWS
    return [*rows[:MAX_ROWS], [f"… and {rest} more (see the full report)", *([""] * (width - 1))]]


def summary_lines(report: Report) -> list[str]:
    """The headline and the count table."""
    counts = report.summary()
    total = len(report.findings)
    verdict = "❌ failing streams" if counts["fail"] else ("❓ undecided streams" if counts["unknown"] else "✅ clean")
    head = f"**{verdict}**: {counted(total, 'stream')} checked"
    if report.errors:
        head += f", ⚠️ {counted(len(report.errors), 'input')} could not be read"
    rows = [[f"{_ICONS[s]} {_LABELS[s]}", str(counts[s.value])]
            for s in (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.BASELINED, Status.PASS)
            if s.value in counts]
    return [head, "", table(["status", "streams"], rows)]


def _errors_lines(errors: list[InputError]) -> list[str]:
    rows = [[md_code(f"{e.location}:{e.line}" if e.line else e.location), md_safe(e.message)] for e in errors]
    return ["### ⚠️ Inputs that could not be read", "", table(["input", "error"], _capped(rows, 2)), ""]


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The pull-request comment. ``--quiet`` leaves out the folded list of passing streams."""
    opts = options or RenderOptions()
    by_status: dict[Status, list[Finding]] = {s: [] for s in Status}
    for f in report.findings:
        by_status[f.status].append(f)
    lines = [MARKER, f"## sseguard: Kinesis stream encryption {md_code(CONTROL_ID)}", ""]
    lines += [*summary_lines(report), ""]
    if report.errors:
        lines += _errors_lines(report.errors)
    header = ["stream", "location", "code", "why"]
    for status, heading in ((Status.FAIL, "Failing"), (Status.UNKNOWN, "Unknown (not a pass: decide it)")):
        if by_status[status]:
            rows = [finding_row(f) for f in by_status[status]]
            lines += [f"### {_ICONS[status]} {heading}", "", table(header, _capped(rows, 4)), "",
                      "How to fix:", "", *fixes(by_status[status]), ""]
    if by_status[Status.SUPPRESSED]:
        rows = [suppressed_row(f) for f in by_status[Status.SUPPRESSED]]
        lines += [f"### {_ICONS[Status.SUPPRESSED]} Suppressed", "",
                  table(["stream", "location", "code", "finding", "by", "reason", "expires"], _capped(rows, 7)), ""]
    if by_status[Status.BASELINED] and not opts.quiet:
        rows = [finding_row(f) for f in by_status[Status.BASELINED]]
        lines += [f"<details><summary>{_ICONS[Status.BASELINED]} "
                  f"{counted(len(rows), 'stream')} accepted by the baseline</summary>", "",
                  table(header, _capped(rows, 4)), "", "</details>", ""]
    passes = by_status[Status.PASS]
    if passes and not opts.quiet:
        rows = [pass_row(f) for f in passes]
        lines += [f"<details><summary>{_ICONS[Status.PASS]} {counted(len(passes), 'passing stream')}</summary>", "",
                  table(["stream", "location", "verdict", "advisories"], _capped(rows, 4)), "", "</details>", ""]
    frameworks = ", ".join(f"{fw['framework']} {fw['requirement']}" for fw in mappings()["frameworks"][:5])
    lines.append(f"<sub>sseguard {md_safe(__version__)} · {md_safe(frameworks)}, … · "
                 f"run `sseguard explain CODE` for any code</sub>")
    return "\n".join(lines) + "\n"
