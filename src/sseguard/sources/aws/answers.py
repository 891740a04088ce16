"""Every API answer is read through here: a call either gives an answer whose fields have the shape the verdict
needs, or raises ``Unreadable`` with the ``Unknown`` (KSSE021) it becomes. Never an exception out of a scan, never
an empty list for an answer that could not be read, never a fail.

Two layers:

- ``check_answer``, a botocore ``before-parse`` hook on every client, refuses a successful HTTP answer that
  arrived cut short, or (JSON protocols: Kinesis, KMS, Organizations) is not UTF-8, not a JSON object, or holds a
  field of another type than the API's own model says. botocore would read a truncated body or an HTML page as
  ``{}``, turn a string where a list belongs into a list of its letters, or raise ``UnicodeDecodeError``.
- ``Answer`` reads the fields sseguard uses, each with the shape it must have; a field the verdict depends on that
  is missing or of the wrong type raises ``Unreadable`` naming the call, the field and what came back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sseguard.model import Unknown
from sseguard.sources.aws.errors import (
    API_ERROR,
    SECRET_CALLS,
    WITHHELD,
    MalformedAnswer,
    api_unknown,
    excerpt,
    shown,
    unreadable_resolve,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    """What a field must hold: ``words`` name it in a finding, ``holds`` tests a value."""

    words: str
    holds: Callable[[Any], bool]


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TEXT = Kind("a string", _is_text)
NAME = Kind("a non-empty string", _is_name)
FLAG = Kind("true or false", lambda value: isinstance(value, bool))
INTEGER = Kind("an integer", lambda value: isinstance(value, int) and not isinstance(value, bool))
NUMBER = Kind("a number", _is_number)
TIMESTAMP = Kind("a timestamp", lambda value: _is_number(value) or isinstance(value, str))
OBJECT = Kind("an object", lambda value: isinstance(value, Mapping))
LIST = Kind("a list", lambda value: isinstance(value, list))
OBJECTS = Kind("a list of objects", lambda value: isinstance(value, list) and all(OBJECT.holds(v) for v in value))
NAMES = Kind("a list of non-empty strings", lambda value: isinstance(value, list) and all(map(_is_name, value)))

# The JSON type each botocore shape type travels as.
_SHAPE_KINDS = {
    "string": TEXT, "blob": TEXT, "boolean": FLAG, "integer": INTEGER, "long": INTEGER, "float": NUMBER,
    "double": NUMBER, "timestamp": TIMESTAMP, "list": LIST, "map": OBJECT, "structure": OBJECT,
}
_JSON_PROTOCOLS = frozenset({"json", "rest-json"})


class Unreadable(Exception):
    """A call that gave no usable answer. ``unknown`` is the finding's fact; ``cause`` the exception the call
    raised, if any (a caller may treat some error codes, such as a missing key, as an answer)."""

    def __init__(self, unknown: Unknown, cause: Exception | None = None) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown
        self.cause = cause


@dataclass(frozen=True)
class Answer:
    """One API answer, or a part of one (``path`` is the part's place in the answer, e.g. ``KeyMetadata.``)."""

    call: str
    resource: str
    data: Mapping[str, Any]
    path: str = ""

    def optional(self, field: str, kind: Kind) -> Any:
        """The field, or None when it is absent (or null); raises ``Unreadable`` when it is of another kind."""
        value = self.data.get(field)
        if value is None:
            return None
        if not kind.holds(value):
            raise self._unreadable(f"{self.call} returned {self.path}{field} as {self._quote(value)}, not "
                                   f"{kind.words}")
        return value

    def required(self, field: str, kind: Kind) -> Any:
        """The field; raises ``Unreadable`` when it is absent or of another kind."""
        value = self.optional(field, kind)
        if value is None:
            raise self._unreadable(f"{self.call} returned no {self.path}{field} ({kind.words}); the answer was "
                                   f"{self._quote(self.data)}")
        return value

    def part(self, field: str) -> Answer:
        """The object in ``field``, read the same way."""
        return Answer(self.call, self.resource, self.required(field, OBJECT), f"{self.path}{field}.")

    def entries(self, field: str) -> list[Answer]:
        """Each object of the list in ``field``, read the same way."""
        return [Answer(self.call, self.resource, item, f"{self.path}{field}[{i}].")
                for i, item in enumerate(self.required(field, OBJECTS))]

    def _quote(self, value: Any) -> str:
        return WITHHELD if self.call in SECRET_CALLS else shown(value)

    def _unreadable(self, reason: str) -> Unreadable:
        return Unreadable(Unknown(reason, unreadable_resolve(self.call, self.resource), API_ERROR))


def attempt(call: str, resource: str, send: Callable[[], T]) -> T:
    """``send()``, with any exception it raises turned into ``Unreadable``."""
    try:
        return send()
    except Exception as err:
        # Not only ClientError and BotoCoreError: a broken answer can make botocore raise UnicodeDecodeError,
        # ResponseParserError or AttributeError, and the deadline raises DeadlinePassed. Each is an unknown.
        raise Unreadable(api_unknown(call, err, resource), err) from None


def call(name: str, resource: str, send: Callable[[], Mapping[str, Any]]) -> Answer:
    """Make one call (``name`` as ``kinesis:ListStreams``, ``resource`` what it was about) and return its answer."""
    return _answer(name, resource, attempt(name, resource, send))


def call_pages(name: str, resource: str, pages: Callable[[], Iterable[Mapping[str, Any]]]) -> list[Answer]:
    """Every page of a paginated call; one page that cannot be read makes the whole listing unreadable."""
    return [_answer(name, resource, page) for page in attempt(name, resource, lambda: list(pages()))]


def _answer(name: str, resource: str, data: Mapping[str, Any]) -> Answer:
    return Answer(name, resource, {k: v for k, v in data.items() if k != "ResponseMetadata"})


def check_answers(client: Any) -> None:
    """Register ``check_answer`` on every call of ``client``."""
    client.meta.events.register("before-parse", check_answer)


def check_answer(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """Raise ``MalformedAnswer`` for a successful answer that cannot be read (see the module's docstring)."""
    body = response_dict.get("body")
    if response_dict.get("status_code", 0) >= 300 or not isinstance(body, bytes):
        return  # error answers are botocore's to read; a streamed body is not read here
    service = operation_model.service_model
    secret = f"{service.service_name}:{operation_model.name}" in SECRET_CALLS

    def quote(text: bytes) -> str:
        return WITHHELD if secret else excerpt(text)

    announced = {k.lower(): v for k, v in response_dict.get("headers", {}).items()}.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) != len(body):
        raise MalformedAnswer(f"an answer cut short ({len(body)} of the {announced} bytes announced): {quote(body)}")
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    if protocol not in _JSON_PROTOCOLS or operation_model.output_shape is None:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedAnswer(f"an answer that is not UTF-8 (byte 0x{body[err.start]:02x} at offset {err.start}): "
                              f"{quote(body)}") from None
    try:
        document = json.loads(text) if text.strip() else None
    except ValueError:
        raise MalformedAnswer(f"an answer that is not JSON: {quote(body)}") from None
    if not isinstance(document, dict):
        raise MalformedAnswer(f"an answer that is not a JSON object: {quote(body)}")
    mismatch = _mismatch(operation_model.output_shape, document, "")
    if mismatch is not None:
        path, value, kind = mismatch
        raise MalformedAnswer(f"{path} as {WITHHELD if secret else shown(value)}, not {kind.words}")


def _mismatch(shape: Any, value: Any, path: str) -> tuple[str, Any, Kind] | None:
    """Where ``value`` (a part of a JSON answer, at ``path``) first departs from botocore's ``shape`` for it: the
    path, the value there and the kind it should be. None when it matches."""
    kind = _SHAPE_KINDS.get(shape.type_name)
    if value is None or kind is None or getattr(shape, "is_document_type", False):
        return None
    if not kind.holds(value):
        return path, value, kind
    return next((found for child in _parts(shape, value, path) if (found := _mismatch(*child)) is not None), None)


def _parts(shape: Any, value: Any, path: str) -> Iterator[tuple[Any, Any, str]]:
    """The shape, value and path of each member of a structure, item of a list or value of a map."""
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            yield member, value.get(wire), f"{path}.{wire}" if path else wire
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            yield shape.member, item, f"{path}[{i}]"
    elif shape.type_name == "map":
        for key, item in value.items():
            yield shape.value, item, f"{path}.{key}"
