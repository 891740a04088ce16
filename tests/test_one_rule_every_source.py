"""One rule, every source (issue 15): for each reason code, the same stream written as Terraform, CloudFormation, a
plan, a state and saved describe-stream output (wherever the code can arise there) gets the same verdict.

The table below is the one place that shows how each code looks in each input kind, after Trivy's good/bad
examples per check. Each snippet is written to a file and scanned through its source as ``sseguard scan`` does;
every stream is in eu-west-1 (the provider's region, ``--region`` for the template, the ARN elsewhere).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sseguard.options import ScanOptions
from sseguard.scan import scan_paths

ACCOUNT = "111122223333"
REGION = "eu-west-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EAST_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s"

# A key policy that lets the account's IAM and the Kinesis service use the key: nothing fails, nothing is advised.
GOOD_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "Kinesis", "Effect": "Allow", "Principal": {"Service": "kinesis.amazonaws.com"},
     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}]}
# One that lets no one use the key for Kinesis (KSSE012, and so no service principal either: KSSE013).
DENYING_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
     "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}]}

# GOOD_POLICY, and everyone (*) may decrypt with no condition pinning an account (KSSE016).
OPEN_POLICY = {"Version": "2012-10-17", "Statement": [
    *GOOD_POLICY["Statement"],
    {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}

TF_PROVIDER = f'provider "aws" {{\n  region = "{REGION}"\n}}\n\n'


def tf(body: str) -> str:
    return TF_PROVIDER + body


def tf_stream(attrs: str) -> str:
    return tf(f'resource "aws_kinesis_stream" "s" {{\n  name = "s"\n{attrs}}}\n')


def tf_key_stream(key_attrs: str, rotation: bool = True) -> str:
    """A stream encrypted with key ``k`` of the same file; the key rotates unless ``rotation`` is false, so that
    each row shows only its own code."""
    rotating = "  enable_key_rotation = true\n" if rotation else ""
    return tf_stream('  encryption_type = "KMS"\n  kms_key_id      = aws_kms_key.k.arn\n') + (
        f'\nresource "aws_kms_key" "k" {{\n  description = "k"\n{rotating}{key_attrs}}}\n')


def cfn(properties: str, extra: str = "", parameters: str = "") -> str:
    return (f"AWSTemplateFormatVersion: '2010-09-09'\n{parameters}Resources:\n  s:\n    Type: AWS::Kinesis::Stream\n"
            f"    Properties:\n      ShardCount: 1\n{properties}{extra}")


def cfn_encryption(kind: str, key: str | None = None) -> str:
    return (f"      StreamEncryption:\n        EncryptionType: {kind}\n"
            + (f"        KeyId: {key}\n" if key is not None else ""))


def cfn_key_stream(key_properties: str, rotation: bool = True) -> str:
    properties = ("      EnableKeyRotation: true\n" if rotation else "") + (key_properties or "      Description: k\n")
    key = f"  Key:\n    Type: AWS::KMS::Key\n    Properties:\n{properties}"
    return cfn(cfn_encryption("KMS", "!GetAtt Key.Arn"), key)


def plan(after: dict[str, Any], written: dict[str, Any], *, unknown: dict[str, Any] | None = None,
         importing: bool = False, key: dict[str, Any] | None = None, key_written: dict[str, Any] | None = None) -> str:
    """``terraform show -json`` of a plan creating stream ``s`` (``after``), whose configuration writes the
    ``written`` expressions, and maybe a key ``k`` it references."""
    change: dict[str, Any] = {"actions": ["create"], "before": None, "after": {"name": "s", **after},
                              "after_unknown": {"arn": True, "id": True, **(unknown or {})}}
    if importing:
        change["importing"] = {"id": "s"}
    changes = [{"address": "aws_kinesis_stream.s", "mode": "managed", "type": "aws_kinesis_stream", "name": "s",
                "provider_name": "registry.terraform.io/hashicorp/aws", "change": change}]
    resources = [{"address": "aws_kinesis_stream.s", "mode": "managed", "type": "aws_kinesis_stream", "name": "s",
                  "provider_config_key": "aws", "expressions": written}]
    if key is not None:
        changes.append({"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": key,
                                   "after_unknown": {"arn": True, "id": True, "key_id": True}}})
        resources.append({"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                          "provider_config_key": "aws", "expressions": key_written or {}})
    return json.dumps({
        "format_version": "1.2", "terraform_version": "1.11.0", "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
            "region": {"constant_value": REGION}}}}, "root_module": {"resources": resources}},
    }, indent=1)


def plan_key_stream(key: dict[str, Any], key_written: dict[str, Any], rotation: bool = True) -> str:
    key = {"enable_key_rotation": rotation, **key}
    return plan({"encryption_type": "KMS"}, {"encryption_type": {"constant_value": "KMS"},
                                            "kms_key_id": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}},
                unknown={"kms_key_id": True}, key=key, key_written=key_written)


def state(stream: dict[str, Any], key: dict[str, Any] | None = None) -> str:
    """``terraform show -json`` of a state holding stream ``s`` (and maybe key ``k``)."""
    resources = [{"address": "aws_kinesis_stream.s", "mode": "managed", "type": "aws_kinesis_stream", "name": "s",
                  "values": {"name": "s", "arn": STREAM_ARN, **stream}}]
    if key is not None:
        resources.append({"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                          "values": {"arn": KEY_ARN, "key_id": KEY_ARN.rsplit("/", 1)[1], **key}})
    return json.dumps({"format_version": "1.0", "terraform_version": "1.11.0",
                       "values": {"root_module": {"resources": resources}}}, indent=1)


def state_key_stream(key: dict[str, Any], rotation: bool = True) -> str:
    return state({"encryption_type": "KMS", "kms_key_id": KEY_ARN}, {"enable_key_rotation": rotation, **key})


def describe(**fields: Any) -> str:
    return json.dumps({"StreamDescriptionSummary": {"StreamName": "s", "StreamARN": STREAM_ARN,
                                                    "StreamStatus": "ACTIVE", **fields}}, indent=1)


# code -> (status, primary code, advisories), and the snippets of each input kind where the code can arise
TABLE: dict[str, tuple[tuple[str, str, list[str]], dict[str, str]]] = {
    "KSSE000": (("pass", "KSSE000", []), {
        "terraform": tf_stream(f'  encryption_type = "KMS"\n  kms_key_id      = "{KEY_ARN}"\n'),
        "cloudformation": cfn(cfn_encryption("KMS", KEY_ARN)),
        "plan": plan({"encryption_type": "KMS", "kms_key_id": KEY_ARN},
                     {"encryption_type": {"constant_value": "KMS"}, "kms_key_id": {"constant_value": KEY_ARN}}),
        "state": state({"encryption_type": "KMS", "kms_key_id": KEY_ARN}),
        "describe": describe(EncryptionType="KMS", KeyId=KEY_ARN),
    }),
    "KSSE001": (("fail", "KSSE001", []), {
        "terraform": tf_stream("  shard_count = 1\n"),
        "cloudformation": cfn(""),
        # the plan shows the provider's default NONE; the configuration never wrote it
        "plan": plan({"encryption_type": "NONE"}, {"shard_count": {"constant_value": 1}}),
    }),
    "KSSE002": (("fail", "KSSE002", []), {
        "terraform": tf_stream('  encryption_type = "NONE"\n'),
        "cloudformation": cfn(cfn_encryption("NONE")),
        "plan": plan({"encryption_type": "NONE"}, {"encryption_type": {"constant_value": "NONE"}}),
        "state": state({"encryption_type": "NONE", "kms_key_id": ""}),
        "describe": describe(EncryptionType="NONE"),
    }),
    "KSSE003": (("fail", "KSSE003", []), {
        "terraform": tf_stream('  encryption_type = "KMS"\n'),
        "cloudformation": cfn(cfn_encryption("KMS")),
        "plan": plan({"encryption_type": "KMS", "kms_key_id": None}, {"encryption_type": {"constant_value": "KMS"}}),
        "state": state({"encryption_type": "KMS", "kms_key_id": ""}),
    }),
    "KSSE004": (("fail", "KSSE004", []), {
        "terraform": tf_stream(f'  encryption_type = "AES256"\n  kms_key_id      = "{KEY_ARN}"\n'),
        "cloudformation": cfn(cfn_encryption("AES256", KEY_ARN)),
        "plan": plan({"encryption_type": "AES256", "kms_key_id": KEY_ARN},
                     {"encryption_type": {"constant_value": "AES256"}, "kms_key_id": {"constant_value": KEY_ARN}}),
        "state": state({"encryption_type": "AES256", "kms_key_id": KEY_ARN}),
        "describe": describe(EncryptionType="AES256", KeyId=KEY_ARN),
    }),
    "KSSE005": (("fail", "KSSE005", []), {
        "terraform": tf_stream("  shard_count = 1\n") + '\nimport {\n  to = aws_kinesis_stream.s\n  id = "s"\n}\n',
        "plan": plan({"encryption_type": "NONE"}, {"shard_count": {"constant_value": 1}}, importing=True),
    }),
    "KSSE010": (("pass", "KSSE000", ["KSSE010"]), {
        "terraform": tf_stream('  encryption_type = "KMS"\n  kms_key_id      = "alias/aws/kinesis"\n'),
        "cloudformation": cfn(cfn_encryption("KMS", "alias/aws/kinesis")),
        "plan": plan({"encryption_type": "KMS", "kms_key_id": "alias/aws/kinesis"},
                     {"encryption_type": {"constant_value": "KMS"},
                      "kms_key_id": {"constant_value": "alias/aws/kinesis"}}),
        "state": state({"encryption_type": "KMS", "kms_key_id": "alias/aws/kinesis"}),
        "describe": describe(EncryptionType="KMS", KeyId="alias/aws/kinesis"),
    }),
    "KSSE011": (("fail", "KSSE011", []), {
        "terraform": tf_stream(f'  encryption_type = "KMS"\n  kms_key_id      = "{EAST_KEY_ARN}"\n'),
        "cloudformation": cfn(cfn_encryption("KMS", EAST_KEY_ARN)),
        "plan": plan({"encryption_type": "KMS", "kms_key_id": EAST_KEY_ARN},
                     {"encryption_type": {"constant_value": "KMS"}, "kms_key_id": {"constant_value": EAST_KEY_ARN}}),
        "state": state({"encryption_type": "KMS", "kms_key_id": EAST_KEY_ARN}),
        "describe": describe(EncryptionType="KMS", KeyId=EAST_KEY_ARN),
    }),
    "KSSE012": (("fail", "KSSE012", ["KSSE013"]), {
        "terraform": tf_key_stream(f"  policy = {json.dumps(json.dumps(DENYING_POLICY))}\n"),
        "cloudformation": cfn_key_stream(f"      KeyPolicy: {json.dumps(DENYING_POLICY)}\n"),
        "plan": plan_key_stream({"policy": json.dumps(DENYING_POLICY), "is_enabled": True},
                                {"policy": {"constant_value": json.dumps(DENYING_POLICY)}}),
        "state": state_key_stream({"policy": json.dumps(DENYING_POLICY), "is_enabled": True}),
    }),
    "KSSE013": (("pass", "KSSE000", ["KSSE013"]), {
        # a key with no policy of its own has KMS's default policy: IAM decides, the service principal gets nothing
        "terraform": tf_key_stream(""),
        "cloudformation": cfn_key_stream(""),
        "plan": plan_key_stream({"is_enabled": True}, {}),
    }),
    "KSSE014": (("fail", "KSSE014", []), {
        "terraform": tf_key_stream(f"  is_enabled = false\n  policy     = {json.dumps(json.dumps(GOOD_POLICY))}\n"),
        "cloudformation": cfn_key_stream(f"      Enabled: false\n      KeyPolicy: {json.dumps(GOOD_POLICY)}\n"),
        "plan": plan_key_stream({"policy": json.dumps(GOOD_POLICY), "is_enabled": False},
                                {"policy": {"constant_value": json.dumps(GOOD_POLICY)},
                                 "is_enabled": {"constant_value": False}}),
        "state": state_key_stream({"policy": json.dumps(GOOD_POLICY), "is_enabled": False}),
    }),
    "KSSE015": (("pass", "KSSE000", ["KSSE015"]), {
        # rotation absent is off: the provider's (and CloudFormation's) default
        "terraform": tf_key_stream(f"  policy = {json.dumps(json.dumps(GOOD_POLICY))}\n", rotation=False),
        "cloudformation": cfn_key_stream(f"      KeyPolicy: {json.dumps(GOOD_POLICY)}\n", rotation=False),
        "plan": plan_key_stream({"policy": json.dumps(GOOD_POLICY), "is_enabled": True},
                                {"policy": {"constant_value": json.dumps(GOOD_POLICY)}}, rotation=False),
        "state": state_key_stream({"policy": json.dumps(GOOD_POLICY), "is_enabled": True}, rotation=False),
    }),
    "KSSE016": (("pass", "KSSE000", ["KSSE016"]), {
        "terraform": tf_key_stream(f"  policy = {json.dumps(json.dumps(OPEN_POLICY))}\n"),
        "cloudformation": cfn_key_stream(f"      KeyPolicy: {json.dumps(OPEN_POLICY)}\n"),
        "plan": plan_key_stream({"policy": json.dumps(OPEN_POLICY), "is_enabled": True},
                                {"policy": {"constant_value": json.dumps(OPEN_POLICY)}}),
        "state": state_key_stream({"policy": json.dumps(OPEN_POLICY), "is_enabled": True}),
    }),
    "KSSE020": (("unknown", "KSSE020", []), {
        "terraform": tf_stream('  encryption_type = var.enc\n  kms_key_id      = "alias/aws/kinesis"\n')
        + 'variable "enc" {\n  type = string\n}\n',
        "cloudformation": cfn("      StreamEncryption:\n        EncryptionType: !Ref Enc\n"
                              "        KeyId: alias/aws/kinesis\n",
                              parameters="Parameters:\n  Enc:\n    Type: String\n"),
        "plan": plan({"kms_key_id": "alias/aws/kinesis"},
                     {"encryption_type": {"references": ["var.enc"]},
                      "kms_key_id": {"constant_value": "alias/aws/kinesis"}}, unknown={"encryption_type": True}),
        "describe": describe(KeyId=KEY_ARN),  # a cut answer: no EncryptionType is not NONE
    }),
}

FILES = {"terraform": "main.tf", "cloudformation": "template.yaml", "plan": "plan.json", "state": "state.json",
         "describe": "describe.json"}
CASES = [pytest.param(code, kind, id=f"{code}-{kind}") for code, (_, snippets) in TABLE.items() for kind in snippets]


@pytest.mark.parametrize(("code", "kind"), CASES)
def test_every_source_gives_the_same_verdict(tmp_path: Path, code: str, kind: str) -> None:
    expected, snippets = TABLE[code]
    (tmp_path / FILES[kind]).write_text(snippets[kind], encoding="utf-8")
    report = scan_paths([tmp_path], ScanOptions(region=REGION, base=tmp_path))
    assert report.errors == []
    assert [(f.stream.address.rsplit(".", 1)[-1].rsplit("/", 1)[-1], f.status.value, f.verdict.code,
             list(f.verdict.advisories)) for f in report.findings] == [("s", *expected)]


def test_the_table_covers_every_code_that_more_than_one_source_can_give() -> None:
    # KSSE021 (a live call failed) and KSSE022 (a live stream updating) arise only from AWS's answers
    from sseguard.control.codes import CODES

    assert set(TABLE) == set(CODES) - {"KSSE021", "KSSE022"}
    assert all(len(snippets) >= 2 for _, snippets in TABLE.values())
