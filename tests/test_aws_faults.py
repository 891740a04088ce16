"""Broken answers from a live endpoint: cut short, not JSON, of another shape, reset, too late.

Every test scans through ``fault_proxy.FaultProxy`` in front of moto's server, with the boto3 code users run. An
answer that cannot be read is unknown (KSSE021) naming the call, the field and what came back; never a pass, never
a fail, never an empty listing, never an exception. The deadline tests move a clock of their own: none measures
time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from aws_server import ACCOUNT, MotoAws, arn, client, make_key, make_stream, role_arn, scan, verdict
from fault_proxy import (
    EMPTY_OBJECT,
    HTML_PAGE,
    RESET,
    Fault,
    FaultProxy,
    after,
    cut,
    edit_json,
    fault_proxy,
    invalid_utf8,
    replace,
    stall,
    truncate,
)
from sseguard.sources.aws import AwsSetupError

REGION = f"aws://{ACCOUNT}/us-east-1"
LIST = "kinesis:ListStreams"
DESCRIBE = "kinesis:DescribeStreamSummary"
WITHHELD = "(not quoted: the answer holds credentials)"


def quoted(text: str) -> str:
    """What a finding quotes of a long answer: its first 157 characters and an ellipsis (160 in all)."""
    assert len(text) > 160
    return text[:157] + "..."


def check_what_answers(call: str, resource: str) -> str:
    """The way to resolve an answer that came back but cannot be read."""
    return (f"check what answers {call} on {resource} (an endpoint or proxy in between may cut or rewrite AWS's "
            "answers) and scan again")




@pytest.fixture
def proxy(aws: MotoAws) -> Iterator[FaultProxy]:
    with fault_proxy(aws.url) as p:
        yield p


class StepClock:
    """A clock that stands still until a test moves it (from a proxy rule, at a chosen call)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def summary_with(change: dict[str, Any]) -> Fault:
    """DescribeStreamSummary's real answer with fields of StreamDescriptionSummary changed."""
    return edit_json(lambda answer, _: {**answer, "StreamDescriptionSummary": {
        **answer["StreamDescriptionSummary"], **change}})


def key_metadata_with(change: dict[str, Any], drop: str = "") -> Fault:
    """DescribeKey's real answer with fields of KeyMetadata changed, and one dropped."""
    return edit_json(lambda answer, _: {**answer, "KeyMetadata": {
        **{k: v for k, v in answer["KeyMetadata"].items() if k != drop}, **change}})


def described_names(proxy: FaultProxy) -> list[str]:
    return sorted(s.params["StreamName"] for s in proxy.seen(DESCRIBE))


# --- ListStreams: all or unknown --------------------------------------------------------------------------------

EIGHT = [f"east-{i}" for i in range(8)]
# moto's first page for the eight streams, as a finding quotes it.
EIGHT_PAGE = quoted('{"StreamNames": ["east-0", "east-1", "east-2", "east-3", "east-4", "east-5", "east-6", "east-7"], '
                    '"HasMoreStreams": false, "StreamSummaries": [{"StreamName": "east-0", "StreamARN": ')


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (truncate(), f"kinesis:ListStreams returned an answer that is not JSON: {EIGHT_PAGE}"),
        (EMPTY_OBJECT, "kinesis:ListStreams returned no StreamNames (a list of non-empty strings); the answer was {}"),
        (HTML_PAGE, "kinesis:ListStreams returned an answer that is not JSON: <!DOCTYPE html> <html><head><title>Sign "
                    "in to continue</title></head> <body><p>Your network requires you to sign in.</p></body></html>"),
        (edit_json(lambda answer, _: {**answer, "StreamNames": "east-0"}),
         'kinesis:ListStreams returned StreamNames as "east-0", not a list'),
        (edit_json(lambda answer, _: {**answer, "StreamNames": [*answer["StreamNames"], 7]}),
         "kinesis:ListStreams returned StreamNames[8] as 7, not a string"),
        (edit_json(lambda answer, _: {**answer, "StreamNames": [*answer["StreamNames"], ""]}),
         'kinesis:ListStreams returned StreamNames as ["east-0", "east-1", "east-2", "east-3", "east-4", "east-5", '
         '"east-6", "east-7", ""], not a list of non-empty strings'),
        (edit_json(lambda answer, _: {"StreamNames": answer["StreamNames"]}),
         'kinesis:ListStreams returned no HasMoreStreams (true or false); the answer was {"StreamNames": ["east-0", '
         '"east-1", "east-2", "east-3", "east-4", "east-5", "east-6", "east-7"]}'),
    ],
    ids=["truncated", "empty-object", "html-page", "names-a-string", "name-a-number", "name-empty",
         "no-has-more-streams"],
)
def test_a_listing_that_cannot_be_read_makes_the_region_unknown(proxy: FaultProxy, aws: MotoAws, fault: Fault,
                                                                 reason: str) -> None:
    for name in EIGHT:
        make_stream(aws.url, name)
    make_stream(aws.url, "west", region="eu-west-1")
    proxy.add(LIST, fault, region="us-east-1")
    found, report = scan(proxy.url, "us-east-1", "eu-west-1")
    assert sorted(found) == sorted([REGION, arn("west", "eu-west-1")])
    assert verdict(found[REGION]) == ("unknown", "KSSE021", [])
    assert found[REGION]["message"] == f"{reason}; to resolve: {check_what_answers(LIST, REGION)}"
    assert verdict(found[arn("west", "eu-west-1")]) == ("fail", "KSSE002", [])
    assert report["summary"] == {"pass": 0, "fail": 1, "unknown": 1, "suppressed": 0}
    assert described_names(proxy) == ["west"]


def test_a_listing_cut_in_transfer_makes_the_region_unknown(proxy: FaultProxy, aws: MotoAws) -> None:
    for name in EIGHT:
        make_stream(aws.url, name)
    proxy.add(LIST, cut())
    found, _ = scan(proxy.url, "us-east-1")
    assert list(found) == [REGION]
    # The page's length depends on moto's timestamps; the finding says how much of it arrived.
    got = re.fullmatch(r"kinesis:ListStreams returned an answer cut short \((\d+) of the (\d+) bytes announced\): "
                       r"(.*); to resolve: (.*)", found[REGION]["message"])
    assert got is not None, found[REGION]["message"]
    assert int(got[1]) == int(got[2]) // 2
    assert (got[3], got[4]) == (EIGHT_PAGE, check_what_answers(LIST, REGION))


def test_a_later_page_that_cannot_be_read_drops_no_stream_silently(proxy: FaultProxy, aws: MotoAws) -> None:
    for i in range(25):
        make_stream(aws.url, f"s{i:02d}")
    proxy.add(LIST, truncate(), skip=1, times=1)  # moto pages ten names at a time: the second of three pages
    found, report = scan(proxy.url, "us-east-1")
    assert list(found) == [REGION]
    assert found[REGION]["message"].startswith('kinesis:ListStreams returned an answer that is not JSON: '
                                               '{"StreamNames": ["s10", "s11", ')
    # The first page's ten streams are not judged either: the region is whole or unknown.
    assert [s.fault for s in proxy.seen(LIST)] == [None, "truncate"]
    assert described_names(proxy) == []
    assert report["summary"] == {"pass": 0, "fail": 0, "unknown": 1, "suppressed": 0}


@pytest.mark.parametrize(
    ("page", "calls", "reason"),
    [
        (b'{"StreamNames": [], "HasMoreStreams": true}', 1,
         "kinesis:ListStreams said more streams follow (HasMoreStreams true) but gave neither a NextToken nor a "
         "stream name to go on from"),
        (b'{"StreamNames": ["a"], "HasMoreStreams": true, "NextToken": "t1"}', 2,
         'kinesis:ListStreams returned NextToken "t1" a second time'),
        (b'{"StreamNames": ["a"], "HasMoreStreams": true}', 2,
         "kinesis:ListStreams said more streams follow, but the next page brought none"),
    ],
    ids=["more-without-names", "token-repeats", "no-new-names"],
)
def test_paging_that_would_not_end_makes_the_region_unknown(proxy: FaultProxy, page: bytes, calls: int,
                                                            reason: str) -> None:
    proxy.add(LIST, replace(page))
    found, _ = scan(proxy.url, "us-east-1")
    assert list(found) == [REGION]
    assert verdict(found[REGION]) == ("unknown", "KSSE021", [])
    assert found[REGION]["message"] == (
        f"{reason}; to resolve: scan again; if it persists, the endpoint's ListStreams paging is broken")
    assert len(proxy.seen(LIST)) == calls
    assert described_names(proxy) == []


# --- DescribeStreamSummary: one stream unknown, the others judged ---------------------------------------------


def test_a_stream_whose_answer_cannot_be_read_is_unknown_and_the_others_are_judged(proxy: FaultProxy,
                                                                                   aws: MotoAws) -> None:
    for name in ("plain", "bad-utf8", "listy", "empty", "html", "not-an-object", "no-type"):
        make_stream(aws.url, name)
    make_stream(aws.url, "managed", "alias/aws/kinesis")
    faults = {
        "bad-utf8": invalid_utf8("StreamName"),
        "listy": summary_with({"EncryptionType": ["KMS"]}),
        "empty": EMPTY_OBJECT,
        "html": HTML_PAGE,
        "not-an-object": edit_json(lambda answer, _: {**answer, "StreamDescriptionSummary": "KMS"}),
        "no-type": summary_with({"EncryptionType": None}),
    }
    for name, fault in faults.items():
        proxy.add(DESCRIBE, fault, match=lambda params, name=name: params["StreamName"] == name)
    found, report = scan(proxy.url, "us-east-1")
    reasons = {
        # The bytes that are not UTF-8 are shown escaped.
        "bad-utf8": "returned an answer that is not UTF-8 (byte 0xff at offset 45): " + quoted(
            '{"StreamDescriptionSummary": {"StreamName": "\\xff\\xfebad-utf8", "StreamARN": '
            '"arn:aws:kinesis:us-east-1:123456789012:stream/bad-utf8", "StreamStatus": "ACTIVE", '
            '"StreamModeDetails": '),
        "listy": 'returned StreamDescriptionSummary.EncryptionType as ["KMS"], not a string',
        "empty": "returned no StreamDescriptionSummary (an object); the answer was {}",
        "html": "returned an answer that is not JSON: <!DOCTYPE html> <html><head><title>Sign in to continue</title>"
                "</head> <body><p>Your network requires you to sign in.</p></body></html>",
        "not-an-object": 'returned StreamDescriptionSummary as "KMS", not an object',
    }
    for name, reason in reasons.items():
        assert verdict(found[arn(name)]) == ("unknown", "KSSE021", []), name
        assert found[arn(name)]["message"] == (
            f"kinesis:DescribeStreamSummary {reason}; to resolve: {check_what_answers(DESCRIBE, f'stream {name}')}")
    # A field AWS always sends, left out (null): unknown as before, never a stream without encryption.
    assert found[arn("no-type")]["message"] == (
        "kinesis:DescribeStreamSummary returned no EncryptionType for stream no-type; to resolve: check the stream "
        "with aws kinesis describe-stream-summary --stream-name no-type and scan again")
    assert verdict(found[arn("plain")]) == ("fail", "KSSE002", [])
    assert verdict(found[arn("managed")]) == ("pass", "KSSE000", ["KSSE010"])
    assert report["summary"] == {"pass": 1, "fail": 1, "unknown": 6, "suppressed": 0}


def test_a_reset_connection_is_retried_then_unknown(proxy: FaultProxy, aws: MotoAws,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    for name in ("dropped", "dropped-once"):
        make_stream(aws.url, name, "alias/aws/kinesis")
    proxy.add(DESCRIBE, RESET, match=lambda params: params["StreamName"] == "dropped")
    proxy.add(DESCRIBE, RESET, match=lambda params: params["StreamName"] == "dropped-once", times=1)
    found, _ = scan(proxy.url, "us-east-1")
    assert verdict(found[arn("dropped")]) == ("unknown", "KSSE021", [])
    assert found[arn("dropped")]["message"] == (
        "kinesis:DescribeStreamSummary failed: ConnectionClosedError: Connection was closed before we received a "
        f'valid response from endpoint URL: "{proxy.url}/"; to resolve: check why kinesis:DescribeStreamSummary on '
        "stream dropped failed and scan again")
    assert verdict(found[arn("dropped-once")]) == ("pass", "KSSE000", ["KSSE010"])
    assert described_names(proxy) == ["dropped"] * 3 + ["dropped-once"] * 2


# --- KMS: an answer that cannot be read is never a fail ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (EMPTY_OBJECT, "kms:ListAliases returned no Aliases (a list of objects); the answer was {}"),
        (edit_json(lambda answer, _: {**answer, "Aliases": [{**a, "AliasName": 7} for a in answer["Aliases"]]}),
         "kms:ListAliases returned Aliases[0].AliasName as 7, not a string"),
        (edit_json(lambda answer, _: {**answer, "Aliases": [{k: v for k, v in a.items() if k != "TargetKeyId"}
                                                            for a in answer["Aliases"]]}),
         'kms:ListAliases returned alias alias/orders without a TargetKeyId: {"AliasName": "alias/orders", '
         f'"AliasArn": "arn:aws:kms:us-east-1:{ACCOUNT}:alias/orders"}}'),
    ],
    ids=["empty-object", "name-a-number", "no-target"],
)
def test_aliases_that_cannot_be_read_are_never_a_missing_key(proxy: FaultProxy, aws: MotoAws, fault: Fault,
                                                             reason: str) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    client(aws.url, "kms").create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    make_stream(aws.url, "by-alias", "alias/orders")
    make_stream(aws.url, "by-id", key["KeyId"])
    proxy.add("kms:ListAliases", fault)
    found, _ = scan(proxy.url, "us-east-1")
    assert verdict(found[arn("by-alias")]) == ("unknown", "KSSE021", [])
    assert found[arn("by-alias")]["message"] == (
        f"{reason}; to resolve: {check_what_answers('kms:ListAliases', REGION)}")
    assert verdict(found[arn("by-id")]) == ("pass", "KSSE000", [])


def test_a_predefined_alias_without_a_key_is_a_missing_key(proxy: FaultProxy, aws: MotoAws) -> None:
    # AWS lists its predefined aliases before it has made their keys, without a TargetKeyId: a readable answer.
    make_stream(aws.url, "by-predefined", "alias/aws/ebs")
    proxy.add("kms:ListAliases", edit_json(lambda answer, _: {**answer, "Aliases": [
        a for a in answer["Aliases"] if a["AliasName"] != "alias/aws/ebs"] + [{
            "AliasName": "alias/aws/ebs", "AliasArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/ebs"}]}))
    found, _ = scan(proxy.url, "us-east-1")
    assert verdict(found[arn("by-predefined")]) == ("fail", "KSSE014", [])
    assert found[arn("by-predefined")]["message"] == "key alias/aws/ebs is not usable: Missing"
    assert found[arn("by-predefined")]["evidence"]["key"]["state"] == "Missing"


@pytest.mark.parametrize(
    ("fault", "status", "code", "reason"),
    [
        (key_metadata_with({"KeyState": "Disabled"}), "fail", "KSSE014", "key {key} is not usable: Disabled"),
        (key_metadata_with({}, drop="KeyState"), "unknown", "KSSE021",
         "kms:DescribeKey returned no KeyState for key {key}; to resolve: check the key with aws kms describe-key "
         "--key-id {key}; KeyState should be one of Enabled, Disabled, PendingDeletion, PendingReplicaDeletion, "
         "PendingImport, Unavailable, Creating, Updating"),
        (key_metadata_with({}, drop="KeyManager"), "unknown", "KSSE021",
         "kms:DescribeKey returned no KeyManager for key {key}; to resolve: check the key with aws kms describe-key "
         "--key-id {key}; KeyManager should be one of AWS, CUSTOMER"),
        (key_metadata_with({"KeyState": ["Enabled"]}), "unknown", "KSSE021",
         'kms:DescribeKey returned KeyMetadata.KeyState as ["Enabled"], not a string; to resolve: '
         + check_what_answers("kms:DescribeKey", "{key}")),
        (EMPTY_OBJECT, "unknown", "KSSE021",
         "kms:DescribeKey returned no KeyMetadata (an object); the answer was {{}}; to resolve: "
         + check_what_answers("kms:DescribeKey", "{key}")),
    ],
    ids=["disabled", "no-state", "no-manager", "state-a-list", "empty-object"],
)
def test_a_key_state_that_is_not_given_is_unknown_not_a_fail(proxy: FaultProxy, aws: MotoAws, fault: Fault,
                                                             status: str, code: str, reason: str) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "encrypted", key["KeyId"])
    proxy.add("kms:DescribeKey", fault)
    found, _ = scan(proxy.url, "us-east-1")
    assert verdict(found[arn("encrypted")]) == (status, code, [])
    assert found[arn("encrypted")]["message"] == reason.format(key=key["KeyId"])


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (EMPTY_OBJECT, "kms:GetKeyPolicy returned no Policy (a string); the answer was {{}}; to resolve: "
                       + check_what_answers("kms:GetKeyPolicy", "{arn}")),
        (edit_json(lambda answer, _: {**answer, "Policy": ["not", "a", "document"]}),
         'kms:GetKeyPolicy returned Policy as ["not", "a", "document"], not a string; to resolve: '
         + check_what_answers("kms:GetKeyPolicy", "{arn}")),
        (edit_json(lambda answer, _: {**answer, "Policy": "{"}),
         "kms:GetKeyPolicy returned a policy that is not JSON: Expecting property name enclosed in double quotes: "
         "line 1 column 2 (char 1); to resolve: read the policy with aws kms get-key-policy and check it"),
    ],
    ids=["empty-object", "policy-a-list", "policy-not-json"],
)
def test_a_key_policy_that_cannot_be_read_is_unknown(proxy: FaultProxy, aws: MotoAws, fault: Fault,
                                                     reason: str) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "encrypted", key["KeyId"])
    proxy.add("kms:GetKeyPolicy", fault)
    found, _ = scan(proxy.url, "us-east-1")
    assert verdict(found[arn("encrypted")]) == ("unknown", "KSSE021", [])
    assert found[arn("encrypted")]["message"] == reason.format(arn=key["Arn"])
    assert found[arn("encrypted")]["evidence"]["key"]["state"] == "Enabled"


# --- regions, roles, accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (HTML_PAGE, "ec2:DescribeRegions returned no Regions (a list of objects); the answer was {}; to resolve: "
                    + check_what_answers("ec2:DescribeRegions", f"account {ACCOUNT}")),
        (truncate(), "ec2:DescribeRegions returned an answer botocore cannot parse: ResponseParserError: Unable to "
                     "parse response (no element found: line 2, column 3009), invalid XML received. Further retries "
                     'may succeed: b\'<?xml version="1.0" encoding="utf-8"?>...; to resolve: '
                     + check_what_answers("ec2:DescribeRegions", f"account {ACCOUNT}")),
    ],
    ids=["html-page", "truncated"],
)
def test_enabled_regions_that_cannot_be_read_make_the_account_unknown(proxy: FaultProxy, fault: Fault,
                                                                      reason: str) -> None:
    proxy.add("ec2:DescribeRegions", fault)
    found, report = scan(proxy.url, "all")
    assert list(found) == [f"aws://{ACCOUNT}"]
    assert verdict(found[f"aws://{ACCOUNT}"]) == ("unknown", "KSSE021", [])
    assert found[f"aws://{ACCOUNT}"]["message"] == reason
    assert report["inputs"] == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (truncate(), f"sts:AssumeRole returned an answer botocore cannot parse: ResponseParserError: {WITHHELD}"),
        (cut(), "sts:AssumeRole returned an answer cut short ({got} of the {announced} bytes announced): "
                f"{WITHHELD}"),
        (HTML_PAGE, f"sts:AssumeRole returned an answer botocore cannot parse: KeyError: {WITHHELD}"),
    ],
    ids=["truncated", "cut", "html-page"],
)
def test_an_assume_role_answer_is_never_quoted(proxy: FaultProxy, fault: Fault, reason: str) -> None:
    role = role_arn("111111111111")
    proxy.add("sts:AssumeRole", fault)
    found, _ = scan(proxy.url, "us-east-1", role_arns=(role,))
    place = "aws://111111111111/us-east-1"
    assert list(found) == [place]
    assert verdict(found[place]) == ("unknown", "KSSE021", [])
    message = found[place]["message"]
    sizes = re.search(r"\((\d+) of the (\d+) bytes", message)
    expected = reason.format(got=sizes[1], announced=sizes[2]) if sizes else reason
    assert message == f"{expected}; to resolve: {check_what_answers('sts:AssumeRole', role)}"
    assert "AccessKeyId" not in message and "SessionToken" not in message


def test_an_organisation_listing_that_cannot_be_read_is_a_setup_error(proxy: FaultProxy, aws: MotoAws) -> None:
    client(aws.url, "organizations").create_organization(FeatureSet="ALL")
    proxy.add("organizations:ListAccounts", EMPTY_OBJECT)
    with pytest.raises(AwsSetupError) as raised:
        scan(proxy.url, "us-east-1", org_role="OrgScanner")
    assert str(raised.value) == (
        "--org-role: organizations:ListAccounts returned no Accounts (a list of objects); the answer was {}")


# --- the deadline ---------------------------------------------------------------------------------------------

DEADLINE = "was not read before the --timeout deadline of 300 s"
RAISE_TIMEOUT = "to resolve: raise --timeout (it was 300 s) and scan again"


def test_no_call_is_made_past_the_deadline(proxy: FaultProxy, aws: MotoAws) -> None:
    for name in ("a", "b", "c"):
        make_stream(aws.url, name)
    clock = StepClock()
    proxy.add(LIST, after(lambda: clock.advance(300)))
    found, report = scan(proxy.url, "us-east-1", clock=clock)
    assert sorted(found) == [arn("a"), arn("b"), arn("c")]
    for name in ("a", "b", "c"):
        assert verdict(found[arn(name)]) == ("unknown", "KSSE021", [])
        assert found[arn(name)]["message"] == f"kinesis:DescribeStreamSummary {DEADLINE}; {RAISE_TIMEOUT}"
    assert described_names(proxy) == []
    assert report["api_operations"] == {"kinesis:ListStreams": 1, "sts:GetCallerIdentity": 1}


def test_regions_not_listed_by_the_deadline_are_unknown(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "east")
    make_stream(aws.url, "west", region="eu-west-1")
    clock = StepClock()
    proxy.add(LIST, after(lambda: clock.advance(300)), region="us-east-1")
    # One listing at a time: eu-west-1 is listed after us-east-1, so after the deadline.
    found, report = scan(proxy.url, "us-east-1", "eu-west-1", clock=clock, max_workers=1)
    assert sorted(found) == [arn("east"), f"aws://{ACCOUNT}/eu-west-1"]
    assert found[f"aws://{ACCOUNT}/eu-west-1"]["message"] == f"kinesis:ListStreams {DEADLINE}; {RAISE_TIMEOUT}"
    assert found[arn("east")]["message"] == f"kinesis:DescribeStreamSummary {DEADLINE}; {RAISE_TIMEOUT}"
    assert [s.region for s in proxy.seen(LIST)] == ["us-east-1"]
    assert len(report["inputs"]) == 2


def test_keys_not_read_by_the_deadline_are_unknown(proxy: FaultProxy, aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    client(aws.url, "kms").create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    make_stream(aws.url, "by-alias", "alias/orders")
    make_stream(aws.url, "managed", "alias/aws/kinesis")
    make_stream(aws.url, "plain")
    clock = StepClock()
    proxy.add("kms:ListAliases", after(lambda: clock.advance(300)))
    found, _ = scan(proxy.url, "us-east-1", clock=clock)
    assert verdict(found[arn("by-alias")]) == ("unknown", "KSSE021", [])
    assert found[arn("by-alias")]["message"] == f"kms:DescribeKey {DEADLINE}; {RAISE_TIMEOUT}"
    # What was read before the deadline is judged.
    assert verdict(found[arn("plain")]) == ("fail", "KSSE002", [])
    assert verdict(found[arn("managed")]) == ("pass", "KSSE000", ["KSSE010"])
    assert proxy.seen("kms:DescribeKey") == []


def test_a_throttled_call_is_not_retried_past_the_deadline(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "busy", "alias/aws/kinesis")
    aws.behaviour.throttle(DESCRIBE, 5)
    clock = StepClock()
    proxy.add(DESCRIBE, after(lambda: clock.advance(300)))
    found, _ = scan(proxy.url, "us-east-1", clock=clock)
    assert found[arn("busy")]["message"] == (
        f"kinesis:DescribeStreamSummary {DEADLINE}; its last attempt failed: LimitExceededException: Rate exceeded; "
        f"{RAISE_TIMEOUT}")
    assert len(aws.behaviour.calls(DESCRIBE)) == 1


def test_a_call_that_timed_out_twice_is_not_tried_again(proxy: FaultProxy, aws: MotoAws) -> None:
    for name in ("silent", "late", "prompt"):
        make_stream(aws.url, name, "alias/aws/kinesis")
    proxy.add(DESCRIBE, stall(), match=lambda params: params["StreamName"] == "silent")
    proxy.add(DESCRIBE, stall(), match=lambda params: params["StreamName"] == "late", times=1)
    # A short read timeout makes the stalls end soon; the deadline is far off. Nothing here measures time.
    found, _ = scan(proxy.url, "us-east-1", read_timeout=2.0, timeout=600.0)
    assert verdict(found[arn("silent")]) == ("unknown", "KSSE021", [])
    assert found[arn("silent")]["message"] == (
        f'kinesis:DescribeStreamSummary failed: ReadTimeoutError: Read timeout on endpoint URL: "{proxy.url}/"; to '
        "resolve: the endpoint did not answer kinesis:DescribeStreamSummary on stream silent in time, twice: check "
        "the network path to it and scan again")
    assert verdict(found[arn("late")]) == ("pass", "KSSE000", ["KSSE010"])
    assert verdict(found[arn("prompt")]) == ("pass", "KSSE000", ["KSSE010"])
    assert described_names(proxy) == ["late", "late", "prompt", "silent", "silent"]
