"""The live source's pure parts: where a key reference points, the rate limiter, the deadline, the progress bar.

Time is the tests' own clock: the limiter's schedule and the bar's frames are asserted as decided, never timed.
"""

from __future__ import annotations

import io
import os
import pty

import pytest

from sseguard.sources.aws.deadline import Deadline
from sseguard.sources.aws.errors import DeadlinePassed
from sseguard.sources.aws.keys import KeyRef, place
from sseguard.sources.aws.progress import Progress
from sseguard.sources.aws.ratelimit import KINESIS_TPS, RegionalLimits, TokenBucket
from sseguard.sources.aws.session import partition_of

ACCT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (KEY_ID, KeyRef(KEY_ID, "key", ACCT, "us-east-1", KEY_ID, False, False)),
        (f"arn:aws:kms:eu-west-1:{ACCT}:key/{KEY_ID}",
         KeyRef(f"arn:aws:kms:eu-west-1:{ACCT}:key/{KEY_ID}", "key", ACCT, "eu-west-1", KEY_ID, True, False)),
        ("alias/orders", KeyRef("alias/orders", "alias", ACCT, "us-east-1", "alias/orders", False, True)),
        (f"arn:aws:kms:us-east-1:{ACCT}:alias/orders",
         KeyRef(f"arn:aws:kms:us-east-1:{ACCT}:alias/orders", "alias", ACCT, "us-east-1", "alias/orders", True,
                True)),
        ("alias/aws/kinesis", KeyRef("alias/aws/kinesis", "aws-managed", ACCT, "us-east-1", "alias/aws/kinesis",
                                     False, True)),
        ("ALIAS/AWS/KINESIS", KeyRef("ALIAS/AWS/KINESIS", "aws-managed", ACCT, "us-east-1", "ALIAS/AWS/KINESIS",
                                     False, True)),
        (f"arn:aws-cn:kms:cn-north-1:{ACCT}:alias/aws/kinesis",
         KeyRef(f"arn:aws-cn:kms:cn-north-1:{ACCT}:alias/aws/kinesis", "aws-managed", ACCT, "cn-north-1",
                "alias/aws/kinesis", True, True)),
        # Not the AWS-managed key: a customer alias whose name only contains it.
        ("alias/aws/kinesis-copy", KeyRef("alias/aws/kinesis-copy", "alias", ACCT, "us-east-1",
                                          "alias/aws/kinesis-copy", False, True)),
        (f"arn:aws:kms:us-east-1:999999999999:key/{KEY_ID}",
         KeyRef(f"arn:aws:kms:us-east-1:999999999999:key/{KEY_ID}", "foreign", "999999999999", "us-east-1", KEY_ID,
                True, False)),
    ],
)
def test_place(reference: str, expected: KeyRef) -> None:
    assert place(reference, ACCT, "us-east-1") == expected


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"),
     ("us-isob-east-1", "aws-iso-b"), ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f"),
     ("eusc-de-east-1", "aws-eusc")],
)
def test_partition_of(region: str, partition: str) -> None:
    assert partition_of(region) == partition


class FakeClock:
    """A clock the test moves by hand; ``sleep`` moves it too, and records how long each wait was."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=20.0, burst=20.0, clock=clock)
    assert [bucket.reserve() for _ in range(20)] == [0.0] * 20
    assert bucket.reserve() == pytest.approx(0.05)
    assert bucket.reserve() == pytest.approx(0.10)
    clock.now += 1.0  # the two reservations are paid back, 18 tokens saved up
    assert [bucket.reserve() for _ in range(18)] == [0.0] * 18
    assert bucket.reserve() == pytest.approx(0.05)


def test_token_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(rate=0, burst=1)


def test_limits_keep_describe_stream_summary_under_twenty_a_second() -> None:
    clock = FakeClock()
    limits = RegionalLimits(clock=clock, sleep=clock.sleep)
    start = clock.now
    calls = []
    for _ in range(45):
        limits.acquire("111111111111", "us-east-1", "DescribeStreamSummary")
        calls.append(round(clock.now - start, 6))
    # The documented 20 a second: a full bucket lets 20 go at once, then one every 50 ms.
    assert KINESIS_TPS["DescribeStreamSummary"] == 20.0
    assert calls == [0.0] * 20 + [round(0.05 * n, 6) for n in range(1, 26)]
    assert clock.slept == pytest.approx([0.05] * 25)
    # The busiest second is the first: the burst of 20 and 19 more, under the 40 that two seconds' worth would be.
    assert max(sum(1 for t in calls if first <= t < first + 1.0) for first in calls) == 39


def test_limits_are_per_account_region_and_operation() -> None:
    clock = FakeClock()
    limits = RegionalLimits({"DescribeStreamSummary": 1.0}, clock=clock, sleep=clock.sleep)
    limits.acquire("111111111111", "us-east-1", "DescribeStreamSummary")
    limits.acquire("111111111111", "eu-west-1", "DescribeStreamSummary")
    limits.acquire("222222222222", "us-east-1", "DescribeStreamSummary")
    limits.acquire("111111111111", "us-east-1", "ListStreams")  # no limit given for it: never waits
    assert clock.slept == []
    limits.acquire("111111111111", "us-east-1", "DescribeStreamSummary")  # the same bucket again: one second
    assert clock.slept == [pytest.approx(1.0)]


def test_limits_give_no_token_past_the_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(1.5, clock)
    limits = RegionalLimits({"ListStreams": 1.0}, clock=clock, sleep=clock.sleep, deadline=deadline)
    limits.acquire("111111111111", "us-east-1", "ListStreams")
    limits.acquire("111111111111", "us-east-1", "ListStreams")  # due in 1 s, before the deadline: waits
    assert clock.slept == [pytest.approx(1.0)]
    with pytest.raises(DeadlinePassed):  # due in 1 s, after the deadline: no wait at all
        limits.acquire("111111111111", "us-east-1", "ListStreams")
    assert clock.slept == [pytest.approx(1.0)]
    clock.now += 1.0
    with pytest.raises(DeadlinePassed):
        limits.acquire("111111111111", "eu-west-1", "ListStreams")


def test_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(300, clock)
    assert (deadline.remaining(), deadline.passed()) == (300, False)
    deadline.check()
    clock.now += 300
    assert deadline.passed()
    with pytest.raises(DeadlinePassed) as passed:
        deadline.check()
    assert (str(passed.value), passed.value.seconds, passed.value.last) == (
        "the --timeout deadline of 300 s passed", 300, None)
    with pytest.raises(ValueError, match="seconds > 0"):
        Deadline(0, clock)


class Terminal(io.StringIO):
    """What a terminal would have been sent: a text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_redraws_ten_times_a_second_and_when_done() -> None:
    clock = FakeClock()
    out = Terminal()
    progress = Progress(out, clock)
    assert progress.enabled
    progress.add_places(2)  # first frame: drawn
    progress.place_done(3)  # 0 s later: not drawn
    clock.now += 0.25
    progress.place_done(1)  # a quarter of a second after the last frame: drawn
    progress.stream_done()
    progress.stream_done()
    progress.stream_done()
    progress.stream_done()  # everything done: drawn at once
    progress.close()
    frames = out.getvalue().split("\r\x1b[K")
    assert frames == [
        "",
        "sseguard aws [------------------------] 0/2 account-regions, 0/0 streams",
        "sseguard aws [------------------------] 2/2 account-regions, 0/4 streams",
        "sseguard aws [########################] 2/2 account-regions, 4/4 streams",
        "",
    ]


def test_progress_draws_on_a_terminal_only() -> None:
    assert not Progress(None).enabled
    assert not Progress(io.StringIO()).enabled
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w") as tty:
            assert Progress(tty).enabled
    finally:
        os.close(leader)
