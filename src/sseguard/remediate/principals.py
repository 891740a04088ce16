"""``--check-principal``: whether the roles and users named will still be able to write to and read from a stream
once it is encrypted with a customer key, as IAM's policy simulator (iam:SimulatePrincipalPolicy) sees it: their
identity policies, with the key's policy as the resource policy and the stream's ARN as the encryption context
Kinesis passes to KMS. A principal that would be denied, or that could not be checked, fails its check."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sseguard.model import Key
from sseguard.remediate.outcome import Check
from sseguard.sources.aws.answers import NAME, Unreadable, call
from sseguard.sources.aws.session import Account

SIMULATE = "iam:SimulatePrincipalPolicy"
# Producers need kms:GenerateDataKey, consumers kms:Decrypt (Kinesis developer guide, "Permissions to use
# user-generated KMS keys"); a principal named is checked for both, as it may do either.
DATA_PLANE = ("kms:GenerateDataKey", "kms:Decrypt")
CONTEXT_KEY = "kms:EncryptionContext:aws:kinesis:arn"


def principal_checks(account: Account, principals: Sequence[str], stream_arn: str, key: Key,
                     aws_managed: bool) -> tuple[Check, ...]:
    """One check per principal: can it use the key for this stream after the change?"""
    if aws_managed:
        # The AWS-managed key's policy lets every principal of the account that may use Kinesis use the key.
        return tuple(Check("principal-access", True, f"{p}: no KMS grant is needed with the AWS-managed key")
                     for p in principals)
    return tuple(_check(account, p, stream_arn, key) for p in principals)


def _check(account: Account, principal: str, stream_arn: str, key: Key) -> Check:
    if key.arn is None:
        return Check("principal-access", False, f"{principal}: cannot be checked: the key's ARN is not known")
    request: dict[str, Any] = {
        "PolicySourceArn": principal, "ActionNames": list(DATA_PLANE), "ResourceArns": [key.arn],
        "ContextEntries": [{"ContextKeyName": CONTEXT_KEY, "ContextKeyValues": [stream_arn],
                            "ContextKeyType": "string"}],
    }
    if isinstance(key.policy, Mapping):
        request["ResourcePolicy"] = json.dumps(key.policy)
    try:
        answer = call(SIMULATE, principal, lambda: account.clients.iam().simulate_principal_policy(**request))
        decisions = {r.required("EvalActionName", NAME): r.required("EvalDecision", NAME)
                     for r in answer.entries("EvaluationResults")}
    except Unreadable as err:
        return Check("principal-access", False, f"{principal}: cannot be checked: {err.unknown.reason}")
    refused = [f"{action} ({decisions.get(action, 'not evaluated')})" for action in DATA_PLANE
               if decisions.get(action) != "allowed"]
    if refused:
        return Check("principal-access", False, f"{principal} would not be allowed {', '.join(refused)} on key "
                     f"{key.arn} for this stream")
    return Check("principal-access", True, f"{principal} is allowed kms:GenerateDataKey and kms:Decrypt on key "
                 f"{key.arn} for this stream")
