"""Turn a failed AWS call into an ``Unknown`` fact (KSSE021) that names the call, the error code and the fix."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from sseguard.model import Unknown

API_ERROR = "KSSE021"
_EXCERPT = 160  # characters of an answer quoted in a finding
_MESSAGE = 500  # characters of an error message (AWS's own can be long; an HTML error page is cut)
# Calls whose answers hold credentials: what came back is never quoted in a finding, and neither is the message of
# an exception that may quote it (botocore's ResponseParserError holds the body it could not parse).
SECRET_CALLS = frozenset({"sts:AssumeRole"})
WITHHELD = "(not quoted: the answer holds credentials)"
# The attempt failures after which sseguard stops retrying early (see ``deadline.py``).
TIMEOUTS = (ReadTimeoutError, ConnectTimeoutError)


class DeadlinePassed(Exception):
    """The scan's ``--timeout`` deadline passed before the call could be made or answered; ``last`` is how its last
    attempt failed, when one was made."""

    def __init__(self, seconds: float, last: str | None = None) -> None:
        super().__init__(f"the --timeout deadline of {seconds:g} s passed")
        self.seconds = seconds
        self.last = last


class MalformedAnswer(Exception):
    """An answer that came back but cannot be read (cut short, not JSON, a field of the wrong type). The text
    completes "CALL returned ...", so it names what came back."""


# Some endpoints (proxies, emulators) answer a JSON-protocol call with an XML error document; botocore then reports
# the HTTP status as the code and the whole document as the message. The real code is inside the document.
_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")

_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
})


def excerpt(text: str | bytes, limit: int = _EXCERPT) -> str:
    """Text that came back, on one line and at most ``limit`` characters (bytes that are not UTF-8 escaped)."""
    line = " ".join((text.decode("utf-8", "backslashreplace") if isinstance(text, bytes) else text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def shown(value: Any) -> str:
    """A value of an answer as JSON, cut like ``excerpt``."""
    return excerpt(json.dumps(value, ensure_ascii=False, default=str))


def is_throttled(code: str) -> bool:
    """True for the error codes AWS services use when a call exceeds their request rate."""
    return code in _THROTTLED


def error_code_and_message(err: Exception) -> tuple[str, str]:
    """The AWS error code and message of a failed call (the exception class for errors below the API)."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or "")
        found = _XML_CODE.search(message)
        if found and (not code or code.isdigit()):
            code = found.group(1)
            text = _XML_MESSAGE.search(message)
            message = text.group(1) if text else ""
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if not code:
            code = f"HTTP {status}" if status else "UnknownError"
        return code, _message(message)
    return type(err).__name__, _message(str(err))


def _message(text: str) -> str:
    # The finding goes on with "; to resolve: ...", so a message's own closing full stop is dropped.
    return excerpt(text.strip().removesuffix("."), _MESSAGE)


def is_parse_failure(err: Exception) -> bool:
    """True for an exception botocore raised while parsing an answer it received (``ResponseParserError``, or a
    ``KeyError`` or ``AttributeError`` from a body of another shape): it raises the API's errors as
    ``ClientError``, and what went wrong below the API as ``BotoCoreError``."""
    return not isinstance(err, ClientError | BotoCoreError | DeadlinePassed | MalformedAnswer)


def is_access_denied(code: str) -> bool:
    """True for the error codes AWS uses when IAM (or an SCP, or a key policy) refuses a call."""
    return code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
                    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"} or code.startswith("AccessDenied")


def unreadable_resolve(call: str, resource: str | None) -> str:
    """How to resolve an answer that came back but cannot be read."""
    on = f" on {resource}" if resource else ""
    return (f"check what answers {call}{on} (an endpoint or proxy in between may cut or rewrite AWS's answers) and "
            "scan again")


def api_unknown(call: str, err: Exception, resource: str | None = None) -> Unknown:
    """An ``Unknown`` (code KSSE021) for a failed call such as ``kinesis:DescribeStreamSummary``.

    ``err`` may be any exception the call raised: botocore raises more than ``ClientError`` and ``BotoCoreError``
    for a broken answer (``UnicodeDecodeError``, ``ResponseParserError``, ``AttributeError``...), and each is an
    answer that cannot be read, never a verdict.
    """
    if isinstance(err, DeadlinePassed):
        last = f"; its last attempt failed: {err.last}" if err.last else ""
        return Unknown(f"{call} was not read before the --timeout deadline of {err.seconds:g} s{last}",
                       f"raise --timeout (it was {err.seconds:g} s) and scan again", API_ERROR)
    if isinstance(err, MalformedAnswer):
        return Unknown(f"{call} returned {err}", unreadable_resolve(call, resource), API_ERROR)
    code, message = error_code_and_message(err)
    if call in SECRET_CALLS and not isinstance(err, ClientError):
        message = WITHHELD
    if is_parse_failure(err):
        return Unknown(f"{call} returned an answer botocore cannot parse: {code}: {excerpt(message)}",
                       unreadable_resolve(call, resource), API_ERROR)
    reason = f"{call} failed: {code}" + (f": {message}" if message else "")
    on = f" on {resource}" if resource else ""
    if is_access_denied(code):
        resolve = f"grant {call}{on} to the scanning principal (IAM policy, SCP, key policy) and scan again"
    elif is_throttled(code):
        resolve = ("the call was still throttled after botocore's adaptive retries: scan again later, or raise "
                   "AWS_MAX_ATTEMPTS")
    elif isinstance(err, TIMEOUTS):
        resolve = f"the endpoint did not answer {call}{on} in time, twice: check the network path to it and scan again"
    else:
        resolve = f"check why {call}{on} failed and scan again"
    return Unknown(reason=reason, resolve=resolve, code=API_ERROR)
