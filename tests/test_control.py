"""The decision function (CONTROL.md's table), on streams and keys built directly in the model."""

from __future__ import annotations

from typing import Any

import pytest

from sseguard.control.codes import CODES, TABLE_ORDER
from sseguard.control.evaluate import evaluate, evidence
from sseguard.keypolicy import default_key_policy
from sseguard.kms import is_aws_managed_alias
from sseguard.model import Key, KeyManager, KeyState, Location, OutOfReach, SourceKind, Status, Stream, Unknown

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EAST_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOCATION = Location(SourceKind.TERRAFORM, "main.tf", 3, 9)

# Root delegation plus the Kinesis service principal: nothing fails, nothing is advised.
GOOD_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Kinesis", "Effect": "Allow", "Principal": {"Service": "kinesis.amazonaws.com"},
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"},
    ],
}
# Only kms:Encrypt for an admin role: no principal can use the key for Kinesis (KSSE012, and so KSSE013).
DENYING_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
         "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"},
    ],
}


def customer_key(**changes: Any) -> Key:
    """A customer key every check can run on and none fails; ``changes`` break one fact at a time."""
    fields: dict[str, Any] = {
        "reference": KEY_ARN, "arn": KEY_ARN, "region": "eu-west-1", "account": ACCOUNT,
        "manager": KeyManager.CUSTOMER, "state": KeyState.ENABLED, "policy": GOOD_POLICY,
        "declared_at": "aws_kms_key.k", "rotation": True,
    }
    fields.update(changes)
    return Key(**fields)


def stream(encryption: str | Unknown | None = "KMS", key_reference: str | Unknown | None = KEY_ARN,
           key: Key | None = None, **changes: Any) -> Stream:
    fields: dict[str, Any] = {"region": "eu-west-1"}
    fields.update(changes)
    return Stream("aws_kinesis_stream.s", "aws_kinesis_stream", LOCATION, encryption, key_reference, key, **fields)


# --- KSSE000: the pass ----------------------------------------------------------------------------------------

def test_pass_with_every_key_check_run() -> None:
    verdict = evaluate(stream(key=customer_key()))
    assert (verdict.status, verdict.code, verdict.advisories, verdict.also_failing) == (Status.PASS, "KSSE000", (), ())
    assert verdict.skipped_checks == {}
    assert verdict.message == f"encrypted with KMS key {KEY_ARN}"


def test_pass_with_nothing_known_of_the_key_names_every_skipped_check() -> None:
    verdict = evaluate(stream(key_reference="alias/orders", key=None))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ())
    assert verdict.skipped_checks == {code: "nothing is known of the key beyond its reference"
                                      for code in ("KSSE011", "KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016")}
    assert verdict.message == ("encrypted with KMS key alias/orders; 6 key checks could not run: "
                               "KSSE011, KSSE012, KSSE013, KSSE014, KSSE015, KSSE016")


@pytest.mark.parametrize("encryption", ["KMS", "kms", "Kms", " KMS "])
def test_kms_is_compared_case_insensitively(encryption: str) -> None:
    verdict = evaluate(stream(encryption, key=customer_key()))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")


def test_stream_mode_and_other_facts_change_nothing() -> None:
    plain = evaluate(stream(key=customer_key()))
    with_facts = evaluate(stream(key=customer_key(), facts={"stream_mode": "ON_DEMAND", "shard_count": 4}))
    assert plain == with_facts


def test_the_decision_is_pure() -> None:
    s = stream(key=customer_key(state=KeyState.DISABLED, region="us-east-1"))
    assert evaluate(s) == evaluate(s)


# --- KSSE001-005: the encryption type and the key's presence -----------------------------------------------------

def test_ksse001_encryption_type_absent() -> None:
    verdict = evaluate(stream(None, key_reference=None))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE001", ())
    assert verdict.message == "encryption type is not set; the default is NONE (no encryption)"


@pytest.mark.parametrize("encryption", ["NONE", "none", "None", " none "])
def test_ksse002_none_in_any_case(encryption: str) -> None:
    verdict = evaluate(stream(encryption, key_reference=None))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE002")
    assert verdict.message == f"encryption type is {encryption!r}: records are stored unencrypted"


def test_ksse002_even_with_a_key_given() -> None:
    verdict = evaluate(stream("NONE", key=customer_key()))
    assert (verdict.status, verdict.code, verdict.also_failing) == (Status.FAIL, "KSSE002", ())


@pytest.mark.parametrize(("reference", "suffix"), [(None, ""), ("", " (empty key)"), ("   ", " (empty key)")])
def test_ksse003_kms_without_a_key(reference: str | None, suffix: str) -> None:
    verdict = evaluate(stream("KMS", key_reference=reference))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE003")
    assert verdict.message == "encryption type is KMS but no key is given" + suffix


@pytest.mark.parametrize("encryption", ["AES256", "SSE-KMS", "", "KMS_AWS"])
def test_ksse004_any_other_value(encryption: str) -> None:
    verdict = evaluate(stream(encryption))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE004")
    assert verdict.message == f"encryption type {encryption!r} is not a valid value (KMS or NONE)"


def test_a_huge_value_is_shown_cut_in_the_message() -> None:
    # found by the fuzz harness: a 10,000-character encryption type was printed whole in every report
    verdict = evaluate(stream("NON" + "- " * 5000))
    assert verdict.code == "KSSE004"
    assert verdict.message == f"encryption type {('NON' + '- ' * 5000)[:300]!r}… (10,003 characters) is not a valid " \
                              "value (KMS or NONE)"
    passing = evaluate(stream("KMS", key_reference="alias/" + "k" * 1000))
    assert passing.message.startswith(f"encrypted with KMS key alias/{'k' * 294}… (1,006 characters); ")


def test_ksse005_replaces_ksse001_for_an_imported_stream() -> None:
    verdict = evaluate(stream(None, key_reference=None, importing=True))
    assert (verdict.status, verdict.code, verdict.also_failing) == (Status.FAIL, "KSSE005", ())
    assert "terraform plan shows no drift" in verdict.message


def test_an_import_of_a_stream_that_sets_none_is_ksse002() -> None:
    verdict = evaluate(stream("NONE", key_reference=None, importing=True))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE002")


def test_an_import_of_an_encrypted_stream_passes() -> None:
    verdict = evaluate(stream(key=customer_key(), importing=True))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")


# --- KSSE010: the AWS-managed key --------------------------------------------------------------------------------

@pytest.mark.parametrize(("reference", "region"), [
    ("alias/aws/kinesis", "eu-west-1"),
    (f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/kinesis", "eu-west-1"),
    (f"arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT}:alias/aws/kinesis", "us-gov-west-1"),
    ("arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/kinesis", "eu-west-1"),
    ("arn:${data.aws_partition.p.partition}:kms:${var.region}:${data.aws_caller_identity.me.account_id}"
     ":alias/aws/kinesis", "eu-west-1"),
])
def test_ksse010_aws_managed_alias_is_an_advisory_on_a_clean_pass(reference: str, region: str) -> None:
    # AWS keeps its managed key enabled and writes its policy: no key check is left to run but the region's, and
    # that one only when the ARN names a region other than the stream's
    verdict = evaluate(stream(key_reference=reference, region=region))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ("KSSE010",))
    assert verdict.message == f"encrypted with KMS key {reference} (the AWS-managed key)" + (
        "; 1 key check could not run: KSSE011" if "${var.region}" in reference or "${AWS::Region}" in reference
        else "")


def test_the_aws_managed_alias_arn_of_another_region_fails_ksse011() -> None:
    reference = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesis"
    verdict = evaluate(stream(key_reference=reference, region="eu-west-1"))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE011", ("KSSE010",))
    assert verdict.message == f"key {reference} is in region us-east-1, the stream is in eu-west-1"


@pytest.mark.parametrize("reference", [
    "alias/aws/kinesis-custom", "alias/team/aws/kinesis", "alias/aws/kinesisx",
    f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/kinesis/extra", "arn:aws:s3:::bucket/alias/aws/kinesis",
])
def test_ksse010_is_not_a_substring_match(reference: str) -> None:
    assert not is_aws_managed_alias(reference)
    verdict = evaluate(stream(key_reference=reference))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ())


def test_ksse010_from_a_key_whose_manager_is_aws() -> None:
    key = customer_key(manager=KeyManager.AWS, state=OutOfReach("n/a"), policy=OutOfReach("set by AWS"))
    verdict = evaluate(stream(key_reference=KEY_ARN, key=key))
    # the AWS-managed key's state and policy are AWS's: those checks do not run and are not listed as skipped
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ("KSSE010",))
    assert verdict.skipped_checks == {}


def test_the_aws_managed_key_of_another_region_fails_ksse011_and_keeps_its_advisory() -> None:
    reference = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesis"
    key = customer_key(reference=reference, arn=reference, manager=KeyManager.AWS, region="us-east-1",
                       state=KeyState.ENABLED, policy=OutOfReach("set by AWS"))
    verdict = evaluate(stream(key_reference=reference, key=key))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE011", ("KSSE010",))


# --- KSSE011-014: key checks ------------------------------------------------------------------------------------

def test_ksse011_key_in_another_region() -> None:
    verdict = evaluate(stream(key_reference=EAST_KEY_ARN, key=customer_key(reference=EAST_KEY_ARN,
                                                                            region="us-east-1")))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE011", ())
    assert verdict.message == f"key {EAST_KEY_ARN} is in region us-east-1, the stream is in eu-west-1"


def test_ksse011_not_raised_for_a_key_looked_up_in_the_stream_region() -> None:
    key = customer_key(reference="alias/orders", region="us-east-1", in_stream_region=True)
    verdict = evaluate(stream(key_reference="alias/orders", key=key))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")


def test_ksse011_skipped_when_the_stream_region_is_out_of_reach() -> None:
    s = stream(key=customer_key(region="us-east-1"), region=OutOfReach("provider aws names no region: pass --region"))
    verdict = evaluate(s)
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")
    assert verdict.skipped_checks == {"KSSE011": "provider aws names no region: pass --region"}
    assert verdict.message.endswith("; 1 key check could not run: KSSE011")


def test_ksse011_skipped_when_the_key_region_is_out_of_reach() -> None:
    verdict = evaluate(stream(key=customer_key(region=OutOfReach("the key comes from a data source"))))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")
    assert verdict.skipped_checks == {"KSSE011": "the key comes from a data source"}


def test_ksse012_policy_lets_no_principal_use_the_key() -> None:
    verdict = evaluate(stream(key=customer_key(policy=DENYING_POLICY)))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE012", ("KSSE013",))
    assert verdict.message == f"the policy of key {KEY_ARN} allows no principal kms:GenerateDataKey and kms:Decrypt"
    assert "no principal is left a way to use kms:GenerateDataKey: no Allow statement covers it" in (
        verdict.policy_notes)


def test_ksse013_is_an_advisory_on_a_pass_by_default() -> None:
    verdict = evaluate(stream(key=customer_key(policy=default_key_policy(ACCOUNT))))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ("KSSE013",))


def test_ksse013_is_a_fail_with_strict_key_policy() -> None:
    verdict = evaluate(stream(key=customer_key(policy=default_key_policy(ACCOUNT))), strict_key_policy=True)
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE013", ())
    assert verdict.message == (f"the policy of key {KEY_ARN} does not allow kinesis.amazonaws.com "
                               "kms:GenerateDataKey and kms:Decrypt")


def test_policy_checks_skipped_when_the_policy_is_out_of_reach() -> None:
    verdict = evaluate(stream(key=customer_key(policy=OutOfReach("the key is in another account"))))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ())
    assert verdict.skipped_checks == {"KSSE012": "the key is in another account",
                                      "KSSE013": "the key is in another account",
                                      "KSSE016": "the key is in another account"}


@pytest.mark.parametrize("state", [KeyState.DISABLED, KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION,
                                   KeyState.MISSING, KeyState.UNAVAILABLE, KeyState.PENDING_IMPORT])
def test_ksse014_key_unusable(state: KeyState) -> None:
    verdict = evaluate(stream(key=customer_key(state=state)))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.FAIL, "KSSE014", ())
    assert verdict.message == f"key {KEY_ARN} is not usable: {state.value}"


@pytest.mark.parametrize("state", [KeyState.ENABLED, KeyState.CREATING, KeyState.UPDATING])
def test_ksse014_usable_states_pass(state: KeyState) -> None:
    verdict = evaluate(stream(key=customer_key(state=state)))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")


def test_ksse014_skipped_when_the_state_is_out_of_reach() -> None:
    verdict = evaluate(stream(key=customer_key(state=OutOfReach("is_enabled of aws_kms_key.k cannot be resolved"))))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")
    assert verdict.skipped_checks == {"KSSE014": "is_enabled of aws_kms_key.k cannot be resolved"}


# --- several rules at once: table order, also_failing, advisories never hide a fail ---------------------------------

def test_primary_code_is_the_first_failing_row_and_the_others_are_also_failing() -> None:
    key = customer_key(region="us-east-1", policy=DENYING_POLICY, state=KeyState.PENDING_DELETION)
    verdict = evaluate(stream(key=key))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE011")
    assert verdict.also_failing == ("KSSE012", "KSSE014")
    assert verdict.advisories == ("KSSE013",)


def test_strict_ksse013_sorts_before_ksse014() -> None:
    key = customer_key(policy=default_key_policy(ACCOUNT), state=KeyState.DISABLED)
    verdict = evaluate(stream(key=key), strict_key_policy=True)
    assert (verdict.status, verdict.code, verdict.also_failing, verdict.advisories) == (
        Status.FAIL, "KSSE013", ("KSSE014",), ())


def test_an_advisory_never_hides_a_fail() -> None:
    key = customer_key(policy=default_key_policy(ACCOUNT), state=KeyState.DISABLED)
    verdict = evaluate(stream(key=key, updating=True))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE014")
    assert verdict.advisories == ("KSSE013", "KSSE022")


def test_advisories_are_listed_in_table_order() -> None:
    verdict = evaluate(stream(key_reference="alias/aws/kinesis", updating=True))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.PASS, "KSSE000", ("KSSE010", "KSSE022"))


def test_the_table_order_is_the_rulebook_order() -> None:
    assert TABLE_ORDER == ("KSSE000", "KSSE001", "KSSE002", "KSSE003", "KSSE004", "KSSE005", "KSSE010", "KSSE011",
                           "KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016", "KSSE020", "KSSE021", "KSSE022")
    assert {c.kind for c in CODES.values() if c.code in ("KSSE010", "KSSE013", "KSSE015", "KSSE016", "KSSE022")} == {
        "advisory"}


# --- KSSE020 / KSSE021: unknown, never a pass ----------------------------------------------------------------------

def test_ksse020_unresolved_encryption_type_names_what_and_how() -> None:
    why = Unknown("var.enc has no value in this root module", "pass --var enc=... or set it in a tfvars file")
    verdict = evaluate(stream(why, key=customer_key()))
    assert (verdict.status, verdict.code, verdict.advisories) == (Status.UNKNOWN, "KSSE020", ())
    assert verdict.message == ("var.enc has no value in this root module; to resolve: pass --var enc=... or set "
                               "it in a tfvars file")
    assert verdict.resolve == "pass --var enc=... or set it in a tfvars file"


def test_ksse020_unresolved_key_with_kms() -> None:
    verdict = evaluate(stream("KMS", key_reference=Unknown("module.keys.arn: module.keys is not on disk")))
    assert (verdict.status, verdict.code) == (Status.UNKNOWN, "KSSE020")
    assert verdict.message == "module.keys.arn: module.keys is not on disk"
    assert verdict.resolve is None  # no hint of its own: reports fall back to the code's remediation


def test_an_unresolved_key_does_not_matter_when_the_type_is_none() -> None:
    verdict = evaluate(stream("NONE", key_reference=Unknown("var.key has no value")))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE002")


def test_ksse021_api_error_is_unknown_never_fail_or_pass() -> None:
    denied = Unknown("DescribeStreamSummary: AccessDeniedException", "grant kinesis:DescribeStreamSummary",
                     code="KSSE021")
    verdict = evaluate(stream(denied, key_reference=denied))
    assert (verdict.status, verdict.code) == (Status.UNKNOWN, "KSSE021")
    assert verdict.message == ("DescribeStreamSummary: AccessDeniedException; to resolve: grant "
                               "kinesis:DescribeStreamSummary")


def test_an_unknown_key_fact_makes_the_stream_unknown_not_a_pass() -> None:
    denied = Unknown("GetKeyPolicy: AccessDeniedException", "grant kms:GetKeyPolicy", code="KSSE021")
    verdict = evaluate(stream(key=customer_key(policy=denied)))
    assert (verdict.status, verdict.code) == (Status.UNKNOWN, "KSSE021")
    assert verdict.message == "GetKeyPolicy: AccessDeniedException; to resolve: grant kms:GetKeyPolicy"
    assert verdict.skipped_checks == {"KSSE012": "GetKeyPolicy: AccessDeniedException",
                                      "KSSE013": "GetKeyPolicy: AccessDeniedException",
                                      "KSSE016": "GetKeyPolicy: AccessDeniedException"}


def test_a_failing_key_check_wins_over_an_unknown_key_fact() -> None:
    denied = Unknown("GetKeyPolicy: AccessDeniedException", "grant kms:GetKeyPolicy", code="KSSE021")
    verdict = evaluate(stream(key=customer_key(policy=denied, state=KeyState.DISABLED)))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE014")


def test_out_of_reach_is_not_unknown() -> None:
    reach = OutOfReach("a key given by ARN is not declared in the scanned files")
    key = customer_key(region=reach, manager=reach, state=reach, policy=reach, rotation=reach)
    verdict = evaluate(stream(key=key))
    assert (verdict.status, verdict.code) == (Status.PASS, "KSSE000")
    assert sorted(verdict.skipped_checks) == ["KSSE011", "KSSE012", "KSSE013", "KSSE014", "KSSE015", "KSSE016"]


# --- KSSE022 --------------------------------------------------------------------------------------------------------

def test_ksse022_updating_is_an_advisory_on_a_fail_and_on_an_unknown() -> None:
    failing = evaluate(stream(None, key_reference=None, updating=True))
    assert (failing.status, failing.code, failing.advisories) == (Status.FAIL, "KSSE001", ("KSSE022",))
    unknown = evaluate(stream(Unknown("api"), updating=True))
    assert (unknown.status, unknown.code, unknown.advisories) == (Status.UNKNOWN, "KSSE020", ("KSSE022",))


# --- evidence -------------------------------------------------------------------------------------------------------

def test_evidence_names_skipped_checks_failures_and_policy_analysis() -> None:
    key = customer_key(region="us-east-1", policy=DENYING_POLICY, state=OutOfReach("state not known here"))
    s = stream(key=key, importing=True, facts={"provider": "aws"})
    verdict = evaluate(s)
    assert (verdict.status, verdict.code, verdict.also_failing) == (Status.FAIL, "KSSE011", ("KSSE012",))
    ev = evidence(s, verdict)
    assert ev["encryption_type"] == "KMS"
    assert ev["key_reference"] == KEY_ARN
    assert ev["region"] == "eu-west-1"
    assert ev["importing"] is True
    assert ev["also_failing"] == ["KSSE012"]
    assert ev["key_checks_not_run"] == {"KSSE014": "state not known here"}
    assert ev["key"]["state"] == {"not_known": "state not known here"}
    assert ev["key"]["manager"] == "CUSTOMER"
    assert ev["key"]["declared_at"] == "aws_kms_key.k"
    assert any("no principal is left a way to use kms:Decrypt" in n for n in ev["policy_analysis"])
    assert ev["source_facts"] == {"provider": "aws"}


def test_evidence_of_an_unknown_names_the_resolution() -> None:
    s = stream(Unknown("var.enc has no value", "pass --var enc=..."))
    ev = evidence(s, evaluate(s))
    assert ev["encryption_type"] == {"unknown": "var.enc has no value", "resolve": "pass --var enc=...",
                                     "code": "KSSE020"}
