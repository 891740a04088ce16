"""``sseguard remediate`` when AWS refuses, throttles or is slow: AccessDenied and broken answers injected by the
fault proxy (``fault_proxy.py``) between sseguard and moto, throttling by the server's ``AwsBehaviour``. One
stream's failure never stops the others, and nothing is ever reported changed that was not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from aws_server import ACCOUNT, MotoAws, arn, make_stream
from fault_proxy import FaultProxy, edit_json, fault_proxy, replace
from remediate_helpers import by_name, remediate

START = "kinesis:StartStreamEncryption"
DESCRIBE = "kinesis:DescribeStreamSummary"
CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"


@pytest.fixture
def proxy(aws: MotoAws) -> Iterator[FaultProxy]:
    with fault_proxy(aws.url) as p:
        yield p


def denied(operation: str) -> Any:
    body = {"__type": "AccessDeniedException",
            "message": f"User: {CALLER} is not authorized to perform: {operation}."}
    return replace(json.dumps(body).encode(), status=400)


def named(name: str) -> Any:
    return lambda params: params.get("StreamName") == name


def updating(answer: dict[str, Any], _: dict[str, Any]) -> dict[str, Any]:
    summary = answer["StreamDescriptionSummary"]
    return {"StreamDescriptionSummary": {**summary, "StreamStatus": "UPDATING"}}


def test_access_denied_on_start_is_not_changed_with_the_grant_to_make(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    proxy.add(START, denied(START))
    code, out, _ = remediate(proxy.url, "--apply")
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "not-changed"
    assert entry["settled"] is False
    assert entry["why"] == (f"kinesis:StartStreamEncryption failed: AccessDeniedException: User: {CALLER} is not "
                            "authorized to perform: kinesis:StartStreamEncryption")
    assert entry["resolve"] == (f"grant {CALLER} kinesis:StartStreamEncryption on {arn('plain')}, and "
                                "kms:GenerateDataKey on key alias/aws/kinesis, then run again")
    assert entry["after"] is None and entry["plaintext_until"] is None


def test_one_stream_failing_never_stops_the_others(proxy: FaultProxy, aws: MotoAws) -> None:
    for name in ("first", "refused", "last"):
        make_stream(aws.url, name)
    proxy.add(START, denied(START), match=named("refused"))
    code, out, _ = remediate(proxy.url, "--apply")
    assert code == 1
    assert {n: e["action"] for n, e in by_name(out).items()} == {
        "first": "applied", "refused": "not-changed", "last": "applied"}
    assert out["summary"] == {"planned": 0, "applied": 2, "skipped": 0, "refused": 0, "not-changed": 1,
                              "unverified": 0, "streams": 3, "settled": 2}
    assert [s.params["StreamName"] for s in aws.behaviour.calls(START)] in (
        ["first", "last"], ["last", "first"])


def test_a_throttled_start_is_retried_as_the_scan_retries(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    aws.behaviour.throttle(START, 2)
    code, out, _ = remediate(aws.url, "--apply")
    assert (code, by_name(out)["plain"]["action"]) == (0, "applied")
    assert len(aws.behaviour.calls(START)) == 3  # two throttled, the third made the change
    assert out["http_requests"]["kinesis"] == out["api_calls"]["kinesis"] + 2


def test_a_start_throttled_past_the_retries_is_not_changed(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    make_stream(aws.url, "plain")
    aws.behaviour.throttle(START, 5)
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "not-changed"
    assert entry["why"] == "kinesis:StartStreamEncryption failed: LimitExceededException: Rate exceeded"
    assert entry["resolve"] == (
        "wait and run again: Kinesis limits StartStreamEncryption per account, and a stream takes at most 25 key "
        "changes in a rolling 24 hours (changes made outside sseguard count too)")


def test_an_updating_stream_is_polled_until_active(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    # the scan's own read goes through; the first look after the change sees the stream UPDATING
    proxy.add(DESCRIBE, edit_json(updating), match=named("plain"), skip=1, times=1)
    code, out, _ = remediate(proxy.url, "--apply")
    assert (code, by_name(out)["plain"]["action"]) == (0, "applied")
    assert len(proxy.seen(DESCRIBE)) == 3


def test_a_stream_still_updating_at_the_deadline_is_unverified(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    proxy.add(DESCRIBE, edit_json(updating), match=named("plain"), skip=1)
    code, out, _ = remediate(proxy.url, "--apply", "--timeout", "6")
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "unverified"
    assert entry["why"] == ("kinesis:StartStreamEncryption was accepted, but the stream was still UPDATING when the "
                            "--timeout deadline came")
    assert entry["resolve"] == "run sseguard aws later to see the stream's encryption"
    assert len(aws.behaviour.calls(START)) == 1


def test_an_updating_stream_is_refused_by_the_preflight(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    proxy.add(DESCRIBE, edit_json(updating), match=named("plain"))
    code, out, _ = remediate(proxy.url, "--apply")
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "refused"
    assert [(c["name"], c["why"]) for c in entry["preflight"] if not c["passed"]] == [
        ("stream-active", "the stream is UPDATING; encryption can only be started on an ACTIVE stream")]
    assert entry["resolve"] == "run again once the stream is ACTIVE"
    assert aws.behaviour.calls(START) == []


def test_a_stream_that_cannot_be_read_is_never_touched(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "hidden")
    make_stream(aws.url, "plain")
    proxy.add(DESCRIBE, denied(DESCRIBE), match=named("hidden"))
    code, out, _ = remediate(proxy.url, "--apply")
    assert code == 1
    entry = by_name(out)["hidden"]
    assert (entry["action"], entry["code"], entry["settled"]) == ("skipped", "KSSE021", False)
    assert entry["why"] == (
        f"unknown (KSSE021): kinesis:DescribeStreamSummary failed: AccessDeniedException: User: {CALLER} is not "
        "authorized to perform: kinesis:DescribeStreamSummary; to resolve: grant kinesis:DescribeStreamSummary on "
        "stream hidden to the scanning principal (IAM policy, SCP, key policy) and scan again; sseguard never "
        "changes a stream it could not read")
    assert by_name(out)["plain"]["action"] == "applied"
    assert [s.params["StreamName"] for s in aws.behaviour.calls(START)] == ["plain"]
