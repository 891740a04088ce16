"""The Config rule's clients: made the ordinary boto3 way (so ``AWS_ENDPOINT_URL`` reaches an emulator), with
``sseguard aws``'s settings and answer checks, as the function's own role or as the role it assumes in the stream's
account (``ExecutionRoleName``, the pattern of rdk's organisation rules).

Two deadlines out of the invocation's remaining time: reads (Kinesis, KMS, GetResourceConfigHistory) stop early
enough to leave PutEvaluations its own time, so a slow read makes its stream unknown rather than the whole
invocation time out with nothing sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sseguard.sources.aws.deadline import Deadline
from sseguard.sources.aws.scanner import DEFAULT_TIMEOUT
from sseguard.sources.aws.session import (
    Account,
    AccountFailure,
    ApiCounter,
    AwsSetupError,
    Clients,
    assume_session,
    open_base_session,
)

# Seconds kept for PutEvaluations at the end of the invocation (at most a quarter of the time left).
PUT_RESERVE = 10.0
_END_MARGIN = 1.0


class RoleNotAssumed(RuntimeError):
    """The role in the stream's account could not be assumed: nothing can be read, and no evaluation can be sent
    in that account. The invocation fails, naming the role and the error, and Config invokes the rule again."""


@dataclass(frozen=True)
class RuleClients:
    """The clients of one invocation: ``reads`` for the stream's facts, ``writes`` for PutEvaluations."""

    account: Account
    writes: Clients
    counter: ApiCounter
    # The reads' deadline, for the Kinesis rate limiter: no read waits for a token it would get only after it.
    reads_deadline: Deadline


def remaining_seconds(context: Any) -> float:
    """Seconds the invocation has left (the Lambda context's), or ``sseguard aws``'s own default without one."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000.0 if callable(remaining) else DEFAULT_TIMEOUT


def open_clients(account_id: str, partition: str, role_name: str | None, seconds: float) -> RuleClients:
    """The clients of ``account_id``: the function's own credentials, or the role ``role_name`` assumed there."""
    reserve = min(PUT_RESERVE, seconds / 4)
    counter = ApiCounter()
    try:
        reads = open_base_session(None, None, counter, Deadline(max(seconds - reserve - _END_MARGIN, 0.5)))
    except AwsSetupError as err:
        raise RoleNotAssumed(f"cannot open the AWS session: {err}") from None
    writes = replace(reads, deadline=Deadline(max(seconds - _END_MARGIN, 0.5)))
    own = reads.clients()
    if role_name is None:
        return RuleClients(Account(account_id, own, "credentials"), writes.clients(), counter, reads.deadline)
    role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
    try:
        opened = assume_session(reads, own, role_arn)
    except AwsSetupError as err:  # no credentials at all to assume it with
        raise RoleNotAssumed(f"cannot assume {role_arn}: {err}") from None
    if isinstance(opened, AccountFailure):
        raise RoleNotAssumed(f"cannot assume {role_arn}: {opened.unknown.reason}; {opened.unknown.resolve}")
    session, principal = opened
    return RuleClients(Account(account_id, reads.clients(session), role_arn, principal), writes.clients(session),
                       counter, reads.deadline)
