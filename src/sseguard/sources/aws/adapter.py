"""API answers -> the model. Nothing here calls AWS and nothing here judges."""

from __future__ import annotations

from typing import Any

from sseguard.kms import is_kms
from sseguard.model import Key, Location, OutOfReach, SourceKind, Stream, Unknown
from sseguard.sources.aws.collect import Described
from sseguard.sources.aws.errors import API_ERROR
from sseguard.sources.aws.session import partition_of

RESOURCE_TYPE = "AWS::Kinesis::Stream"


def location(account: str, region: str | None) -> Location:
    """Where a live stream was read: ``aws://ACCOUNT/REGION``."""
    return Location(kind=SourceKind.AWS, path=f"aws://{account}/{region}" if region else f"aws://{account}")


def stream_arn(account: str, region: str, name: str) -> str:
    """The ARN of a stream, for a stream whose own answer did not give it."""
    return f"arn:{partition_of(region)}:kinesis:{region}:{account}:stream/{name}"


def _missing_field(name: str, field: str) -> Unknown:
    return Unknown(
        f"kinesis:DescribeStreamSummary returned no {field} for stream {name}",
        f"check the stream with aws kinesis describe-stream-summary --stream-name {name} and scan again",
        API_ERROR,
    )


def to_stream(described: Described, key: Key | None, key_facts: dict[str, Any]) -> Stream:
    """A described stream in the model; ``key`` is the resolved key of a KMS stream."""
    target = described.target
    account, region = target.account.account_id, target.region
    summary = described.summary or {}
    name = str(summary.get("StreamName") or described.name)
    arn = str(summary.get("StreamARN") or stream_arn(account, region, name))
    encryption: str | Unknown = summary.get("EncryptionType") or _missing_field(name, "EncryptionType")
    key_ref: str | Unknown | None = summary.get("KeyId")
    if isinstance(encryption, str) and is_kms(encryption) and key_ref is None:
        # A KMS stream always has a key; an answer without one is incomplete, not a stream without a key.
        key_ref = _missing_field(name, "KeyId")
    facts: dict[str, Any] = {"kinesis:DescribeStreamSummary": dict(summary)}
    facts.update(key_facts)
    return Stream(
        address=arn,
        resource_type=RESOURCE_TYPE,
        location=location(account, region),
        encryption_type=encryption,
        key_reference=key_ref,
        key=key,
        region=region,
        account=account,
        arn=arn,
        name=name,
        updating=summary.get("StreamStatus") == "UPDATING",
        facts=facts,
    )


def stream_from_error(described: Described) -> Stream:
    """A stream whose DescribeStreamSummary failed: unknown (KSSE021), with the call and the error."""
    target = described.target
    account, region = target.account.account_id, target.region
    arn = stream_arn(account, region, described.name)
    error = described.error or _missing_field(described.name, "StreamDescriptionSummary")
    return Stream(
        address=arn,
        resource_type=RESOURCE_TYPE,
        location=location(account, region),
        encryption_type=error,
        region=region,
        account=account,
        arn=arn,
        name=described.name,
    )


def unreadable_place(account: str, region: str | None, error: Unknown) -> Stream:
    """An account or region whose streams could not be listed: one unknown finding at ``aws://ACCOUNT/REGION``."""
    where = location(account, region)
    assert where.path is not None
    return Stream(
        address=where.path,
        resource_type=RESOURCE_TYPE,
        location=where,
        encryption_type=error,
        region=region if region else OutOfReach("the account's regions could not be listed"),
        account=account,
    )
