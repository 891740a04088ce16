"""Reason codes of the control, exactly as CONTROL.md defines them. These ids are a contract."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

CONTROL_ID = "kinesis_stream_server_side_encryption_enabled"
CONTROL_TITLE = "Kinesis streams must have server-side encryption enabled"

Kind = Literal["pass", "fail", "advisory", "unknown"]


@dataclass(frozen=True, kw_only=True)
class ReasonCode:
    """One row of the rulebook's table: the code, its name, what it means and how to fix it."""

    code: str
    slug: str
    kind: Kind
    severity: str
    title: str
    explanation: str
    remediation: str
    # The fix in the words of one kind of source (terraform, plan, cloudformation, aws...), where it differs.
    by_source: Mapping[str, str] = field(default_factory=dict)

    @property
    def fix(self) -> str:
        """The general fix, as ``explain`` and the rule texts of SARIF and Markdown show it."""
        return self.remediation.replace(STREAM_NAME, "NAME")

    def remediation_for(self, source_kind: str, stream_name: str | None = None) -> str:
        """The fix as a user of that kind of source writes it, for the stream named (a live command names it);
        the general text otherwise."""
        text = self.by_source.get(source_kind, self.remediation)
        # quoted for a shell: a command someone copies must not run what a stream's name holds
        return text.replace(STREAM_NAME, shlex.quote(stream_name) if stream_name else "NAME")


# Where a fix names the stream (a live command): the stream's own name when it is known.
STREAM_NAME = "{stream}"

_KEY_CHOICE = ("a customer-managed key (key id, key ARN, alias name or alias ARN) in the stream's region")
_TF_FIX = f'Set encryption_type = "KMS" and kms_key_id to {_KEY_CHOICE}.'
_CFN_FIX = "Set StreamEncryption: {EncryptionType: KMS, KeyId: ...} with a customer-managed key in the stack's region."
_LIVE_FIX = (f"aws kinesis start-stream-encryption --stream-name {STREAM_NAME} --encryption-type KMS --key-id KEY; "
             "only records written after the change are encrypted, older ones stay plaintext until they age out of "
             "retention.")
_ENABLE_KMS_BY_SOURCE = {
    "terraform": _TF_FIX, "plan": _TF_FIX, "state": _TF_FIX, "cloudformation": _CFN_FIX,
    "aws": _LIVE_FIX, "aws-describe-stream": _LIVE_FIX,
}
_ENABLE_KMS = (
    f"{_TF_FIX} CloudFormation: StreamEncryption: {{EncryptionType: KMS, KeyId: ...}}. Live: aws kinesis "
    f"start-stream-encryption --stream-name {STREAM_NAME} --encryption-type KMS --key-id KEY (only records written "
    "after the change are encrypted)."
)

CODES: dict[str, ReasonCode] = {
    c.code: c
    for c in [
        ReasonCode(
            code="KSSE000", slug="encrypted", kind="pass", severity="info",
            title="Server-side encryption with a KMS key is enabled",
            explanation="The stream's encryption type is KMS and a key is given, and no key check fails.",
            remediation="Nothing to do.",
        ),
        ReasonCode(
            code="KSSE001", slug="encryption-missing", kind="fail", severity="high",
            title="Encryption type is not set",
            explanation="encryption_type is absent, and the AWS provider's default is NONE: records are stored "
                        "unencrypted. In CloudFormation, StreamEncryption (or its EncryptionType) is absent.",
            remediation=_ENABLE_KMS, by_source=_ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            code="KSSE002", slug="encryption-none", kind="fail", severity="high",
            title="Encryption type is NONE",
            explanation="The encryption type is NONE (compared case-insensitively, as the provider does): records "
                        "are stored unencrypted.",
            remediation=_ENABLE_KMS, by_source=_ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            code="KSSE003", slug="key-missing", kind="fail", severity="high",
            title="Encryption type is KMS but no key is given",
            explanation="The encryption type is KMS but the key is absent, null or empty. The provider accepts this "
                        "at plan time and only fails at apply.",
            remediation="Set kms_key_id (CloudFormation: StreamEncryption.KeyId) to a customer-managed key, or to "
                        "alias/aws/kinesis for the AWS-managed key.",
        ),
        ReasonCode(
            code="KSSE004", slug="invalid-encryption-type", kind="fail", severity="high",
            title="Encryption type is not a valid value",
            explanation="The encryption type is neither KMS nor NONE.",
            remediation=_ENABLE_KMS, by_source=_ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            code="KSSE005", slug="import-without-encryption", kind="fail", severity="high",
            title="Imported stream whose configuration omits encryption_type",
            explanation="An import targets this stream and its configuration omits encryption_type. The provider's "
                        "default is NONE, so an imported unencrypted stream matches the configuration and terraform "
                        "plan shows no drift: the stream stays unencrypted without any sign of it.",
            remediation='Set encryption_type = "KMS" and kms_key_id before (or right after) the import, so the plan '
                        "shows the change that encrypts the stream.",
        ),
        ReasonCode(
            code="KSSE010", slug="aws-managed-key", kind="advisory", severity="low",
            title="The AWS-managed key alias/aws/kinesis is used",
            explanation="The stream uses the AWS-managed key. It passes the control, but its policy cannot be "
                        "changed, it cannot be shared with other accounts, and its rotation is not yours to manage.",
            remediation="Prefer a customer-managed key with an explicit key policy (PCI DSS 3.6/3.7 key management).",
        ),
        ReasonCode(
            code="KSSE011", slug="key-region-mismatch", kind="fail", severity="high",
            title="The key is in another region than the stream",
            explanation="A KMS key can only encrypt a stream in its own region; the key's region (from its ARN or "
                        "its provider) differs from the stream's.",
            remediation="Use a key in the stream's region (a multi-Region replica key is a key of that region).",
        ),
        ReasonCode(
            code="KSSE012", slug="key-policy-denies-kinesis", kind="fail", severity="high",
            title="The key policy lets no principal use the key for Kinesis",
            explanation="The customer key's policy is known and no statement allows kms:GenerateDataKey and "
                        "kms:Decrypt (and there is no root-account delegation of kms:* to IAM). Producers would get "
                        "KMSAccessDeniedException.",
            remediation="Add a statement allowing kms:GenerateDataKey (producers) and kms:Decrypt (consumers), for "
                        "example to the account root (delegation to IAM) or to the producer and consumer roles with "
                        "a kms:ViaService condition for kinesis.<region>.amazonaws.com.",
        ),
        ReasonCode(
            code="KSSE013", slug="key-policy-no-service-principal", kind="advisory", severity="medium",
            title="The key policy does not grant the Kinesis service principal",
            explanation="The key policy is known and does not allow the kinesis.amazonaws.com principal both "
                        "kms:GenerateDataKey and kms:Decrypt, as the control's source asks. An advisory by default, "
                        "because the AWS Kinesis guide asks for these grants to the producers and consumers and names "
                        "no service-principal grant; --strict-key-policy makes it a fail. A key with no policy of its "
                        "own has KMS's default policy, which delegates to IAM and grants the service principal "
                        "nothing.",
            remediation="Add a statement with Principal {Service: kinesis.amazonaws.com} allowing "
                        "kms:GenerateDataKey and kms:Decrypt.",
        ),
        ReasonCode(
            code="KSSE014", slug="key-unusable", kind="fail", severity="high",
            title="The key is disabled, pending deletion, or does not exist",
            explanation="Kinesis cannot encrypt with a key that is disabled, pending deletion, or missing: writes to "
                        "the stream fail.",
            remediation="Enable the key (or cancel its deletion), or point the stream at a key that is enabled.",
        ),
        ReasonCode(
            code="KSSE015", slug="key-rotation-off", kind="advisory", severity="low",
            title="Automatic rotation of the customer key is off",
            explanation="The customer key's automatic rotation is off: live GetKeyRotationStatus says so, or the "
                        "source leaves enable_key_rotation (CloudFormation: EnableKeyRotation) absent or false, which "
                        "is the default. PCI DSS 3.6 and 3.7 ask for a managed cryptoperiod. AWS-managed keys rotate "
                        "on their own and never get this advisory.",
            remediation="Turn rotation on: enable_key_rotation = true (optionally rotation_period_in_days), "
                        "CloudFormation EnableKeyRotation: true, or aws kms enable-key-rotation --key-id KEY.",
            by_source={
                "terraform": "Set enable_key_rotation = true on the aws_kms_key (rotation_period_in_days sets the "
                             "cryptoperiod, 90 to 2560 days; 365 by default).",
                "cloudformation": "Set EnableKeyRotation: true on the AWS::KMS::Key (RotationPeriodInDays sets the "
                                  "cryptoperiod).",
                "aws": "aws kms enable-key-rotation --key-id KEY (add --rotation-period-in-days to set the "
                       "cryptoperiod).",
            },
        ),
        ReasonCode(
            code="KSSE016", slug="key-decrypt-outside-account", kind="advisory", severity="medium",
            title="A principal outside the stream's account, or everyone, can decrypt with the key",
            explanation="The key policy (or a live grant) lets a principal of another account, or * (everyone), "
                        "call kms:Decrypt without a condition pinning kms:CallerAccount, aws:PrincipalAccount, "
                        "aws:PrincipalOrgID or kms:ViaService. Whoever can read the stream's records can then decrypt "
                        "them from outside the account. The evidence lists every principal that can decrypt, with "
                        "the conditions that limit it: the list an auditor asks for.",
            remediation="Remove kms:Decrypt (and kms:*) for principals outside the account from the key policy and "
                        "retire such grants (aws kms retire-grant), or add a condition such as kms:ViaService = "
                        "kinesis.<region>.amazonaws.com with kms:CallerAccount = <account>.",
        ),
        ReasonCode(
            code="KSSE020", slug="unresolved", kind="unknown", severity="medium",
            title="A value that decides the verdict cannot be resolved",
            explanation="The encryption type or the key comes from a value the scan cannot compute (a variable with "
                        "no value, an unknown module output, a data source, a value unknown until apply), or from "
                        "input that cannot be read. This is not a pass.",
            remediation="Give the value (--var, --var-file, a tfvars file, --parameter), scan the plan JSON, or scan "
                        "the live stream.",
        ),
        ReasonCode(
            code="KSSE021", slug="api-error", kind="unknown", severity="medium",
            title="A live AWS call failed",
            explanation="An AWS API call the verdict needs failed (access denied, throttled after retries), its "
                        "answer could not be read, or the --timeout deadline passed. This is never a fail and never "
                        "a pass.",
            remediation="Grant the IAM action named in the message (kinesis:ListStreams, "
                        "kinesis:DescribeStreamSummary, kms:DescribeKey, kms:GetKeyPolicy, kms:ListAliases) and scan "
                        "again.",
        ),
        ReasonCode(
            code="KSSE022", slug="stream-updating", kind="advisory", severity="info",
            title="The stream is being updated",
            explanation="The live stream's status is UPDATING: its encryption may be changing right now.",
            remediation="Scan again once the stream is ACTIVE.",
        ),
    ]
}

# The order of the rulebook's table: when several rules fail, the first failing row is the primary code.
TABLE_ORDER: tuple[str, ...] = tuple(CODES)


def get_code(code: str) -> ReasonCode:
    """Return a reason code's metadata; accepts the id (KSSE011) or the slug (key-region-mismatch)."""
    wanted = code.strip()
    if wanted.upper() in CODES:
        return CODES[wanted.upper()]
    for rc in CODES.values():
        if rc.slug == wanted.lower().replace("_", "-"):  # encryption_missing is how a YAML key would spell it
            return rc
    raise KeyError(code)
