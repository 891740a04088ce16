"""CSV for auditors and GRC tools: one row per finding, keyed by control id and reason code.

Every row carries the remediation text and the framework ids, so a row imported alone still says what is wrong,
how to fix it and which requirements it bears on. An input that could not be read is a row with status ``error``
and no reason code, so an import shows the gap instead of silently covering fewer streams.

Every cell goes through ``escape.csv_safe``: one that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'``, as OWASP advises against CSV injection (a
stream address or an API field can start so), and terminal control characters are shown as escapes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sseguard.control.codes import CODES, CONTROL_ID
from sseguard.control.mappings import mappings
from sseguard.model import Finding, InputError, resolved_or_none
from sseguard.report.core import RenderOptions, Report, remediation_of, severity
from sseguard.report.escape import csv_safe

COLUMNS: tuple[str, ...] = (
    "control_id",
    "reason_code",
    "reason",
    "status",
    "severity",
    "advisories",
    "address",
    "resource_type",
    "arn",
    "account",
    "region",
    "source_kind",
    "file",
    "line",
    "end_line",
    "message",
    "remediation",
    "framework_requirements",
    "tool_ids",
    "suppression_kind",
    "suppression_reason",
    "suppression_expires",
    "notes",
)


def framework_ids() -> str:
    """The framework requirements of the control, joined: ``PCI DSS v4.0 3.5.1; ...``."""
    return "; ".join(f"{fw['framework']} {fw['requirement']}" for fw in mappings()["frameworks"])


def tool_ids() -> str:
    """The same control's ids in other tools, joined: ``Checkov CKV_AWS_43; ...``."""
    return "; ".join(f"{t['scheme']} {t['id']}" for t in mappings()["tools"])


def _known(value: object) -> str:
    known = resolved_or_none(value)
    return "" if known is None else str(known)


def row(f: Finding) -> dict[str, str]:
    """One finding as a CSV row (column name to cell text), before escaping."""
    s = f.stream
    v = f.verdict
    sup = f.suppression
    return {
        "control_id": CONTROL_ID,
        "reason_code": v.code,
        "reason": CODES[v.code].slug,
        "status": f.status.value,
        "severity": severity(f),
        "advisories": "; ".join(v.advisories),
        "address": s.address,
        "resource_type": s.resource_type,
        "arn": _known(s.arn),
        "account": _known(s.account),
        "region": _known(s.region),
        "source_kind": s.location.kind.value,
        "file": _known(s.location.path),
        "line": _known(s.location.line),
        "end_line": _known(s.location.end_line),
        "message": v.message,
        "remediation": remediation_of(f),
        "framework_requirements": framework_ids(),
        "tool_ids": tool_ids(),
        "suppression_kind": sup.kind if sup else "",
        "suppression_reason": sup.reason if sup else "",
        "suppression_expires": (sup.expires or "") if sup else "",
        "notes": "; ".join([*(f"also failing {c}" for c in v.also_failing), *f.notes]),
    }


def error_row(err: InputError) -> dict[str, str]:
    """An input that could not be read, as a row with status ``error``."""
    cells = dict.fromkeys(COLUMNS, "")
    cells.update({
        "control_id": CONTROL_ID,
        "status": "error",
        "file": err.location,
        "line": _known(err.line),
        "message": err.message,
        "remediation": "Fix the input so it can be read and scan again; its streams are not judged.",
    })
    return cells


def write_rows(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Rows as CSV text (RFC 4180, CRLF line ends) with a header line; every cell through ``escape.csv_safe``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for r in rows:
        clean: dict[str, Any] = {k: csv_safe(r.get(k, "")) for k in columns}
        writer.writerow(clean)
    return buf.getvalue()


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as CSV: a header, one row per finding, then one row per input error."""
    return write_rows([row(f) for f in report.findings] + [error_row(e) for e in report.errors])
