"""Which streams ``sseguard remediate`` changes, and with which key. Pure: it reads findings, never AWS.

A stream failing on its encryption type (KSSE001-004) gets ``--key``, else the AWS-managed key (advisory KSSE010,
said out loud). A stream failing on its key (KSSE011-014) is re-keyed only with an explicit ``--key``. Passing,
suppressed and unknown streams are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sseguard.kms import AWS_MANAGED_ALIAS, is_aws_managed_alias
from sseguard.model import Finding, Status, resolved_or_none
from sseguard.remediate.outcome import Action, Encryption, Entry
from sseguard.remediate.record import stream_key_of

TYPE_FAILURES = frozenset({"KSSE001", "KSSE002", "KSSE003", "KSSE004"})
KEY_FAILURES = frozenset({"KSSE011", "KSSE012", "KSSE013", "KSSE014"})
SUMMARY = "kinesis:DescribeStreamSummary"


@dataclass(frozen=True)
class Change:
    """A stream to change and the key to give it; ``named`` when the user chose the key (``--key``)."""

    finding: Finding
    key: str
    named: bool

    @property
    def aws_managed(self) -> bool:
        return is_aws_managed_alias(self.key)


def summary_of(finding: Finding) -> dict[str, Any]:
    """The stream's DescribeStreamSummary fields as the scan kept them (empty when it could not be read)."""
    summary = finding.stream.facts.get(SUMMARY)
    return dict(summary) if isinstance(summary, dict) else {}


def encryption_of(finding: Finding) -> Encryption | None:
    """The stream's encryption as the scan read it; None when it could not be read."""
    summary = summary_of(finding)
    if not summary:
        return None
    return Encryption(summary.get("EncryptionType"), summary.get("KeyId"))


def retention_of(finding: Finding) -> int | None:
    value = summary_of(finding).get("RetentionPeriodHours")
    return value if isinstance(value, int) else None


def entry(finding: Finding, action: Action, why: str, settled: bool, **fields: Any) -> Entry:
    """An entry for ``finding``'s stream, with what the scan read of it."""
    stream = finding.stream
    return Entry(
        arn=stream.arn or stream.address, name=stream.name, account=stream.account,
        region=resolved_or_none(stream.region), code=finding.verdict.code, message=finding.verdict.message,
        action=action, why=why, settled=settled, before=encryption_of(finding), retention_hours=retention_of(finding),
        history_key=stream_key_of(stream), **fields,
    )


def choose(finding: Finding, requested: str | None) -> Change | Entry:
    """The change to preflight for ``finding``'s stream, or the entry that says why there is none."""
    status, code = finding.status, finding.verdict.code
    if status is Status.SUPPRESSED:
        why = f"suppressed ({code}): sseguard never changes a suppressed stream"
        return entry(finding, Action.SKIPPED, why, settled=True)
    if status is Status.UNKNOWN:
        return entry(finding, Action.SKIPPED, f"unknown ({code}): {finding.verdict.message}; sseguard never changes a "
                     "stream it could not read", settled=False)
    if status is Status.PASS:
        return entry(finding, Action.SKIPPED, "already encrypted (KSSE000): nothing to do", settled=True)
    if code in TYPE_FAILURES:
        return Change(finding, requested or AWS_MANAGED_ALIAS, named=requested is not None)
    if code in KEY_FAILURES and requested is not None:
        return Change(finding, requested, named=True)
    if code in KEY_FAILURES:
        return entry(finding, Action.REFUSED, f"its key fails {code}; sseguard re-keys a stream only to a key named "
                     "with --key whose preflight passes", settled=False,
                     resolve="give --key with a usable key of the stream's region, or mend the key itself")
    return entry(finding, Action.REFUSED, f"fails {code}, which remediate does not change", settled=False)
