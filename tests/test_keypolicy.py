"""KMS key-policy analysis (KSSE012 / KSSE013): real policy documents in, exact booleans and notes out."""

from __future__ import annotations

from typing import Any

import pytest

from sseguard import keypolicy
from sseguard.control.evaluate import evaluate
from sseguard.keypolicy import PolicyAnalysis, PolicyError, analyze, default_key_policy, parse_policy
from sseguard.model import Key, KeyManager, KeyState, Location, SourceKind, Status, Stream

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
PRODUCER = f"arn:aws:iam::{ACCOUNT}:role/producer"
CONSUMER = f"arn:aws:iam::{ACCOUNT}:role/consumer"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BOTH = ["kms:GenerateDataKey", "kms:Decrypt"]


def policy(*statements: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, principal: Any, action: Any, **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def deny(sid: str, principal: Any, action: Any, **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Deny", "Principal": principal, "Action": action, "Resource": "*", **extra}


def notes_about(result: PolicyAnalysis, text: str) -> list[str]:
    return [n for n in result.notes if text in n]


ROOT_ALL = allow("Root", {"AWS": ROOT}, "kms:*")


# --- actions: IAM wildcards, case, and what does not count -------------------------------------------------------

@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ("*", True),
        ("kms:*", True),
        ("KMS:*", True),
        (["kms:Generate*", "kms:Decrypt"], True),
        (["kms:*DataKey*", "kms:Decrypt*"], True),
        (["kms:generatedatakey", "KMS:DECRYPT"], True),
        (["kms:GenerateDataKe?", "kms:Decryp?"], True),
        ("kms:*DataKey*", False),  # no kms:Decrypt
        (["kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"], False),
        (["kms:GenerateDataKeyPair", "kms:Decrypt"], False),
        (["kms:GenerateDataKey?", "kms:Decrypt"], False),  # ? needs exactly one more character
        (["kms:Encrypt", "kms:ReEncrypt*"], False),
        ("s3:*", False),
    ],
)
def test_action_wildcards(actions: Any, expected: bool) -> None:
    result = analyze(policy(allow("Use", {"AWS": PRODUCER}, actions)))
    assert result.data_plane_allowed is expected
    assert result.service_principal_allowed is False


def test_generate_data_key_without_plaintext_alone_is_noted_as_missing() -> None:
    result = analyze(policy(allow("Use", {"AWS": PRODUCER}, ["kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"])))
    assert result.data_plane_allowed is False
    assert "statement 'Use' allows " + PRODUCER + " kms:Decrypt" in result.notes
    assert "no principal is left a way to use kms:GenerateDataKey: no Allow statement covers it" in result.notes


# --- NotAction -----------------------------------------------------------------------------------------------------

def test_allow_not_action_grants_everything_not_listed() -> None:
    stmt = {"Sid": "AllButDecrypt", "Effect": "Allow", "Principal": {"AWS": PRODUCER},
            "NotAction": "kms:Decrypt", "Resource": "*"}
    result = analyze(policy(stmt))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (False, False)
    assert (f"statement 'AllButDecrypt' allows {PRODUCER} kms:GenerateDataKey "
            "(through NotAction: everything not listed)") in result.notes
    assert "no principal is left a way to use kms:Decrypt: no Allow statement covers it" in result.notes


def test_allow_not_action_with_decrypt_from_another_statement() -> None:
    stmt = {"Sid": "AllButDecrypt", "Effect": "Allow", "Principal": {"AWS": PRODUCER},
            "NotAction": ["kms:Decrypt", "kms:ScheduleKeyDeletion"], "Resource": "*"}
    result = analyze(policy(stmt, allow("Read", {"AWS": CONSUMER}, "kms:Decrypt")))
    assert result.data_plane_allowed is True


def test_deny_not_action_denies_what_it_does_not_exclude() -> None:
    only_decrypt = {"Sid": "OnlyDecrypt", "Effect": "Deny", "Principal": "*",
                    "NotAction": ["kms:Decrypt", "kms:Describe*"], "Resource": "*"}
    result = analyze(policy(ROOT_ALL, only_decrypt))
    assert result.data_plane_allowed is False
    assert "statement 'OnlyDecrypt' denies everyone (*) kms:GenerateDataKey " \
           "(through NotAction: everything not listed)" in result.notes
    assert ("no principal is left a way to use kms:GenerateDataKey: allowed by statement 'Root' but denied "
            "without condition by statement 'OnlyDecrypt'") in result.notes

    sparing_both = {**only_decrypt, "Sid": "SpareDataPlane", "NotAction": ["kms:Decrypt", "kms:GenerateDataKey"]}
    assert analyze(policy(ROOT_ALL, sparing_both)).data_plane_allowed is True


# --- Deny: blanket vs conditional ----------------------------------------------------------------------------------

@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_blanket_deny_removes_the_action(principal: Any) -> None:
    result = analyze(policy(ROOT_ALL, deny("NoDecrypt", principal, "kms:Decrypt")))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (False, False)
    assert ("no principal is left a way to use kms:Decrypt: allowed by statement 'Root' but denied without "
            "condition by statement 'NoDecrypt'") in result.notes


def test_deny_with_condition_is_not_a_blanket_deny() -> None:
    conditional = deny("TlsOnly", "*", "kms:*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    result = analyze(policy(ROOT_ALL, conditional))
    assert result.data_plane_allowed is True
    assert ("statement 'TlsOnly' Deny has a condition (Bool aws:SecureTransport); not treated as a blanket deny"
            in result.notes)


def test_deny_with_empty_condition_is_a_blanket_deny() -> None:
    result = analyze(policy(ROOT_ALL, deny("Empty", "*", "kms:GenerateDataKey", Condition={})))
    assert result.data_plane_allowed is False
    assert notes_about(result, "Deny has a condition") == []


def test_deny_of_unrelated_actions_changes_nothing() -> None:
    result = analyze(policy(ROOT_ALL, deny("NoDelete", "*", ["kms:ScheduleKeyDeletion", "kms:Disable*"])))
    assert result.data_plane_allowed is True
    assert notes_about(result, "'NoDelete'") == []


def test_deny_naming_the_account_covers_its_roles() -> None:
    grants = allow("Roles", {"AWS": [PRODUCER, CONSUMER]}, BOTH)
    result = analyze(policy(grants, deny("Account", {"AWS": ACCOUNT}, "kms:Decrypt")))
    assert result.data_plane_allowed is False
    assert f"statement 'Account' denies arn:aws:iam::{ACCOUNT}:root kms:Decrypt" in result.notes

    other_account = deny("Other", {"AWS": "444455556666"}, "kms:Decrypt")
    assert analyze(policy(grants, other_account)).data_plane_allowed is True


def test_deny_of_one_role_leaves_the_other() -> None:
    grants = allow("Roles", {"AWS": [PRODUCER, CONSUMER]}, BOTH)
    assert analyze(policy(grants, deny("NotProducer", {"AWS": PRODUCER}, "kms:*"))).data_plane_allowed is True
    both_denied = deny("Neither", {"AWS": [PRODUCER, CONSUMER]}, "kms:Decrypt")
    assert analyze(policy(grants, both_denied)).data_plane_allowed is False


# --- split producer / consumer statements, root delegation ---------------------------------------------------------

def test_split_producer_and_consumer_statements() -> None:
    result = analyze(policy(
        allow("Producers", {"AWS": PRODUCER}, "kms:GenerateDataKey"),
        allow("Consumers", {"AWS": CONSUMER}, "kms:Decrypt"),
    ))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)
    assert f"statement 'Producers' allows {PRODUCER} kms:GenerateDataKey" in result.notes
    assert f"statement 'Consumers' allows {CONSUMER} kms:Decrypt" in result.notes


@pytest.mark.parametrize("principal", [{"AWS": ROOT}, {"AWS": ACCOUNT}, {"AWS": [ACCOUNT]}])
def test_root_delegation_only(principal: Any) -> None:
    result = analyze(policy(allow("Enable IAM User Permissions", principal, "kms:*")))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)
    assert (f"statement 'Enable IAM User Permissions' delegates to account {ACCOUNT}: IAM policies in that account "
            "can grant use of the key") in result.notes
    assert ("kinesis.amazonaws.com is not allowed kms:Decrypt: no Allow statement covering it includes that "
            "principal") in result.notes


def test_allow_with_condition_still_counts() -> None:
    via = allow("ViaKinesis", "*", ["kms:GenerateDataKey*", "kms:Decrypt"], Condition={
        "StringEquals": {"kms:ViaService": "kinesis.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT}})
    result = analyze(policy(via))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert ("statement 'ViaKinesis' Allow has a condition (StringEquals kms:CallerAccount; StringEquals "
            "kms:ViaService); still counted as a way to use the key") in result.notes


# --- the Kinesis service principal -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "principal",
    [
        {"Service": "kinesis.amazonaws.com"},
        {"Service": ["logs.amazonaws.com", "kinesis.amazonaws.com"]},
        {"Service": "Kinesis.AmazonAWS.com"},
        {"AWS": ROOT, "Service": ["kinesis.amazonaws.com"]},
    ],
)
def test_service_principal_string_or_list(principal: Any) -> None:
    result = analyze(policy(ROOT_ALL, allow("Kinesis", principal, BOTH)))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert notes_about(result, "statement 'Kinesis' allows ") != []
    assert notes_about(result, "service kinesis.amazonaws.com") != []


def test_service_principal_across_statements() -> None:
    result = analyze(policy(
        allow("KinesisWrite", {"Service": "kinesis.amazonaws.com"}, "kms:GenerateDataKey"),
        allow("KinesisRead", {"Service": ["kinesis.amazonaws.com"]}, "kms:Decrypt"),
    ))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)


def test_service_principal_with_only_one_action() -> None:
    result = analyze(policy(ROOT_ALL, allow("KinesisWrite", {"Service": "kinesis.amazonaws.com"},
                                            "kms:GenerateDataKey")))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)
    assert ("kinesis.amazonaws.com is not allowed kms:Decrypt: no Allow statement covering it includes that "
            "principal") in result.notes
    assert notes_about(result, "kinesis.amazonaws.com is not allowed kms:GenerateDataKey") == []


def test_other_service_principal_is_not_kinesis() -> None:
    result = analyze(policy(allow("Logs", {"Service": "logs.amazonaws.com"}, BOTH)))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)


def test_deny_to_the_service_principal_removes_it() -> None:
    result = analyze(policy(
        ROOT_ALL,
        allow("Kinesis", {"Service": "kinesis.amazonaws.com"}, BOTH),
        deny("NoKinesisDecrypt", {"Service": "kinesis.amazonaws.com"}, "kms:Decrypt"),
    ))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)
    assert ("kinesis.amazonaws.com is not allowed kms:Decrypt: denied without condition by statement "
            "'NoKinesisDecrypt'") in result.notes


def test_conditional_deny_to_the_service_principal_is_ignored() -> None:
    result = analyze(policy(
        allow("Kinesis", {"Service": "kinesis.amazonaws.com"}, BOTH),
        deny("NoKinesisDecrypt", {"Service": "kinesis.amazonaws.com"}, "kms:Decrypt",
             Condition={"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}),
    ))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert notes_about(result, "statement 'NoKinesisDecrypt' Deny has a condition") != []


# --- Principal "*" and NotPrincipal ---------------------------------------------------------------------------------

@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_principal_everyone(principal: Any) -> None:
    result = analyze(policy(allow("Everyone", principal, BOTH)))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert "statement 'Everyone' allows everyone (*) kms:GenerateDataKey and kms:Decrypt" in result.notes


def test_allow_not_principal_counts_as_allowing_others() -> None:
    stmt = {"Sid": "AllButIntern", "Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/intern"},
            "Action": BOTH, "Resource": "*"}
    result = analyze(policy(stmt))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert (f"statement 'AllButIntern' allows everyone except arn:aws:iam::{ACCOUNT}:user/intern (NotPrincipal) "
            "kms:GenerateDataKey and kms:Decrypt") in result.notes

    excluding_kinesis = {**stmt, "NotPrincipal": {"Service": "kinesis.amazonaws.com"}}
    result = analyze(policy(excluding_kinesis))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)


def test_deny_not_principal_denies_everyone_not_spared() -> None:
    everyone_but_root = {"Sid": "OnlyRoot", "Effect": "Deny", "NotPrincipal": {"AWS": ROOT}, "Action": "kms:*",
                         "Resource": "*"}
    assert analyze(policy(ROOT_ALL, everyone_but_root)).data_plane_allowed is True
    result = analyze(policy(allow("Roles", {"AWS": [PRODUCER, CONSUMER]}, BOTH), everyone_but_root))
    assert result.data_plane_allowed is False
    assert ("no principal is left a way to use kms:GenerateDataKey: allowed by statement 'Roles' but denied "
            "without condition by statement 'OnlyRoot'") in result.notes
    # Principal "*" allows the spared root too, so it keeps a way in.
    assert analyze(policy(allow("Everyone", "*", BOTH), everyone_but_root)).data_plane_allowed is True


# --- Resource -------------------------------------------------------------------------------------------------------

def test_resource_forms() -> None:
    by_arn = allow("ByArn", "*", BOTH, Resource=[KEY_ARN])
    assert analyze(policy(by_arn)).data_plane_allowed is True
    other = allow("Bucket", "*", BOTH, Resource="arn:aws:s3:::my-bucket")
    result = analyze(policy(other))
    assert result.data_plane_allowed is False
    assert ("statement 'Bucket' does not apply to this key (its Resource names no KMS key); ignored"
            in result.notes)
    not_any = {"Sid": "NotAny", "Effect": "Allow", "Principal": "*", "Action": BOTH, "NotResource": "*"}
    assert analyze(policy(not_any)).data_plane_allowed is False


# --- malformed documents never raise ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("document", "note"),
    [
        ({"Version": "2012-10-17"}, "the key policy has no Statement; it grants nothing"),
        ({"Statement": 5}, "the key policy's Statement is a number, not an object or a list; it grants nothing"),
        ({"Statement": "Allow everything"},
         "the key policy's Statement is a string, not an object or a list; it grants nothing"),
        ([ROOT_ALL], "the key policy is not a JSON object but an array; it grants nothing"),
        (policy("Allow"), "statement [0] is malformed (a string, not an object); ignored"),
        (policy({**ROOT_ALL, "Effect": "allow"}),
         "statement 'Root' is malformed (Effect is 'allow', not 'Allow' or 'Deny'); ignored"),
        (policy({k: v for k, v in ROOT_ALL.items() if k not in ("Effect", "Sid")}),
         "statement [0] is malformed (Effect is missing, not 'Allow' or 'Deny'); ignored"),
        (policy({**ROOT_ALL, "Action": 7}),
         "statement 'Root' is malformed (Action is a number; expected a string or a list of strings); ignored"),
        (policy({**ROOT_ALL, "Action": ["kms:*", None]}),
         "statement 'Root' is malformed (Action is an array; expected a string or a list of strings); ignored"),
        (policy({**ROOT_ALL, "Action": []}), "statement 'Root' is malformed (Action is empty); ignored"),
        (policy({**ROOT_ALL, "NotAction": "kms:Decrypt"}),
         "statement 'Root' is malformed (it needs exactly one of Action and NotAction); ignored"),
        (policy({k: v for k, v in ROOT_ALL.items() if k != "Principal"}),
         "statement 'Root' is malformed (it needs exactly one of Principal and NotPrincipal); ignored"),
        (policy({**ROOT_ALL, "Principal": ROOT}),
         "statement 'Root' is malformed (Principal is a string; expected '*' or an object such as "
         '{"AWS": ...}); ignored'),
        (policy({**ROOT_ALL, "Principal": {"Group": ROOT}}),
         "statement 'Root' is malformed (Principal has an unknown principal type 'Group'); ignored"),
        (policy({**ROOT_ALL, "Principal": {"AWS": 123}}),
         "statement 'Root' is malformed (Principal.AWS is a number; expected a string or a list of strings); "
         "ignored"),
        (policy({k: v for k, v in ROOT_ALL.items() if k != "Resource"}),
         "statement 'Root' is malformed (it needs exactly one of Resource and NotResource); ignored"),
        (policy({**ROOT_ALL, "Condition": "yes"}),
         "statement 'Root' is malformed (Condition is a string, not an object); ignored"),
    ],
)
def test_malformed_input_grants_nothing_and_is_noted(document: Any, note: str) -> None:
    result = analyze(document)
    assert (result.data_plane_allowed, result.service_principal_allowed) == (False, False)
    assert note in result.notes


def test_malformed_statement_does_not_hide_a_good_one() -> None:
    result = analyze(policy(42, ROOT_ALL))
    assert result.data_plane_allowed is True
    assert "statement [0] is malformed (a number, not an object); ignored" in result.notes


def test_malformed_deny_is_ignored_and_noted() -> None:
    bad_deny = deny("BadDeny", "*", "kms:*", Effect="DENY")
    result = analyze(policy(ROOT_ALL, bad_deny))
    assert result.data_plane_allowed is True
    assert "statement 'BadDeny' is malformed (Effect is 'DENY', not 'Allow' or 'Deny'); ignored" in result.notes


def test_statement_may_be_a_single_object() -> None:
    single = {k: v for k, v in allow("x", "*", BOTH).items() if k != "Sid"}
    result = analyze({"Version": "2012-10-17", "Statement": single})
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert "statement [0] allows everyone (*) kms:GenerateDataKey and kms:Decrypt" in result.notes


def test_not_principal_everyone_names_nobody() -> None:
    stmt = {"Sid": "Nobody", "Effect": "Allow", "NotPrincipal": "*", "Action": BOTH, "Resource": "*"}
    result = analyze(policy(stmt))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (False, False)
    assert "no principal is left a way to use kms:Decrypt: statement 'Nobody' name no principal" in result.notes


# --- the default key policy ------------------------------------------------------------------------------------------

def test_default_key_policy_document() -> None:
    assert default_key_policy(ACCOUNT) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }
    assert default_key_policy(None)["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::ACCOUNT:root"}


@pytest.mark.parametrize("account", [ACCOUNT, None])
def test_default_key_policy_passes_data_plane_not_service_principal(account: str | None) -> None:
    result = analyze(default_key_policy(account))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, False)
    assert (f"statement 'Enable IAM User Permissions' delegates to account {account or 'ACCOUNT'}: IAM policies in "
            "that account can grant use of the key") in result.notes


# --- parse_policy ----------------------------------------------------------------------------------------------------

AWS_MANAGED_KINESIS_POLICY = """{
  "Version": "2012-10-17",
  "Id": "auto-kinesis-1",
  "Statement": [
    {
      "Sid": "Allow access through Amazon Kinesis for all principals in the account that are authorized to use it",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333",
                                     "kms:ViaService": "kinesis.us-east-1.amazonaws.com"}}
    },
    {
      "Sid": "Allow direct access to key metadata to the account",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
      "Resource": "*"
    }
  ]
}"""


def test_parse_and_analyze_an_aws_managed_style_policy() -> None:
    result = analyze(parse_policy(AWS_MANAGED_KINESIS_POLICY))
    assert (result.data_plane_allowed, result.service_principal_allowed) == (True, True)
    assert len(notes_about(result, "Allow has a condition (StringEquals kms:CallerAccount")) == 1
    # The metadata statement touches neither data-plane action and earns no note.
    assert notes_about(result, "key metadata") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "Statement": []\n  "Version": "2012-10-17"}',
         "key policy is not valid JSON: Expecting ',' delimiter at line 3 column 3"),
        ("[]", "key policy must be a JSON object, not an array"),
        ('"kms:*"', "key policy must be a JSON object, not a string"),
        ("null", "key policy must be a JSON object, not null"),
        ("  \n", "key policy is empty"),
    ],
)
def test_parse_policy_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_parse_policy_deeply_nested_is_a_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("[" * 100_000 + "]" * 100_000)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("key policy is not valid JSON: ")


# --- through the decision function -----------------------------------------------------------------------------------

def _stream(key_policy: dict[str, Any]) -> Stream:
    key = Key(reference=KEY_ARN, arn=KEY_ARN, region="us-east-1", account=ACCOUNT, manager=KeyManager.CUSTOMER,
              state=KeyState.ENABLED, policy=key_policy)
    return Stream(address="aws_kinesis_stream.orders", resource_type="aws_kinesis_stream",
                  location=Location(SourceKind.TERRAFORM, "main.tf", 1), encryption_type="KMS",
                  key_reference=KEY_ARN, key=key, region="us-east-1")


def test_evaluate_default_policy_is_an_advisory_and_strict_fails() -> None:
    stream = _stream(default_key_policy(ACCOUNT))
    lenient = evaluate(stream)
    assert (lenient.status, lenient.code, lenient.advisories) == (Status.PASS, "KSSE000", ("KSSE013",))
    strict = evaluate(stream, strict_key_policy=True)
    assert (strict.status, strict.code) == (Status.FAIL, "KSSE013")


def test_evaluate_blanket_deny_fails_ksse012_with_notes() -> None:
    verdict = evaluate(_stream(policy(ROOT_ALL, deny("NoDecrypt", "*", "kms:Decrypt"))))
    assert (verdict.status, verdict.code) == (Status.FAIL, "KSSE012")
    assert "statement 'NoDecrypt' denies everyone (*) kms:Decrypt" in verdict.policy_notes


def test_public_constants() -> None:
    assert keypolicy.DATA_PLANE_ACTIONS == ("kms:GenerateDataKey", "kms:Decrypt")
    assert keypolicy.KINESIS_SERVICE == "kinesis.amazonaws.com"
