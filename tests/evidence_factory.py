"""Findings for the evidence tests, built from the model and judged by the real control (no source parsing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sseguard.evidence.recorder import record
from sseguard.evidence.store import Appended
from sseguard.model import Location, SourceKind, Stream, SuppressionRule
from sseguard.options import ScanOptions
from sseguard.report.core import Report
from sseguard.scan import judge

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """``2025-03-01 10:00`` as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def stream(address: str, encryption: str | None = "KMS", key: str | None = "alias/app", *, path: str = "main.tf",
           line: int = 1, suppressions: tuple[SuppressionRule, ...] = ()) -> Stream:
    """A Terraform stream: KMS with a key passes (KSSE000); ``encryption=None`` fails KSSE001, "NONE" KSSE002."""
    return Stream(address=address, resource_type="aws_kinesis_stream",
                  location=Location(SourceKind.TERRAFORM, path, line), encryption_type=encryption,
                  key_reference=key, region="eu-west-1", suppressions=suppressions)


def ignore(code: str, reason: str, expires: str | None = None, line: int = 1) -> SuppressionRule:
    """An ``# sseguard:ignore`` comment as the Terraform source would read it."""
    return SuppressionRule("sseguard", frozenset({code}), reason, expires, f"sseguard:ignore {code}", line)


def report_of(streams: list[Stream], today: dt.date) -> Report:
    return Report(judge(streams, ScanOptions(today=today)))


def record_streams(db: Path, streams: list[Stream], when: dt.datetime, inputs: list[str] | None = None) -> Appended:
    """Record one run of these streams at ``when`` through the same code a scan uses."""
    return record(report_of(streams, when.date()), db, command="scan", arguments={"paths": inputs or []},
                  inputs=inputs or [], at=when)
