"""Read the streams of one account and region: ListStreams (every page), then DescribeStreamSummary per stream.

``DescribeStream`` is never called: it also lists shards, costs more, and is limited to 10 calls a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sseguard.model import Unknown
from sseguard.sources.aws.answers import FLAG, INTEGER, NAME, NAMES, OBJECT, TEXT, Kind, Unreadable, call
from sseguard.sources.aws.errors import API_ERROR, shown
from sseguard.sources.aws.ratelimit import RegionalLimits
from sseguard.sources.aws.session import Account, is_region_name

LIST_STREAMS = "kinesis:ListStreams"
DESCRIBE = "kinesis:DescribeStreamSummary"
# The fields of DescribeStreamSummary the verdict rests on, with their shape; kept as the stream's evidence.
SUMMARY_FIELDS: dict[str, Kind] = {
    "StreamName": NAME, "StreamARN": NAME, "StreamStatus": TEXT, "StreamModeDetails": OBJECT, "EncryptionType": TEXT,
    "KeyId": TEXT, "RetentionPeriodHours": INTEGER,
}
_REGION_NAME = Kind("a region name", lambda value: isinstance(value, str) and is_region_name(value))


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


def enabled_regions(account: Account) -> list[str] | Unknown:
    """The regions enabled for the account (ec2:DescribeRegions lists only those unless AllRegions is set)."""
    try:
        answer = call("ec2:DescribeRegions", f"account {account.account_id}",
                      lambda: account.clients.ec2().describe_regions())
        return sorted(entry.required("RegionName", _REGION_NAME) for entry in answer.entries("Regions"))
    except Unreadable as err:
        return err.unknown


def list_stream_names(target: Target, limits: RegionalLimits) -> list[str]:
    """Every stream name of the region, following ``NextToken`` and, where an endpoint gives no token,
    ``HasMoreStreams`` with ``ExclusiveStartStreamName`` (the older paging, which emulators still use).

    All or nothing: a page that cannot be read, or paging that would not end, raises ``Unreadable``, so the region
    is unknown rather than listed without the streams after that page.
    """
    names: list[str] = []
    seen: set[str] = set()
    tokens: set[str] = set()
    request: dict[str, Any] = {}
    while True:
        page = call(LIST_STREAMS, target.location, partial(_list_page, limits, target, request))
        fresh = [n for n in page.required("StreamNames", NAMES) if n not in seen]
        more: bool = page.required("HasMoreStreams", FLAG)
        token: str | None = page.optional("NextToken", TEXT)
        names.extend(fresh)
        seen.update(fresh)
        if token:
            if token in tokens:
                raise _paging_broken(f"returned NextToken {shown(token)} a second time")
            tokens.add(token)
            request = {"NextToken": token}
        elif more and names:
            request = {"ExclusiveStartStreamName": names[-1]}
        elif more:
            raise _paging_broken("said more streams follow (HasMoreStreams true) but gave neither a NextToken nor a "
                                 "stream name to go on from")
        else:
            return names
        if not fresh:
            raise _paging_broken("said more streams follow, but the next page brought none")


def _list_page(limits: RegionalLimits, target: Target, request: dict[str, Any]) -> Any:
    limits.acquire(target.account.account_id, target.region, "ListStreams")
    return target.account.clients.kinesis(target.region).list_streams(**request)


def _paging_broken(what: str) -> Unreadable:
    return Unreadable(Unknown(f"{LIST_STREAMS} {what}",
                              "scan again; if it persists, the endpoint's ListStreams paging is broken", API_ERROR))


def list_target(target: Target, limits: RegionalLimits) -> list[str] | Unknown:
    """The stream names of one account-region, or the ``Unknown`` that the whole region becomes."""
    try:
        return list_stream_names(target, limits)
    except Unreadable as err:
        return err.unknown


def describe(target: Target, name: str, limits: RegionalLimits) -> Described:
    """DescribeStreamSummary of one stream, within the rate limit of its account and region."""

    def send() -> Any:
        limits.acquire(target.account.account_id, target.region, "DescribeStreamSummary")
        return target.account.clients.kinesis(target.region).describe_stream_summary(StreamName=name)

    try:
        summary = call(DESCRIBE, f"stream {name}", send).part("StreamDescriptionSummary")
        kept = {field: value for field, kind in SUMMARY_FIELDS.items()
                if (value := summary.optional(field, kind)) is not None}
    except Unreadable as err:
        return Described(target, name, None, err.unknown)
    return Described(target, name, kept)
