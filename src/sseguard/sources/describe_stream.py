"""Saved ``aws kinesis describe-stream`` / ``describe-stream-summary`` output into the model.

This is the evidence auditors are handed: the API's own answer for a live stream, saved as JSON. A file holds one
output (``{"StreamDescription": {...}}`` or ``{"StreamDescriptionSummary": {...}}``) or a JSON array of them.
The stream is judged as a live one would be, with what the output says and nothing more: the key's state and policy
are not in it, so those key checks cannot run, and a missing ``EncryptionType`` is unknown, never ``NONE``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sseguard.model import (
    InputError,
    Key,
    Location,
    OutOfReach,
    ScannedInput,
    SourceKind,
    SourceResult,
    Stream,
    Unknown,
)
from sseguard.options import ScanOptions
from sseguard.sources.safe_load import LMap, LoadError, load_json, read_text
from sseguard.sources.tfjson_common import json_start, literal_key, parse_arn
from sseguard.sources.unreadable import unknown_streams

# How to resolve a stream found in this kind of file when the file itself cannot be read.
_RESOLVE_UNREADABLE = ("save the output again with aws kinesis describe-stream-summary, or scan the stream live "
                       "with sseguard aws")
KIND = SourceKind.AWS_DESCRIBE_STREAM
RESOURCE_TYPE = "AWS::Kinesis::Stream"

_WRAPPERS = ("StreamDescription", "StreamDescriptionSummary")
_SNIFF = re.compile(rb'"StreamDescription(?:Summary)?"\s*:')
_NOT_IN_OUTPUT = ("saved describe-stream output does not include the key's state or policy; scan live with "
                  "sseguard aws")
# The fields a verdict rests on, kept as evidence exactly as the API gave them.
_FACT_FIELDS = ("StreamName", "StreamARN", "StreamStatus", "EncryptionType", "KeyId")


def sniff(path: Path, head: bytes) -> bool:
    """A JSON object (or array of them) whose output key is ``StreamDescription`` or ``StreamDescriptionSummary``."""
    start = json_start(head)
    return start[:1] in (b"{", b"[") and _SNIFF.search(start) is not None


def load(path: Path, options: ScanOptions) -> SourceResult:
    """Read saved describe-stream output and adapt each stream description in it."""
    shown = options.display_path(path)
    try:
        document = load_json(read_text(path))
    except LoadError as err:
        return SourceResult(streams=unknown_streams(path, KIND, shown, err.message, _RESOLVE_UNREADABLE),
                            errors=[InputError(shown, err.message, err.line)])
    outputs = document if isinstance(document, list) else [document]
    result = SourceResult()
    for position, output in enumerate(outputs):
        where = f"item {position + 1}: " if isinstance(document, list) else ""
        description, wrapper = _description(output)
        if description is None:
            line = output.line if isinstance(output, LMap) else None
            result.errors.append(InputError(shown, f"{where}not describe-stream output: expected an object with "
                                                   "StreamDescription or StreamDescriptionSummary", line))
            continue
        stream = _stream(description, wrapper, shown, options)
        if isinstance(stream, str):
            result.errors.append(InputError(shown, where + stream, description.line))
        else:
            result.streams.append(stream)
    if result.streams:
        result.inputs.append(ScannedInput(KIND, shown))
    return result


def _description(output: Any) -> tuple[LMap | None, str]:
    if isinstance(output, LMap):
        for wrapper in _WRAPPERS:
            inner = output.get(wrapper)
            if isinstance(inner, LMap):
                return inner, wrapper
    return None, ""


def _stream(description: LMap, wrapper: str, shown: str, options: ScanOptions) -> Stream | str:
    name = description.get("StreamName")
    arn_text = description.get("StreamARN")
    name = name if isinstance(name, str) and name else None
    arn_text = arn_text if isinstance(arn_text, str) and arn_text else None
    if name is None and arn_text is None:
        return f"{wrapper} has neither StreamName nor StreamARN"
    arn = parse_arn(arn_text)
    region: str | OutOfReach
    if arn is not None and arn.region:
        region = arn.region
    elif options.region:
        region = options.region
    else:
        region = OutOfReach("the output has no StreamARN to give the stream's region; pass --region")
    encryption = _encryption_type(description, name or arn_text or "")
    key_reference, key = _key(description, encryption, region)
    line = description.key_lines.get("StreamName") or description.line
    return Stream(
        address=name or arn_text or "",
        resource_type=RESOURCE_TYPE,
        location=Location(KIND, shown, line),
        encryption_type=encryption,
        key_reference=key_reference,
        key=key,
        region=region,
        account=(arn.account or None) if arn is not None else None,
        arn=arn_text,
        name=name,
        updating=description.get("StreamStatus") == "UPDATING",
        facts={"output": wrapper, **{f: description[f] for f in _FACT_FIELDS if f in description}},
    )


def _encryption_type(description: LMap, who: str) -> str | Unknown:
    value = description.get("EncryptionType")
    if isinstance(value, str):
        return value
    said = "has no EncryptionType field" if "EncryptionType" not in description else \
        f"gives EncryptionType {value!r}"
    return Unknown(f"the saved output for {who} {said}",
                   "save the full output of aws kinesis describe-stream-summary, or scan live with sseguard aws")


def _key(description: LMap, encryption: str | Unknown,
         region: str | OutOfReach) -> tuple[str | Unknown | None, Key | None]:
    value = description.get("KeyId")
    if "KeyId" not in description:
        if isinstance(encryption, str) and encryption.strip().upper() == "KMS":
            # The API always returns KeyId with KMS; an output without the field was cut, so the key is not known.
            return Unknown("the saved output has EncryptionType KMS but no KeyId field",
                           "save the full output of aws kinesis describe-stream-summary, or scan live with "
                           "sseguard aws"), None
        return None, None
    if value is None:
        return None, None
    if not isinstance(value, str):
        return Unknown(f"the saved output gives KeyId as {value!r}, not a key reference",
                       "save the output again with aws kinesis describe-stream-summary, or scan live with "
                       "sseguard aws"), None
    if not value.strip():
        return value, None
    return value, literal_key(value, region, _NOT_IN_OUTPUT)
