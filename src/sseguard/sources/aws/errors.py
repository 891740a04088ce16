"""Turn a failed AWS call into an ``Unknown`` fact (KSSE021) that names the call, the error code and the fix."""

from __future__ import annotations

import re

from botocore.exceptions import BotoCoreError, ClientError

from sseguard.model import Unknown

API_ERROR = "KSSE021"

# Some endpoints (proxies, emulators) answer a JSON-protocol call with an XML error document; botocore then reports
# the HTTP status as the code and the whole document as the message. The real code is inside the document.
_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")

_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
})


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
        return code, " ".join(message.split())
    if isinstance(err, BotoCoreError):
        return type(err).__name__, str(err)
    return type(err).__name__, str(err)


def is_access_denied(code: str) -> bool:
    """True for the error codes AWS uses when IAM (or an SCP, or a key policy) refuses a call."""
    return code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
                    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"} or code.startswith("AccessDenied")


def api_unknown(call: str, err: Exception, resource: str | None = None) -> Unknown:
    """An ``Unknown`` (code KSSE021) for a failed call such as ``kinesis:DescribeStreamSummary``."""
    code, message = error_code_and_message(err)
    reason = f"{call} failed: {code}" + (f": {message}" if message else "")
    on = f" on {resource}" if resource else ""
    if is_access_denied(code):
        resolve = f"grant {call}{on} to the scanning principal (IAM policy, SCP, key policy) and scan again"
    elif code in _THROTTLED:
        resolve = ("the call was still throttled after botocore's adaptive retries: scan again later, or raise "
                   "AWS_MAX_ATTEMPTS")
    else:
        resolve = f"check why {call}{on} failed and scan again"
    return Unknown(reason=reason, resolve=resolve, code=API_ERROR)
