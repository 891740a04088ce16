"""One stream's change: StartStreamEncryption, then DescribeStreamSummary with backoff until the stream is ACTIVE
again (bounded by ``--timeout``), then a check that it is encrypted with the key asked for.

Every call goes through the clients of ``sources/aws`` (adaptive retries on throttling, the deadline, the answer
checks) and the same per-region rate limit as the scan's reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sseguard.kms import is_kms
from sseguard.model import Unknown
from sseguard.remediate.outcome import Action, Encryption, Timing
from sseguard.sources.aws.answers import Unreadable, call
from sseguard.sources.aws.collect import Target, describe
from sseguard.sources.aws.errors import error_code_and_message, is_access_denied
from sseguard.sources.aws.ratelimit import RegionalLimits

START = "kinesis:StartStreamEncryption"
FIRST_WAIT = 1.0  # seconds before the second look at the stream; AWS takes a few seconds to start encryption
LONGEST_WAIT = 8.0


@dataclass(frozen=True)
class Applied:
    """What happened to one stream's change."""

    action: Action
    why: str
    after: Encryption | None = None
    timing: Timing | None = None
    retention_hours: int | None = None
    resolve: str | None = None


@dataclass(frozen=True)
class Clock:
    """Time as the change sees it: ``now`` (wall clock, UTC) for the record, ``monotonic`` and ``sleep`` for waiting
    (the live options' own, so a test can pass its own)."""

    now: Callable[[], dt.datetime]
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    remaining: Callable[[], float]


def start_encryption(target: Target, name: str, arn: str, key: str, accepted_ids: frozenset[str],
                     limits: RegionalLimits, clock: Clock) -> Applied:
    """Encrypt stream ``name`` with ``key`` and wait until it is ACTIVE with a key id in ``accepted_ids`` (the
    reference given and what it resolves to: Kinesis answers with the reference as it was given)."""
    started_at, began = clock.now(), clock.monotonic()
    kinesis = target.account.clients.kinesis(target.region)
    try:
        call(START, f"stream {name}", lambda: kinesis.start_stream_encryption(
            StreamName=name, EncryptionType="KMS", KeyId=key))
    except Unreadable as err:
        return _refused(err, target.account.principal, arn, key)
    wait = FIRST_WAIT
    while True:
        described = describe(target, name, limits)
        if described.summary is None:
            error = described.error or Unknown("kinesis:DescribeStreamSummary gave no answer")
            return Applied(Action.UNVERIFIED, f"{START} was accepted, but the stream could not be read back: "
                           f"{error.reason}", resolve="run sseguard aws to see the stream's encryption")
        summary = described.summary
        status = summary.get("StreamStatus")
        if status == "ACTIVE":
            break
        if clock.remaining() <= wait:
            return Applied(Action.UNVERIFIED, f"{START} was accepted, but the stream was still {status} when the "
                           "--timeout deadline came", resolve="run sseguard aws later to see the stream's encryption")
        clock.sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT)
    timing = Timing(started_at, clock.monotonic() - began)
    after = Encryption(summary.get("EncryptionType"), summary.get("KeyId"))
    retention = summary.get("RetentionPeriodHours")
    retention = retention if isinstance(retention, int) else None
    if after.encryption_type is None or not is_kms(after.encryption_type) or after.key_id not in accepted_ids:
        return Applied(Action.UNVERIFIED, f"{START} was accepted, but the stream is now ACTIVE with {after}, not KMS "
                       f"{key}", after, timing, retention, "check the stream with aws kinesis describe-stream-summary")
    return Applied(Action.APPLIED, f"encrypted with {key}, verified ACTIVE", after, timing, retention)


def _refused(err: Unreadable, principal: str, arn: str, key: str) -> Applied:
    """AWS refused (or never answered) the call: the stream is not changed, and the entry says what to do."""
    code = error_code_and_message(err.cause)[0] if err.cause is not None else ""
    if is_access_denied(code):
        resolve = (f"grant {principal or 'the caller'} kinesis:StartStreamEncryption on {arn}, "
                   f"and kms:GenerateDataKey on key {key}, then run again")
    elif code == "LimitExceededException":
        resolve = ("wait and run again: Kinesis limits StartStreamEncryption per account, and a stream takes at most "
                   "25 key changes in a rolling 24 hours (changes made outside sseguard count too)")
    elif code == "ResourceInUseException":
        resolve = "the stream is not ACTIVE (a change may be under way): run again once it is ACTIVE"
    else:
        resolve = err.unknown.resolve or f"check why {START} failed and run again"
    return Applied(Action.NOT_CHANGED, err.unknown.reason, resolve=resolve)
