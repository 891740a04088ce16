"""Reason codes of the control, exactly as CONTROL.md defines them. These ids are a contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

CONTROL_ID = "kinesis_stream_server_side_encryption_enabled"
CONTROL_TITLE = "Kinesis streams must have server-side encryption enabled"

Kind = Literal["pass", "fail", "advisory", "unknown"]


@dataclass(frozen=True)
class ReasonCode:
    code: str
    slug: str
    kind: Kind
    severity: str
    title: str
    explanation: str
    remediation: str
    # The fix in the words of one kind of source (terraform, plan, cloudformation, aws...), where it differs.
    by_source: Mapping[str, str] = field(default_factory=dict)

    def remediation_for(self, source_kind: str) -> str:
        """The fix as a user of that kind of source writes it; the general text otherwise."""
        return self.by_source.get(source_kind, self.remediation)


_TF_FIX = ('Set encryption_type = "KMS" and kms_key_id to a customer-managed key (key id, key ARN, alias name or '
           "alias ARN) in the stream's region.")
_CFN_FIX = ("Set StreamEncryption: {EncryptionType: KMS, KeyId: ...} with a customer-managed key in the stack's "
            "region.")
_LIVE_FIX = ("aws kinesis start-stream-encryption --stream-name NAME --encryption-type KMS --key-id KEY; only records "
             "written after the change are encrypted, older ones stay plaintext until they age out of retention.")
_ENABLE_KMS_BY_SOURCE = {
    "terraform": _TF_FIX, "plan": _TF_FIX, "state": _TF_FIX, "cloudformation": _CFN_FIX,
    "aws": _LIVE_FIX, "aws-describe-stream": _LIVE_FIX,
}

_ENABLE_KMS = (
    'Set encryption_type = "KMS" and kms_key_id to a customer-managed key (key id, key ARN, alias name or alias ARN) '
    "in the stream's region. CloudFormation: StreamEncryption: {EncryptionType: KMS, KeyId: ...}. "
    "Live: aws kinesis start-stream-encryption --stream-name NAME --encryption-type KMS --key-id KEY "
    "(only records written after the change are encrypted)."
)

CODES: dict[str, ReasonCode] = {
    c.code: c
    for c in [
        ReasonCode(
            "KSSE000", "encrypted", "pass", "info",
            "Server-side encryption with a KMS key is enabled",
            "The stream's encryption type is KMS and a key is given, and no key check fails.",
            "Nothing to do.",
        ),
        ReasonCode(
            "KSSE001", "encryption-missing", "fail", "high",
            "Encryption type is not set",
            "encryption_type is absent, and the AWS provider's default is NONE: records are stored unencrypted. "
            "In CloudFormation, StreamEncryption (or its EncryptionType) is absent.",
            _ENABLE_KMS, _ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            "KSSE002", "encryption-none", "fail", "high",
            "Encryption type is NONE",
            "The encryption type is NONE (compared case-insensitively, as the provider does): records are stored "
            "unencrypted.",
            _ENABLE_KMS, _ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            "KSSE003", "key-missing", "fail", "high",
            "Encryption type is KMS but no key is given",
            "The encryption type is KMS but the key is absent, null or empty. The provider accepts this at plan "
            "time and only fails at apply.",
            "Set kms_key_id (CloudFormation: StreamEncryption.KeyId) to a customer-managed key, or to "
            "alias/aws/kinesis for the AWS-managed key.",
        ),
        ReasonCode(
            "KSSE004", "invalid-encryption-type", "fail", "high",
            "Encryption type is not a valid value",
            "The encryption type is neither KMS nor NONE.",
            _ENABLE_KMS, _ENABLE_KMS_BY_SOURCE,
        ),
        ReasonCode(
            "KSSE005", "import-without-encryption", "fail", "high",
            "Imported stream whose configuration omits encryption_type",
            "An import targets this stream and its configuration omits encryption_type. The provider's default is "
            "NONE, so an imported unencrypted stream matches the configuration and terraform plan shows no drift: "
            "the stream stays unencrypted without any sign of it.",
            'Set encryption_type = "KMS" and kms_key_id before (or right after) the import, so the plan shows the '
            "change that encrypts the stream.",
        ),
        ReasonCode(
            "KSSE010", "aws-managed-key", "advisory", "low",
            "The AWS-managed key alias/aws/kinesis is used",
            "The stream uses the AWS-managed key. It passes the control, but its policy cannot be changed, it cannot "
            "be shared with other accounts, and its rotation is not yours to manage.",
            "Prefer a customer-managed key with an explicit key policy (PCI DSS 3.6/3.7 key management).",
        ),
        ReasonCode(
            "KSSE011", "key-region-mismatch", "fail", "high",
            "The key is in another region than the stream",
            "A KMS key can only encrypt a stream in its own region; the key's region (from its ARN or its "
            "provider) differs from the stream's.",
            "Use a key in the stream's region (a multi-Region replica key is a key of that region).",
        ),
        ReasonCode(
            "KSSE012", "key-policy-denies-kinesis", "fail", "high",
            "The key policy lets no principal use the key for Kinesis",
            "The customer key's policy is known and no statement allows kms:GenerateDataKey and kms:Decrypt (and "
            "there is no root-account delegation of kms:* to IAM). Producers would get KMSAccessDeniedException.",
            "Add a statement allowing kms:GenerateDataKey (producers) and kms:Decrypt (consumers), for example to "
            "the account root (delegation to IAM) or to the producer and consumer roles with a kms:ViaService "
            "condition for kinesis.<region>.amazonaws.com.",
        ),
        ReasonCode(
            "KSSE013", "key-policy-no-service-principal", "advisory", "medium",
            "The key policy does not grant the Kinesis service principal",
            "The key policy is known and does not allow the kinesis.amazonaws.com principal both "
            "kms:GenerateDataKey and kms:Decrypt, as the control's source asks. An advisory by default, because the "
            "AWS Kinesis guide asks for these grants to the producers and consumers and names no service-principal "
            "grant; --strict-key-policy makes it a fail.",
            "Add a statement with Principal {Service: kinesis.amazonaws.com} allowing kms:GenerateDataKey and "
            "kms:Decrypt.",
        ),
        ReasonCode(
            "KSSE014", "key-unusable", "fail", "high",
            "The key is disabled, pending deletion, or does not exist",
            "Kinesis cannot encrypt with a key that is disabled, pending deletion, or missing: writes to the stream "
            "fail.",
            "Enable the key (or cancel its deletion), or point the stream at a key that is enabled.",
        ),
        ReasonCode(
            "KSSE020", "unresolved", "unknown", "medium",
            "A value that decides the verdict cannot be resolved",
            "The encryption type or the key comes from a value the scan cannot compute (a variable with no value, "
            "an unknown module output, a data source, a value unknown until apply). This is not a pass.",
            "Give the value (--var, --var-file, a tfvars file, --parameter), scan the plan JSON, or scan the live "
            "stream.",
        ),
        ReasonCode(
            "KSSE021", "api-error", "unknown", "medium",
            "A live AWS call failed",
            "An AWS API call the verdict needs failed (access denied, throttled after retries). This is never a "
            "fail and never a pass.",
            "Grant the IAM action named in the message (kinesis:ListStreams, kinesis:DescribeStreamSummary, "
            "kms:DescribeKey, kms:GetKeyPolicy, kms:ListAliases) and scan again.",
        ),
        ReasonCode(
            "KSSE022", "stream-updating", "advisory", "info",
            "The stream is being updated",
            "The live stream's status is UPDATING: its encryption may be changing right now.",
            "Scan again once the stream is ACTIVE.",
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
