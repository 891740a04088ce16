"""Read the streams of one account and region: ListStreams (every page), then DescribeStreamSummary per stream.

``DescribeStream`` is never called: it also lists shards, costs more, and is limited to 10 calls a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from sseguard.model import Unknown
from sseguard.sources.aws.errors import api_unknown
from sseguard.sources.aws.ratelimit import RegionalLimits
from sseguard.sources.aws.session import Account

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

# The fields of DescribeStreamSummary the verdict rests on; kept as the stream's evidence.
SUMMARY_FIELDS = ("StreamName", "StreamARN", "StreamStatus", "StreamModeDetails", "EncryptionType", "KeyId")


@dataclass(frozen=True)
class Target:
    """One account and region to scan."""

    account: Account
    region: str

    @property
    def location(self) -> str:
        return f"aws://{self.account.account_id}/{self.region}"


@dataclass(frozen=True)
class Described:
    """One stream's DescribeStreamSummary answer (only the fields kept), or why the call failed."""

    target: Target
    name: str
    summary: dict[str, Any] | None
    error: Unknown | None = None


class PagingStalled(Exception):
    """An endpoint said there were more streams but the next page brought no new name."""


def enabled_regions(account: Account) -> list[str] | Unknown:
    """The regions enabled for the account (ec2:DescribeRegions lists only those unless AllRegions is set)."""
    try:
        answer = account.clients.ec2().describe_regions()
    except (ClientError, BotoCoreError) as err:
        return api_unknown("ec2:DescribeRegions", err, f"account {account.account_id}")
    return sorted(r["RegionName"] for r in answer.get("Regions", []) if r.get("RegionName"))


def list_stream_names(client: KinesisClient, limits: RegionalLimits, account_id: str, region: str) -> list[str]:
    """Every stream name of the region, following ``NextToken`` and, where an endpoint gives no token,
    ``HasMoreStreams`` with ``ExclusiveStartStreamName`` (the older paging, which emulators still use)."""
    names: list[str] = []
    seen: set[str] = set()
    request: dict[str, Any] = {}
    while True:
        limits.acquire(account_id, region, "ListStreams")
        page = client.list_streams(**request)
        fresh = [n for n in page.get("StreamNames", []) if n not in seen]
        names.extend(fresh)
        seen.update(fresh)
        token = page.get("NextToken")
        if token:
            request = {"NextToken": token}
        elif page.get("HasMoreStreams") and names:
            request = {"ExclusiveStartStreamName": names[-1]}
        else:
            return names
        if not fresh:
            raise PagingStalled("kinesis:ListStreams said more streams follow, but the next page brought none")


def list_target(target: Target, limits: RegionalLimits) -> list[str] | Unknown:
    """The stream names of one account-region, or the ``Unknown`` that the whole region becomes."""
    try:
        return list_stream_names(target.account.clients.kinesis(target.region), limits, target.account.account_id,
                                 target.region)
    except PagingStalled as err:
        return Unknown(str(err), "scan again; if it persists, the endpoint's ListStreams paging is broken", "KSSE021")
    except (ClientError, BotoCoreError) as err:
        return api_unknown("kinesis:ListStreams", err, target.location)


def describe(target: Target, name: str, limits: RegionalLimits) -> Described:
    """DescribeStreamSummary of one stream, within the rate limit of its account and region."""
    client = target.account.clients.kinesis(target.region)
    limits.acquire(target.account.account_id, target.region, "DescribeStreamSummary")
    try:
        answer = client.describe_stream_summary(StreamName=name)
    except (ClientError, BotoCoreError) as err:
        return Described(target, name, None, api_unknown("kinesis:DescribeStreamSummary", err, f"stream {name}"))
    summary = answer.get("StreamDescriptionSummary", {})
    kept = {k: summary[k] for k in SUMMARY_FIELDS if k in summary}  # type: ignore[literal-required]
    return Described(target, name, kept)
