"""GitLab Code Quality: the JSON array GitLab's merge request widget reads (``artifacts:reports:codequality``).

One issue per failing or unknown stream (its primary code) and per advisory, each with the fields GitLab documents
as required: ``description``, ``check_name``, ``fingerprint``, ``severity`` (info, minor, major, critical,
blocker) and ``location.path`` with ``location.lines.begin``. The fingerprint is the one SARIF uses, so an issue keeps
its identity when its lines move. An input that could not be read is an issue too, so a broken file never looks
like a clean one. Suppressed streams, and passing streams are not issues.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sseguard.control.codes import CODES
from sseguard.model import Finding, InputError, Status
from sseguard.report.core import RenderOptions, Report, fingerprint

_SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}


def render(report: Report, options: RenderOptions) -> str:
    """The Code Quality report as JSON text."""
    issues: list[dict[str, Any]] = []
    for f in report.findings:
        issues.extend(_issues(f))
    issues.extend(_error_issue(e) for e in report.errors)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issues(f: Finding) -> list[dict[str, Any]]:
    if f.status is Status.SUPPRESSED:
        return []
    codes = [f.verdict.code] if f.status in (Status.FAIL, Status.UNKNOWN) else []
    codes.extend(f.verdict.advisories)
    return [_issue(f, code) for code in codes]


def _issue(f: Finding, code: str) -> dict[str, Any]:
    rc = CODES[code]
    stream = f.stream
    message = f.verdict.message if code == f.verdict.code else rc.title
    return {
        "description": f"{code} {stream.address}: {message}",
        "check_name": f"sseguard/{code}",
        "fingerprint": fingerprint(f, code),
        "severity": _SEVERITY.get(rc.severity, "major"),
        "location": {
            "path": stream.location.path or stream.arn or stream.address,
            "lines": {"begin": stream.location.line or 1},
        },
    }


def _error_issue(e: InputError) -> dict[str, Any]:
    text = "\x1f".join(("input-error", e.location, str(e.line), e.message))
    return {
        "description": f"{e.location} could not be read: {e.message}",
        "check_name": "sseguard/input-error",
        "fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "severity": "major",
        "location": {"path": e.location, "lines": {"begin": e.line or 1}},
    }
