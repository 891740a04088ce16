"""Key governance (issue 13): rotation (KSSE015) and who can decrypt (KSSE016), from the policy analysis through
the judge to live keys read over HTTP from moto. The one-rule table (test_one_rule_every_source.py) shows both codes
from every source file kind; this file pins the rules' edges and the live path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_server import ACCOUNT, Creds, MotoAws, arn, client, iam_user, make_key, make_stream, scan, verdict
from sseguard import keypolicy
from sseguard.control.evaluate import evaluate, evidence
from sseguard.model import Key, KeyGrant, KeyManager, KeyState, Location, OutOfReach, SourceKind, Status, Stream

OTHER = "444455556666"
HOME = "111122223333"
ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"}, "Action": "kms:*",
        "Resource": "*"}
KINESIS = {"Sid": "Kinesis", "Effect": "Allow", "Principal": {"Service": "kinesis.amazonaws.com"},
           "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
KINESIS_DECRYPTS = {"principal": "service:kinesis.amazonaws.com", "via": "statement 'Kinesis'", "conditions": [],
                    "pinned": False, "outside_account": False}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """The account's IAM and the Kinesis service may use the key (nothing fails, nothing else is advised), and
    ``statements``."""
    return {"Version": "2012-10-17", "Statement": [ROOT, KINESIS, *statements]}


def decrypt(principal: Any, action: Any = "kms:Decrypt", condition: dict[str, Any] | None = None,
            sid: str = "Reader") -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


NOT_LISTED = OutOfReach("grants are listed only live")


def judged(doc: dict[str, Any], *, account: str | None = HOME, rotation: Any = True,
           grants: Any = NOT_LISTED) -> tuple[Stream, Any]:
    key = Key("alias/app", region="eu-west-1", manager=KeyManager.CUSTOMER, state=KeyState.ENABLED, policy=doc,
              rotation=rotation, grants=grants)
    s = Stream("aws_kinesis_stream.s", "aws_kinesis_stream", Location(SourceKind.TERRAFORM, "main.tf", 1), "KMS",
               "alias/app", key, region="eu-west-1", account=account)
    return s, evaluate(s)


# --- who can decrypt: the policy analysis -------------------------------------------------------------------------


def test_every_way_to_decrypt_is_listed_with_its_conditions() -> None:
    doc = policy(
        decrypt({"AWS": [f"arn:aws:iam::{OTHER}:role/reader", "777788889999"]}, ["kms:Decrypt", "kms:Encrypt"]),
        decrypt("*", "*", {"StringEquals": {"kms:CallerAccount": HOME,
                                            "kms:ViaService": "kinesis.eu-west-1.amazonaws.com"}},
                sid="ThroughKinesis"),
        decrypt({"Service": "kinesis.amazonaws.com"}, "kms:GenerateDataKey", sid="ProducerOnly"),
    )
    assert keypolicy.decrypt_access(doc) == (
        keypolicy.DecryptAccess(f"arn:aws:iam::{HOME}:root", "statement 'Root'"),
        keypolicy.DecryptAccess("service:kinesis.amazonaws.com", "statement 'Kinesis'"),
        keypolicy.DecryptAccess("arn:aws:iam::444455556666:role/reader", "statement 'Reader'"),
        keypolicy.DecryptAccess("arn:aws:iam::777788889999:root", "statement 'Reader'"),
        keypolicy.DecryptAccess("*", "statement 'ThroughKinesis'", (
            'StringEquals kms:CallerAccount = "111122223333"',
            'StringEquals kms:ViaService = "kinesis.eu-west-1.amazonaws.com"'), pinned=True),
    )


def test_a_deny_without_condition_takes_decrypt_away_and_a_negated_condition_does_not_pin() -> None:
    doc = policy(
        decrypt({"AWS": f"arn:aws:iam::{OTHER}:root"}),
        {"Sid": "NoOther", "Effect": "Deny", "Principal": {"AWS": OTHER}, "Action": "kms:*", "Resource": "*"},
        decrypt("*", condition={"StringNotEquals": {"kms:CallerAccount": HOME}}, sid="Odd"),
    )
    assert [(a.principal, a.pinned) for a in keypolicy.decrypt_access(doc)] == [
        (f"arn:aws:iam::{HOME}:root", False), ("service:kinesis.amazonaws.com", False), ("*", False)]


def test_grants_with_decrypt_are_ways_to_decrypt_and_their_constraints_do_not_pin() -> None:
    grants = (KeyGrant("g1", f"arn:aws:iam::{OTHER}:role/app", ("Decrypt", "Encrypt"),
                       {"EncryptionContextEquals": {"app": "x"}}),
              KeyGrant("g2", f"arn:aws:iam::{OTHER}:role/writer", ("GenerateDataKey",)))
    assert keypolicy.grant_decrypt_access(grants) == (
        keypolicy.DecryptAccess(f"arn:aws:iam::{OTHER}:role/app", "grant g1",
                                ('EncryptionContextEquals {"app": "x"}',)),)


# --- KSSE016 in the judge -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("statement", "advised"), [
    pytest.param(decrypt({"AWS": f"arn:aws:iam::{OTHER}:root"}), True, id="another-account"),
    pytest.param(decrypt({"AWS": f"arn:aws:iam::{HOME}:role/reader"}), False, id="own-account-role"),
    pytest.param(decrypt("*"), True, id="everyone"),
    pytest.param(decrypt({"AWS": "*"}, "kms:*"), True, id="everyone-kms-star"),
    pytest.param(decrypt("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}), False, id="org-pinned"),
    pytest.param(decrypt({"AWS": f"arn:aws:iam::{OTHER}:root"},
                         condition={"StringEquals": {"aws:PrincipalAccount": OTHER}}), False, id="account-pinned"),
    pytest.param(decrypt({"Service": "logs.amazonaws.com"}), False, id="service"),
    pytest.param(decrypt({"AWS": "arn:aws:iam::${AWS::AccountId}:root"}), False, id="own-account-placeholder"),
])
def test_ksse016_is_advised_when_someone_outside_can_decrypt_unpinned(statement: dict[str, Any],
                                                                      advised: bool) -> None:
    _, v = judged(policy(statement))
    assert (v.status, v.code, v.advisories, dict(v.skipped_checks)) == (
        Status.PASS, "KSSE000", ("KSSE016",) if advised else (), {})


def test_ksse016_never_hides_a_fail() -> None:
    doc = {"Version": "2012-10-17", "Statement": [decrypt("*", "kms:Decrypt")]}  # nobody may GenerateDataKey
    _, v = judged(doc, rotation=False)
    assert (v.status, v.code, v.advisories) == (Status.FAIL, "KSSE012", ("KSSE013", "KSSE015", "KSSE016"))


def test_with_the_stream_account_unknown_an_account_principal_leaves_ksse016_not_run() -> None:
    s, v = judged(policy(decrypt({"AWS": f"arn:aws:iam::{OTHER}:root"})), account=None)
    assert (v.status, v.code, v.advisories) == (Status.PASS, "KSSE000", ())
    assert v.skipped_checks == {"KSSE016": (
        f"the stream's account is not known, so whether arn:aws:iam::{HOME}:root, arn:aws:iam::{OTHER}:root is "
        "outside it cannot be told; scan the live stream (sseguard aws) or the state")}
    assert evidence(s, v)["key"]["decrypt_principals"] == [
        {"principal": f"arn:aws:iam::{HOME}:root", "via": "statement 'Root'", "conditions": [], "pinned": False,
         "outside_account": None},
        KINESIS_DECRYPTS,
        {"principal": f"arn:aws:iam::{OTHER}:root", "via": "statement 'Reader'", "conditions": [], "pinned": False,
         "outside_account": None}]


def test_a_principal_that_names_no_account_leaves_ksse016_not_run() -> None:
    _, v = judged(policy(decrypt({"Federated": "accounts.google.com"})))
    assert (v.status, v.advisories) == (Status.PASS, ())
    assert v.skipped_checks == {"KSSE016": (
        f"whether federated:accounts.google.com is outside account {HOME} cannot be told from the key policy; check "
        "these principals by hand")}


def test_a_live_grant_to_another_account_is_ksse016_and_unlisted_grants_leave_it_not_run() -> None:
    grant = KeyGrant("g1", f"arn:aws:iam::{OTHER}:role/app", ("Decrypt",))
    _, v = judged(policy(), grants=(grant,))
    assert v.advisories == ("KSSE016",)
    from sseguard.model import Unknown

    denied = Unknown("kms:ListGrants failed: AccessDenied", "grant kms:ListGrants", "KSSE021")
    _, v = judged(policy(), grants=denied)
    assert (v.status, v.advisories) == (Status.PASS, ())
    assert v.skipped_checks == {"KSSE016": "the key's grants could not be listed: kms:ListGrants failed: "
                                           "AccessDenied; to resolve: grant kms:ListGrants"}


# --- KSSE015 in the judge -------------------------------------------------------------------------------------------


def test_ksse015_for_a_customer_key_whose_rotation_is_off_and_never_for_the_aws_managed_key() -> None:
    _, v = judged(policy(), rotation=False)
    assert (v.status, v.code, v.advisories) == (Status.PASS, "KSSE000", ("KSSE015",))
    managed = Stream("aws_kinesis_stream.m", "aws_kinesis_stream", Location(SourceKind.TERRAFORM, "main.tf", 1),
                     "KMS", "alias/aws/kinesis", region="eu-west-1")
    v = evaluate(managed)
    assert (v.status, v.code, v.advisories, dict(v.skipped_checks)) == (Status.PASS, "KSSE000", ("KSSE010",), {})
    # live, DescribeKey says KeyManager AWS: neither rotation nor the policy are the account's to check
    described = Key("alias/aws/kinesis", region="eu-west-1", manager=KeyManager.AWS, state=KeyState.ENABLED)
    managed = Stream("aws_kinesis_stream.m", "aws_kinesis_stream", Location(SourceKind.AWS, "aws://1/eu-west-1"),
                     "KMS", "alias/aws/kinesis", described, region="eu-west-1")
    v = evaluate(managed)
    assert (v.advisories, dict(v.skipped_checks)) == (("KSSE010",), {})
    assert evidence(managed, v)["key"]["rotation"] == {
        "not_known": "AWS rotates the AWS-managed key itself, on its own schedule"}


def test_rotation_out_of_reach_is_a_named_check_not_run() -> None:
    _, v = judged(policy(), rotation=OutOfReach("enable_key_rotation of aws_kms_key.k cannot be resolved: var.r"))
    assert (v.status, v.advisories) == (Status.PASS, ())
    assert v.skipped_checks == {"KSSE015": "enable_key_rotation of aws_kms_key.k cannot be resolved: var.r"}


# --- sources: what each says of rotation ----------------------------------------------------------------------------


def test_terraform_rotation_settings(tmp_path: Any) -> None:
    from helpers import scan as run_scan

    (tmp_path / "main.tf").write_text("""provider "aws" {
  region = "eu-west-1"
}

variable "rotate" {
  type = bool
}

resource "aws_kinesis_stream" "on" {
  name            = "on"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.on.arn
}

resource "aws_kinesis_stream" "later" {
  name            = "later"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.later.arn
}

resource "aws_kms_key" "on" {
  enable_key_rotation     = true
  rotation_period_in_days = 180
}

resource "aws_kms_key" "later" {
  enable_key_rotation = var.rotate
}
""", encoding="utf-8")
    run = run_scan(tmp_path)
    on = run.finding("aws_kinesis_stream.on")
    assert (on["advisories"], on["evidence"]["key"]["rotation"], on["evidence"]["key"]["rotation_period_days"]) == (
        ["KSSE013"], True, 180)
    later = run.finding("aws_kinesis_stream.later")
    assert later["advisories"] == ["KSSE013"]
    assert later["evidence"]["key_checks_not_run"]["KSSE015"].startswith(
        "enable_key_rotation of aws_kms_key.later cannot be resolved: ")


def test_cloudformation_rotation_period_is_evidence(tmp_path: Any) -> None:
    from helpers import scan as run_scan

    (tmp_path / "template.yaml").write_text("""Resources:
  S:
    Type: AWS::Kinesis::Stream
    Properties:
      StreamEncryption: {EncryptionType: KMS, KeyId: !Ref K}
  K:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: "true"
      RotationPeriodInDays: 90
""", encoding="utf-8")
    run = run_scan(tmp_path, args=["--region", "eu-west-1"])
    s = run.finding("S")
    assert (s["status"], s["advisories"]) == ("pass", ["KSSE013"])
    assert (s["evidence"]["key"]["rotation"], s["evidence"]["key"]["rotation_period_days"]) == (True, 90)


# --- live, through moto over HTTP -----------------------------------------------------------------------------------


def cross_account_policy() -> str:
    return json.dumps(policy(decrypt({"AWS": f"arn:aws:iam::{OTHER}:role/reader"}))).replace(HOME, ACCOUNT)


def test_live_rotation_off_then_on(aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal", rotation=False)
    make_stream(aws.url, "s", key["KeyId"])
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("s")]) == ("pass", "KSSE000", ["KSSE015"])
    client(aws.url, "kms").enable_key_rotation(KeyId=key["KeyId"])
    found, _ = scan(aws.url, "us-east-1")
    assert verdict(found[arn("s")]) == ("pass", "KSSE000", [])
    assert found[arn("s")]["evidence"]["key"]["rotation"] is True
    assert len(aws.behaviour.calls("kms:GetKeyRotationStatus")) == 2  # once per key and scan


def test_live_key_policy_and_grants_list_who_can_decrypt(aws: MotoAws) -> None:
    kms = client(aws.url, "kms")
    key = kms.create_key(Policy=cross_account_policy())["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/consumer",
                             Operations=["Decrypt"])
    make_stream(aws.url, "a", key["Arn"])
    make_stream(aws.url, "b", key["KeyId"])
    found, _ = scan(aws.url, "us-east-1")
    for name in ("a", "b"):
        assert verdict(found[arn(name)]) == ("pass", "KSSE000", ["KSSE016"])
    assert found[arn("a")]["evidence"]["key"]["decrypt_principals"] == [
        {"principal": f"arn:aws:iam::{ACCOUNT}:root", "via": "statement 'Root'", "conditions": [], "pinned": False,
         "outside_account": False},
        KINESIS_DECRYPTS,
        {"principal": f"arn:aws:iam::{OTHER}:role/reader", "via": "statement 'Reader'", "conditions": [],
         "pinned": False, "outside_account": True},
        {"principal": f"arn:aws:iam::{ACCOUNT}:role/consumer", "via": f"grant {grant['GrantId']}", "conditions": [],
         "pinned": False, "outside_account": False}]
    # one key, two streams: each call once
    assert [len(aws.behaviour.calls(c)) for c in ("kms:GetKeyRotationStatus", "kms:ListGrants")] == [1, 1]


def test_a_live_grant_to_another_account_alone_is_ksse016(aws: MotoAws) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    grant = client(aws.url, "kms").create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{OTHER}:role/etl",
                                                Operations=["Decrypt", "DescribeKey"])
    make_stream(aws.url, "s", key["KeyId"])
    found, _ = scan(aws.url, "us-east-1")
    s = found[arn("s")]
    assert verdict(s) == ("pass", "KSSE000", ["KSSE016"])
    assert s["evidence"]["key"]["grants"] == [
        {"grant_id": grant["GrantId"], "grantee": f"arn:aws:iam::{OTHER}:role/etl",
         "operations": ["Decrypt", "DescribeKey"], "constraints": {}, "name": None}]
    assert s["evidence"]["key"]["decrypt_principals"][-1] == {
        "principal": f"arn:aws:iam::{OTHER}:role/etl", "via": f"grant {grant['GrantId']}", "conditions": [],
        "pinned": False, "outside_account": True}


def test_access_denied_on_rotation_and_grants_leaves_only_those_checks_not_run(aws: MotoAws,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key(aws.url, policy="kinesis-service-principal")
    make_stream(aws.url, "s", key["KeyId"])
    allow = {"Effect": "Allow", "Action": ["kinesis:*", "kms:*", "sts:*", "ec2:DescribeRegions"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": ["kms:GetKeyRotationStatus", "kms:ListGrants"], "Resource": "*"}
    creds: Creds = iam_user(aws.url, "no-governance", [allow, deny])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    with aws.iam_enforced():
        found, _ = scan(aws.url, "us-east-1")
    s = found[arn("s")]
    assert verdict(s) == ("pass", "KSSE000", [])
    user = f"arn:aws:iam::{ACCOUNT}:user/no-governance"
    assert s["evidence"]["key_checks_not_run"] == {
        "KSSE015": f"kms:GetKeyRotationStatus failed: AccessDenied: User: {user} is not authorized to perform: "
                   f"kms:GetKeyRotationStatus; to resolve: grant kms:GetKeyRotationStatus on {key['Arn']} to the "
                   "scanning principal (IAM policy, SCP, key policy) and scan again",
        "KSSE016": f"the key's grants could not be listed: kms:ListGrants failed: AccessDenied: User: {user} is not "
                   f"authorized to perform: kms:ListGrants; to resolve: grant kms:ListGrants on {key['Arn']} to the "
                   "scanning principal (IAM policy, SCP, key policy) and scan again"}
    assert s["message"] == f"encrypted with KMS key {key['KeyId']}; 2 key checks could not run: KSSE015, KSSE016"


# --- reports --------------------------------------------------------------------------------------------------------


def test_text_and_html_reports_name_who_can_decrypt() -> None:
    from sseguard.options import ScanOptions
    from sseguard.report import FORMATS, RenderOptions
    from sseguard.report.core import Report
    from sseguard.scan import judge

    s, _ = judged(policy(decrypt("*")))
    report = Report(judge([s], ScanOptions()))
    lines = FORMATS["text"](report, RenderOptions()).splitlines()
    at = lines.index("             advisory KSSE016: A principal outside the stream's account, or everyone, can "
                     "decrypt with the key")
    assert lines[at + 1:at + 3] == ["               can decrypt: * via statement 'Reader'", ""]
    html = FORMATS["html"](report, RenderOptions())
    assert ("<h3>Who can decrypt</h3><ul><li>arn:aws:iam::111122223333:root via statement &#x27;Root&#x27;</li>"
            "<li>service:kinesis.amazonaws.com via statement &#x27;Kinesis&#x27;</li><li>* via statement "
            "&#x27;Reader&#x27;; outside the stream&#x27;s account</li></ul>") in html
