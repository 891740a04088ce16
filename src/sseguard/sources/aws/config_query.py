"""``sseguard aws --config-query``: the streams of an account and region from AWS Config's advanced query
(``SelectResourceConfig``) instead of ``ListStreams`` and one ``DescribeStreamSummary`` per stream, which Kinesis
throttles per account (10,000 streams cost at least 500 s). Config returns every stream's encryption in a few pages;
only the keys are then read from KMS.

Config's item is what Config last recorded, not what Kinesis says now: a stream changed since is judged as it was
recorded. A query that fails, or a result that cannot be read, makes the region unknown (KSSE021), never a region
without streams.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from sseguard.model import Unknown
from sseguard.sources.aws.answers import Kind, Unreadable, call_pages
from sseguard.sources.aws.collect import Described, Target
from sseguard.sources.aws.errors import API_ERROR, excerpt, unreadable_resolve

SELECT = "config:SelectResourceConfig"
EXPRESSION = ("SELECT accountId, awsRegion, resourceId, resourceName, arn, configuration, configurationItemStatus "
              "WHERE resourceType = 'AWS::Kinesis::Stream'")
# Items Config keeps for streams that no longer exist.
_GONE = frozenset({"ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded"})
_STRINGS = Kind("a list of strings", lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value))
# Stream names a ListStreams page holds on AWS: what the calls saved are counted in.
LIST_PAGE = 100


def query_target(target: Target) -> list[Described] | Unknown:
    """Every stream Config recorded in the target's account and region, as ``Described`` answers (the summary
    fields ``DescribeStreamSummary`` would have given), or why they could not be read."""
    config = target.account.clients.config(target.region)
    try:
        pages = call_pages(SELECT, target.location, lambda: config.get_paginator("select_resource_config").paginate(
            Expression=EXPRESSION))
        items = [_item(text, target) for page in pages for text in page.required("Results", _STRINGS)]
    except Unreadable as err:
        return err.unknown
    return [to_described(target, item) for item in items if item.get("configurationItemStatus") not in _GONE]


def calls_saved(streams_per_region: Mapping[str, int]) -> dict[str, int]:
    """The Kinesis calls a ``ListStreams`` + ``DescribeStreamSummary`` scan of the same streams would have made."""
    return {"kinesis:DescribeStreamSummary": sum(streams_per_region.values()),
            "kinesis:ListStreams": sum(max(1, math.ceil(n / LIST_PAGE)) for n in streams_per_region.values())}


def _item(text: str, target: Target) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Unreadable(Unknown(f"{SELECT} returned a result that is not a JSON object: {excerpt(text)}",
                                 unreadable_resolve(SELECT, target.location), API_ERROR))
    return value


def _field(data: Mapping[str, Any], name: str) -> Any:
    """A field of a configuration item by its schema name (``StreamEncryption``) or as some items spell it
    (``streamEncryption``)."""
    return data[name] if name in data else data.get(name[:1].lower() + name[1:])


def to_described(target: Target, item: Mapping[str, Any]) -> Described:
    """One Config item as the summary ``DescribeStreamSummary`` would give; an item without the fields the verdict
    needs is an error naming them, never a stream without encryption."""
    config = item.get("configuration")
    name = str(item.get("resourceName") or (config.get("Name") if isinstance(config, dict) else None)
               or item.get("resourceId") or "?")
    if not isinstance(config, dict):
        return Described(target, name, None, _incomplete(name, "configuration", item))
    encryption = _field(config, "StreamEncryption")
    summary: dict[str, Any] = {"StreamName": name, "EncryptionType": "NONE"}
    arn = item.get("arn") or _field(config, "Arn")
    if isinstance(arn, str) and arn:
        summary["StreamARN"] = arn
    if encryption is not None:
        kind = _field(encryption, "EncryptionType") if isinstance(encryption, dict) else None
        if not isinstance(kind, str) or not kind:
            return Described(target, name, None, _incomplete(name, "configuration.StreamEncryption.EncryptionType",
                                                             item))
        summary["EncryptionType"] = kind
        key = _field(encryption, "KeyId")
        if isinstance(key, str) and key:
            summary["KeyId"] = key
    return Described(target, name, summary)


def _incomplete(name: str, field: str, item: Mapping[str, Any]) -> Unknown:
    return Unknown(f"{SELECT} returned no {field} for stream {name}: {excerpt(json.dumps(item, default=str))}",
                   "check Config's recording of AWS::Kinesis::Stream, or scan without --config-query", API_ERROR)
