"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

Choices made for code-scanning users:

- One rule per reason code, with help text, remediation and the control's mappings in ``properties``.
- A failing stream is an ``error``, an unknown one a ``warning``; passes are not results (code scanning shows
  problems, not clean resources), but each advisory a stream carries is its own ``note`` result, under the
  advisory's rule, so it can be dismissed on its own without hiding the stream's primary verdict.
- ``partialFingerprints`` hash the control, code, resource address and file (never the line), so an alert keeps
  its identity when code above it moves, and a new code on the same stream is a new alert.
- A suppressed finding stays a result with SARIF ``suppressions`` (kind ``inSource``, the justification), so code
  scanning closes it as suppressed instead of reopening it as a new warning.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from sseguard import __version__
from sseguard.control.codes import CODES, CONTROL_ID, CONTROL_TITLE, ReasonCode
from sseguard.control.mappings import mappings
from sseguard.model import Finding, InputError, SourceKind, Status
from sseguard.report.core import RenderOptions, Report, finding_dict, fingerprint

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "sseguardFinding/v1"

_RULE_LEVEL = {"fail": "error", "unknown": "warning", "advisory": "note", "pass": "none"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation", "none": "recommendation"}
# GitHub buckets security-severity as critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0; "info" codes get none.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "7.5", "medium": "5.5", "low": "3.0"}
_STATUS_LEVEL = {Status.FAIL: "error", Status.UNKNOWN: "warning"}


def rule(rc: ReasonCode) -> dict[str, Any]:
    """The SARIF reportingDescriptor of one reason code."""
    level = _RULE_LEVEL[rc.kind]
    properties: dict[str, Any] = {
        "tags": ["security", "aws", "kinesis", "encryption", rc.kind],
        "precision": "very-high",
        "problem.severity": _PROBLEM_SEVERITY[level],
        "control": CONTROL_ID,
        "kind": rc.kind,
        "severity": rc.severity,
        "mappings": mappings(),
    }
    if rc.severity in _SECURITY_SEVERITY:
        properties["security-severity"] = _SECURITY_SEVERITY[rc.severity]
    return {
        "id": rc.code,
        "name": rc.slug,
        "shortDescription": {"text": rc.title},
        "fullDescription": {"text": rc.explanation},
        "defaultConfiguration": {"level": level},
        "help": {"text": _help_text(rc), "markdown": _help_markdown(rc)},
        "properties": properties,
    }


def _help_text(rc: ReasonCode) -> str:
    tools = ", ".join(f"{t['scheme']} {t['id']}" for t in mappings()["tools"])
    return (f"{rc.code} {rc.slug} ({rc.kind}, severity {rc.severity}): {rc.title}.\n\n{rc.explanation}\n\n"
            f"How to fix: {rc.fix}\n\n"
            f"Control: {CONTROL_ID} ({CONTROL_TITLE}). Same control elsewhere: {tools}.")


def _help_markdown(rc: ReasonCode) -> str:
    rows = "\n".join(
        f"| {fw['framework']} | {fw['requirement']} | {', '.join(fw['sources'])} |" for fw in mappings()["frameworks"]
    )
    tools = ", ".join(f"{t['scheme']} `{t['id']}`" for t in mappings()["tools"])
    return (
        f"**{rc.code} {rc.slug}** ({rc.kind}, severity {rc.severity})\n\n{rc.explanation}\n\n"
        f"**How to fix:** {rc.fix}\n\n"
        f"Control `{CONTROL_ID}`: {CONTROL_TITLE}. Same control elsewhere: {tools}.\n\n"
        f"| framework | requirement | source |\n|---|---|---|\n{rows}\n"
    )


def artifact_location(path: str) -> dict[str, Any]:
    """A report path as a SARIF artifactLocation: relative paths hang off %SRCROOT%, absolute ones are file URIs."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return {"uri": "file://" + quote(posix)}
    return {"uri": quote(posix), "uriBaseId": SRCROOT}


def locations(f: Finding) -> list[dict[str, Any]]:
    """A physical location (file and lines) for source findings, and the resource as a logical location."""
    s = f.stream
    loc = s.location
    logical: dict[str, Any] = {"fullyQualifiedName": s.arn or s.address, "kind": "resource"}
    if s.name:
        logical["name"] = s.name
    out: dict[str, Any] = {"logicalLocations": [logical]}
    if loc.path and loc.kind is not SourceKind.AWS:
        physical: dict[str, Any] = {"artifactLocation": artifact_location(loc.path)}
        if loc.line:
            region: dict[str, Any] = {"startLine": loc.line}
            if loc.end_line and loc.end_line >= loc.line:
                region["endLine"] = loc.end_line
            physical["region"] = region
        out["physicalLocation"] = physical
    return [out]


def _suppressions(f: Finding) -> list[dict[str, Any]]:
    sup = f.suppression
    if sup is None:
        return []
    props: dict[str, Any] = {"suppressionKind": sup.kind}
    if sup.expires:
        props["expires"] = sup.expires
    if sup.line:
        props["line"] = sup.line
    return [{"kind": "inSource", "status": "accepted", "justification": sup.reason, "properties": props}]


def _message(f: Finding, code: str) -> str:
    v = f.verdict
    if code != v.code:
        return f"{f.stream.address}{f.stream.location.root_note}: advisory {code} {CODES[code].slug}: " \
               f"{CODES[code].title}."
    text = f"{f.stream.address}{f.stream.location.root_note}: {v.message}."
    if v.also_failing:
        text += f" Also failing: {', '.join(v.also_failing)}."
    for note in f.notes:
        text += f" Note: {note}."
    return text


def results(f: Finding, rule_index: dict[str, int], baseline: bool = False) -> list[dict[str, Any]]:
    """The SARIF results of one finding: its primary code unless it passes, then one note per advisory. With a
    baseline, each says whether the baseline holds it (``unchanged``) or not (``new``)."""
    v = f.verdict
    out: list[dict[str, Any]] = []
    codes: list[tuple[str, str]] = []
    if v.status is not Status.PASS:
        codes.append((v.code, _STATUS_LEVEL[v.status]))
    codes.extend((a, "note") for a in v.advisories)
    data = finding_dict(f)
    for code, level in codes:
        result: dict[str, Any] = {
            "ruleId": code,
            "ruleIndex": rule_index[code],
            "level": level,
            "message": {"text": _message(f, code)},
            "locations": locations(f),
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f, code)},
            "properties": {
                "status": f.status.value,
                "primaryCode": v.code,
                "severity": CODES[code].severity,
                "resource": data["resource"],
                "evidence": data["evidence"],
            },
        }
        if code == v.code and f.suppression is not None:
            result["suppressions"] = _suppressions(f)
        if baseline:
            result["baselineState"] = "unchanged" if f.status is Status.BASELINED else "new"
        out.append(result)
    return out


def _notification(err: InputError) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": "error",
        "message": {"text": f"{err.location}: {err.message}" if "://" in err.location else err.message},
        "descriptor": {"id": "input-error"},
    }
    if "://" not in err.location:
        physical: dict[str, Any] = {"artifactLocation": artifact_location(err.location)}
        if err.line:
            physical["region"] = {"startLine": err.line}
        note["locations"] = [{"physicalLocation": physical}]
    return note


def to_sarif(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a JSON object)."""
    opts = options or RenderOptions()
    rules = [rule(rc) for rc in CODES.values()]
    rule_index = {rc.code: i for i, rc in enumerate(CODES.values())}
    when = report.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    # A run that could not do what it was asked failed (exit 2); one that met an unreadable file among others still
    # ran to the end, and each such file is an error notification.
    failed = report.failed()
    exit_code = report.exit_code(opts.fail_on)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "sseguard",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "the folder sseguard was run from"}}},
        "invocations": [
            {
                "executionSuccessful": not failed,
                "exitCode": exit_code,
                "endTimeUtc": when,
                "toolExecutionNotifications": [*(_notification(e) for e in report.errors),
                                               *({"level": "note", "message": {"text": note},
                                                  "descriptor": {"id": "input-note"}} for note in report.notes)],
            }
        ],
        "automationDetails": {"id": f"{opts.sarif_category}/"},
        "results": [r for f in report.findings for r in results(f, rule_index, report.baseline is not None)],
        "properties": {"control": CONTROL_ID, "summary": report.summary()},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The SARIF log as indented JSON, ending in a newline."""
    return json.dumps(to_sarif(report, options), indent=2) + "\n"
