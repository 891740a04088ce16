"""Terraform state into the model: ``terraform show -json`` of a state, and raw ``terraform.tfstate`` (version 4).

State holds what was applied, read back from AWS by the provider: every stream's ARN (so its region and account),
its ``encryption_type`` as AWS reports it, and its ``kms_key_id``. Keys and aliases in the same state are resolved by
key id, key ARN, alias name or alias ARN, so their ``is_enabled`` and ``policy`` feed the key checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from sseguard.sources import plan as plan_source
from sseguard.sources.file_source import NotThisKind
from sseguard.sources.tfjson_common import (
    ALIAS_TYPE,
    KEY_TYPE,
    STREAM_TYPE,
    KeyFacts,
    KeyIndex,
    LineFinder,
    TerraformJsonError,
    alias_facts,
    as_dict,
    as_list,
    data_key_facts,
    json_start,
    key_from_facts,
    lines_at,
    literal_key,
    load_terraform_json,
    parse_arn,
    resource_address,
    rotation_of,
    text_or_none,
    walk_modules,
)
from sseguard.sources.unreadable import unreadable_file

# How to resolve a stream found in this kind of file when the file itself cannot be read.
_RESOLVE_UNREADABLE = ("save the state again with terraform show -json > state.json, or scan the stream live with "
                       "sseguard aws")
KIND = SourceKind.STATE

_RAW_V4 = re.compile(rb'^\{\s*"version"\s*:\s*4\s*,')


def sniff(path: Path, head: bytes) -> bool:
    """Raw tfstate v4, or ``terraform show -json`` of a state (``values`` with ``root_module``, not a plan)."""
    start = json_start(head)
    if _RAW_V4.match(start):
        return b'"terraform_version"' in start
    if not start.startswith(b"{") or b'"format_version"' not in start or b'"values"' not in start:
        return False
    return not plan_source.sniff(path, head)


@dataclass
class _Resource:
    """One resource instance of a state, in either format."""

    address: str
    mode: str
    rtype: str
    values: dict[str, Any]
    line: int | None


def load(path: Path, options: ScanOptions) -> SourceResult:
    """Read a state file and adapt every stream in it into the model; ``NotThisKind`` when it parses but is not a
    state."""
    shown = options.display_path(path)
    try:
        text, state = load_terraform_json(path)
    except TerraformJsonError as err:
        # Only its words are kept: the error's traceback holds the text, freed before the text is searched.
        why, line = err.message, err.line
    else:
        return _adapted(state, text, shown, options)
    return unreadable_file(path, KIND, shown, why, _RESOLVE_UNREADABLE, line)


def _adapted(state: Any, text: str, shown: str, options: ScanOptions) -> SourceResult:
    if not isinstance(state, dict):
        raise NotThisKind("not a Terraform state: expected a JSON object")
    if "values" in state or "format_version" in state:
        resources = _show_json_resources(state, text)
    elif state.get("version") == 4 and isinstance(state.get("resources"), list):
        resources = _raw_resources(state, text)
    else:
        why = "not a Terraform state: expected terraform show -json output or a version 4 terraform.tfstate"
        if state.get("version") == 4:
            return SourceResult(errors=[InputError(shown, why)])  # a raw state, damaged: reported wherever found
        raise NotThisKind(why)
    result = SourceResult(inputs=[ScannedInput(KIND, shown)])
    index = _key_index(resources)
    for res in resources:
        if res.rtype == STREAM_TYPE and res.mode == "managed":
            try:
                result.streams.append(to_stream(res, index, shown, options))
            except (TypeError, ValueError, AttributeError, KeyError) as err:
                # A shape no Terraform writes: an error for the input, an unknown for the stream, and the scan goes on.
                why = f"cannot read {res.address}: {err}"
                result.errors.append(InputError(shown, why, res.line, ErrorKind.INCOMPLETE))
                result.streams.append(Stream(res.address, STREAM_TYPE, Location(KIND, shown, res.line),
                                             Unknown(why, _RESOLVE_UNREADABLE)))
    return result


def _show_json_resources(state: dict[str, Any], text: str) -> list[_Resource]:
    root = as_dict(as_dict(state.get("values")).get("root_module"))
    found: list[_Resource] = []
    for module in walk_modules(root, "child_modules"):
        for res in as_list(module.get("resources")):
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                found.append(_Resource(res["address"], str(res.get("mode", "managed")), str(res.get("type", "")),
                                       as_dict(res.get("values")), None))
    streams = [r.address for r in found if r.rtype == STREAM_TYPE]
    lines = LineFinder(text, "address").lines(streams) if streams else {}
    for res in found:
        res.line = lines.get(res.address)
    return found


# Terraform writes a raw state's resource keys in this order, which lets one regex find a resource's first line.
_RAW_RESOURCE = re.compile(
    r'\{\s*(?:"module"\s*:\s*(?P<module>"(?:[^"\\]|\\.)*")\s*,\s*)?"mode"\s*:\s*"(?P<mode>\w+)"\s*,\s*'
    r'"type"\s*:\s*"(?P<type>[\w-]+)"\s*,\s*"name"\s*:\s*(?P<name>"(?:[^"\\]|\\.)*")'
)


def _raw_resources(state: dict[str, Any], text: str) -> list[_Resource]:
    starts: dict[tuple[str | None, str, str, str], int] = {}
    if '"aws_kinesis_stream"' in text:
        for m in _RAW_RESOURCE.finditer(text):
            if m["type"] == STREAM_TYPE:
                module = json.loads(m["module"]) if m["module"] else None
                starts.setdefault((module, m["mode"], m["type"], json.loads(m["name"])), m.start())
    found: list[_Resource] = []
    offsets: list[int | None] = []
    for res in as_list(state.get("resources")):
        if not isinstance(res, dict):
            continue
        module = text_or_none(res.get("module"))
        mode, rtype, name = str(res.get("mode", "managed")), str(res.get("type", "")), str(res.get("name", ""))
        start = starts.get((module, mode, rtype, name))
        if rtype == STREAM_TYPE and mode == "managed" and not isinstance(res.get("instances"), list):
            # Terraform writes [] for a resource with no instances; anything else is a damaged state: with no
            # attributes to read, the stream is judged unknown (no encryption_type) rather than left out.
            offsets.append(start)
            found.append(_Resource(resource_address(module, rtype, name, None, mode), mode, rtype, {}, None))
            continue
        for instance in as_list(res.get("instances")):
            if not isinstance(instance, dict) or instance.get("deposed"):
                continue  # a deposed object is an old copy waiting to be destroyed, not the resource itself
            index = instance.get("index_key")
            address = resource_address(module, rtype, name, index, mode)
            offsets.append(None if start is None else _instance_offset(text, start, index))
            found.append(_Resource(address, mode, rtype, as_dict(instance.get("attributes")), None))
    lines = lines_at(text, (o for o in offsets if o is not None))
    for res, offset in zip(found, offsets, strict=True):
        res.line = None if offset is None else lines[offset]
    return found


def _instance_offset(text: str, start: int, index: Any) -> int:
    if index is None:
        return start
    at = text.find(f'"index_key": {json.dumps(index, ensure_ascii=False)}', start)
    return at if at >= 0 else start


def _key_index(resources: list[_Resource]) -> KeyIndex:
    index = KeyIndex()
    for res in resources:
        if res.rtype == KEY_TYPE and res.mode == "managed":
            index.add_key(_managed_key_facts(res))
    for res in resources:
        if res.rtype == KEY_TYPE and res.mode == "data":
            index.add_key(data_key_facts(res.address, res.values))
        elif res.rtype == ALIAS_TYPE:
            index.add_alias(alias_facts(res.address, res.values))
    return index


def _managed_key_facts(res: _Resource) -> KeyFacts:
    values = res.values
    arn = text_or_none(values.get("arn"))
    parsed = parse_arn(arn)
    region: str | OutOfReach = OutOfReach(f"{res.address} has no ARN in the state")
    if parsed is not None and parsed.region:
        region = parsed.region
    elif text_or_none(values.get("region")):
        region = values["region"]
    policy = values.get("policy")
    enabled = values.get("is_enabled")
    rotation, days = rotation_of(values, absent=OutOfReach(f"the state has no enable_key_rotation for {res.address}"))
    return KeyFacts(
        address=res.address,
        arn=arn,
        key_id=text_or_none(values.get("key_id")) or text_or_none(values.get("id")),
        region=region,
        enabled=enabled if isinstance(enabled, bool) else None,
        # The provider reads the key's policy back from KMS, so a state always has it; an empty one is not known.
        policy=policy if isinstance(policy, str) and policy.strip() else
        OutOfReach(f"the state has no policy for {res.address}"),
        rotation=rotation,
        rotation_period_days=days,
    )


def to_stream(res: _Resource, index: KeyIndex, shown: str, options: ScanOptions) -> Stream:
    """One stream of the state in the model: its values as AWS reported them, its key found in the same state."""
    values = res.values
    arn_text = text_or_none(values.get("arn"))
    arn = parse_arn(arn_text)
    region: str | OutOfReach
    if arn is not None and arn.region:
        region = arn.region
    elif text_or_none(values.get("region")):
        region = values["region"]
    elif options.region:
        region = options.region
    else:
        region = OutOfReach(f"the state has no ARN for {res.address}; pass --region")
    raw_type = values.get("encryption_type")
    encryption: str | Unknown = raw_type if isinstance(raw_type, str) else Unknown(
        f"the state has no encryption_type for {res.address}",
        "refresh the state with a current AWS provider (terraform apply -refresh-only), or scan live with "
        "sseguard aws",
    )
    reference = values.get("kms_key_id")
    key: Key | None = None
    key_reference: str | Unknown | None = reference if isinstance(reference, str) else None
    if reference is not None and not isinstance(reference, str):
        key_reference = Unknown(f"the state gives kms_key_id of {res.address} as {reference!r}, not a key reference",
                                "refresh the state, or scan live with sseguard aws")
    elif isinstance(key_reference, str) and key_reference.strip():
        facts, alias = index.find(key_reference)
        if facts is not None:
            key = key_from_facts(key_reference, facts, alias)
        else:
            key = literal_key(key_reference, region, f"key {key_reference} is not in this state; scan live with "
                                                     "sseguard aws to check it")
    return Stream(
        address=res.address,
        resource_type=STREAM_TYPE,
        location=Location(KIND, shown, res.line),
        encryption_type=encryption,
        key_reference=key_reference,
        key=key,
        region=region,
        account=(arn.account or None) if arn is not None else None,
        arn=arn_text,
        name=text_or_none(values.get("name")),
        facts={"encryption_type": raw_type, "kms_key_id": reference, "arn": arn_text},
    )
