"""The scan's overall deadline (``--timeout``), and the botocore hooks that keep every call of every client inside it.

- Past the deadline no call is made: ``before-call`` refuses a new call (or the next page of a paginator) and
  ``before-send`` a new attempt of a call under way, with ``DeadlinePassed``.
- A failed attempt is not retried past the deadline: ``needs-retry`` ends the call with ``DeadlinePassed`` naming
  the failure, before botocore sleeps its backoff (up to 20 s for a throttle) for an attempt it could not make.
- A call whose attempts timed out ``TIMEOUT_ATTEMPTS`` times is not tried again: an endpoint that did not answer
  within the read timeout twice rarely answers the third time, and botocore would wait the read timeout again on
  each of its attempts (8 with sseguard's retry settings).

An attempt already sent when the deadline passes ends within the client's read timeout, which is never longer than
the deadline itself; the scan's overshoot is bounded by that one timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sseguard.sources.aws.errors import TIMEOUTS, DeadlinePassed, error_code_and_message, is_throttled

TIMEOUT_ATTEMPTS = 2


class Deadline:
    """``seconds`` from now on ``clock`` (a monotonic clock; tests move their own)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError("a deadline needs seconds > 0")
        self.seconds = seconds
        self._clock = clock
        self._ends = clock() + seconds

    def remaining(self) -> float:
        """Seconds left; zero or less once the deadline has passed."""
        return self._ends - self._clock()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        """Raise ``DeadlinePassed`` once the deadline has passed."""
        if self.passed():
            raise DeadlinePassed(self.seconds)


def keep_within(client: Any, deadline: Deadline) -> None:
    """Hook ``deadline`` into every call of ``client``, ahead of botocore's own handlers and the call counter (a
    call refused here is neither sent nor counted)."""
    events = client.meta.events

    def refuse_past_deadline(**_: Any) -> None:
        deadline.check()

    def stop_retrying(attempts: int, caught_exception: Exception | None = None, response: Any = None,
                      **_: Any) -> None:
        if isinstance(caught_exception, DeadlinePassed):
            raise caught_exception
        failure = _retryable_failure(caught_exception, response)
        if failure is None:
            return
        if deadline.passed():
            raise DeadlinePassed(deadline.seconds, failure)
        if isinstance(caught_exception, TIMEOUTS) and attempts >= TIMEOUT_ATTEMPTS:
            raise caught_exception

    events.register_first("before-call", refuse_past_deadline)
    events.register_first("before-send", refuse_past_deadline)
    # Raising (not returning False) ends the call: older botocore releases read any non-None answer of a
    # needs-retry handler as a delay, and would retry.
    events.register_first("needs-retry", stop_retrying)


def _retryable_failure(caught: Exception | None, response: Any) -> str | None:
    """How an attempt failed, when botocore may retry it: an exception below the API (a timeout, a reset), a
    throttle, or a server error. None for a success, and for errors no retry can mend (access denied)."""
    if caught is not None:
        code, message = error_code_and_message(caught)
        return f"{code}: {message}" if message else code
    if response is None:
        return None
    http_response, parsed = response
    error = parsed.get("Error") if isinstance(parsed, dict) else None
    error = error if isinstance(error, dict) else {}
    code, message = str(error.get("Code") or ""), str(error.get("Message") or "")
    status = int(getattr(http_response, "status_code", 0) or 0)
    if status < 500 and status != 429 and not is_throttled(code):
        return None
    what = code or f"HTTP {status}"
    return f"{what}: {message}" if message else what
