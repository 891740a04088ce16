"""An AWS Config configuration item of an ``AWS::Kinesis::Stream`` -> the model ``Stream``. No I/O, no judging.

The item's fields, as the AWS Config resource schema for ``AWS::Kinesis::Stream`` spells them (the
awslabs/aws-config-resource-schema repository): ``configuration.StreamEncryption.EncryptionType`` and
``configuration.StreamEncryption.KeyId``, ``configuration.Name`` and ``configuration.Arn``, beside the item's own
``resourceId`` (the stream's name), ``awsRegion``, ``configurationItemStatus``. A change notification spells the
account and ARN ``awsAccountId`` and ``ARN``; GetResourceConfigHistory spells them ``accountId`` and ``arn`` and
holds ``configuration`` as a JSON string (``from_history`` turns such an item into the notification's shape).

The item holds the stream as CloudFormation's resource model does: ``StreamEncryption`` is absent from an
unencrypted stream, which is KSSE001 as for a template.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from sseguard.model import Stream, Unknown
from sseguard.sources.aws.adapter import RESOURCE_TYPE, location, stream_arn
from sseguard.sources.aws.errors import API_ERROR, shown

# Statuses of an item whose resource is gone or no longer recorded: nothing left to judge (NOT_APPLICABLE).
GONE = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded", "Deleted"})


def from_history(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One item of GetResourceConfigHistory's ``configurationItems`` in a change notification's shape."""
    item = dict(entry)
    for api, notification in (("accountId", "awsAccountId"), ("arn", "ARN")):
        if api in item and notification not in item:
            item[notification] = item[api]
    configuration = item.get("configuration")
    if isinstance(configuration, str):
        # JSON that does not parse is left as text: ``to_stream`` makes the stream unknown, naming what came back
        with contextlib.suppress(ValueError):
            item["configuration"] = json.loads(configuration)
    capture = item.get("configurationItemCaptureTime")
    if capture is not None and not isinstance(capture, str):
        item["configurationItemCaptureTime"] = capture.isoformat() if hasattr(capture, "isoformat") else str(capture)
    return item


def _stream_name(item: Mapping[str, Any]) -> str:
    """The stream's name: the item's ``resourceId`` (Config's id of a stream is its name)."""
    configuration = item.get("configuration")
    named = configuration.get("Name") if isinstance(configuration, Mapping) else None
    for value in (item.get("resourceId"), item.get("resourceName"), named):
        if isinstance(value, str) and value:
            return value
    return ""


def to_stream(item: Mapping[str, Any]) -> Stream:
    """The stream a configuration item describes, without its key (the caller resolves it in KMS)."""
    name = _stream_name(item)
    account = _text(item.get("awsAccountId")) or ""
    region = _text(item.get("awsRegion")) or ""
    configuration = item.get("configuration")
    arn = _text(item.get("ARN")) or (_text(configuration.get("Arn")) if isinstance(configuration, Mapping) else None)
    arn = arn or stream_arn(account, region, name)
    encryption, key_ref = _encryption(name, configuration)
    for field, value in (("awsAccountId", account), ("awsRegion", region)):
        if not value:
            # without its place, the key checks could not run and the stream would pass on its type alone
            encryption = _unreadable(name, field, item.get(field))
    return Stream(
        address=arn,
        resource_type=RESOURCE_TYPE,
        location=location(account, region),
        encryption_type=encryption,
        key_reference=key_ref,
        region=region or _unreadable(name, "awsRegion", item.get("awsRegion")),
        account=account or None,
        arn=arn,
        name=name,
        facts={"config:ConfigurationItem": {
            "configurationItemCaptureTime": item.get("configurationItemCaptureTime"),
            "configurationItemStatus": item.get("configurationItemStatus"),
            "configurationStateId": item.get("configurationStateId"),
            "StreamEncryption": configuration.get("StreamEncryption") if isinstance(configuration, Mapping) else None,
        }},
    )


def _encryption(name: str, configuration: Any) -> tuple[str | Unknown | None, str | Unknown | None]:
    """The encryption type and key reference the item's configuration gives."""
    if not isinstance(configuration, Mapping):
        unknown = _unreadable(name, "configuration", configuration)
        return unknown, unknown
    encryption = configuration.get("StreamEncryption")
    if encryption is None:
        return None, None
    if not isinstance(encryption, Mapping):
        unknown = _unreadable(name, "configuration.StreamEncryption", encryption)
        return unknown, unknown
    kind, key = encryption.get("EncryptionType"), encryption.get("KeyId")
    if kind is not None and not isinstance(kind, str):
        return _unreadable(name, "configuration.StreamEncryption.EncryptionType", kind), None
    if key is not None and not isinstance(key, str):
        return kind, _unreadable(name, "configuration.StreamEncryption.KeyId", key)
    if kind is None and isinstance(key, str) and key.strip():
        # Cloud Control (and so Config) writes EncryptionType beside every KeyId; an item with a key and no type
        # was cut, and guessing KMS would be a pass on a guess.
        return _unreadable(name, "configuration.StreamEncryption.EncryptionType", kind), key
    return kind, key


def _unreadable(name: str, field: str, value: Any) -> Unknown:
    return Unknown(f"the configuration item of stream {name} holds {field} as {shown(value)}",
                   f"check the item with aws configservice get-resource-config-history --resource-type {RESOURCE_TYPE} "
                   f"--resource-id {name} --limit 1; the periodic evaluation reads the stream itself", API_ERROR)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
