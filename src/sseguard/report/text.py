"""The terminal report: grouped by file, one line per stream, a summary line; colour only on a terminal.

Every line goes through ``escape.text_safe`` before it is coloured: a file name, address or message from a crafted
input shows its control characters as escapes instead of moving the cursor or starting a fake line.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from sseguard.control.codes import CODES
from sseguard.model import Finding, Status, Verdict
from sseguard.report.core import RenderOptions, Report, remediation_of, shown_evidence
from sseguard.report.decryptors import outside_lines
from sseguard.report.escape import text_safe
from sseguard.report.words import counted

_COLORS = {
    Status.PASS: "\033[32m",
    Status.FAIL: "\033[31m",
    Status.UNKNOWN: "\033[33m",
    Status.SUPPRESSED: "\033[2m",
    Status.BASELINED: "\033[2m",
}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _group_key(f: Finding) -> str:
    loc = f.stream.location
    return loc.path or f"{loc.kind.value}"


def render(report: Report, options: RenderOptions | None = None) -> str:
    """Human-readable report."""
    opts = options or RenderOptions()

    def paint(text: str, style: str) -> str:
        shown = text_safe(text)
        return f"{style}{shown}{_RESET}" if opts.color else shown

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
            lines.append(f"  {paint('error', _COLORS[Status.FAIL])} {text_safe(f'{where}: {e.message}')}")
        lines.append("")
    if report.notes and not opts.quiet:
        lines.append(paint("notes", _BOLD))
        lines.extend(f"  {paint('note', _DIM)} {text_safe(note)}" for note in report.notes)
        lines.append("")
    if report.baseline is not None and report.baseline.fixed and not opts.quiet:
        lines.append(paint(f"fixed since the baseline {report.baseline.file}", _BOLD))
        lines.extend(text_safe(f"  {e.file} {e.address}{' (root ' + e.root + ')' if e.root else ''} {e.code}")
                     for e in report.baseline.fixed)
        lines.append("")
    counts = report.summary()
    parts = [paint(f"{counts[s.value]} {s.value}", _COLORS[s]) for s in Status if s.value in counts]
    lines.append(f"{counted(len(report.findings), 'stream')}: " + ", ".join(parts)
                 + (f"; {counted(len(report.errors), 'input error')}" if report.errors else ""))
    return "\n".join(lines) + "\n"


def _message(v: Verdict) -> str:
    """The verdict's message without the count of key checks that could not run: the ``not checked`` lines below
    it name each of them with its reason, so the text report states them once."""
    if v.status is not Status.PASS or not v.skipped_checks:
        return v.message
    head, sep, tail = v.message.rpartition("; ")
    listed = tail.partition(" could not run: ")[2]
    return head if sep and listed == ", ".join(sorted(v.skipped_checks)) else v.message


def _finding_lines(f: Finding, paint: Callable[[str, str], str]) -> list[str]:
    v = f.verdict
    line = f":{f.stream.location.line}" if f.stream.location.line else ""
    status = paint(f"{f.status.value.upper():<10}", _COLORS[f.status])
    adv = f" [+{','.join(v.advisories)}]" if v.advisories else ""
    where = text_safe(f"{f.stream.address}{line}{f.stream.location.root_note}")
    out = [f"  {status} {v.code} {where}{adv}", text_safe(f"             {_message(v)}")]
    if f.status is Status.BASELINED:
        out.append(paint(f"             baselined: accepted as {v.status.value} by the baseline", _DIM))
    if f.suppression:
        exp = f", expires {f.suppression.expires}" if f.suppression.expires else ""
        out.append(paint(f"             suppressed ({f.suppression.kind}): {f.suppression.reason}{exp}", _DIM))
    for note in f.notes:
        out.append(text_safe(f"             note: {note}"))
    by_reason: dict[str, list[str]] = {}
    for code, why in v.skipped_checks.items():
        by_reason.setdefault(why, []).append(code)
    for why, codes in by_reason.items():
        out.append(paint(f"             not checked ({', '.join(codes)}): {why}", _DIM))
    if v.also_failing:
        out.append(text_safe(f"             also failing: {', '.join(v.also_failing)}"))
    for code in v.advisories:
        out.append(paint(f"             advisory {code}: {CODES[code].title}", _DIM))
        if code == "KSSE016":
            key = shown_evidence(f).get("key")
            for who in outside_lines(key.get("decrypt_principals") if isinstance(key, dict) else None):
                out.append(paint(text_safe(f"               can decrypt: {who}"), _DIM))
    if f.status is Status.FAIL:
        out.append(paint(f"             fix: {remediation_of(f)}", _DIM))
    elif f.status is Status.UNKNOWN and not v.resolve:  # a source's own hint is already in the message
        out.append(paint(f"             to resolve: {remediation_of(f)}", _DIM))
    return out
