"""The terminal report: grouped by file, one line per stream, a summary line; colour only on a terminal."""

from __future__ import annotations

from itertools import groupby

from sseguard.control.codes import CODES
from sseguard.model import Finding, Status
from sseguard.report.core import RenderOptions, Report, remediation_of

_COLORS = {
    Status.PASS: "\033[32m",
    Status.FAIL: "\033[31m",
    Status.UNKNOWN: "\033[33m",
    Status.SUPPRESSED: "\033[2m",
}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _group_key(f: Finding) -> str:
    loc = f.stream.location
    return loc.path or f"{loc.kind.value}"


def render(report: Report, options: RenderOptions | None = None) -> str:
    """Human-readable report."""
    opts = options or RenderOptions()

    def paint(text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if opts.color else text

    shown = report.at_or_above(opts.fail_on) if opts.quiet else report.findings
    lines: list[str] = []
    for group, items in groupby(sorted(shown, key=_group_key), key=_group_key):
        lines.append(paint(group, _BOLD))
        for f in items:
            lines.extend(_finding_lines(f, paint))
        lines.append("")
    if report.errors:
        lines.append(paint("errors", _BOLD))
        for e in report.errors:
            where = f"{e.location}:{e.line}" if e.line else e.location
            lines.append(f"  {paint('error', _COLORS[Status.FAIL])} {where}: {e.message}")
        lines.append("")
    counts = report.summary()
    parts = [paint(f"{counts[s.value]} {s.value}", _COLORS[s]) for s in Status]
    n = len(report.findings)
    lines.append(f"{n} stream{'s' if n != 1 else ''}: " + ", ".join(parts)
                 + (f"; {len(report.errors)} input error{'s' if len(report.errors) != 1 else ''}"
                    if report.errors else ""))
    return "\n".join(lines) + "\n"


def _finding_lines(f: Finding, paint: object) -> list[str]:
    assert callable(paint)
    v = f.verdict
    line = f":{f.stream.location.line}" if f.stream.location.line else ""
    status = paint(f"{f.status.value.upper():<10}", _COLORS[f.status])
    adv = f" [+{','.join(v.advisories)}]" if v.advisories else ""
    out = [f"  {status} {v.code} {f.stream.address}{line}{f.stream.location.root_note}{adv}",
           f"             {v.message}"]
    if f.suppression:
        exp = f", expires {f.suppression.expires}" if f.suppression.expires else ""
        out.append(paint(f"             suppressed ({f.suppression.kind}): {f.suppression.reason}{exp}", _DIM))
    for note in f.notes:
        out.append(f"             note: {note}")
    by_reason: dict[str, list[str]] = {}
    for code, why in v.skipped_checks.items():
        by_reason.setdefault(why, []).append(code)
    for why, codes in by_reason.items():
        out.append(paint(f"             not checked ({', '.join(codes)}): {why}", _DIM))
    if v.also_failing:
        out.append(f"             also failing: {', '.join(v.also_failing)}")
    for code in v.advisories:
        out.append(paint(f"             advisory {code}: {CODES[code].title}", _DIM))
    if f.status is Status.FAIL:
        out.append(paint(f"             fix: {remediation_of(f)}", _DIM))
    elif f.status is Status.UNKNOWN and not v.resolve:  # a source's own hint is already in the message
        out.append(paint(f"             to resolve: {remediation_of(f)}", _DIM))
    return out
