"""Saved ``aws kinesis describe-stream`` / ``describe-stream-summary`` output into the model.

This is the evidence auditors are handed: the API's own answer for a live stream, saved as JSON. A file holds one
output (``{"StreamDescription": {...}}`` or ``{"StreamDescriptionSummary": {...}}``) or a JSON array of them.
The stream is judged as a live one would be, with what the output says and nothing more: the key's state and policy
are not in it, so those key checks cannot run, and a missing ``EncryptionType`` is unknown, never ``NONE``.

Which files are describe-stream output, where many JSON files mention a ``StreamDescription`` (AWS SDK examples and
models, recorded HTTP exchanges, test snapshots):

- ``sniff``: the file opens as output. Its top-level object has a ``StreamDescription`` or
  ``StreamDescriptionSummary`` key whose value is an object, or its top-level array has such an object among the
  items in the first bytes read. The key nested deeper (an SDK example's ``"output"``, a template parameter) or
  inside a string (a recorded response body) does not count.
- ``load``, when the file parses: it is output when at least one of its outputs names a stream (a ``StreamName``
  or ``StreamARN`` string); its other items are then errors. When none does, ``NotThisKind``: met in a folder the
  file is not an input, named on the command line it is an error.
- ``load``, when the file does not parse (invalid in the middle, cut short): its opening is the part of the shape
  that can be recognised before the break, and it was recognised, so the file is reported wherever it was found,
  with the streams whose ARNs its text shows reported unknown. Never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sseguard.kms import is_kms
from sseguard.model import (
    ErrorKind,
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
from sseguard.sources.file_source import NotThisKind
from sseguard.sources.safe_load import LMap, LoadError, load_json, read_text, top_level_keys
from sseguard.sources.tfjson_common import literal_key, parse_arn
from sseguard.sources.unreadable import unreadable_file

# How to resolve a stream found in this kind of file when the file itself cannot be read.
_RESOLVE_UNREADABLE = ("save the output again with aws kinesis describe-stream-summary, or scan the stream live "
                       "with sseguard aws")
KIND = SourceKind.AWS_DESCRIBE_STREAM
RESOURCE_TYPE = "AWS::Kinesis::Stream"

_WRAPPERS = ("StreamDescription", "StreamDescriptionSummary")
_WRAPPER_KEYS = tuple(f'"{wrapper}"'.encode() for wrapper in _WRAPPERS)
_NOT_IN_OUTPUT = ("saved describe-stream output does not include the key's state or policy; scan live with "
                  "sseguard aws")
# The fields a verdict rests on, kept as evidence exactly as the API gave them.
_FACT_FIELDS = ("StreamName", "StreamARN", "StreamStatus", "EncryptionType", "KeyId")


def sniff(path: Path, head: bytes) -> bool:
    """Whether the file opens as describe-stream output (the module docstring says what that is)."""
    return any(key in _WRAPPER_KEYS and value == b"{" for key, value in top_level_keys(head, in_array=True))


def load(path: Path, options: ScanOptions) -> SourceResult:
    """Read saved describe-stream output and adapt each stream description in it; ``NotThisKind`` when the file
    parses but names no stream in an output's shape."""
    shown = options.display_path(path)
    try:
        document = load_json(read_text(path))
    except LoadError as err:
        # Only its words are kept: the error's traceback and context hold the text, freed before it is searched.
        why, line = err.message, err.line
    else:
        return _adapted(document, shown, options)
    return unreadable_file(path, KIND, shown, why, _RESOLVE_UNREADABLE, line)


def _adapted(document: Any, shown: str, options: ScanOptions) -> SourceResult:
    outputs = document if isinstance(document, list) else [document]
    result = SourceResult()
    for position, output in enumerate(outputs):
        where = f"item {position + 1}: " if isinstance(document, list) else ""
        description, wrapper = _description(output)
        if description is None:
            line = output.line if isinstance(output, LMap) else None
            result.errors.append(InputError(shown, f"{where}not describe-stream output: expected an object with "
                                                   "StreamDescription or StreamDescriptionSummary", line,
                                            ErrorKind.INCOMPLETE))
            continue
        stream = to_stream(description, wrapper, shown, options)
        if isinstance(stream, str):
            result.errors.append(InputError(shown, where + stream, description.line, ErrorKind.INCOMPLETE))
        else:
            result.streams.append(stream)
    if not result.streams:
        raise NotThisKind("not describe-stream output: no StreamDescription or StreamDescriptionSummary names a "
                          "stream (StreamName or StreamARN)", result.errors[0].line if result.errors else None)
    result.inputs.append(ScannedInput(KIND, shown))
    return result


def _description(output: Any) -> tuple[LMap | None, str]:
    if isinstance(output, LMap):
        for wrapper in _WRAPPERS:
            inner = output.get(wrapper)
            if isinstance(inner, LMap):
                return inner, wrapper
    return None, ""


def to_stream(description: LMap, wrapper: str, shown: str, options: ScanOptions) -> Stream | str:
    """One saved stream description in the model, or why it cannot be one (a message for an input error)."""
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
        if isinstance(encryption, str) and is_kms(encryption):
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
