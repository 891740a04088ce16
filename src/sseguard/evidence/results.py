"""Results other services recorded about a stream (an AWS Config rule's evaluation, a Security Hub finding), as
rows of the history: one row per result, of kind ``config_result`` or ``securityhub_result``, dated when that
service recorded it, keyed to the stream exactly as a live finding of ``sseguard aws`` is (control, stream ARN,
``aws``, ``aws://ACCOUNT/REGION``), so the period report sets them beside sseguard's own verdict.

Each result keeps the service's own word (``COMPLIANT``, ``FAILED``...) and the verdict it reads as: ``pass``,
``fail``, ``unknown`` or ``not-applicable``. No I/O here: ``sources/aws`` reads the services, ``collect`` records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sseguard.control.codes import CONTROL_ID
from sseguard.evidence.store import Row, format_time, stream_key

CONFIG_RESULT = "config_result"
SECURITYHUB_RESULT = "securityhub_result"
RESULT_KINDS = (CONFIG_RESULT, SECURITYHUB_RESULT)
RESULT_SCHEMA = "sseguard/external-result/v1"
NOT_APPLICABLE = "not-applicable"
# How sseguard's own ASFF findings name themselves (``report/asff.py``): their GeneratorId and ProductFields key.
SSEGUARD_GENERATOR = f"sseguard/{CONTROL_ID}"
SSEGUARD_CONTROL = CONTROL_ID
RESULT_VERDICTS = ("pass", "fail", "unknown", NOT_APPLICABLE)

# Config's ComplianceType and Security Hub's Compliance.Status, read as verdicts. INSUFFICIENT_DATA, WARNING and
# NOT_AVAILABLE say the service could not judge: unknown, never a pass.
_VERDICTS = {
    "COMPLIANT": "pass", "NON_COMPLIANT": "fail", "NOT_APPLICABLE": NOT_APPLICABLE, "INSUFFICIENT_DATA": "unknown",
    "PASSED": "pass", "FAILED": "fail", "WARNING": "unknown", "NOT_AVAILABLE": "unknown",
}
_STREAM_ARN = re.compile(r"^arn:(aws[\w-]*):kinesis:([a-z0-9-]+):(\d{12}):stream/([\w.-]+)$")


def verdict_of(word: str) -> str:
    """The verdict a service's compliance word reads as; a word this code does not know is ``unknown``."""
    return _VERDICTS.get(word, "unknown")


def parse_stream_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, region, name) of a Kinesis stream ARN; None when ``arn`` is not one."""
    found = _STREAM_ARN.match(arn)
    return (found.group(3), found.group(2), found.group(4)) if found else None


def live_stream_key(arn: str) -> str | None:
    """The history's identity of the live stream with this ARN, as ``sseguard aws`` records its findings; None when
    ``arn`` is not a stream ARN."""
    parts = parse_stream_arn(arn)
    if parts is None:
        return None
    account, region, _ = parts
    return stream_key({"control": CONTROL_ID, "resource": {"address": arn},
                       "source": {"kind": "aws", "path": f"aws://{account}/{region}"}})


@dataclass(frozen=True)
class ExternalResult:
    """One result of another service about one stream.

    ``kind``: ``config_result`` or ``securityhub_result``. ``source``: what judged, as a reader names it
    (``Config rule kinesis-stream-encrypted``, ``Security Hub Kinesis.1``, ``Security Hub sseguard``).
    ``identity``: what makes two reads the same result (the rule and resource, or the finding id). ``word``: the
    service's own compliance word. ``at``: when the service recorded it. ``detail``: the annotation or title.
    ``via``: where it was read (``config:us-east-1``, ``aggregator NAME``).
    """

    kind: str
    source: str
    identity: str
    stream_arn: str
    word: str
    at: dt.datetime
    detail: str
    via: str
    extra: Mapping[str, Any]

    @property
    def verdict(self) -> str:
        return verdict_of(self.word)

    def key(self) -> tuple[str, str, str, str]:
        """Kind, identity, time and word: equal to :func:`stored_key` of its row once recorded."""
        return self.kind, self.identity, format_time(self.at), self.word

    def record(self) -> tuple[dt.datetime, str | None, str | None, dict[str, Any]]:
        """The row's (time, stream key, status, body) for ``History.append_observations``."""
        account, region, name = parse_stream_arn(self.stream_arn) or ("?", "?", "?")
        body = {"schema": RESULT_SCHEMA, "source": self.source, "identity": self.identity, "word": self.word,
                "verdict": self.verdict, "at": format_time(self.at), "detail": self.detail, "via": self.via,
                "resource": {"address": self.stream_arn, "account": account, "region": region, "name": name},
                **dict(self.extra)}
        return self.at, live_stream_key(self.stream_arn), self.verdict, body


@dataclass(frozen=True)
class RecordedResult:
    """A result row read back from the history, for the period report."""

    at: str
    seq: int
    stream_key: str
    address: str
    source: str
    word: str
    verdict: str
    detail: str

    @classmethod
    def from_row(cls, row: Row) -> RecordedResult:
        """The result a row records; a field an edited row holds in another shape reads as empty, and a status this
        code does not know reads as ``unknown``."""
        data = row.data()
        resource = data.get("resource")
        address = resource.get("address") if isinstance(resource, dict) else None
        verdict = str(row.status) if row.status in RESULT_VERDICTS else "unknown"
        return cls(row.recorded_at, row.seq, str(row.stream_key), str(address or "?"), str(data.get("source") or "?"),
                   str(data.get("word") or ""), verdict, str(data.get("detail") or ""))


def stored_key(row: Row) -> tuple[str, str, str, str]:
    """What makes a stored result the same as one read again (see :meth:`ExternalResult.key`): a result read twice
    is recorded once."""
    data = row.data()
    return row.kind, str(data.get("identity")), row.recorded_at, str(data.get("word"))
