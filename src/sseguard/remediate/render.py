"""The outputs of ``sseguard remediate``: text (one block per stream, then a summary line) and JSON (schema
``sseguard/remediate/v1``, documented in ``docs/remediate.md``). Every value that came from AWS or the command line
goes through the report's escaping, as in every other report."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sseguard import __version__
from sseguard.remediate.outcome import Action, Entry, utc_text
from sseguard.remediate.run import Remediation
from sseguard.report.escape import json_safe, text_safe

SCHEMA_ID = "sseguard/remediate/v1"
PLAINTEXT_NOTE = ("StartStreamEncryption encrypts only records written after the change: records written before it "
                  "stay plaintext until they age out of the stream's retention period.")


def summary(remediation: Remediation) -> dict[str, int]:
    """How many streams ended in each action, and how many are settled (encrypted, or nothing to do)."""
    counts = {a.value: 0 for a in Action}
    for e in remediation.entries:
        counts[e.action.value] += 1
    counts["streams"] = len(remediation.entries)
    counts["settled"] = sum(1 for e in remediation.entries if e.settled)
    return counts


def render_json(remediation: Remediation, generated_at: dt.datetime) -> str:
    """The whole outcome as indented JSON."""
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "sseguard", "version": __version__},
        "mode": "apply" if remediation.apply else "plan",
        "generated_at": utc_text(generated_at),
        "principals": dict(sorted(remediation.principals.items())),
        "note": PLAINTEXT_NOTE,
        "summary": summary(remediation),
        "streams": [e.to_dict() for e in remediation.entries],
        **remediation.api,
    }
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def render_text(remediation: Remediation) -> str:
    """One block per stream, then the summary line."""
    head = ("sseguard remediate --apply" if remediation.apply
            else "sseguard remediate: the plan; nothing is changed without --apply")
    lines = [head, ""]
    for e in remediation.entries:
        lines.extend(_block(e))
        lines.append("")
    counts = summary(remediation)
    done = ", ".join(f"{counts[a.value]} {a.value}" for a in Action if counts[a.value])
    lines.append(f"summary: {done or 'no streams'}; {counts['settled']} of {counts['streams']} streams encrypted or "
                 "with nothing to do")
    if any(e.action in (Action.PLANNED, Action.APPLIED) for e in remediation.entries):
        lines.append(PLAINTEXT_NOTE)
    return "\n".join(text_safe(line) for line in lines) + "\n"


def _block(e: Entry) -> list[str]:
    where = f" ({e.region})" if e.region else ""
    lines = [f"{e.arn}{where}", f"  was: {e.code} {e.message}", f"  {e.action.value}: {e.why}"]
    if e.checks:
        lines.append("  preflight:")
        for c in e.checks:
            verdict = "pass" if c.passed else ("FAIL" if c.blocking else "warn")
            code = f" ({c.code})" if c.code else ""
            lines.append(f"    {verdict} {c.name}{code}: {c.why}")
    lines.extend(f"  grant: {g}" for g in e.grants)
    if e.after is not None:
        took = f", took {e.timing.seconds:.1f} s" if e.timing else ""
        lines.append(f"  before: {e.before}; after: {e.after}{took}")
    kept = "stay plaintext" if e.was_plaintext else "stay encrypted with the old key"
    until = e.records_before_until
    if until is not None:
        lines.append(f"  records written before the change {kept} until {utc_text(until)} (retention "
                     f"{e.retention_hours} h)")
    elif e.action is Action.PLANNED and e.retention_hours is not None:
        lines.append(f"  records already in the stream would {kept} for up to {e.retention_hours} h (its retention "
                     "period) after the change")
    if e.resolve:
        lines.append(f"  to resolve: {e.resolve}")
    return lines
