"""The contracts sseguard ships with: the JSON report schema (``sseguard/report/v1``).

The schema is package data, so an installed sseguard (and its tests, in a bare clone) can always validate what it
writes; ``sseguard schema`` prints it for other tools.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

REPORT_SCHEMA_FILE = "report.schema.json"


def report_schema_text() -> str:
    """The report schema as it ships, byte for byte (JSON text)."""
    return resources.files(__package__).joinpath(REPORT_SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def report_schema() -> dict[str, Any]:
    """The report schema as a parsed JSON object."""
    schema: dict[str, Any] = json.loads(report_schema_text())
    return schema
