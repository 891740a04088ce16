"""The AWS Config custom rule (``sseguard.integrations.config_rule.handler``), driven by events in AWS's own
shapes against moto over HTTP (``AWS_ENDPOINT_URL``), with ``config_loopback`` standing in for the two Config calls
moto lacks (``AWS_ENDPOINT_URL_CONFIG_SERVICE``: botocore names the variable after Config's service id,
``Config Service``). Nothing in boto3 or sseguard is patched."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from aws_server import ACCOUNT, MotoAws, arn, assume, client, iam_user, make_key, make_stream
from config_events import CAPTURED, NOTIFIED, change, configuration_item, oversized, scheduled
from config_loopback import ConfigApiLoopback, history_item
from sseguard.integrations.config_rule import handler
from sseguard.integrations.connect import RoleNotAssumed
from sseguard.integrations.evaluations import PutEvaluationsFailed

KINESIS = "AWS::Kinesis::Stream"


@pytest.fixture
def rule(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> MotoAws:
    """moto as every service's endpoint, reached the ordinary way: through AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
    return aws


@pytest.fixture
def loopback(rule: MotoAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConfigApiLoopback]:
    """Config's calls on the loopback stand-in; the other services stay on moto."""
    with ConfigApiLoopback().serving() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", server.url)
        yield server


def put_calls(server: MotoAws) -> list[dict[str, Any]]:
    """The PutEvaluations requests moto received."""
    return [c.params for c in server.behaviour.calls() if c.operation.endswith(":PutEvaluations")]


def one(evaluations: list[dict[str, Any]]) -> tuple[str, str, str]:
    assert len(evaluations) == 1
    e = evaluations[0]
    return e["ComplianceResourceId"], e["ComplianceType"], e["Annotation"]


def kms_encryption(key: str) -> dict[str, str]:
    return {"EncryptionType": "KMS", "KeyId": key}


def test_change_with_a_usable_customer_key_is_compliant(rule: MotoAws) -> None:
    key = make_key(rule.url, policy="kinesis-service-principal")
    rule.behaviour.reset()  # count only the handler's calls
    sent = handler(change(configuration_item("orders", kms_encryption(key["Arn"]))), None)
    assert sent == [{"ComplianceResourceType": KINESIS, "ComplianceResourceId": "orders",
                     "ComplianceType": "COMPLIANT", "Annotation": f"KSSE000: encrypted with KMS key {key['Arn']}.",
                     "OrderingTimestamp": CAPTURED}]
    calls = put_calls(rule)
    assert len(calls) == 1
    assert calls[0]["ResultToken"] == "TESTMODE" and calls[0]["TestMode"] is True
    assert [e["ComplianceResourceId"] for e in calls[0]["Evaluations"]] == ["orders"]
    # The key was read with the KMS calls sseguard aws makes, once each; the stream was not described.
    kms = sorted(c.operation for c in rule.behaviour.calls() if c.operation.startswith("kms:"))
    assert kms == ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants"]
    assert not rule.behaviour.calls("kinesis:DescribeStreamSummary")


def test_change_without_stream_encryption_is_non_compliant(rule: MotoAws) -> None:
    assert one(handler(change(configuration_item("plain", None)), None)) == (
        "plain", "NON_COMPLIANT",
        "KSSE001: encryption type is not set; the default is NONE (no encryption). Fix: aws kinesis "
        "start-stream-encryption --stream-name plain --encryption-type KMS --key-id KEY; only records written after "
        "the change are encrypted, older ones stay plaintext unt...")


def test_change_with_a_disabled_key_is_non_compliant(rule: MotoAws) -> None:
    key = make_key(rule.url, policy="kinesis-service-principal")
    client(rule.url, "kms").disable_key(KeyId=key["KeyId"])
    assert one(handler(change(configuration_item("stale", kms_encryption(key["KeyId"]))), None)) == (
        "stale", "NON_COMPLIANT",
        f"KSSE014: key {key['KeyId']} is not usable: Disabled. Fix: Enable the key (or cancel its deletion), or "
        "point the stream at a key that is enabled.")


def test_an_api_error_is_unknown_and_non_compliant(rule: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key(rule.url, policy="kinesis-service-principal")
    creds = iam_user(rule.url, "no-kms", [
        {"Effect": "Allow", "Action": ["config:*", "kinesis:*", "kms:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["kms:DescribeKey"], "Resource": "*"}])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    with rule.iam_enforced():
        sent = handler(change(configuration_item("guarded", kms_encryption(key["Arn"]))), None)
    resource, compliance, text = one(sent)
    assert (resource, compliance) == ("guarded", "NON_COMPLIANT")
    assert text.startswith(f"UNKNOWN KSSE021: kms:DescribeKey failed: AccessDenied: User: arn:aws:iam::{ACCOUNT}:"
                           "user/no-kms is not authorized to perform: kms:DescribeKey")
    assert text.endswith(f"kms:DescribeKey. Fix: grant kms:DescribeKey on {key['KeyId']} to the scanning principal "
                         "(IAM policy, S...")
    assert len(text) == 256


@pytest.mark.parametrize("status", ["ResourceDeleted", "ResourceDeletedNotRecorded"])
def test_a_deleted_stream_is_not_applicable(rule: MotoAws, status: str) -> None:
    item = configuration_item("gone", None, status=status)
    assert one(handler(change(item), None)) == ("gone", "NOT_APPLICABLE", f"the stream is gone ({status})")
    assert not [c for c in rule.behaviour.calls() if not c.operation.endswith(":PutEvaluations")]


def test_a_stream_that_left_the_scope_is_not_applicable(rule: MotoAws) -> None:
    event = change(configuration_item("moved", None), left_scope=True)
    assert one(handler(event, None)) == ("moved", "NOT_APPLICABLE", "the resource left the rule's scope")


def test_oversized_change_reads_the_item_from_the_history(loopback: ConfigApiLoopback, rule: MotoAws) -> None:
    key = make_key(rule.url, policy="kinesis-service-principal")
    item = configuration_item("large", kms_encryption(key["KeyId"]))
    loopback.history["large"] = [history_item(item)]
    sent = handler(oversized(item, token="token-from-config"), None)
    assert one(sent) == ("large", "COMPLIANT", f"KSSE000: encrypted with KMS key {key['KeyId']}.")
    assert sent[0]["OrderingTimestamp"] == CAPTURED
    assert loopback.calls("GetResourceConfigHistory") == [
        {"resourceType": KINESIS, "resourceId": "large", "limit": 1, "laterTime": 1796000400}]
    put = loopback.calls("PutEvaluations")
    assert len(put) == 1
    assert put[0]["ResultToken"] == "token-from-config" and put[0]["TestMode"] is False
    assert put[0]["Evaluations"][0]["ComplianceType"] == "COMPLIANT"


def test_oversized_change_whose_history_cannot_be_read_is_unknown(loopback: ConfigApiLoopback) -> None:
    sent = handler(oversized(configuration_item("lost", None), token="t"), None)
    assert one(sent) == (
        "lost", "NON_COMPLIANT",
        "UNKNOWN KSSE021: config:GetResourceConfigHistory failed: ResourceNotDiscoveredException: Resource lost of "
        "resourceType:AWS::Kinesis::Stream is unknown or has not been d... Fix: check why "
        "config:GetResourceConfigHistory on stream lost failed and scan again.")


def test_put_evaluations_refused_fails_the_invocation(loopback: ConfigApiLoopback) -> None:
    loopback.failed = [{"ComplianceResourceType": KINESIS, "ComplianceResourceId": "plain",
                        "ComplianceType": "NON_COMPLIANT", "OrderingTimestamp": 1796000400}]
    with pytest.raises(PutEvaluationsFailed, match=r"did not take 1 evaluations \(plain\)"):
        handler(change(configuration_item("plain", None), token="t"), None)


def test_scheduled_run_judges_every_stream_in_batches_of_100(rule: MotoAws) -> None:
    key = make_key(rule.url, policy="kinesis-service-principal")
    kinesis = client(rule.url, "kinesis")
    for i in range(230):
        kinesis.create_stream(StreamName=f"s{i:03d}", ShardCount=1)
        if i % 2 == 0:
            kinesis.start_stream_encryption(StreamName=f"s{i:03d}", EncryptionType="KMS", KeyId=key["Arn"])
    rule.behaviour.reset()
    sent = handler(scheduled(), None)
    assert len(sent) == 230
    by_id = {e["ComplianceResourceId"]: e for e in sent}
    assert by_id["s000"]["ComplianceType"] == "COMPLIANT"
    assert by_id["s001"]["ComplianceType"] == "NON_COMPLIANT"
    assert by_id["s001"]["Annotation"].startswith("KSSE002: encryption type is 'NONE': records are stored unencrypted.")
    assert {e["OrderingTimestamp"] for e in sent} == {NOTIFIED}
    assert [sum(1 for e in sent if e["ComplianceType"] == c) for c in ("COMPLIANT", "NON_COMPLIANT")] == [115, 115]
    calls = put_calls(rule)
    assert [len(c["Evaluations"]) for c in calls] == [100, 100, 30]
    assert all(c["TestMode"] is True for c in calls)
    # One key, read once for 115 streams.
    assert len(rule.behaviour.calls("kms:DescribeKey")) == 1


def test_scheduled_run_that_cannot_list_streams_reports_the_account(rule: MotoAws,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    creds = iam_user(rule.url, "no-list", [{"Effect": "Allow", "Action": ["config:*", "kms:*"], "Resource": "*"}])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    with rule.iam_enforced():
        sent = handler(scheduled(), None)
    assert sent[0]["ComplianceResourceType"] == "AWS::::Account"
    resource, compliance, text = one(sent)
    assert (resource, compliance) == (ACCOUNT, "NON_COMPLIANT")
    assert text.startswith("UNKNOWN KSSE021: kinesis:ListStreams failed: AccessDenied: ")


def test_exemptions_in_force_and_expired(rule: MotoAws) -> None:
    make_stream(rule.url, "legacy")
    make_stream(rule.url, "forgotten")
    exempt = [{"arn": arn("legacy"), "reason": "decommissioned in Q1 (CHG-1234)", "expires": "2099-12-31"},
              {"arn": arn("forgotten"), "reason": "was to be fixed", "expires": "2020-01-31"}]
    sent = handler(scheduled(parameters={"exemptStreams": json.dumps(exempt)}), None)
    by_id = {e["ComplianceResourceId"]: (e["ComplianceType"], e["Annotation"]) for e in sent}
    assert by_id["legacy"] == ("COMPLIANT", "EXEMPT until 2099-12-31: exemptStreams: decommissioned in Q1 "
                                            "(CHG-1234); not judged while the exemption holds.")
    assert by_id["forgotten"][0] == "NON_COMPLIANT"
    assert by_id["forgotten"][1].startswith("KSSE002: ")


def test_fail_on_advisory_makes_an_advisory_non_compliant(rule: MotoAws) -> None:
    item = configuration_item("managed", kms_encryption("alias/aws/kinesis"))
    assert one(handler(change(item), None)) == (
        "managed", "COMPLIANT",
        "KSSE000 (advisories KSSE010): encrypted with KMS key alias/aws/kinesis (the AWS-managed key).")
    assert one(handler(change(item, parameters={"failOn": "advisory"}), None)) == (
        "managed", "NON_COMPLIANT",
        "ADVISORY KSSE010: The AWS-managed key alias/aws/kinesis is used. Fix: Prefer a customer-managed key with an "
        "explicit key policy (PCI DSS 3.6/3.7 key management).")
    # The AWS-managed key is never looked up (DescribeKey on it can create it).
    assert not [c for c in rule.behaviour.calls() if c.operation.startswith("kms:")]


def test_strict_key_policy(rule: MotoAws) -> None:
    key = make_key(rule.url, policy="root-delegation-only")
    item = configuration_item("delegated", kms_encryption(key["Arn"]))
    assert one(handler(change(item), None)) == (
        "delegated", "COMPLIANT", f"KSSE000 (advisories KSSE013): encrypted with KMS key {key['Arn']}.")
    assert one(handler(change(item, parameters={"strictKeyPolicy": "true"}), None)) == (
        "delegated", "NON_COMPLIANT",
        f"KSSE013: the policy of key {key['Arn']} does not allow kinesis.amazonaws.com kms:Gen... Fix: Add a statement "
        "with Principal {Service: kinesis.amazonaws.com} allowing kms:GenerateDataKey and ...")


def test_organisation_rule_assumes_the_role_in_the_streams_account(rule: MotoAws) -> None:
    member = "111122223333"
    creds = assume(rule.url, member)
    key = make_key(rule.url, policy=None, creds=creds)
    make_stream(rule.url, "member-stream", key["Arn"], creds=creds)
    item = configuration_item("member-stream", kms_encryption(key["Arn"]), account=member)
    rule.behaviour.reset()
    sent = handler(change(item, parameters={"ExecutionRoleName": "sseguard-config-rule"}), None)
    assert one(sent) == ("member-stream", "COMPLIANT",
                         f"KSSE000 (advisories KSSE013): encrypted with KMS key {key['Arn']}.")
    roles = [c.params["RoleArn"] for c in rule.behaviour.calls("sts:AssumeRole")]
    assert roles[-1] == f"arn:aws:iam::{member}:role/sseguard-config-rule"
    # The key was found in the member account: read with the role's credentials, it is the member's own key.
    assert len(rule.behaviour.calls("kms:DescribeKey")) == 1


def test_invalid_parameters_are_non_compliant_never_a_pass(rule: MotoAws) -> None:
    item = configuration_item("any", kms_encryption("alias/aws/kinesis"))
    assert one(handler(change(item, parameters={"strictkeypolicy": "true"}), None)) == (
        "any", "NON_COMPLIANT",
        "INVALID PARAMETERS: unknown parameter strictkeypolicy; known: ExecutionRoleName, exemptStreams, failOn, "
        "strictKeyPolicy. Fix: correct the rule's input parameters (docs/config-rule.md).")
    no_reason = [{"arn": arn("any"), "expires": "2099-01-01"}]
    assert one(handler(change(item, parameters={"exemptStreams": no_reason}), None))[2] == (
        "INVALID PARAMETERS: exemptStreams[0] has no reason. Fix: correct the rule's input parameters "
        "(docs/config-rule.md).")
    assert one(handler(scheduled(parameters={"failOn": "unknown"}), None)) == (
        ACCOUNT, "NON_COMPLIANT", "INVALID PARAMETERS: failOn is 'unknown'; it must be fail or advisory. Fix: correct "
                                  "the rule's input parameters (docs/config-rule.md).")


@pytest.mark.parametrize("event", [
    None, "text", {}, {"resultToken": "TESTMODE"}, {"resultToken": "TESTMODE", "invokingEvent": "{not json"},
    {"resultToken": "TESTMODE", "invokingEvent": json.dumps({"messageType": "SomethingElse"})},
    {"resultToken": "TESTMODE", "accountId": ACCOUNT,
     "invokingEvent": json.dumps({"messageType": "ConfigurationItemChangeNotification"})},
    {"resultToken": "TESTMODE", "accountId": ACCOUNT,
     "invokingEvent": json.dumps({"messageType": "ConfigurationItemChangeNotification",
                                  "configurationItem": {"resourceType": KINESIS}})},
])
def test_a_malformed_event_is_logged_and_answered_with_nothing(rule: MotoAws, event: Any,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    assert handler(event, None) == []
    assert caplog.records[-1].getMessage().startswith("event not answered: ")
    assert not put_calls(rule)


def test_an_item_that_cannot_be_read_is_unknown(rule: MotoAws) -> None:
    item = configuration_item("odd", None)
    item["configuration"]["StreamEncryption"] = "KMS"
    assert one(handler(change(item), None)) == (
        "odd", "NON_COMPLIANT",
        "UNKNOWN KSSE021: the configuration item of stream odd holds configuration.StreamEncryption as \"KMS\". Fix: "
        "check the item with aws configservice get-resource-config-history --resource-type AWS::Kinesis::Stream "
        "--resource-id odd --limit 1; the periodic ev...")


def test_a_role_that_cannot_be_assumed_fails_the_invocation(rule: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = iam_user(rule.url, "no-assume", [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    item = configuration_item("far", None, account="111122223333")
    with rule.iam_enforced(), pytest.raises(RoleNotAssumed, match=r"^cannot assume arn:aws:iam::111122223333:role/r: "
                                                                   r"sts:AssumeRole failed: AccessDenied"):
        handler(change(item, parameters={"ExecutionRoleName": "r"}), None)


def test_the_handler_imports_no_tree_sitter_yaml_or_jsonschema() -> None:
    code = ("import sys, sseguard.integrations.config_rule as r; "
            "print(sorted(m for m in ('tree_sitter', 'tree_sitter_hcl', 'yaml', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_an_exempt_stream_in_a_change_is_not_judged(rule: MotoAws) -> None:
    item = configuration_item("legacy", kms_encryption("alias/not-there"))
    exempt = [{"arn": arn("legacy"), "reason": "vendor stream, CHG-9", "expires": "2099-01-01"}]
    assert one(handler(change(item, parameters={"exemptStreams": exempt}), None)) == (
        "legacy", "COMPLIANT",
        "EXEMPT until 2099-01-01: exemptStreams: vendor stream, CHG-9; not judged while the exemption holds.")
    assert not [c for c in rule.behaviour.calls() if c.operation.startswith("kms:")]


def test_annotations_fit_256_characters_whatever_the_input(rule: MotoAws) -> None:
    alias = "alias/" + "k" * 250
    sent = handler(change(configuration_item("long", kms_encryption(alias))), None)
    resource, compliance, text = one(sent)
    assert (resource, compliance) == ("long", "NON_COMPLIANT")
    assert text.startswith(f"KSSE014: key {alias[:100]}")
    assert text.endswith(" Fix: Enable the key (or cancel its deletion), or point the stream at a key that is enabled.")
    assert len(text) == 256


class LambdaContext:
    """The one method of Lambda's context object the handler uses: the time the invocation has left."""

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends - time.monotonic()) * 1000)


def test_reads_stop_in_time_for_put_evaluations(rule: MotoAws) -> None:
    kinesis = client(rule.url, "kinesis")
    for i in range(100):
        kinesis.create_stream(StreamName=f"t{i:03d}", ShardCount=1)
    # 6 s: reads get 3.5 s (a quarter is kept for PutEvaluations, 1 s margin). The rate limits set a floor on the
    # time the reads take, whatever the machine's speed: after 10 ListStreams pages at 5 a second, Kinesis's 20
    # DescribeStreamSummary a second cannot describe all 100 streams in that time. How many are described depends
    # on the machine's load, so only that some are late is asserted, not how many, and no wall-clock time.
    sent = handler(scheduled(), LambdaContext(6.0))
    assert len(sent) == 100
    texts = [e["Annotation"] for e in sent]
    assert {e["ComplianceType"] for e in sent} == {"NON_COMPLIANT"}
    late = [t for t in texts if t.startswith("UNKNOWN KSSE021: kinesis:DescribeStreamSummary was not read before "
                                             "the --timeout deadline of ")]
    plain = [t for t in texts if t.startswith("KSSE002: ")]
    assert late and len(late) + len(plain) == 100
    assert [len(c["Evaluations"]) for c in put_calls(rule)] == [100]
