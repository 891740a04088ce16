"""``sseguard remediate --check-principal``: iam:SimulatePrincipalPolicy asked whether each role named could still
use the key for the stream. moto does not implement that call, so the fault proxy answers it as IAM does (the
query protocol's XML), from a table of decisions per principal; everything else goes to moto over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aws_server import ACCOUNT, MotoAws, arn, make_stream
from fault_proxy import Fault, FaultProxy, Reply, fault_proxy, replace
from remediate_helpers import by_name, customer_key, remediate

SIMULATE = "iam:SimulatePrincipalPolicy"
WRITER = f"arn:aws:iam::{ACCOUNT}:role/writer"
READER = f"arn:aws:iam::{ACCOUNT}:role/reader"
DECISIONS = {WRITER: {"kms:GenerateDataKey": "allowed", "kms:Decrypt": "allowed"},
             READER: {"kms:GenerateDataKey": "allowed", "kms:Decrypt": "implicitDeny"}}


@pytest.fixture
def proxy(aws: MotoAws) -> Iterator[FaultProxy]:
    with fault_proxy(aws.url) as p:
        yield p


def simulated(reply: Reply, params: dict[str, Any]) -> Reply:
    """IAM's answer: each action asked, with the decision of ``DECISIONS`` for the principal."""
    decisions = DECISIONS[params["PolicySourceArn"]]
    actions = [v for k, v in sorted(params.items()) if k.startswith("ActionNames.member.")]
    members = "".join(f"<member><EvalActionName>{a}</EvalActionName><EvalResourceName>{params['ResourceArns.member.1']}"
                      f"</EvalResourceName><EvalDecision>{decisions[a]}</EvalDecision></member>" for a in actions)
    body = (f'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}"
            "</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>r</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>").encode()
    return Reply(200, "OK", [("Content-Type", "text/xml")], body)


IAM = Fault("simulate", simulated, forward=False)


def test_a_principal_that_would_lose_access_refuses_the_change(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    key = customer_key(aws.url)
    proxy.add(SIMULATE, IAM)
    code, out, _ = remediate(proxy.url, "--key", key["KeyId"], "--check-principal", WRITER, "--apply")
    assert code == 0
    assert by_name(out)["plain"]["preflight"][-1] == {
        "name": "principal-access", "code": None, "passed": True, "blocking": True,
        "why": f"{WRITER} is allowed kms:GenerateDataKey and kms:Decrypt on key {key['Arn']} for this stream"}
    make_stream(aws.url, "second")
    code, out, _ = remediate(proxy.url, "--key", key["KeyId"], "--check-principal", WRITER,
                             "--check-principal", READER, "--apply")
    assert code == 1
    entry = by_name(out)["second"]
    assert entry["action"] == "refused"
    assert [(c["name"], c["passed"], c["why"]) for c in entry["preflight"][-2:]] == [
        ("principal-access", True, f"{WRITER} is allowed kms:GenerateDataKey and kms:Decrypt on key {key['Arn']} "
                                   "for this stream"),
        ("principal-access", False, f"{READER} would not be allowed kms:Decrypt (implicitDeny) on key {key['Arn']} "
                                    "for this stream")]
    assert entry["resolve"] == ("grant the principals named kms:GenerateDataKey and kms:Decrypt on the key (IAM "
                                "policy or key policy) and run again, or choose another key")
    asked = [s.params for s in proxy.seen(SIMULATE) if s.params["PolicySourceArn"] == READER]
    assert len(asked) == 1
    assert asked[0]["ContextEntries.member.1.ContextKeyName"] == "kms:EncryptionContext:aws:kinesis:arn"
    assert asked[0]["ContextEntries.member.1.ContextKeyValues.member.1"] == arn("second")
    assert asked[0]["ResourceArns.member.1"] == key["Arn"]
    assert "ResourcePolicy" in asked[0]  # the key policy is simulated with the principal's own policies


def test_a_principal_that_cannot_be_checked_refuses_the_change(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    key = customer_key(aws.url)
    denied = (b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
              b"<Code>AccessDenied</Code><Message>not authorized to perform: iam:SimulatePrincipalPolicy</Message>"
              b"</Error><RequestId>r</RequestId></ErrorResponse>")
    proxy.add(SIMULATE, replace(denied, status=403, content_type="text/xml"))
    code, out, _ = remediate(proxy.url, "--key", key["KeyId"], "--check-principal", WRITER, "--apply")
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "refused"
    assert entry["preflight"][-1]["why"] == (
        f"{WRITER}: cannot be checked: iam:SimulatePrincipalPolicy failed: AccessDenied: not authorized to perform: "
        "iam:SimulatePrincipalPolicy")
    assert aws.behaviour.calls("kinesis:StartStreamEncryption") == []


def test_the_aws_managed_key_needs_no_grant(proxy: FaultProxy, aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    code, out, _ = remediate(proxy.url, "--check-principal", READER)
    assert code == 1  # a plan
    assert by_name(out)["plain"]["preflight"][-1]["why"] == f"{READER}: no KMS grant is needed with the AWS-managed key"
    assert proxy.seen(SIMULATE) == []


def test_a_principal_that_is_not_an_iam_arn_is_a_usage_error(aws: MotoAws) -> None:
    code, _, err = remediate(aws.url, "--check-principal", "writer")
    assert code == 2
    assert err == ("sseguard: error: --check-principal 'writer': not an IAM role or user ARN "
                   "(arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)\n")
