"""Security Hub findings about Kinesis streams: control Kinesis.1 ("Kinesis streams should be encrypted at rest")
and sseguard's own ASFF findings (``sseguard aws --format asff``, imported with ``BatchImportFindings``).

``GetFindings`` is asked three times, each read to its last ``NextToken``: by ``ComplianceSecurityControlId``
(accounts with consolidated control findings), by ``ProductFields`` ``ControlId`` (the older per-standard findings)
and by sseguard's ``GeneratorId``. Filters on different fields are joined with AND, so one query cannot ask for all
three. Each finding is checked again here against what was asked (an endpoint that ignores filters returns others),
and one finding returned by two queries is kept once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sseguard.evidence.results import (
    SECURITYHUB_RESULT,
    SSEGUARD_CONTROL,
    SSEGUARD_GENERATOR,
    ExternalResult,
    parse_stream_arn,
)
from sseguard.model import Unknown
from sseguard.sources.aws.answers import NAME, OBJECT, TEXT, Answer, Unreadable, call_pages
from sseguard.sources.aws.config_results import Read
from sseguard.sources.aws.errors import API_ERROR, unreadable_resolve
from sseguard.sources.aws.session import Clients

GET_FINDINGS = "securityhub:GetFindings"
CONTROL = "Kinesis.1"
STREAM_TYPE = "AwsKinesisStream"
_EQUALS = "EQUALS"
QUERIES: tuple[Mapping[str, Any], ...] = (
    {"ComplianceSecurityControlId": [{"Value": CONTROL, "Comparison": _EQUALS}]},
    {"ProductFields": [{"Key": "ControlId", "Value": CONTROL, "Comparison": _EQUALS}]},
    {"GeneratorId": [{"Value": SSEGUARD_GENERATOR, "Comparison": _EQUALS}]},
)


def source_of(finding: Answer) -> str | None:
    """``Security Hub sseguard`` for sseguard's own findings, ``Security Hub Kinesis.1`` for the control's, None
    for any other finding."""
    fields = finding.optional("ProductFields", OBJECT) or {}
    ours = fields.get("sseguard/ControlId") == SSEGUARD_CONTROL
    if ours or finding.optional("GeneratorId", TEXT) == SSEGUARD_GENERATOR:
        return "Security Hub sseguard"
    compliance = finding.optional("Compliance", OBJECT) or {}
    if compliance.get("SecurityControlId") == CONTROL or fields.get("ControlId") == CONTROL:
        return f"Security Hub {CONTROL}"
    return None


def read_findings(clients: Clients, account: str, region: str) -> Read:
    """Kinesis.1 and sseguard findings of Security Hub in the account and region of ``clients``."""
    where = f"Security Hub in aws://{account}/{region}"
    read = Read()
    seen: set[tuple[str, str]] = set()
    try:
        for filters in QUERIES:
            for page in _pages(clients, region, where, filters):
                for finding in page.entries("Findings"):
                    ident = (finding.required("ProductArn", NAME), finding.required("Id", NAME))
                    if ident not in seen:
                        seen.add(ident)
                        _add(read, finding, region)
    except Unreadable as err:
        return Read(failures=[err])  # all or nothing, as every listing
    return read


def _pages(clients: Clients, region: str, where: str, filters: Mapping[str, Any]) -> list[Answer]:
    """Every page of one query (100 findings a page, the most GetFindings gives)."""
    return call_pages(GET_FINDINGS, where, lambda: clients.securityhub(region).get_paginator("get_findings").paginate(
        Filters=filters, PaginationConfig={"PageSize": 100}))


def _add(read: Read, finding: Answer, region: str) -> None:
    source = source_of(finding)
    if source is None:
        return  # not asked for: an endpoint that does not apply the filters returned it
    arns = [r.required("Id", NAME) for r in finding.entries("Resources")
            if r.optional("Type", TEXT) == STREAM_TYPE and parse_stream_arn(str(r.optional("Id", TEXT))) is not None]
    if not arns:
        read.other_types += 1  # a finding of a stream read from source files has no ARN to key it to
        return
    word: str = finding.part("Compliance").required("Status", NAME)
    at = _time(finding, "UpdatedAt")
    workflow = (finding.optional("Workflow", OBJECT) or {}).get("Status")
    fields = finding.optional("ProductFields", OBJECT) or {}
    extra = {"finding_id": finding.required("Id", NAME), "product_arn": finding.required("ProductArn", NAME),
             "generator_id": finding.optional("GeneratorId", TEXT), "record_state": finding.optional("RecordState",
                                                                                                      TEXT),
             "workflow_status": workflow if isinstance(workflow, str) else None,
             "reason_code": fields.get("sseguard/ReasonCode")}
    read.results.append(ExternalResult(
        kind=SECURITYHUB_RESULT, source=source, identity=f"securityhub|{extra['product_arn']}|{extra['finding_id']}",
        stream_arn=arns[0], word=word, at=at, detail=str(finding.optional("Title", TEXT) or ""),
        via=f"securityhub {region}", extra=extra))


def _time(finding: Answer, name: str) -> dt.datetime:
    """An ASFF timestamp (ISO 8601 text) as a UTC datetime; one that cannot be read makes the answer unreadable."""
    text: str = finding.required(name, NAME)
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Unreadable(Unknown(f"{GET_FINDINGS} returned {finding.path}{name} as {text!r}, not an ISO 8601 time "
                                 "with a zone", unreadable_resolve(GET_FINDINGS, finding.resource), API_ERROR))
    return at.astimezone(dt.UTC)
