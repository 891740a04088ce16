"""The CloudFormation source, on real templates under tests/fixtures/cloudformation, judged by the real control.

Every intrinsic/condition fixture has a YAML file (short-form tags) and a JSON twin (long forms, the same logical
ids and the same verdicts); both are run through the same expectations. Verdicts are (status, code, advisories).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sseguard.model import Finding, InputError, KeyState, OutOfReach, PolicyOrigin, Status, Unknown
from sseguard.options import ScanOptions
from sseguard.scan import judge, scan_paths
from sseguard.schema import report_schema
from sseguard.sources import cloudformation, file_sources
from sseguard.sources.cfn.intrinsics import Resolver
from sseguard.sources.cfn.load import load_template
from sseguard.sources.cfn.values import Choice, Deferred
from sseguard.sources.safe_load import MAX_BYTES, LList, LMap, LoadError, load_json, load_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cloudformation"
TODAY = dt.date(2026, 6, 1)
BOTH = ("yaml", "json")

Verdict = tuple[str, str, list[str]]


def options(region: str | None = None, *, strict: bool = False, given: dict[str, str] | None = None,
            **parameters: str) -> ScanOptions:
    """Scan options as the command line builds them: ``--region``, ``--parameter`` values, ``--strict-key-policy``."""
    return ScanOptions(parameters={**(given or {}), **parameters}, region=region, strict_key_policy=strict,
                       today=TODAY, base=FIXTURES)


def load(rel: str, opts: ScanOptions | None = None) -> dict[str, Finding]:
    """Findings of one fixture by logical id; the fixture must load without errors."""
    opts = opts or options()
    result = cloudformation.load(FIXTURES / rel, opts)
    assert result.errors == []
    assert [i.location for i in result.inputs] == [rel]
    return {f.stream.address: f for f in judge(result.streams, opts)}


def verdicts(findings: dict[str, Finding]) -> dict[str, Verdict]:
    return {a: (f.status.value, f.verdict.code, list(f.verdict.advisories)) for a, f in findings.items()}


def errors_of(rel: str | Path) -> tuple[list[InputError], list[tuple[str, int | None]]]:
    """The errors of one template, and the streams found in it as (address, line)."""
    path = rel if isinstance(rel, Path) else FIXTURES / rel
    result = cloudformation.load(path, options())
    return result.errors, [(s.address, s.location.line) for s in result.streams]


PASS: Verdict = ("pass", "KSSE000", [])
# a key of the template that leaves EnableKeyRotation out (CloudFormation's default: off)
PASS_ROTATION_OFF: Verdict = ("pass", "KSSE000", ["KSSE015"])
UNKNOWN: Verdict = ("unknown", "KSSE020", [])


# --- sniffing -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rel", "expected"), [
    ("intrinsics/parameters.yaml", True),
    ("intrinsics/parameters.json", True),
    ("cdk/cdk.out/KinesisStack.template.json", True),  # no AWSTemplateFormatVersion: a top-level Resources
    ("lines/lines.json", True),  # tabs and CRLF
    ("bad/random.yaml", False),
])
def test_sniff_fixtures(rel: str, expected: bool) -> None:
    path = FIXTURES / rel
    assert cloudformation.sniff(path, path.read_bytes()[:4096]) is expected


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("only-resources.yml", "Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n", True),
    ("quoted.yaml", "'AWSTemplateFormatVersion': '2010-09-09'\n", True),
    ("bom.yaml", "\ufeffAWSTemplateFormatVersion: '2010-09-09'\n", True),
    ("bom.json", '\ufeff{"Resources": {}}', True),
    ("k8s.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  Resources: none\n", False),
    ("nested.json", '{"config": {"Resources": {"a": 1}}}', False),
    ("plan.json", '{"format_version": "1.2", "terraform_version": "1.11.0", "resource_changes": []}', False),
    ("escaped.json", '{"body": "{\\"Resources\\": {}}"}', False),
    ("template.txt", "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n", False),
])
def test_sniff_by_content(tmp_path: Path, name: str, text: str, expected: bool) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert cloudformation.sniff(path, path.read_bytes()[:4096]) is expected


def test_sniff_reads_past_the_head_when_it_does_not_tell(tmp_path: Path) -> None:
    # A JSON template whose Resources key comes after 8 KiB of parameter descriptions.
    body = {"Parameters": {f"P{i}": {"Type": "String", "Description": "x" * 200} for i in range(40)},
            "Resources": {"S": {"Type": "AWS::Kinesis::Stream"}}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(body))
    assert b'"Resources"' not in path.read_bytes()[:4096]
    assert cloudformation.sniff(path, path.read_bytes()[:4096])


def test_registered_as_a_file_source() -> None:
    assert cloudformation in file_sources()


# --- parameters -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", BOTH)
def test_parameters_with_defaults(ext: str) -> None:
    findings = load(f"intrinsics/parameters.{ext}")
    assert verdicts(findings) == {
        "DefaultsStream": PASS,
        "NoDefaultStream": UNKNOWN,
        "SsmStream": UNKNOWN,
        "UndeclaredRefStream": PASS,
        "UndeclaredTypeStream": UNKNOWN,
    }
    assert findings["DefaultsStream"].stream.key_reference == "alias/app-streams"
    assert findings["NoDefaultStream"].verdict.message == (
        "parameter KmsKeyArn has no default; to resolve: pass --parameter KmsKeyArn=...")
    assert findings["SsmStream"].verdict.message.startswith(
        "parameter SsmKey is read from SSM parameter /app/kinesis/key-arn at deploy")
    # A Ref to a name that is neither a parameter nor a resource counts as a given key, named as written.
    assert findings["UndeclaredRefStream"].stream.key_reference == "myKey"
    assert findings["UndeclaredTypeStream"].verdict.message.startswith(
        "NotAParameter is neither a parameter nor a resource of the template")


@pytest.mark.parametrize("ext", BOTH)
def test_parameter_overrides(ext: str) -> None:
    findings = load(f"intrinsics/parameters.{ext}", options(
        "us-east-1", EncryptionType="NONE", KmsKeyArn="arn:aws:kms:eu-west-1:111122223333:key/abc",
        SsmKey="alias/from-ssm"))
    assert verdicts(findings)["DefaultsStream"] == ("fail", "KSSE002", [])
    assert verdicts(findings)["NoDefaultStream"] == ("fail", "KSSE011", [])
    assert verdicts(findings)["SsmStream"] == PASS
    key = findings["NoDefaultStream"].stream.key
    assert key is not None and key.region == "eu-west-1" and key.account == "111122223333"


# --- conditions -----------------------------------------------------------------------------------------------------

CONDITION_CASES: list[tuple[dict[str, str], dict[str, Verdict]]] = [
    ({}, {
        "IfStream": ("fail", "KSSE001", []),
        "NotStream": ("fail", "KSSE002", []),
        "AndStream": ("fail", "KSSE003", []),
        "OrStream": PASS,
        "RegionStream": UNKNOWN,
        "AgreeStream": PASS,
        "ShortCircuitStream": PASS,
    }),
    ({"Env": "prod"}, {
        "ProdOnlyStream": ("fail", "KSSE001", []),
        "IfStream": PASS,
        "NotStream": PASS,
        "AndStream": PASS,
        "OrStream": PASS,
        "RegionStream": UNKNOWN,
        "AgreeStream": PASS,
        "ShortCircuitStream": UNKNOWN,
    }),
    ({"KeyMode": "aws", "region": "us-east-1"}, {
        "IfStream": ("fail", "KSSE001", []),
        "NotStream": ("fail", "KSSE002", []),
        "AndStream": ("fail", "KSSE003", []),
        "OrStream": ("fail", "KSSE002", []),
        "RegionStream": PASS,
        "AgreeStream": PASS,
        "ShortCircuitStream": PASS,
    }),
    ({"region": "eu-west-1"}, {
        "IfStream": ("fail", "KSSE001", []),
        "NotStream": ("fail", "KSSE002", []),
        "AndStream": ("fail", "KSSE003", []),
        "OrStream": PASS,
        "RegionStream": ("fail", "KSSE002", []),
        "AgreeStream": PASS,
        "ShortCircuitStream": PASS,
    }),
]


@pytest.mark.parametrize("ext", BOTH)
@pytest.mark.parametrize(("given", "expected"), CONDITION_CASES)
def test_conditions(ext: str, given: dict[str, str], expected: dict[str, Verdict]) -> None:
    params = dict(given)
    region = params.pop("region", None)
    assert verdicts(load(f"intrinsics/conditions.{ext}", options(region, given=params))) == expected


@pytest.mark.parametrize("ext", BOTH)
def test_undecidable_condition_names_itself_and_the_fix(ext: str) -> None:
    findings = load(f"intrinsics/conditions.{ext}")
    assert findings["RegionStream"].verdict.message == (
        "condition InUsEast1 cannot be decided: AWS::Region is not known (no --region given); the encryption type is "
        "'KMS' or 'NONE' depending on it; to resolve: pass --region")
    # Resource-level Condition false: the stream is not created, so there is no finding at all.
    assert "ProdOnlyStream" not in findings


def test_condition_that_cannot_be_decided_keeps_the_stream_with_a_note() -> None:
    findings = load("intrinsics/conditions.yaml", options(Env="prod"))
    assert findings["ProdOnlyStream"].stream.facts["condition"] == "IsProd"
    assert findings["ProdOnlyStream"].stream.location.line == 23


# --- functions ------------------------------------------------------------------------------------------------------

FUNCTION_CASES: list[tuple[dict[str, str], dict[str, Verdict]]] = [
    ({}, {
        "SubStream": PASS, "SubListStream": PASS, "JoinStream": PASS, "SelectStream": PASS, "SplitStream": PASS,
        "MapStream": UNKNOWN, "EnvMapStream": ("fail", "KSSE002", []),
        "GetAttStream": PASS_ROTATION_OFF, "ImportStream": UNKNOWN, "GetAZsStream": UNKNOWN,
        "DeferredTypeStream": UNKNOWN,
    }),
    ({"region": "us-east-1"}, {
        "SubStream": PASS, "SubListStream": ("fail", "KSSE011", []), "JoinStream": PASS, "SelectStream": PASS,
        "SplitStream": PASS, "MapStream": PASS, "EnvMapStream": ("fail", "KSSE002", []),
        "GetAttStream": PASS_ROTATION_OFF, "ImportStream": UNKNOWN, "GetAZsStream": UNKNOWN,
        "DeferredTypeStream": UNKNOWN,
    }),
    ({"region": "eu-west-1", "Env": "prod"}, {
        "SubStream": PASS, "SubListStream": PASS, "JoinStream": PASS, "SelectStream": PASS, "SplitStream": PASS,
        "MapStream": ("fail", "KSSE011", []), "EnvMapStream": PASS, "GetAttStream": PASS_ROTATION_OFF,
        "ImportStream": UNKNOWN, "GetAZsStream": UNKNOWN, "DeferredTypeStream": UNKNOWN,
    }),
    ({"region": "ap-south-1"}, {
        "SubStream": PASS, "SubListStream": ("fail", "KSSE011", []), "JoinStream": PASS, "SelectStream": PASS,
        "SplitStream": PASS, "MapStream": UNKNOWN, "EnvMapStream": ("fail", "KSSE002", []),
        "GetAttStream": PASS_ROTATION_OFF, "ImportStream": UNKNOWN, "GetAZsStream": UNKNOWN,
        "DeferredTypeStream": UNKNOWN,
    }),
]


@pytest.mark.parametrize("ext", BOTH)
@pytest.mark.parametrize(("given", "expected"), FUNCTION_CASES)
def test_functions(ext: str, given: dict[str, str], expected: dict[str, Verdict]) -> None:
    params = dict(given)
    region = params.pop("region", None)
    assert verdicts(load(f"intrinsics/functions.{ext}", options(region, given=params))) == expected


@pytest.mark.parametrize("ext", BOTH)
def test_function_values(ext: str) -> None:
    findings = load(f"intrinsics/functions.{ext}", options("eu-west-1"))
    refs = {a: f.stream.key_reference for a, f in findings.items()}
    assert refs["SubStream"] == (
        "arn:aws:kms:eu-west-1:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert refs["SubListStream"] == "arn:aws:kms:eu-west-1:111122223333:alias/app-dev"
    assert refs["JoinStream"] == "alias/app/dev"
    assert refs["SelectStream"] == "0987dcba-09fe-87dc-65ba-ab0987654321"  # CommaDelimitedList members are trimmed
    assert refs["SplitStream"] == "alias/first"
    assert refs["MapStream"] == "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert refs["GetAttStream"] == "AppKey.Arn"
    messages = {a: f.verdict.message for a, f in findings.items()}
    assert messages["ImportStream"].startswith("Fn::ImportValue shared-stream-key-arn reads another stack's export")
    assert messages["GetAZsStream"].startswith("Fn::GetAZs lists the region's availability zones only at deploy")
    assert messages["DeferredTypeStream"] == (
        "attribute EncryptionType of StreamConfig is known only after deploy; to resolve: scan the deployed stream "
        "(sseguard aws)")


def test_mapping_without_the_region_entry_says_which() -> None:
    findings = load("intrinsics/functions.yaml", options("ap-south-1"))
    assert findings["MapStream"].verdict.message.startswith("mapping RegionKeys has no entry [ap-south-1][Key]")
    no_region = load("intrinsics/functions.yaml")
    assert no_region["MapStream"].verdict.message == (
        "AWS::Region is not known (no --region given); to resolve: pass --region")


def test_key_arn_in_the_stacks_own_region_is_never_a_mismatch() -> None:
    # ${AWS::Region} in the key ARN is the stream's region by construction, even when the region is not given.
    findings = load("intrinsics/functions.yaml")
    stream = findings["SubStream"]
    assert stream.stream.key is not None and stream.stream.key.in_stream_region
    assert "KSSE011" not in stream.verdict.skipped_checks


def outputs(region: str | None) -> dict[str, Any]:
    """Each output of intrinsics/outputs.yaml resolved on its own."""
    template = load_template(FIXTURES / "intrinsics/outputs.yaml")
    resolver = Resolver(template, ScanOptions(region=region))
    return {name: resolver.value(out["Value"]) for name, out in template.body["Outputs"].items()}


def test_function_results_without_region() -> None:
    got = outputs(None)
    assert got["Base64"] == "YWxpYXMvYXBw"
    assert got["Length"] == 3
    assert got["ToJson"] == '{"a":[1,true]}'
    assert got["MapDefault"] == 2 and got["MapHit"] == 1
    assert got["NumberEquals"] == "three"  # Fn::Equals compares the parameter "3" and the number 3 as text
    assert got["NoValue"] == ["a", "b"]
    assert got["SelectOutOfRange"] == Unknown("Fn::Select index 5 is outside the list of 3 items")
    assert got["Cidr"] == Unknown("Fn::Cidr is not evaluated by sseguard")
    assert got["Unsupported"] == Unknown("intrinsic function Fn::Frobnicate is not supported",
                                         "replace it by a literal or a parameter")
    # Values known only at deploy keep their placeholders and the resources they come from.
    assert isinstance(got["JoinDeferred"], Deferred)
    assert (got["JoinDeferred"].text, got["JoinDeferred"].refs) == ("${AWS::StackName}:${Key}", (("Key", ""),))
    assert isinstance(got["SplitDeferred"], Deferred) and got["SplitDeferred"].refs == (("Key", "Arn"),)
    assert isinstance(got["ToJsonDeferred"], Deferred) and got["ToJsonDeferred"].refs == (("Key", "Arn"),)
    assert isinstance(got["UndeclaredGetAtt"], Deferred) and not got["UndeclaredGetAtt"].declared
    assert isinstance(got["Partition"], Deferred) and got["Partition"].resolve == "pass --region"
    china = got["ChinaCondition"]
    assert isinstance(china, Choice) and (china.condition, china.if_true, china.if_false) == ("IsChina", "china",
                                                                                            "global")
    assert china.why.reason == "condition IsChina cannot be decided: AWS::Region is not known (no --region given)"


def test_function_results_with_region() -> None:
    got = outputs("cn-north-1")
    assert got["Literal"] == "${NotAVariable}-cn-north-1"  # ${!Name} is the literal ${Name}
    assert got["Partition"] == "aws-cn|amazonaws.com.cn"
    assert got["ChinaCondition"] == "china"
    assert outputs("us-gov-west-1")["Partition"] == "aws-us-gov|amazonaws.com"


# --- the template CDK emits ---------------------------------------------------------------------------------------

CDK = "cdk/cdk.out/KinesisStack.template.json"


def test_cdk_default_stream_is_unknown_without_region() -> None:
    findings = load(CDK)
    default = findings["DefaultStream1D3A8C62"]
    assert (default.status.value, default.verdict.code) == ("unknown", "KSSE020")
    assert default.verdict.message == (
        "condition AwsCdkKinesisEncryptedStreamsUnsupportedRegions cannot be decided: AWS::Region is not known "
        "(no --region given); the encryption type is absent or 'KMS' depending on it; to resolve: pass --region")
    assert (default.stream.location.line, default.stream.location.end_line) == (3, 27)


@pytest.mark.parametrize(("region", "expected"), [
    ("us-east-1", ("pass", "KSSE000", ["KSSE010"])),
    ("cn-north-1", ("fail", "KSSE001", [])),
    ("cn-northwest-1", ("fail", "KSSE001", [])),
])
def test_cdk_default_stream_with_region(region: str, expected: Verdict) -> None:
    assert verdicts(load(CDK, options(region)))["DefaultStream1D3A8C62"] == expected


def test_cdk_customer_key_stream() -> None:
    finding = load(CDK)["CmkStream0E4B3F6D"]
    # CDK's key policy delegates to the account root (usable) and names no kinesis.amazonaws.com grant.
    assert (finding.status.value, finding.verdict.code, list(finding.verdict.advisories)) == (
        "pass", "KSSE000", ["KSSE013", "KSSE015"])
    key = finding.stream.key
    assert key is not None and key.declared_at == "CmkStreamKey8F5C2A41" and key.state is KeyState.ENABLED
    assert isinstance(key.policy, dict)
    assert key.policy["Statement"][0]["Principal"] == {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}


def test_cdk_out_found_in_a_folder_scan() -> None:
    report = scan_paths([FIXTURES / "cdk"], options("us-east-1"))
    assert report.errors == []
    assert [(f.stream.address, f.stream.location.path) for f in report.findings] == [
        ("DefaultStream1D3A8C62", "cdk/cdk.out/KinesisStack.template.json"),
        ("CmkStream0E4B3F6D", "cdk/cdk.out/KinesisStack.template.json"),
    ]


# --- keys -----------------------------------------------------------------------------------------------------------

KEY_CASES: list[tuple[str | None, dict[str, Verdict]]] = [
    (None, {
        "GoodStream": PASS_ROTATION_OFF,
        "DisabledKeyStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "DenyingKeyStream": ("fail", "KSSE012", ["KSSE013", "KSSE015"]),
        "JsonPolicyStream": ("pass", "KSSE000", ["KSSE013", "KSSE015"]),
        "UnreadablePolicyStream": PASS_ROTATION_OFF,
        "DefaultPolicyStream": ("pass", "KSSE000", ["KSSE013", "KSSE015"]),
        "AliasNameStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "AliasRefStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "ForeignKeyArnStream": PASS,
        "AwsManagedStream": ("pass", "KSSE000", ["KSSE010"]),
        "AwsManagedArnStream": ("pass", "KSSE000", ["KSSE010"]),
    }),
    ("us-east-1", {
        "GoodStream": PASS_ROTATION_OFF,
        "DisabledKeyStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "DenyingKeyStream": ("fail", "KSSE012", ["KSSE013", "KSSE015"]),
        "JsonPolicyStream": ("pass", "KSSE000", ["KSSE013", "KSSE015"]),
        "UnreadablePolicyStream": PASS_ROTATION_OFF,
        "DefaultPolicyStream": ("pass", "KSSE000", ["KSSE013", "KSSE015"]),
        "AliasNameStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "AliasRefStream": ("fail", "KSSE014", ["KSSE013", "KSSE015"]),
        "ForeignKeyArnStream": ("fail", "KSSE011", []),
        "AwsManagedStream": ("pass", "KSSE000", ["KSSE010"]),
        "AwsManagedArnStream": ("fail", "KSSE011", ["KSSE010"]),
    }),
]


@pytest.mark.parametrize("ext", BOTH)
@pytest.mark.parametrize(("region", "expected"), KEY_CASES)
def test_keys(ext: str, region: str | None, expected: dict[str, Verdict]) -> None:
    assert verdicts(load(f"keys/keys.{ext}", options(region))) == expected


def test_key_facts() -> None:
    findings = load("keys/keys.yaml", options("us-east-1"))
    good = findings["GoodStream"].stream.key
    assert good is not None
    # PendingWindowInDays only sets the waiting period of a future deletion.
    assert good.state is KeyState.ENABLED and good.region == "us-east-1" and good.in_stream_region
    assert good.policy_origin is PolicyOrigin.GIVEN
    assert good.policy_source is not None and good.policy_source.startswith("KeyPolicy of GoodKey")
    disabled = findings["AliasRefStream"].stream.key
    assert disabled is not None and disabled.state is KeyState.DISABLED
    assert disabled.declared_at == "DisabledKey (through alias DisabledKeyAlias)"
    assert disabled.reference == "DisabledKeyAlias"
    default = findings["DefaultPolicyStream"].stream.key
    assert default is not None and default.policy_origin is PolicyOrigin.DEFAULT
    assert default.policy_source is not None and default.policy_source.startswith("KMS's default key policy")
    foreign = findings["ForeignKeyArnStream"].stream.key
    assert foreign is not None and foreign.arn == (
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert isinstance(foreign.state, OutOfReach) and "not declared in this template" in foreign.state.reason


def test_unreadable_key_policy_is_out_of_reach_and_named() -> None:
    finding = load("keys/keys.yaml")["UnreadablePolicyStream"]
    assert finding.verdict.skipped_checks["KSSE012"] == (
        "the policy of key UnreadablePolicyKey cannot be resolved: parameter PolicyAdmin has no default "
        "(pass --parameter PolicyAdmin=...)")
    given = load("keys/keys.yaml", options(PolicyAdmin="arn:aws:iam::111122223333:role/Admin"))
    assert verdicts(given)["UnreadablePolicyStream"] == ("pass", "KSSE000", ["KSSE013", "KSSE015"])


def test_strict_key_policy_turns_the_service_principal_advisory_into_a_fail() -> None:
    findings = load("keys/keys.yaml", options(strict=True))
    assert verdicts(findings)["DefaultPolicyStream"] == ("fail", "KSSE013", ["KSSE015"])
    assert verdicts(findings)["GoodStream"] == PASS_ROTATION_OFF


def test_key_enabled_from_a_parameter_without_default_is_unknown(tmp_path: Path) -> None:
    template = tmp_path / "enabled.yaml"
    template.write_text(
        "Parameters:\n  KeyOn:\n    Type: String\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n"
        "      Enabled: !Ref KeyOn\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      StreamEncryption:\n"
        "        EncryptionType: KMS\n        KeyId: !Ref K\n")
    opts = ScanOptions(today=TODAY, base=tmp_path)
    (finding,) = judge(cloudformation.load(template, opts).streams, opts)
    assert (finding.status.value, finding.verdict.code) == ("unknown", "KSSE020")
    assert finding.verdict.message == ("whether key K is enabled is not known: parameter KeyOn has no default; "
                                       "to resolve: pass --parameter KeyOn=...")
    opts = ScanOptions(parameters={"KeyOn": "False"}, today=TODAY, base=tmp_path)
    (finding,) = judge(cloudformation.load(template, opts).streams, opts)
    assert finding.verdict.code == "KSSE014"


def test_key_policy_json_string_that_is_broken_is_an_error_and_out_of_reach(tmp_path: Path) -> None:
    template = tmp_path / "policy.yaml"
    template.write_text(
        "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: '{\"Statement\": ['\n"
        "  S:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      StreamEncryption:\n"
        "        EncryptionType: KMS\n        KeyId: !GetAtt K.Arn\n")
    result = cloudformation.load(template, ScanOptions(base=tmp_path))
    assert [(e.location, e.line) for e in result.errors] == [("policy.yaml", 5)]
    assert result.errors[0].message.startswith("KeyPolicy of K: key policy is not valid JSON")
    key = result.streams[0].key
    assert key is not None and isinstance(key.policy, OutOfReach)


# --- suppressions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", BOTH)
def test_suppressions(ext: str) -> None:
    findings = load(f"suppressions/metadata.{ext}")
    assert verdicts(findings) == {
        "SseguardIgnored": ("suppressed", "KSSE001", []),
        "SseguardExpired": ("fail", "KSSE001", []),
        "SseguardNoReason": ("fail", "KSSE001", []),
        "SseguardOtherCode": ("fail", "KSSE001", []),
        "CfnNagSuppressed": ("suppressed", "KSSE002", []),
        "GuardOnly": ("suppressed", "KSSE001", []),
        "GuardAndCfnNag": ("suppressed", "KSSE001", []),
        "CheckovSkipped": ("suppressed", "KSSE001", []),
        "PassingWithSuppression": PASS,
        "CommaCodes": ("suppressed", "KSSE001", []),
        "NoSuchCode": ("fail", "KSSE001", []),
    }
    applied = {a: (f.suppression.kind, f.suppression.reason, f.suppression.expires)
               for a, f in findings.items() if f.suppression}
    assert applied == {
        "SseguardIgnored": ("sseguard", "Test stream holding synthetic data only", "2099-12-31"),
        "CfnNagSuppressed": ("cfn_nag", "Public reference data, encryption not required", None),
        "GuardOnly": ("guard", "(no reason given)", None),
        "GuardAndCfnNag": ("cfn_nag", "Ephemeral load-test stream", None),
        "CheckovSkipped": ("checkov", "Encrypted client-side before it is written", None),
        "CommaCodes": ("sseguard", "Both codes in one string", None),
    }


def test_suppression_lines_and_notes() -> None:
    findings = load("suppressions/metadata.yaml")
    ignored = findings["SseguardIgnored"].suppression
    assert ignored is not None and ignored.line == 9
    assert findings["SseguardExpired"].notes == (
        "sseguard suppression (line 19) expired on 2020-01-31 and no longer applies",)
    assert findings["SseguardNoReason"].notes == (
        "sseguard suppression (line 29) has no reason and is not applied: give it a reason",)
    # Guard's SuppressedRules has no reason field: a Guard suppression is honoured, and the missing reason noted.
    assert findings["GuardOnly"].notes == (
        "guard suppression (line 59) has no reason: it is honoured, but an auditor will ask why; "
        "replace it with Metadata: {sseguard: {ignore: [{code: CODE, reason: ...}]}}",)
    assert findings["GuardOnly"].status is Status.SUPPRESSED
    assert findings["SseguardOtherCode"].notes == ()
    assert findings["NoSuchCode"].notes == (
        "sseguard suppression (line 109) names no code of this control: 'sseguard ignore CKV_AWS_43'",)
    assert findings["CommaCodes"].stream.suppressions[0].codes == {"KSSE001", "KSSE003"}
    # cfn_nag W35 is not about this control, so only the W49 entry is read.
    rules = findings["CfnNagSuppressed"].stream.suppressions
    assert [(r.kind, r.text, r.line) for r in rules] == [("cfn_nag", "cfn_nag rules_to_suppress W49", 48)]


# --- line numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rel", "expected"), [
    ("lines/lines.yaml", {"FirstStream": (7, 11), "QuotedStream": (14, 15), "BlockScalarStream": (17, 25)}),
    ("lines/lines.json", {"TabStream": (4, 10), "OneLineStream": (11, 11)}),
])
def test_lines(rel: str, expected: dict[str, tuple[int, int]]) -> None:
    findings = load(rel)
    assert {a: (f.stream.location.line, f.stream.location.end_line) for a, f in findings.items()} == expected
    assert {f.stream.location.path for f in findings.values()} == {rel}


def test_json_twins_point_at_their_own_lines() -> None:
    text = (FIXTURES / "keys/keys.json").read_text().splitlines()
    for address, finding in load("keys/keys.json").items():
        assert finding.stream.location.line is not None
        assert text[finding.stream.location.line - 1].strip() == f'"{address}": {{'


def test_block_scalar_key_reference() -> None:
    findings = load("lines/lines.yaml")
    assert findings["BlockScalarStream"].stream.key_reference == "alias/app"
    assert findings["BlockScalarStream"].stream.name == "folded-name"
    assert verdicts(load("lines/lines.json"))["OneLineStream"] == PASS  # "kms" is KMS, case-insensitively


# --- bad input ------------------------------------------------------------------------------------------------------


STREAMS_IN_BAD_INPUT = {
    "bad/bomb.yaml": [("Stream", 15)], "bad/recursive_alias.yaml": [("Stream", 6)], "bad/latin1.yaml": [("Stream", 5)],
    "bad/invalid.yaml": [("Stream", 4)], "bad/duplicate.yaml": [("Stream", 4)], "bad/duplicate.json": [("Stream", 4)],
    "bad/truncated.json": [("Stream", 5)], "bad/deep.json": [("Stream", 1)], "bad/unknown_tag.yaml": [("Stream", 4)],
    "bad/python_tag.yaml": [("Stream", 4)],
}


@pytest.mark.parametrize(("rel", "message", "line"), [
    ("bad/bomb.yaml", "YAML aliases expand 44 nodes to 490329080, more than the limit of 100000 added nodes "
                      "(a billion-laughs document?)", 1),
    ("bad/recursive_alias.yaml", "recursive YAML alias (a node that contains itself)", 3),
    ("bad/binary.template", "binary file (NUL byte), not text", 4),
    ("bad/latin1.yaml", "not UTF-8 text: byte 0xe9 cannot be decoded", 2),
    ("bad/invalid.yaml", "invalid YAML: did not find expected key", 7),
    ("bad/duplicate.yaml", "duplicate key 'Stream' (first at line 3)", 9),
    ("bad/duplicate.json", "duplicate key 'EncryptionType' (first at line 6)", 6),
    ("bad/truncated.json", "invalid JSON: expected ',' or '}', found the end of the file", 6),
    ("bad/deep.json", "nested more than 256 levels deep", 1),
    ("bad/unknown_tag.yaml", "unknown YAML tag !Lookup", 7),
    ("bad/python_tag.yaml", "unsupported YAML tag !!python/object/apply:os.system", 6),
    ("bad/sections.yaml", "section Resources is a list, not a mapping", 2),
])
def test_bad_input_is_one_error_with_its_line(rel: str, message: str, line: int) -> None:
    errors, streams = errors_of(rel)
    assert [(e.location, e.message, e.line) for e in errors] == [(rel, message, line)]
    # the stream declared in the unreadable text is still reported (unknown), at its Type line
    assert streams == STREAMS_IN_BAD_INPUT.get(rel, [])


def test_a_type_that_is_not_a_string_is_an_error_not_a_silent_skip() -> None:
    errors, streams = errors_of("bad/type_not_a_string.yaml")
    assert [(e.message, e.line) for e in errors] == [
        ("resource S: Type is ['AWS::Kinesis::Stream'], not a resource type name", 2),
        ("resource T: Type is 5, not a resource type name", 4)]
    assert streams == []


def test_python_tag_is_never_executed() -> None:
    errors_of("bad/python_tag.yaml")
    assert not Path("/tmp/sseguard-must-not-exist").exists()


def test_a_broken_resource_does_not_stop_the_others() -> None:
    result = cloudformation.load(FIXTURES / "bad/partly_broken.yaml", options())
    assert [(e.message, e.line) for e in result.errors] == [
        ("resource Broken is not a mapping", 4),
        ("Fn::ForEach::Streams (Fn::ForEach of AWS::LanguageExtensions) is not expanded: the streams it creates "
         "are not judged", 5),
    ]
    findings = {f.stream.address: f for f in judge(result.streams, options())}
    assert verdicts(findings) == {"GoodStream": PASS, "BadPropertiesStream": UNKNOWN}
    assert findings["BadPropertiesStream"].verdict.message.startswith(
        "Properties of BadPropertiesStream is not a mapping")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(b"Resources:\n")
        fh.truncate(MAX_BYTES + 1)  # sparse: no 20 MiB written
    errors, _ = errors_of(path)
    assert [(e.message, e.line) for e in errors] == [
        (f"file is {MAX_BYTES + 1} bytes, larger than the 20 MiB limit", None)]


def test_conditions_chained_too_deep_are_one_error(tmp_path: Path) -> None:
    lines = ["Conditions:", "  C0: !Equals [a, a]"]
    lines += [f"  C{i}: !Not [!Condition C{i - 1}]" for i in range(1, 2000)]
    lines += ["Resources:", "  S:", "    Type: AWS::Kinesis::Stream", "    Condition: C1999"]
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n")
    errors, streams = errors_of(path)
    assert [(e.message, e.line) for e in errors] == [("references nest too deeply to evaluate", None)]
    assert streams == [("S", 2004)]


def test_empty_template_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing but a comment\n")
    errors, _ = errors_of(path)
    assert [(e.message, e.line) for e in errors] == [
        ("not a CloudFormation template: the top level is empty, not a mapping", 1)]


# --- the safe loaders themselves ------------------------------------------------------------------------------------


def test_yaml_aliases_and_merge_keys_within_limits_are_expanded() -> None:
    value = load_yaml("base: &b {EncryptionType: KMS, KeyId: alias/a}\ncopy: *b\nmerged:\n  <<: *b\n  KeyId: alias/x\n")
    assert isinstance(value, LMap)
    assert value["copy"] == {"EncryptionType": "KMS", "KeyId": "alias/a"}
    assert value["merged"] == {"KeyId": "alias/x", "EncryptionType": "KMS"}
    assert value["copy"] is not value["base"]  # copies: one edit never shows through another alias


def test_yaml_scalars_keep_dates_and_keys_as_text() -> None:
    value = load_yaml("AWSTemplateFormatVersion: 2010-09-09\nyes: on\nn: 3\nf: 1.5\nz: null\n")
    assert value == {"AWSTemplateFormatVersion": "2010-09-09", "yes": True, "n": 3, "f": 1.5, "z": None}


def test_json_loader_positions_and_strictness() -> None:
    value = load_json('{\n  "a": [1,\n    {"b": "\\u00e9"}],\n  "c": -2.5e3\n}')
    assert isinstance(value, LMap) and isinstance(value["a"], LList)
    assert value.key_lines == {"a": 2, "c": 4}
    assert value["a"].item_lines == [2, 3] and value["a"][1] == {"b": "é"}
    assert (value.line, value.end_line) == (1, 5)
    for bad, message in [("{\"a\": NaN}", "invalid JSON: expected a value, found 'N'"),
                         ("{\"a\": 1,}", "invalid JSON: expected a key in double quotes, found '}'"),
                         ("[1] 2", "invalid JSON: extra data after the top-level value")]:
        with pytest.raises(LoadError) as info:
            load_json(bad)
        assert info.value.message == message


# --- the command line -----------------------------------------------------------------------------------------------


@functools.cache
def _validator() -> Any:
    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sseguard(*args: str, fmt: str = "json") -> tuple[int, Any, str]:
    """Run ``python -m sseguard scan ARGS --format FMT`` in the fixtures folder; JSON output is schema-checked."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run([sys.executable, "-m", "sseguard", "scan", *args, "--format", fmt], cwd=FIXTURES,
                          env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr
    if fmt != "json":
        return done.returncode, done.stdout, done.stderr
    report = json.loads(done.stdout)
    problems = list(_validator().iter_errors(report))
    assert not problems, [p.message for p in problems]
    return done.returncode, report, done.stderr


def rows(report: dict[str, Any]) -> list[tuple[str, str, str, list[str], int]]:
    return [(f["resource"]["address"], f["status"], f["code"], f["advisories"], f["source"]["line"])
            for f in report["findings"]]


def test_cli_json_report_of_keys_with_region() -> None:
    code, report, _ = sseguard("keys/keys.yaml", "--region", "us-east-1")
    assert code == 1
    assert report["inputs"] == [{"kind": "cloudformation", "location": "keys/keys.yaml"}]
    assert report["errors"] == []
    assert rows(report)[:3] == [
        ("GoodStream", "pass", "KSSE000", ["KSSE015"], 72),
        ("DisabledKeyStream", "fail", "KSSE014", ["KSSE013", "KSSE015"], 79),
        ("DenyingKeyStream", "fail", "KSSE012", ["KSSE013", "KSSE015"], 86),
    ]
    foreign = next(f for f in report["findings"] if f["resource"]["address"] == "ForeignKeyArnStream")
    assert foreign["resource"]["region"] == "us-east-1"
    assert foreign["source"] == {"kind": "cloudformation", "path": "keys/keys.yaml", "line": 128, "end_line": 134}
    assert foreign["evidence"]["key"]["region"] == "eu-west-1"


def test_cli_exit_0_when_everything_passes() -> None:
    code, report, _ = sseguard("lines/lines.json")
    assert code == 0
    assert report["summary"] == {"pass": 2, "fail": 0, "unknown": 0, "suppressed": 0}


def test_cli_unknown_exits_0_unless_fail_on_unknown() -> None:
    code, report, _ = sseguard(CDK)
    assert code == 0
    assert rows(report) == [("DefaultStream1D3A8C62", "unknown", "KSSE020", [], 3),
                            ("CmkStream0E4B3F6D", "pass", "KSSE000", ["KSSE013", "KSSE015"], 67)]
    code, _, _ = sseguard(CDK, "--fail-on", "unknown")
    assert code == 1
    code, report, _ = sseguard(CDK, "--region", "cn-north-1")
    assert code == 1 and rows(report)[0][1:3] == ("fail", "KSSE001")


def test_cli_parameter_option() -> None:
    code, report, _ = sseguard("intrinsics/parameters.yaml", "--parameter", "KmsKeyArn=alias/given",
                               "--parameter", "SsmKey=alias/ssm", "--parameter", "NotAParameter=KMS")
    statuses = {r[0]: r[1:3] for r in rows(report)}
    assert statuses["NoDefaultStream"] == ("pass", "KSSE000")
    assert statuses["SsmStream"] == ("pass", "KSSE000")
    # --parameter only gives declared parameters; an undeclared name stays unresolved, and giving one is a mistake
    # in the command that CloudFormation would reject: the report is written, and the exit code says so
    assert statuses["UndeclaredTypeStream"] == ("unknown", "KSSE020")
    assert report["errors"] == [{"location": "--parameter NotAParameter", "line": None, "kind": "usage", "message": (
        "no template scanned declares the parameter 'NotAParameter'; a value for an undeclared parameter is "
        "rejected")}]
    assert code == 2


@pytest.mark.parametrize(("rel", "message", "line"), [
    ("bad/bomb.yaml", "YAML aliases expand 44 nodes to 490329080", 1),
    ("bad/binary.template", "binary file (NUL byte), not text", 4),
    ("bad/random.yaml", "not a Terraform, plan, state, CloudFormation or describe-stream file", None),
])
def test_cli_unreadable_input_alone_exits_2(rel: str, message: str, line: int | None) -> None:
    code, report, _ = sseguard(rel)
    assert code == 2
    assert [(f["resource"]["address"], f["status"], f["code"], f["source"]["line"]) for f in report["findings"]] == [
        (address, "unknown", "KSSE020", at) for address, at in STREAMS_IN_BAD_INPUT.get(rel, [])]
    assert len(report["errors"]) == 1
    (error,) = report["errors"]
    assert error["location"] == rel and error["line"] == line and error["message"].startswith(message)


def test_cli_text_output_of_a_bomb_is_one_error_line() -> None:
    code, out, err = sseguard("bad/bomb.yaml", fmt="text")
    assert code == 2
    error_lines = [line for line in out.splitlines() if line.startswith("  error ")]
    assert error_lines == ["  error bad/bomb.yaml:1: YAML aliases expand 44 nodes to 490329080, more than the limit "
                           "of 100000 added nodes (a billion-laughs document?)"]
    assert "Traceback" not in err


def test_cli_bad_input_beside_a_good_one_is_reported_and_the_rest_judged() -> None:
    code, report, _ = sseguard("bad/bomb.yaml", "lines/lines.yaml")
    # the bomb does not stop the scan (QuotedStream fails), but a file named on the command line that cannot be
    # read is a mistake in the command: exit 2
    assert code == 2
    assert [e["location"] for e in report["errors"]] == ["bad/bomb.yaml"]
    assert [r[0] for r in rows(report)] == ["Stream", "FirstStream", "QuotedStream", "BlockScalarStream"]


def test_unknown_values_never_reach_the_report_as_values() -> None:
    code, report, _ = sseguard("intrinsics/parameters.yaml")
    no_default = next(f for f in report["findings"] if f["resource"]["address"] == "NoDefaultStream")
    assert no_default["evidence"]["key_reference"] == {
        "unknown": "parameter KmsKeyArn has no default", "resolve": "pass --parameter KmsKeyArn=...",
        "code": "KSSE020"}
    assert no_default["resource"]["region"] is None
    assert code == 0


def test_unknown_marker_types_are_the_models() -> None:
    stream = load("intrinsics/parameters.yaml")["NoDefaultStream"].stream
    assert isinstance(stream.key_reference, Unknown)
    assert isinstance(stream.region, OutOfReach) and stream.region.reason == (
        "the stack's region is not known: pass --region")


# --- loading: top-level sections (appended with issue 9) -------------------------------------------------------------


def test_every_section_cloudformation_knows_loads_and_sams_globals_with_its_transform(tmp_path: Path) -> None:
    path = tmp_path / "sam.yaml"
    path.write_text("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
                    "Description: d\nMetadata: {}\nParameters: {}\nRules: {}\nMappings: {}\nConditions: {}\n"
                    "Globals:\n  Function: {Timeout: 3}\nHooks: {}\nOutputs: {}\nResources:\n  S:\n"
                    "    Type: AWS::Kinesis::Stream\n")
    errors, streams = errors_of(path)
    assert (errors, streams) == ([], [("S", 14)])


@pytest.mark.parametrize(("text", "message", "line"), [
    # Globals is SAM's, expanded only by the Transform
    ("Resources:\n  S:\n    Type: AWS::Kinesis::Stream\nGlobals:\n  Function: {}\n",
     "unknown top-level section 'Globals' (the sections are AWSTemplateFormatVersion, Description, Metadata, "
     "Parameters, Rules, Mappings, Conditions, Transform, Resources, Outputs, Hooks); CloudFormation rejects the "
     "template", 4),
    ("AWSTemplateFormatVersion: '2010-09-09'\nOutput: {}\nResources: {}\n",
     "unknown top-level section 'Output' (did you mean Outputs?); CloudFormation rejects the template", 2),
    ("AWSTemplateFormatVersion: '2010-09-09'\nRESOURCES: {}\n",
     "unknown top-level section 'RESOURCES' (did you mean Resources?); CloudFormation rejects the template", 2),
    # no resources at all: CloudFormation rejects it, so it must not read as a template without streams
    ("AWSTemplateFormatVersion: '2010-09-09'\nParameters: {}\n",
     "no Resources section; CloudFormation rejects a template without one", 1),
    ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n",
     "no Resources section; CloudFormation rejects a template without one", 1),
    ('{"AWSTemplateFormatVersion": "2010-09-09", "Description": "d"}',
     "no Resources section; CloudFormation rejects a template without one", 1),
])
def test_an_unknown_top_level_section_is_an_error_at_its_line(tmp_path: Path, text: str, message: str,
                                                               line: int) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(LoadError) as raised:
        load_template(path)
    assert (raised.value.message, raised.value.line) == (message, line)
