"""``sseguard remediate`` against moto's standalone server over HTTP: the plan, the change and its verification,
the key preflight, idempotence, and the outputs. See ``aws_server.py`` for where moto differs from AWS."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from typing import Any

from aws_server import ACCOUNT, POLICIES, MotoAws, arn, assume, client, make_key, make_stream, role_arn
from remediate_helpers import by_name, customer_key, failed_checks, remediate
from sseguard import cli

START = "kinesis:StartStreamEncryption"
NONE = {"encryption_type": "NONE", "key_id": None}
PLAINTEXT_NOTE = ("StartStreamEncryption encrypts only records written after the change: records written before it "
                  "stay plaintext until they age out of the stream's retention period.")


def encryption(url: str, name: str, region: str = "us-east-1") -> tuple[str, str | None]:
    summary = client(url, "kinesis", region).describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return summary["EncryptionType"], summary.get("KeyId")


def passing_checks(entry: dict[str, Any]) -> list[str]:
    return [c["name"] for c in entry["preflight"] if c["passed"]]


ALL_CHECKS = ["stream-active", "key-enabled", "key-symmetric", "key-usage", "key-region", "key-policy",
              "key-policy-kinesis"]


def test_the_plan_changes_nothing(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    code, out, _ = remediate(aws.url)
    assert code == 1  # a plan with a change to make: the stream still fails
    entry = by_name(out)["plain"]
    assert entry["action"] == "planned"
    assert entry["key"] == "alias/aws/kinesis"
    assert entry["aws_managed_key"] is True
    assert entry["advisories"] == ["KSSE010"]
    assert entry["why"] == (
        "would encrypt with alias/aws/kinesis (KSSE010: the AWS-managed key; its rotation and policy are AWS's, and "
        "consumers in other accounts cannot be granted it; give --key for a customer key)")
    assert passing_checks(entry) == ALL_CHECKS
    assert entry["before"] == NONE and entry["after"] is None
    assert entry["retention_hours"] == 24 and entry["plaintext_until"] is None
    assert out["mode"] == "plan"
    assert aws.behaviour.calls(START) == []
    assert encryption(aws.url, "plain") == ("NONE", None)


def test_the_plan_in_text(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    key = customer_key(aws.url, policy="kinesis-service-principal")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["remediate", "--endpoint-url", aws.url, "--region", "us-east-1", "--key", key["KeyId"]])
    assert code == 1
    stream = arn("plain")
    assert out.getvalue() == f"""\
sseguard remediate: the plan; nothing is changed without --apply

{stream} (us-east-1)
  was: KSSE002 encryption type is 'NONE': records are stored unencrypted
  planned: would encrypt with {key["KeyId"]}
  preflight:
    pass stream-active: the stream is ACTIVE
    pass key-enabled (KSSE014): the key exists and is Enabled
    pass key-symmetric: KeySpec is SYMMETRIC_DEFAULT
    pass key-usage: KeyUsage is ENCRYPT_DECRYPT
    pass key-region (KSSE011): the key is in the stream's region
    pass key-policy (KSSE012): the key policy lets principals use kms:GenerateDataKey and kms:Decrypt
    pass key-policy-kinesis (KSSE013): the key policy allows kinesis.amazonaws.com kms:GenerateDataKey and kms:Decrypt
  grant: producers (PutRecord, PutRecords) need kms:GenerateDataKey on {key["Arn"]}, with the encryption context \
aws:kinesis:arn = {stream}
  grant: consumers (GetRecords, SubscribeToShard) need kms:Decrypt on {key["Arn"]}, with the encryption context \
aws:kinesis:arn = {stream}
  records already in the stream would stay plaintext for up to 24 h (its retention period) after the change

summary: 1 planned; 0 of 1 streams encrypted or with nothing to do
{PLAINTEXT_NOTE}
"""
    assert aws.behaviour.calls(START) == []


def test_apply_encrypts_verifies_and_a_second_run_does_nothing(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    key = customer_key(aws.url, policy="kinesis-service-principal")
    code, out, _ = remediate(aws.url, "--key", key["KeyId"], "--apply")
    assert code == 0
    entry = by_name(out)["plain"]
    assert entry["action"] == "applied"
    assert entry["why"] == f"encrypted with {key['KeyId']}, verified ACTIVE"
    assert entry["settled"] is True
    assert entry["before"] == NONE
    assert entry["after"] == {"encryption_type": "KMS", "key_id": key["KeyId"]}
    assert entry["key_arn"] == key["Arn"]
    assert entry["retention_hours"] == 24
    started = dt.datetime.fromisoformat(entry["started_at"])
    until = dt.datetime.fromisoformat(entry["plaintext_until"])
    # the change time plus the retention period (to the second; the change's own seconds included)
    assert dt.timedelta(hours=24) <= until - started <= dt.timedelta(hours=24, seconds=entry["seconds"] + 1)
    assert encryption(aws.url, "plain") == ("KMS", key["KeyId"])
    assert [c.params for c in aws.behaviour.calls(START)] == [
        {"StreamName": "plain", "EncryptionType": "KMS", "KeyId": key["KeyId"]}]

    code, again, _ = remediate(aws.url, "--key", key["KeyId"], "--apply")
    assert code == 0
    assert by_name(again)["plain"]["action"] == "skipped"
    assert by_name(again)["plain"]["why"] == "already encrypted (KSSE000): nothing to do"
    assert len(aws.behaviour.calls(START)) == 1
    assert again["summary"] == {"planned": 0, "applied": 0, "skipped": 1, "refused": 0, "not-changed": 0,
                                "unverified": 0, "streams": 1, "settled": 1}


def test_the_aws_managed_key_is_used_without_describing_it(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 0
    entry = by_name(out)["plain"]
    assert (entry["action"], entry["after"]) == ("applied", {"encryption_type": "KMS", "key_id": "alias/aws/kinesis"})
    assert entry["grants"] == []
    # DescribeKey on alias/aws/kinesis can create the key: never called
    assert aws.behaviour.calls("kms:DescribeKey") == []


def _refused(aws: MotoAws, key: str, *args: str) -> dict[str, Any]:
    code, out, _ = remediate(aws.url, "--key", key, "--apply", *args)
    assert code == 1
    entry = by_name(out)["plain"]
    assert entry["action"] == "refused"
    assert entry["settled"] is False
    assert aws.behaviour.calls(START) == []
    assert encryption(aws.url, "plain") == ("NONE", None)
    return entry


def test_a_disabled_key_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    key = customer_key(aws.url, policy="kinesis-service-principal")
    client(aws.url, "kms").disable_key(KeyId=key["KeyId"])
    entry = _refused(aws, key["KeyId"])
    assert failed_checks(entry) == [("key-enabled", f"key {key['KeyId']} is not usable: Disabled")]
    assert entry["why"] == f"preflight failed: key-enabled: key {key['KeyId']} is not usable: Disabled"
    assert entry["resolve"] == "mend the key, or give --key with one whose preflight passes"


def test_a_key_of_another_region_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    west = customer_key(aws.url, region="us-west-2", policy="kinesis-service-principal")
    entry = _refused(aws, west["Arn"])
    assert failed_checks(entry) == [
        ("key-region", f"key {west['Arn']} is in region us-west-2, the stream is in us-east-1")]


def test_a_key_policy_locking_kinesis_out_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    locked = customer_key(aws.url, policy="no-data-plane-grant")
    entry = _refused(aws, locked["KeyId"])
    assert failed_checks(entry) == [
        ("key-policy", f"the policy of key {locked['KeyId']} allows no principal kms:GenerateDataKey and kms:Decrypt"),
        ("key-policy-kinesis", f"the policy of key {locked['KeyId']} does not allow kinesis.amazonaws.com "
                               "kms:GenerateDataKey and kms:Decrypt"),
    ]
    # KSSE013 is told but does not block without --strict-key-policy
    assert [(c["name"], c["blocking"]) for c in entry["preflight"] if not c["passed"]] == [
        ("key-policy", True), ("key-policy-kinesis", False)]


def test_no_service_principal_blocks_only_under_strict_key_policy(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    root = customer_key(aws.url, policy="root-delegation-only")
    code, out, _ = remediate(aws.url, "--key", root["KeyId"])
    assert (code, by_name(out)["plain"]["action"]) == (1, "planned")
    entry = _refused(aws, root["KeyId"], "--strict-key-policy")
    assert failed_checks(entry) == [("key-policy-kinesis", f"the policy of key {root['KeyId']} does not allow "
                                                           "kinesis.amazonaws.com kms:GenerateDataKey and kms:Decrypt")]


def test_an_asymmetric_key_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    kms = client(aws.url, "kms")
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.put_key_policy(KeyId=signing["KeyId"], PolicyName="default",
                       Policy=(POLICIES / "kinesis-service-principal.json").read_text(encoding="utf-8"))
    entry = _refused(aws, signing["KeyId"])
    assert failed_checks(entry) == [
        ("key-symmetric", "KeySpec is RSA_2048, not SYMMETRIC_DEFAULT: Kinesis encrypts only with symmetric "
                          "encryption keys"),
        ("key-usage", "KeyUsage is SIGN_VERIFY, not ENCRYPT_DECRYPT: Kinesis encrypts only with symmetric "
                      "encryption keys"),
    ]


def test_a_key_that_does_not_exist_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    entry = _refused(aws, "alias/nothing-here")
    assert failed_checks(entry)[0] == (
        "key-enabled", "key alias/nothing-here is not usable: Missing")
    assert [name for name, _ in failed_checks(entry)] == ["key-enabled", "key-symmetric", "key-usage", "key-policy",
                                                          "key-policy-kinesis"]


def test_a_stream_failing_on_its_key_is_rekeyed_only_with_a_named_key(aws: MotoAws) -> None:
    broken = customer_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "stuck", broken["KeyId"])
    client(aws.url, "kms").disable_key(KeyId=broken["KeyId"])
    aws.behaviour.reset()  # forget the setup's own StartStreamEncryption
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 1
    entry = by_name(out)["stuck"]
    assert (entry["action"], entry["code"]) == ("refused", "KSSE014")
    assert entry["why"] == ("its key fails KSSE014; sseguard re-keys a stream only to a key named with --key whose "
                            "preflight passes")
    # the same key again: nothing to do for remediate, the key itself must be mended
    code, out, _ = remediate(aws.url, "--apply", "--key", broken["KeyId"])
    assert (code, by_name(out)["stuck"]["action"]) == (1, "skipped")
    assert by_name(out)["stuck"]["why"] == (f"already encrypted with {broken['KeyId']}, and its key fails KSSE014: "
                                            "mend the key itself")
    assert aws.behaviour.calls(START) == []
    good = customer_key(aws.url, policy="kinesis-service-principal")
    code, out, _ = remediate(aws.url, "--apply", "--key", good["Arn"])
    assert code == 0
    entry = by_name(out)["stuck"]
    assert entry["before"] == {"encryption_type": "KMS", "key_id": broken["KeyId"]}
    assert entry["after"] == {"encryption_type": "KMS", "key_id": good["Arn"]}
    # the older records were never plaintext: they stay encrypted with the old key until they age out
    assert entry["plaintext_until"] is None
    kept = dt.datetime.fromisoformat(entry["old_key_until"]) - dt.datetime.fromisoformat(entry["started_at"])
    assert dt.timedelta(hours=24) <= kept <= dt.timedelta(hours=24, seconds=entry["seconds"] + 1)


def test_stream_selection_and_usage_errors(aws: MotoAws) -> None:
    make_stream(aws.url, "one")
    make_stream(aws.url, "two")
    code, out, _ = remediate(aws.url, "--stream", "one", "--stream", arn("two"))
    assert code == 1 and sorted(by_name(out)) == ["one", "two"]
    code, out, _ = remediate(aws.url, "--stream", "one")
    assert sorted(by_name(out)) == ["one"]
    code, out, err = remediate(aws.url, "--apply", "--stream", "three")
    assert (code, out) == (2, {})
    assert err == ("sseguard: error: --stream three: no such stream in the accounts and regions read; nothing was "
                   "changed\n")
    code, _, err = remediate(aws.url, "--key", " ")
    assert code == 2
    assert err == "sseguard: error: --key must name a key (key id, key ARN, alias name or alias ARN)\n"
    code, _, err = remediate(aws.url, "--timeout", "0")
    assert (code, err) == (2, "sseguard: error: --timeout must be a number of seconds above 0\n")
    assert aws.behaviour.calls(START) == []


def test_json_shape(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 0
    assert list(out) == ["schema", "tool", "mode", "generated_at", "principals", "note", "summary", "streams",
                         "api_calls", "api_operations", "http_requests"]
    assert out["schema"] == "sseguard/remediate/v1"
    assert out["principals"] == {ACCOUNT: f"arn:aws:sts::{ACCOUNT}:user/moto"}
    assert out["note"] == PLAINTEXT_NOTE
    entry = out["streams"][0]
    assert list(entry) == ["arn", "name", "account", "region", "code", "message", "action", "why", "settled", "key",
                           "key_arn", "aws_managed_key", "advisories", "preflight", "grants", "resolve", "before",
                           "after", "started_at", "seconds", "retention_hours", "plaintext_until",
                           "old_key_until"]
    assert (entry["arn"], entry["account"], entry["region"]) == (arn("plain"), ACCOUNT, "us-east-1")
    assert list(entry["preflight"][0]) == ["name", "code", "passed", "blocking", "why"]
    assert out["api_operations"] == {
        "kinesis:DescribeStreamSummary": 2, "kinesis:ListStreams": 1, "kinesis:StartStreamEncryption": 1,
        "sts:GetCallerIdentity": 1}


def test_a_key_whose_usage_is_not_known_is_refused(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    vague = make_key(aws.url, policy="kinesis-service-principal")  # moto's DescribeKey then gives no KeyUsage
    entry = _refused(aws, vague["KeyId"])
    assert failed_checks(entry) == [
        ("key-usage", "the key's KeyUsage is not known (kms:DescribeKey did not give it); Kinesis needs "
                      "ENCRYPT_DECRYPT")]


def test_accounts_through_assume_role_record_the_role_session_as_author(aws: MotoAws) -> None:
    other = "111111111111"
    make_stream(aws.url, "orders", creds=assume(aws.url, other))
    make_stream(aws.url, "not-targeted")  # the caller's own account is not touched when roles are given
    code, out, _ = remediate(aws.url, "--role-arn", role_arn(other), "--apply")
    assert code == 0
    assert [(e["arn"], e["action"]) for e in out["streams"]] == [(arn("orders", account=other), "applied")]
    assert out["principals"] == {other: f"arn:aws:sts::{other}:assumed-role/scanner/sseguard-scan"}
    assert encryption(aws.url, "not-targeted") == ("NONE", None)
