"""The report every format is rendered from, and its JSON shape (spec/report.schema.json, sseguard/report/v1)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sseguard import __version__
from sseguard.baseline import Applied
from sseguard.control.codes import CODES, CONTROL_ID, CONTROL_TITLE
from sseguard.control.evaluate import evidence
from sseguard.control.mappings import mappings
from sseguard.model import ErrorKind, Finding, InputError, ScannedInput, Status, resolved_or_none
from sseguard.report.escape import bounded_evidence

SCHEMA_ID = "sseguard/report/v1"
FAIL_ON_LEVELS = ("fail", "unknown", "advisory")


@dataclass(frozen=True)
class RenderOptions:
    """How a format is shown: colour (on a terminal), ``--quiet``/``--fail-on``, the history chart (HTML), and the
    account and region of findings whose stream names none (ASFF: ``--account-id``, ``--region``)."""

    color: bool = False
    quiet: bool = False
    fail_on: str = "fail"
    # Compliance over time from the scan history, ``(day, {status: streams})`` per scanned day, for the HTML chart.
    history: tuple[tuple[dt.date, Mapping[str, int]], ...] | None = None
    account_id: str | None = None
    region: str | None = None
    # SARIF's runAutomationDetails category: GitHub keeps one analysis per category (--sarif-category).
    sarif_category: str = "sseguard"


@dataclass
class Report:
    """The outcome of one run: findings (one per stream), the inputs read, and the errors met."""

    findings: list[Finding]
    inputs: list[ScannedInput] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # How the inputs were read, short of an error (a folder link not followed, a file scanned alone).
    notes: list[str] = field(default_factory=list)
    # Files the command line named (paths, --var-file), as reports show them: one that cannot be read is a mistake
    # in the command, not only an input error.
    named: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # What --baseline did, when one was given (see ``baseline.apply``).
    baseline: Applied | None = None
    _finding_dicts: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status if s is not Status.BASELINED or self.baseline is not None}
        for f in self.findings:
            counts[f.status.value] += 1
        return counts

    def at_or_above(self, fail_on: str) -> list[Finding]:
        """The findings that make the run exit 1 under ``--fail-on``; suppressed ones never do."""
        level = FAIL_ON_LEVELS.index(fail_on)
        out = []
        for f in self.findings:
            advisory = f.status is Status.PASS and bool(f.verdict.advisories)
            if f.status is Status.FAIL or (f.status is Status.UNKNOWN and level >= 1) or (advisory and level >= 2):
                out.append(f)
        return out

    def exit_code(self, fail_on: str) -> int:
        """The one rule for every input kind: 2 when the command cannot be honoured (a usage error, a named file
        missing or unreadable) or when no input could be read without error (an empty folder, a folder of only
        broken files); else 1 when a finding is at or above ``fail_on`` (an input error counting as an unknown
        stream, since it may hide streams), else 0."""
        if self.failed():
            return 2
        unread = bool(self.errors) and FAIL_ON_LEVELS.index(fail_on) >= FAIL_ON_LEVELS.index("unknown")
        return 1 if self.at_or_above(fail_on) or unread else 0

    def failed(self) -> bool:
        """Whether the run could not do what it was asked (exit 2; see ``exit_code``)."""
        unreadable = {e.location for e in self.errors if e.kind is ErrorKind.UNREADABLE}
        if any(e.kind is ErrorKind.USAGE for e in self.errors) or unreadable.intersection(self.named):
            return True
        return not any(i.location not in unreadable for i in self.inputs)

    def finding_dicts(self) -> list[dict[str, Any]]:
        """Every finding as the JSON report holds it; computed once and shared by the formats and the history."""
        if self._finding_dicts is None or len(self._finding_dicts) != len(self.findings):
            self._finding_dicts = [finding_dict(f) for f in self.findings]
        return self._finding_dicts

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "tool": {"name": "sseguard", "version": __version__},
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "control": {"id": CONTROL_ID, "title": CONTROL_TITLE, "mappings": mappings()},
            "inputs": [{"kind": i.kind.value, "location": i.location} for i in self.inputs],
            "summary": self.summary(),
            "findings": self.finding_dicts(),
            "errors": [error_dict(e) for e in self.errors],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        if self.baseline is not None:
            out["baseline"] = self.baseline.as_dict()
        out.update(self.extra)
        return out


def error_dict(error: InputError) -> dict[str, Any]:
    """One input error as the JSON report (and the history) holds it; ``kind`` is left out for the common one,
    an input that could not be read."""
    out: dict[str, Any] = {"location": error.location, "line": error.line, "message": error.message}
    if error.kind is not ErrorKind.UNREADABLE:
        out["kind"] = error.kind.value
    if error.details:
        out["details"] = list(error.details)
    return out


def severity(finding: Finding) -> str:
    """A fail or unknown carries its code's severity; a pass carries its highest advisory's, else info."""
    v = finding.verdict
    if v.status is not Status.PASS:
        return CODES[v.code].severity
    ranks = ["info", "low", "medium", "high", "critical"]
    best = "info"
    for a in v.advisories:
        if ranks.index(CODES[a].severity) > ranks.index(best):
            best = CODES[a].severity
    return best


def remediation_of(finding: Finding) -> str:
    """How to fix (or, for an unknown, how to resolve) this finding: the source's own hint first."""
    stream = finding.stream
    return finding.verdict.resolve or CODES[finding.verdict.code].remediation_for(stream.location.kind.value,
                                                                                   stream.name)


def _plain(value: object) -> Any:
    return resolved_or_none(value)


def shown_evidence(f: Finding) -> dict[str, Any]:
    """The facts behind a finding as reports show them: every value bounded (``escape.bounded_evidence``), so a
    report never echoes a whole file, and the suppression notes."""
    ev = bounded_evidence(evidence(f.stream, f.verdict))
    if f.notes:
        ev["suppression_notes"] = list(f.notes)
    return ev


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as the JSON report holds it."""
    s = f.stream
    v = f.verdict
    ev = shown_evidence(f)
    remediation = remediation_of(f)
    return {
        "control": CONTROL_ID,
        "status": f.status.value,
        "code": v.code,
        "advisories": list(v.advisories),
        "severity": severity(f),
        "message": v.message,
        "remediation": remediation,
        "resource": {
            "address": s.address,
            "type": s.resource_type,
            "arn": s.arn,
            "region": _plain(s.region),
            "account": s.account,
        },
        "source": {
            "kind": s.location.kind.value,
            "path": s.location.path,
            "line": s.location.line,
            "end_line": s.location.end_line,
            **({"root": s.location.root} if s.location.root else {}),
        },
        "evidence": ev,
        "suppression": (
            {"kind": f.suppression.kind, "reason": f.suppression.reason, "expires": f.suppression.expires}
            if f.suppression else None
        ),
        **({"baselined": {"status": v.status.value}} if f.status is Status.BASELINED else {}),
    }


def fingerprint(f: Finding, code: str) -> str:
    """A stable identity for one code on one stream: the same across runs even when its lines move (SARIF's
    partialFingerprints, GitLab's fingerprint)."""
    s = f.stream
    where = (s.location.path + s.location.root_note) if s.location.path else (s.arn or "")
    text = "\x1f".join((CONTROL_ID, code, s.address, where))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
