"""The JSON report (spec/report.schema.json)."""

from __future__ import annotations

import json

from sseguard.report.core import RenderOptions, Report
from sseguard.report.escape import json_safe


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as compact JSON on one line, ending in a newline. Not indented: Python's C JSON encoder only
    runs without indentation, and is several times faster on large reports (``jq .`` pretty-prints)."""
    return json_safe(json.dumps(report.to_dict(), separators=(",", ":"), ensure_ascii=False)) + "\n"
