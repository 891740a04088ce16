"""What ``sseguard remediate`` did, or would do, to each stream: one ``Entry`` per stream, in the shape the JSON
output documents (``docs/remediate.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sseguard.kms import is_kms


class Action(StrEnum):
    """What happened to a stream.

    ``planned``: it would be changed (no ``--apply``). ``applied``: it was changed and the change verified.
    ``skipped``: nothing to do, or nothing sseguard may do (suppressed, unknown). ``refused``: the preflight or the
    24-hour limit forbids the change. ``not-changed``: AWS refused the call. ``unverified``: AWS accepted the call,
    but the stream was not seen ACTIVE with the key before ``--timeout`` (or could not be read).
    """

    PLANNED = "planned"
    APPLIED = "applied"
    SKIPPED = "skipped"
    REFUSED = "refused"
    NOT_CHANGED = "not-changed"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Check:
    """One preflight check: its name, the reason code it stands for (if any), whether it passed, and why.
    A check that does not block (KSSE013 without ``--strict-key-policy``) is told, not enforced."""

    name: str
    passed: bool
    why: str
    code: str | None = None
    blocking: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "passed": self.passed, "blocking": self.blocking,
                "why": self.why}


@dataclass(frozen=True)
class Encryption:
    """A stream's encryption as DescribeStreamSummary gives it."""

    encryption_type: str | None
    key_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"encryption_type": self.encryption_type, "key_id": self.key_id}

    def __str__(self) -> str:
        return f"{self.encryption_type or '?'}" + (f" {self.key_id}" if self.key_id else "")


@dataclass(frozen=True)
class Timing:
    """When a change was started and how long it took until the stream was ACTIVE with the key."""

    started_at: dt.datetime
    seconds: float

    @property
    def finished_at(self) -> dt.datetime:
        return self.started_at + dt.timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Entry:
    """One stream: what it was, what was (or would be) done, and why.

    ``settled``: the stream is now encrypted, or had nothing to do; any entry that is not makes the exit code 1.
    """

    arn: str
    name: str | None
    account: str | None
    region: str | None
    code: str
    message: str
    action: Action
    why: str
    settled: bool
    key: str | None = None
    key_arn: str | None = None
    aws_managed_key: bool = False
    advisories: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    grants: tuple[str, ...] = ()
    resolve: str | None = None
    before: Encryption | None = None
    after: Encryption | None = None
    timing: Timing | None = None
    retention_hours: int | None = None
    # The stream's identity in the history (``record.stream_key_of``), the same as its findings'.
    history_key: str = ""

    @property
    def records_before_until(self) -> dt.datetime | None:
        """When the last record written before the change ages out: records written until the stream was ACTIVE
        with the new key keep their old protection, and Kinesis keeps them for the retention period."""
        if self.timing is None or self.retention_hours is None:
            return None
        return self.timing.finished_at + dt.timedelta(hours=self.retention_hours)

    @property
    def was_plaintext(self) -> bool:
        """Whether the stream stored records unencrypted before (a re-keyed stream's older records stay encrypted
        with the old key instead)."""
        kind = self.before.encryption_type if self.before else None
        return kind is None or not is_kms(kind)

    @property
    def plaintext_until(self) -> dt.datetime | None:
        """When no plaintext record is left in a stream that was unencrypted."""
        return self.records_before_until if self.was_plaintext else None

    @property
    def old_key_until(self) -> dt.datetime | None:
        """When no record encrypted with the old key is left in a re-keyed stream."""
        return None if self.was_plaintext else self.records_before_until

    def to_dict(self) -> dict[str, Any]:
        """The entry as the JSON output holds it."""
        timing = self.timing
        until, old_key = self.plaintext_until, self.old_key_until
        return {
            "arn": self.arn,
            "name": self.name,
            "account": self.account,
            "region": self.region,
            "code": self.code,
            "message": self.message,
            "action": self.action.value,
            "why": self.why,
            "settled": self.settled,
            "key": self.key,
            "key_arn": self.key_arn,
            "aws_managed_key": self.aws_managed_key,
            "advisories": list(self.advisories),
            "preflight": [c.to_dict() for c in self.checks],
            "grants": list(self.grants),
            "resolve": self.resolve,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "started_at": utc_text(timing.started_at) if timing else None,
            "seconds": round(timing.seconds, 3) if timing else None,
            "retention_hours": self.retention_hours,
            "plaintext_until": utc_text(until) if until else None,
            "old_key_until": utc_text(old_key) if old_key else None,
        }


def utc_text(at: dt.datetime) -> str:
    """A time as the outputs show it: UTC, to the second, ``Z``."""
    return at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
