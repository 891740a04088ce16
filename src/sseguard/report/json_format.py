"""The JSON report (spec/report.schema.json)."""

from __future__ import annotations

import json

from sseguard.report.core import RenderOptions, Report


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as indented JSON, ending in a newline."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"
