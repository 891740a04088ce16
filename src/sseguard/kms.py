"""The KMS vocabulary every source and the judge share: what ``KMS`` and the AWS-managed key look like, and what a
key reference says of itself. Pure text rules, no I/O, and nothing here judges.

A reference may hold parts known only later, written ``${...}`` (a Terraform value known after apply, a
CloudFormation pseudo parameter): ``arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/kinesis`` is still the
AWS-managed key, because the parts that decide it (the service, the alias name) are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AWS_MANAGED_ALIAS = "alias/aws/kinesis"

# A placeholder for a part known only later; it stands for one ARN field, so it holds no colon.
_HOLE = r"\$\{[^}:]*(?:::[^}:]*)*\}"
_AWS_MANAGED = re.compile(
    rf"^(?:arn:(?:aws[\w-]*|{_HOLE}):kms:(?:[\w-]*|{_HOLE}):(?:\d*|{_HOLE}):)?alias/aws/kinesis$", re.IGNORECASE)
_KMS_ARN = re.compile(
    rf"^arn:(?P<partition>aws[\w-]*|{_HOLE}):kms:(?P<region>[a-z0-9-]*|{_HOLE}):(?P<account>\d{{12}}|{_HOLE}):"
    r"(?P<kind>key|alias)/(?P<name>.+)$"
)
_PLACEHOLDER = re.compile(_HOLE)
# The forms KMS accepts for a key: an id (a multi-Region key's with "mrk-"), an alias name, or an ARN of either.
_KEY_ID = re.compile(r"^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_ALIAS_NAME = re.compile(r"^alias/[A-Za-z0-9/_-]+$")


def is_kms(encryption_type: str) -> bool:
    """Whether an encryption type means KMS (the provider and the API compare it case-insensitively)."""
    return encryption_type.strip().upper() == "KMS"


def is_none(encryption_type: str) -> bool:
    """Whether an encryption type means no encryption (``NONE``, any case)."""
    return encryption_type.strip().upper() == "NONE"


def is_aws_managed_alias(reference: str) -> bool:
    """True for ``alias/aws/kinesis`` and any alias ARN ending in ``:alias/aws/kinesis`` (exact, not a substring),
    with placeholders allowed for the partition, region and account."""
    return bool(_AWS_MANAGED.match(reference.strip()))


def is_key_literal(text: str) -> bool:
    """Whether text is a key as KMS takes it: a key id, ``alias/NAME``, or a key or alias ARN."""
    return bool(_KEY_ID.match(text) or _ALIAS_NAME.match(text) or parse_kms_arn(text))


def has_placeholder(text: str) -> bool:
    """Whether a reference holds a part known only later (``${...}``)."""
    return _PLACEHOLDER.search(text) is not None


@dataclass(frozen=True)
class KmsArn:
    """A KMS key or alias ARN split into its fields; a field known only later is None."""

    region: str | None
    account: str | None
    kind: str  # "key" or "alias"
    name: str

    @property
    def is_alias(self) -> bool:
        return self.kind == "alias"


def parse_kms_arn(reference: str) -> KmsArn | None:
    """The fields of a KMS key or alias ARN (placeholders allowed in the partition, region and account); None for
    anything else (a key id, an alias name)."""
    m = _KMS_ARN.match(reference.strip())
    if m is None:
        return None
    region = m["region"] if m["region"] and not m["region"].startswith("${") else None
    account = m["account"] if not m["account"].startswith("${") else None
    return KmsArn(region, account, m["kind"], m["name"])
