"""Request rates kept under the documented Kinesis control-plane limits.

Kinesis limits its API calls per account and region (Kinesis Data Streams developer guide, "Quotas and limits",
API limits), across every caller: ``DescribeStreamSummary`` to 20 transactions per second, ``ListStreams`` to 5.
botocore's adaptive retries only slow down after a throttle; these buckets keep the scan under the limits in the
first place, so a large account is not throttled and other tools sharing the account keep working.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sseguard.sources.aws.deadline import Deadline
from sseguard.sources.aws.errors import DeadlinePassed

# Documented limits per account and region, transactions per second.
KINESIS_TPS: dict[str, float] = {"DescribeStreamSummary": 20.0, "ListStreams": 5.0}


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens a second, at most ``burst`` saved up.

    ``reserve`` takes a token (the count may go below zero) and says how long to wait for it; the caller sleeps
    outside the lock until the reservation is due, so waiting threads are served in order and never spin.
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token and return how many seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class RegionalLimits:
    """One bucket per (account, region, operation), made on first use.

    The burst is one second's worth of calls: a scan may start with that many at once and then goes on at the
    documented rate. ``clock`` and ``sleep`` are the buckets' time (tests pass their own). Past ``deadline`` no
    token is given, and no call waits for one it would get only after the deadline.
    """

    def __init__(self, tps: dict[str, float] | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, deadline: Deadline | None = None) -> None:
        self._tps = dict(KINESIS_TPS if tps is None else tps)
        self._clock = clock
        self._sleep = sleep
        self._deadline = deadline
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def acquire(self, account: str, region: str, operation: str) -> None:
        """Wait for a token of ``operation`` in ``account`` and ``region``; operations without a limit never wait.
        Raises ``DeadlinePassed`` instead of waiting past the deadline."""
        rate = self._tps.get(operation)
        if rate is None:
            return
        if self._deadline is not None:
            self._deadline.check()
        with self._lock:
            bucket = self._buckets.get((account, region, operation))
            if bucket is None:
                bucket = TokenBucket(rate, max(1.0, rate), self._clock)
                self._buckets[(account, region, operation)] = bucket
        wait = bucket.reserve()
        if wait <= 0:
            return
        if self._deadline is not None and wait >= self._deadline.remaining():
            raise DeadlinePassed(self._deadline.seconds)
        self._sleep(wait)
