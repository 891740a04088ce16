"""Every ``AWS::Kinesis::Stream`` of a template, adapted into the model's ``Stream``. Nothing here judges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sseguard.model import ErrorKind, InputError, Location, OutOfReach, SourceKind, Stream, Unknown
from sseguard.options import ScanOptions
from sseguard.sources.cfn import suppress
from sseguard.sources.cfn.intrinsics import Resolver
from sseguard.sources.cfn.keys import KeyFinder
from sseguard.sources.cfn.load import Template
from sseguard.sources.cfn.values import NO_VALUE, Deferred, over, settle
from sseguard.sources.safe_load import LMap

STREAM_TYPE = "AWS::Kinesis::Stream"


def adapt(template: Template, options: ScanOptions, shown: str) -> tuple[list[Stream], list[InputError]]:
    """The streams a template declares (a stream whose condition is false is not created), and input errors."""
    resolver = Resolver(template, options)
    errors: list[InputError] = list(_disallowed_parameters(template, options, shown))
    finder = KeyFinder(resolver, options.region, shown, errors)
    streams: list[Stream] = []
    resources = template.resources
    for logical, resource in resources.items():
        line = resources.key_lines.get(logical)
        if logical.startswith("Fn::ForEach::"):
            if STREAM_TYPE in repr(resource):
                errors.append(InputError(shown, f"{logical} (Fn::ForEach of AWS::LanguageExtensions) is not "
                                                "expanded: the streams it creates are not judged", line,
                                         ErrorKind.INCOMPLETE))
            continue
        if not isinstance(resource, Mapping):
            errors.append(InputError(shown, f"resource {logical} is not a mapping", line, ErrorKind.INCOMPLETE))
            continue
        rtype = resource.get("Type")
        if not isinstance(rtype, str):
            # CloudFormation refuses such a template, so nothing is deployed from it; said, not skipped silently.
            errors.append(InputError(shown, f"resource {logical}: Type is {rtype!r}, not a resource type name", line,
                                     ErrorKind.INCOMPLETE))
            continue
        if rtype != STREAM_TYPE:
            continue
        stream = to_stream(logical, resource, line, resolver, finder, options, shown)
        if stream is not None:
            streams.append(stream)
    return streams, errors


def _disallowed_parameters(template: Template, options: ScanOptions, shown: str) -> list[InputError]:
    """A --parameter value outside the parameter's AllowedValues: CloudFormation refuses to deploy it, so judging
    the template with it would judge a stack that cannot exist."""
    errors = []
    for name, value in sorted(options.parameters.items()):
        spec = template.parameters.get(name)
        allowed = spec.get("AllowedValues") if isinstance(spec, Mapping) else None
        if isinstance(allowed, list) and value not in [str(a) for a in allowed]:
            listed = ", ".join(str(a) for a in allowed)
            errors.append(InputError(f"--parameter {name}", f"{value!r} is not one of the AllowedValues of parameter "
                                     f"{name} in {shown} ({listed}); CloudFormation would reject it",
                                     kind=ErrorKind.USAGE))
    return errors


def to_stream(logical: str, resource: Mapping[str, Any], line: int | None, resolver: Resolver, finder: KeyFinder,
              options: ScanOptions, shown: str) -> Stream | None:
    """One ``AWS::Kinesis::Stream`` in the model; None when its condition is false (the stream is not created)."""
    facts: dict[str, Any] = {"logical_id": logical}
    condition = resource.get("Condition")
    if isinstance(condition, str):
        decided = resolver.condition(condition)
        if decided is False:
            return None
        facts["condition"] = condition if decided is True else (
            f"{condition}: the stream exists only when it holds, and {decided.reason}; judged as if created")

    props = resource.get("Properties")
    if props is None:
        props = LMap(line or 1, line or 1)
    encryption = resolver.member(props, "StreamEncryption")
    if not isinstance(props, Mapping):
        encryption = Unknown(f"Properties of {logical} is not a mapping", "fix the template")
    encryption_type = settle(over(encryption, lambda se: _field(se, "EncryptionType", _as_type)),
                             "encryption type", _describe)
    key_value = settle(over(encryption, lambda se: _field(se, "KeyId", _as_key)), "key", _describe)

    key_reference: str | Unknown | None
    key = None
    if isinstance(key_value, Deferred):
        key_reference = key_value.display
        key = finder.key(key_value)
    elif isinstance(key_value, str) and key_value.strip():
        key_reference = key_value
        key = finder.key(key_value)
    else:
        key_reference = key_value

    name = settle(resolver.member(props, "Name"), "name")
    end_line = resource.end_line if isinstance(resource, LMap) else line
    return Stream(
        address=logical,
        resource_type=STREAM_TYPE,
        location=Location(SourceKind.CLOUDFORMATION, shown, line, end_line),
        encryption_type=encryption_type,
        key_reference=key_reference,
        key=key,
        region=options.region if options.region else OutOfReach(
            "the stack's region is not known: pass --region"),
        name=name if isinstance(name, str) else None,
        suppressions=suppress.read(resource.get("Metadata")),
        facts=facts,
    )


def _field(encryption: Any, name: str, convert: Any) -> Any:
    """One field of ``StreamEncryption`` (absent: None), converted for the model."""
    if encryption is NO_VALUE or encryption is None:
        return None
    if isinstance(encryption, Unknown):
        return encryption
    if isinstance(encryption, Deferred):
        return encryption.unknown()
    if not isinstance(encryption, Mapping):
        return Unknown(f"StreamEncryption is {encryption!r}, not a mapping", "fix the template")
    return over(encryption.get(name, NO_VALUE), convert)


def _as_type(value: Any) -> Any:
    if value is NO_VALUE or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, Deferred):
        return value.unknown()
    if isinstance(value, Unknown):
        return value
    return Unknown(f"EncryptionType is {value!r}, not a string", "fix the template")


def _as_key(value: Any) -> Any:
    if value is NO_VALUE or value is None:
        return None
    if isinstance(value, str | Deferred | Unknown):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return Unknown(f"KeyId is {value!r}, not a string", "fix the template")


def _describe(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, Deferred):
        return value.display
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    return repr(value)
