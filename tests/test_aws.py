"""The live source against moto's standalone server, over HTTP, with the boto3 code users run.

See ``aws_server.py`` for where moto differs from AWS and how each difference is handled.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.kinesis.models import kinesis_backends
from moto.kms.models import kms_backends

from aws_server import (
    ACCOUNT,
    POLICIES,
    Creds,
    MotoAws,
    arn,
    assume,
    client,
    iam_user,
    make_key,
    make_stream,
    role_arn,
    scan,
    verdict,
)
from sseguard.sources.aws import AwsScanOptions, AwsSetupError, scan_aws

FAST_LISTING = {"ListStreams": 1000.0, "DescribeStreamSummary": 1000.0}




def use_creds(monkeypatch: pytest.MonkeyPatch, creds: Creds) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    if creds.token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)


# --- streams and keys -----------------------------------------------------------------------------------------


def test_provisioned_and_on_demand_streams(aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "plain")
    make_stream(aws.url, "ondemand", key["KeyId"], on_demand=True)
    found, report = scan(aws.url, "us-east-1")
    assert verdict(found[arn("plain")]) == ("fail", "KSSE002", [])
    assert found[arn("plain")]["message"] == "encryption type is 'NONE': records are stored unencrypted"
    ondemand = found[arn("ondemand")]
    assert verdict(ondemand) == ("pass", "KSSE000", [])
    assert ondemand["resource"] == {"address": arn("ondemand"), "type": "AWS::Kinesis::Stream",
                                    "arn": arn("ondemand"), "region": "us-east-1", "account": ACCOUNT}
    assert ondemand["source"] == {"kind": "aws", "path": f"aws://{ACCOUNT}/us-east-1", "line": None,
                                  "end_line": None}
    facts = ondemand["evidence"]["source_facts"]
    assert facts["kinesis:DescribeStreamSummary"] == {
        "StreamName": "ondemand", "StreamARN": arn("ondemand"), "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "EncryptionType": "KMS", "KeyId": key["KeyId"],
        "RetentionPeriodHours": 24,
    }
    assert facts["kms:DescribeKey"]["KeyManager"] == "CUSTOMER"
    assert facts["kms:DescribeKey"]["KeyState"] == "Enabled"
    assert ondemand["evidence"]["key"]["arn"] == key["Arn"]
    assert report["inputs"] == [{"kind": "aws", "location": f"aws://{ACCOUNT}/us-east-1"}]
    assert report["summary"] == {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 0}


def test_key_policies(aws: MotoAws) -> None:
    granted = make_key(aws.url, policy="kinesis-service-principal")
    root_only = make_key(aws.url, policy="root-delegation-only")
    no_grant = make_key(aws.url, policy="no-data-plane-grant")
    make_stream(aws.url, "granted", granted["KeyId"])
    make_stream(aws.url, "root-only", root_only["KeyId"])
    make_stream(aws.url, "no-grant", no_grant["KeyId"])
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("granted")]) == ("pass", "KSSE000", [])
    assert verdict(found[arn("root-only")]) == ("pass", "KSSE000", ["KSSE013"])
    assert verdict(found[arn("no-grant")])[:2] == ("fail", "KSSE012")
    assert found[arn("no-grant")]["message"] == (
        f"the policy of key {no_grant['KeyId']} allows no principal kms:GenerateDataKey and kms:Decrypt")
    policy = json.loads((POLICIES / "no-data-plane-grant.json").read_text(encoding="utf-8"))
    assert found[arn("no-grant")]["evidence"]["key"]["policy"] == policy
    assert found[arn("no-grant")]["evidence"]["key"]["policy_origin"] == "kms:GetKeyPolicy"


def test_strict_key_policy_fails_root_delegation(aws: MotoAws) -> None:
    root_only = make_key(aws.url, policy="root-delegation-only")
    make_stream(aws.url, "root-only", root_only["KeyId"])
    found, _ = scan(aws.url, "us-east-1", strict=True)
    assert verdict(found[arn("root-only")]) == ("fail", "KSSE013", [])


def test_alias_key_arn_and_key_id_share_one_lookup(aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    client(aws.url, "kms").create_alias(AliasName="alias/orders", TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/orders"
    make_stream(aws.url, "by-alias", "alias/orders")
    make_stream(aws.url, "by-alias-arn", alias_arn)
    make_stream(aws.url, "by-arn", key["Arn"])
    make_stream(aws.url, "by-id", key["KeyId"])
    found, report = scan(aws.url, "us-east-1")
    for name in ("by-alias", "by-alias-arn", "by-arn", "by-id"):
        assert verdict(found[arn(name)]) == ("pass", "KSSE000", []), name
        assert found[arn(name)]["evidence"]["key"]["arn"] == key["Arn"]
    assert found[arn("by-alias")]["evidence"]["source_facts"]["kms:ListAliases"] == {
        "AliasName": "alias/orders", "AliasArn": alias_arn, "TargetKeyId": key["KeyId"]}
    assert found[arn("by-alias")]["message"] == "encrypted with KMS key alias/orders"
    ops = report["api_operations"]
    assert (ops["kms:ListAliases"], ops["kms:DescribeKey"], ops["kms:GetKeyPolicy"]) == (1, 1, 1)
    assert len(aws.behaviour.calls("kms:DescribeKey")) == 1


def test_aws_managed_alias_without_any_kms_call(aws: MotoAws) -> None:
    make_stream(aws.url, "managed", "alias/aws/kinesis")
    make_stream(aws.url, "managed-arn", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesis")
    make_stream(aws.url, "managed-elsewhere", f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/kinesis")
    found, report = scan(aws.url, "us-east-1")
    assert verdict(found[arn("managed")]) == ("pass", "KSSE000", ["KSSE010"])
    assert found[arn("managed")]["message"] == "encrypted with KMS key alias/aws/kinesis (the AWS-managed key)"
    assert found[arn("managed")]["evidence"]["key"]["manager"] == "AWS"
    assert found[arn("managed")]["evidence"]["key"]["state"] == "Enabled"
    assert verdict(found[arn("managed-arn")]) == ("pass", "KSSE000", ["KSSE010"])
    # The alias ARN names another region: that region's AWS-managed key cannot encrypt this stream.
    assert verdict(found[arn("managed-elsewhere")]) == ("fail", "KSSE011", ["KSSE010"])
    assert found[arn("managed-elsewhere")]["evidence"]["key"]["region"] == "eu-west-1"
    assert "kms" not in report["api_calls"]
    assert [c for c in aws.behaviour.calls() if c.operation.startswith("kms:")] == []


def test_aws_managed_key_named_by_id(aws: MotoAws) -> None:
    key = make_key(aws.url)
    # moto creates every key as CUSTOMER; the in-process backend lets the test make it AWS-managed.
    kms_backends[ACCOUNT]["us-east-1"].keys[key["KeyId"]].key_manager = "AWS"
    make_stream(aws.url, "managed-by-id", key["KeyId"])
    found, report = scan(aws.url, "us-east-1")
    assert verdict(found[arn("managed-by-id")]) == ("pass", "KSSE000", ["KSSE010"])
    assert found[arn("managed-by-id")]["evidence"]["source_facts"]["kms:DescribeKey"]["KeyManager"] == "AWS"
    assert report["api_operations"]["kms:DescribeKey"] == 1
    assert "kms:GetKeyPolicy" not in report["api_operations"]


def test_unusable_keys(aws: MotoAws) -> None:
    kms = client(aws.url, "kms")
    disabled = make_key(aws.url, policy="kinesis-service-principal")
    kms.disable_key(KeyId=disabled["KeyId"])
    pending = make_key(aws.url, policy="kinesis-service-principal")
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    make_stream(aws.url, "disabled", disabled["KeyId"])
    make_stream(aws.url, "pending", pending["KeyId"])
    # moto accepts any KeyId; on AWS a missing key is one deleted after the stream was encrypted with it.
    missing_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    make_stream(aws.url, "missing", missing_id)
    make_stream(aws.url, "missing-alias", "alias/gone")
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("disabled")]) == ("fail", "KSSE014", [])
    assert found[arn("disabled")]["message"] == f"key {disabled['KeyId']} is not usable: Disabled"
    assert verdict(found[arn("pending")]) == ("fail", "KSSE014", [])
    assert found[arn("pending")]["message"] == f"key {pending['KeyId']} is not usable: PendingDeletion"
    assert verdict(found[arn("missing")]) == ("fail", "KSSE014", [])
    assert found[arn("missing")]["message"] == f"key {missing_id} is not usable: Missing"
    assert found[arn("missing")]["evidence"]["key"]["policy"] == {
        "not_known": f"key {missing_id} does not exist in aws://{ACCOUNT}/us-east-1"}
    assert verdict(found[arn("missing-alias")]) == ("fail", "KSSE014", [])
    assert found[arn("missing-alias")]["message"] == "key alias/gone is not usable: Missing"


def test_key_in_another_region(aws: MotoAws) -> None:
    key = make_key(aws.url, region="eu-west-1", policy="kinesis-service-principal")
    make_stream(aws.url, "cross-region", key["Arn"])
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("cross-region")]) == ("fail", "KSSE011", [])
    assert found[arn("cross-region")]["message"] == (
        f"key {key['Arn']} is in region eu-west-1, the stream is in us-east-1")
    assert found[arn("cross-region")]["evidence"]["key"]["state"] == "Enabled"


def test_key_of_another_account_is_out_of_reach(aws: MotoAws) -> None:
    foreign = "arn:aws:kms:us-east-1:999999999999:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    make_stream(aws.url, "foreign", foreign)
    found, report = scan(aws.url, "us-east-1")
    finding = found[arn("foreign")]
    assert verdict(finding) == ("pass", "KSSE000", [])
    assert sorted(finding["evidence"]["key_checks_not_run"]) == ["KSSE012", "KSSE013", "KSSE014", "KSSE015",
                                                                 "KSSE016"]
    assert finding["evidence"]["key"]["region"] == "us-east-1"
    assert "kms" not in report["api_calls"]


def test_updating_stream_and_missing_fields(aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "updating", key["KeyId"])
    make_stream(aws.url, "no-type")
    make_stream(aws.url, "no-key-id", key["KeyId"])
    streams = kinesis_backends[ACCOUNT]["us-east-1"].streams
    streams["updating"].status = "UPDATING"
    # Fields AWS always returns, removed in the backend to check that an incomplete answer is never a NONE.
    streams["no-type"].encryption_type = None
    streams["no-key-id"].key_id = None
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("updating")]) == ("pass", "KSSE000", ["KSSE022"])
    assert verdict(found[arn("no-type")]) == ("unknown", "KSSE021", [])
    assert found[arn("no-type")]["message"] == (
        "kinesis:DescribeStreamSummary returned no EncryptionType for stream no-type; to resolve: check the stream "
        "with aws kinesis describe-stream-summary --stream-name no-type and scan again")
    assert verdict(found[arn("no-key-id")]) == ("unknown", "KSSE021", [])
    assert found[arn("no-key-id")]["message"].startswith(
        "kinesis:DescribeStreamSummary returned no KeyId for stream no-key-id")


# --- regions, accounts, paging -------------------------------------------------------------------------------


def test_several_regions(aws: MotoAws) -> None:
    make_stream(aws.url, "east", "alias/aws/kinesis", region="us-east-1")
    make_stream(aws.url, "west", region="eu-west-1")
    make_stream(aws.url, "south", "alias/aws/kinesis", region="ap-southeast-2")
    found, report = scan(aws.url, "us-east-1", "eu-west-1", "ap-southeast-2")
    assert verdict(found[arn("east")]) == ("pass", "KSSE000", ["KSSE010"])
    assert verdict(found[arn("west", "eu-west-1")]) == ("fail", "KSSE002", [])
    assert verdict(found[arn("south", "ap-southeast-2")]) == ("pass", "KSSE000", ["KSSE010"])
    assert found[arn("south", "ap-southeast-2")]["source"]["path"] == f"aws://{ACCOUNT}/ap-southeast-2"
    assert sorted(i["location"] for i in report["inputs"]) == [
        f"aws://{ACCOUNT}/ap-southeast-2", f"aws://{ACCOUNT}/eu-west-1", f"aws://{ACCOUNT}/us-east-1"]


def test_all_enabled_regions(aws: MotoAws) -> None:
    make_stream(aws.url, "far", region="sa-east-1")
    regions = sorted(r["RegionName"] for r in client(aws.url, "ec2").describe_regions()["Regions"])
    # The listing rate is raised here only to keep the test short; the limiter has its own tests.
    found, report = scan(aws.url, "all", tps=FAST_LISTING)
    assert [i["location"] for i in report["inputs"]] == [f"aws://{ACCOUNT}/{r}" for r in regions]
    assert list(found) == [arn("far", "sa-east-1")]
    assert report["api_operations"]["ec2:DescribeRegions"] == 1
    assert report["api_operations"]["kinesis:ListStreams"] == len(regions)


def test_pages_by_exclusive_start_stream_name(aws: MotoAws) -> None:
    names = [f"s{i:02d}" for i in range(25)]
    for name in names:
        make_stream(aws.url, name)
    found, _ = scan(aws.url, "us-east-1")
    assert sorted(found) == sorted(arn(n) for n in names)
    listed = aws.behaviour.calls("kinesis:ListStreams")
    # moto's paging: 10 names a page, HasMoreStreams, no NextToken.
    assert [c.params for c in listed] == [{}, {"ExclusiveStartStreamName": "s09"},
                                          {"ExclusiveStartStreamName": "s19"}]


def test_pages_by_next_token(aws: MotoAws) -> None:
    names = [f"t{i:02d}" for i in range(23)]
    for name in names:
        make_stream(aws.url, name)
    aws.behaviour.token_paging = True  # answer as AWS does: an opaque NextToken on every page but the last
    found, _ = scan(aws.url, "us-east-1")
    assert sorted(found) == sorted(arn(n) for n in names)
    listed = aws.behaviour.calls("kinesis:ListStreams")
    assert len(listed) == 3
    assert listed[0].params == {}
    assert all(set(c.params) == {"NextToken"} for c in listed[1:])


def test_accounts_through_assume_role(aws: MotoAws) -> None:
    first, second = "111111111111", "222222222222"
    creds_first, creds_second = assume(aws.url, first), assume(aws.url, second)
    key = make_key(aws.url, policy="root-delegation-only", creds=creds_first)
    make_stream(aws.url, "orders", key["KeyId"], creds=creds_first)
    make_stream(aws.url, "orders", creds=creds_second)
    make_stream(aws.url, "not-scanned")  # the caller's own account is not scanned when roles are given
    found, report = scan(aws.url, "us-east-1", role_arns=(role_arn(first), role_arn(second)))
    assert sorted(found) == [arn("orders", account=first), arn("orders", account=second)]
    # the fixture policy delegates to the root of account 123456789012, outside this key's account: KSSE016
    assert verdict(found[arn("orders", account=first)]) == ("pass", "KSSE000", ["KSSE013", "KSSE016"])
    assert found[arn("orders", account=first)]["resource"]["account"] == first
    assert verdict(found[arn("orders", account=second)]) == ("fail", "KSSE002", [])
    assert sorted(i["location"] for i in report["inputs"]) == [f"aws://{first}/us-east-1",
                                                               f"aws://{second}/us-east-1"]
    assert report["api_operations"]["sts:AssumeRole"] == 2


def test_organization_accounts(aws: MotoAws) -> None:
    org = client(aws.url, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    closed = org.create_account(Email="closed@example.com", AccountName="closed")["CreateAccountStatus"]["AccountId"]
    org.close_account(AccountId=closed)
    make_stream(aws.url, "in-member", creds=assume(aws.url, member, "OrgScanner"))
    make_stream(aws.url, "in-closed", creds=assume(aws.url, closed, "OrgScanner"))
    make_stream(aws.url, "in-management", "alias/aws/kinesis")
    before = len(aws.behaviour.calls("sts:AssumeRole"))
    found, report = scan(aws.url, "us-east-1", org_role="OrgScanner")
    assert sorted(found) == sorted([arn("in-member", account=member), arn("in-management")])
    assert sorted(i["location"] for i in report["inputs"]) == sorted(
        [f"aws://{member}/us-east-1", f"aws://{ACCOUNT}/us-east-1"])
    roles = sorted(c.params["RoleArn"] for c in aws.behaviour.calls("sts:AssumeRole")[before:])
    assert roles == sorted([role_arn(member, "OrgScanner"), role_arn(ACCOUNT, "OrgScanner")])


# --- API errors ------------------------------------------------------------------------------------------------

ALLOW_ALL = {"Effect": "Allow", "Action": ["kinesis:*", "kms:*", "sts:*", "ec2:DescribeRegions"], "Resource": "*"}


def deny(*actions: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": list(actions), "Resource": "*"}


def test_access_denied_on_describe_stream_summary(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    make_stream(aws.url, "secret", "alias/aws/kinesis")
    use_creds(monkeypatch, iam_user(aws.url, "no-describe", [ALLOW_ALL, deny("kinesis:DescribeStreamSummary")]))
    with aws.iam_enforced():
        found, report = scan(aws.url, "us-east-1")
    finding = found[arn("secret")]
    assert verdict(finding) == ("unknown", "KSSE021", [])
    assert finding["message"] == (
        f"kinesis:DescribeStreamSummary failed: AccessDenied: User: arn:aws:iam::{ACCOUNT}:user/no-describe is not "
        "authorized to perform: kinesis:DescribeStreamSummary; to resolve: grant kinesis:DescribeStreamSummary on "
        "stream secret to the scanning principal (IAM policy, SCP, key policy) and scan again")
    assert finding["evidence"]["encryption_type"]["code"] == "KSSE021"
    assert report["summary"] == {"pass": 0, "fail": 0, "unknown": 1, "suppressed": 0}


def test_access_denied_on_get_key_policy(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "guarded", key["KeyId"])
    make_stream(aws.url, "open")
    use_creds(monkeypatch, iam_user(aws.url, "no-policy", [ALLOW_ALL, deny("kms:GetKeyPolicy")]))
    with aws.iam_enforced():
        found, _ = scan(aws.url, "us-east-1")
    guarded = found[arn("guarded")]
    assert verdict(guarded) == ("unknown", "KSSE021", [])
    assert guarded["message"].startswith(
        f"kms:GetKeyPolicy failed: AccessDenied: User: arn:aws:iam::{ACCOUNT}:user/no-policy is not authorized to "
        f"perform: kms:GetKeyPolicy; to resolve: grant kms:GetKeyPolicy on {key['Arn']}")
    assert guarded["evidence"]["key"]["state"] == "Enabled"
    assert sorted(guarded["evidence"]["key_checks_not_run"]) == ["KSSE012", "KSSE013", "KSSE016"]
    # The scan went on: the other stream is judged.
    assert verdict(found[arn("open")]) == ("fail", "KSSE002", [])


def test_access_denied_on_list_streams(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    make_stream(aws.url, "hidden")
    use_creds(monkeypatch, iam_user(aws.url, "no-list", [ALLOW_ALL, deny("kinesis:ListStreams")]))
    with aws.iam_enforced():
        found, report = scan(aws.url, "us-east-1", "eu-west-1")
    assert sorted(found) == [f"aws://{ACCOUNT}/eu-west-1", f"aws://{ACCOUNT}/us-east-1"]
    region = found[f"aws://{ACCOUNT}/us-east-1"]
    assert verdict(region) == ("unknown", "KSSE021", [])
    assert region["message"].startswith("kinesis:ListStreams failed: AccessDenied: ")
    assert region["resource"]["region"] == "us-east-1"
    assert len(report["inputs"]) == 2


def test_access_denied_on_describe_regions(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    use_creds(monkeypatch, iam_user(aws.url, "no-regions", [ALLOW_ALL, deny("ec2:DescribeRegions")]))
    with aws.iam_enforced():
        found, report = scan(aws.url, "all", "eu-west-1")
    # The account's enabled regions are not known; the region named too is still scanned.
    assert sorted(found) == [f"aws://{ACCOUNT}"]
    assert verdict(found[f"aws://{ACCOUNT}"]) == ("unknown", "KSSE021", [])
    assert found[f"aws://{ACCOUNT}"]["message"].startswith("ec2:DescribeRegions failed: AccessDenied")
    assert report["inputs"] == [{"kind": "aws", "location": f"aws://{ACCOUNT}/eu-west-1"}]


def test_assume_role_denied(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    use_creds(monkeypatch, iam_user(aws.url, "no-assume", [ALLOW_ALL, deny("sts:AssumeRole")]))
    with aws.iam_enforced():
        found, _ = scan(aws.url, "us-east-1", role_arns=(role_arn("111111111111"),))
    assert list(found) == ["aws://111111111111/us-east-1"]
    assert verdict(found["aws://111111111111/us-east-1"]) == ("unknown", "KSSE021", [])
    assert found["aws://111111111111/us-east-1"]["message"].startswith("sts:AssumeRole failed: AccessDenied")


def test_throttled_call_is_retried(aws: MotoAws) -> None:
    make_stream(aws.url, "busy", "alias/aws/kinesis")
    aws.behaviour.throttle("kinesis:DescribeStreamSummary", 2)
    found, report = scan(aws.url, "us-east-1")
    assert verdict(found[arn("busy")]) == ("pass", "KSSE000", ["KSSE010"])
    assert report["api_operations"]["kinesis:DescribeStreamSummary"] == 1
    assert len(aws.behaviour.calls("kinesis:DescribeStreamSummary")) == 3
    assert report["http_requests"]["kinesis"] == report["api_calls"]["kinesis"] + 2


def test_throttled_after_retries_is_unknown(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    make_stream(aws.url, "busy", "alias/aws/kinesis")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    aws.behaviour.throttle("kinesis:DescribeStreamSummary", 5)
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("busy")]) == ("unknown", "KSSE021", [])
    assert found[arn("busy")]["message"] == (
        "kinesis:DescribeStreamSummary failed: LimitExceededException: Rate exceeded; to resolve: the call was still "
        "throttled after botocore's adaptive retries: scan again later, or raise AWS_MAX_ATTEMPTS")
    assert len(aws.behaviour.calls("kinesis:DescribeStreamSummary")) == 2


# --- setup errors and limits ---------------------------------------------------------------------------------


def test_no_region_is_a_setup_error(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsSetupError, match=r"^no region: give --region"):
        scan_aws(AwsScanOptions(endpoint_url=aws.url))


def test_default_region_is_the_sessions(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    make_stream(aws.url, "here", region="eu-central-1")
    done = scan_aws(AwsScanOptions(endpoint_url=aws.url))
    assert [s.address for s in done.result.streams] == [arn("here", "eu-central-1")]


def test_aws_region_wins_over_aws_default_region_as_in_the_aws_cli(aws: MotoAws,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    make_stream(aws.url, "there", region="eu-west-3")
    make_stream(aws.url, "not-here", region="eu-central-1")
    done = scan_aws(AwsScanOptions(endpoint_url=aws.url))
    assert [s.address for s in done.result.streams] == [arn("there", "eu-west-3")]


def test_malformed_role_arn_is_a_setup_error(aws: MotoAws) -> None:
    with pytest.raises(AwsSetupError, match="not an IAM role ARN"):
        scan_aws(AwsScanOptions(endpoint_url=aws.url, regions=("us-east-1",), role_arns=("arn:aws:iam::1:user/x",)))


def test_describe_stream_summary_stays_under_twenty_a_second(aws: MotoAws) -> None:
    for i in range(45):
        make_stream(aws.url, f"r{i:02d}")
    # The scan's time stands still and its waits are recorded, not slept: what the limiter decided is asserted,
    # whatever order the threads reach it in.
    waits: list[float] = []
    found, _ = scan(aws.url, "us-east-1", "eu-west-1", clock=lambda: 0.0, sleep=waits.append)
    assert len(found) == 45
    assert len(aws.behaviour.calls("kinesis:DescribeStreamSummary")) == 45
    assert "kinesis:DescribeStream" not in {c.operation for c in aws.behaviour.calls()}
    # A bucket of 20 a second that starts full: 20 at once, then one every 50 ms. The 5 ListStreams pages of
    # us-east-1 (moto pages ten names at a time) fit its burst of 5: no wait.
    assert sorted(waits) == pytest.approx([n / 20 for n in range(1, 26)])
