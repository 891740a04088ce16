"""The live source's pure parts: where a key reference points, the rate limiter, the progress bar."""

from __future__ import annotations

import os
import pty
import time

import pytest

from sseguard.sources.aws.keys import KeyRef, place
from sseguard.sources.aws.progress import Progress
from sseguard.sources.aws.ratelimit import RegionalLimits, TokenBucket

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


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


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


def test_progress_draws_on_a_terminal_only() -> None:
    silent = Progress(None)
    silent.add_places(1)
    assert not silent.enabled
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as tty:
        progress = Progress(tty)
        assert progress.enabled
        progress.add_places(2)
        progress.place_done(3)
        progress.place_done(1)
        for _ in range(4):
            progress.stream_done()
        assert progress.line() == "sseguard aws [########################] 2/2 account-regions, 4/4 streams"
        progress.close()
    drawn = os.read(leader, 4096).decode()
    os.close(leader)
    assert drawn.endswith("4/4 streams\r\x1b[K")


def test_limits_are_per_account_and_region() -> None:
    limits = RegionalLimits({"DescribeStreamSummary": 1.0})
    start = time.monotonic()
    limits.acquire("111111111111", "us-east-1", "DescribeStreamSummary")
    limits.acquire("111111111111", "eu-west-1", "DescribeStreamSummary")
    limits.acquire("222222222222", "us-east-1", "DescribeStreamSummary")
    limits.acquire("111111111111", "us-east-1", "ListStreams")  # no limit given for it: never waits
    assert time.monotonic() - start < 0.5
    limits.acquire("111111111111", "us-east-1", "DescribeStreamSummary")  # the same bucket again: one second
    assert time.monotonic() - start >= 0.95
