"""Credentials and accounts: the user's session, roles assumed per account, the organisation's accounts.

Every client is made here, with the same botocore configuration (adaptive retries, timeouts, the user's
``--endpoint-url``) and the same hooks: the scan's deadline (``deadline.py``), the check of every answer
(``answers.py``), and the count of API calls per service for the report.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from sseguard import __version__
from sseguard.model import Unknown
from sseguard.sources.aws.answers import NAME, OBJECT, TEXT, Kind, Unreadable, call, call_pages, check_answers
from sseguard.sources.aws.deadline import Deadline, keep_within
from sseguard.sources.aws.errors import DeadlinePassed

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

# botocore's own default is 3 attempts (adaptive mode). A scan makes few calls per stream and is not interactive,
# so it waits longer before a throttled call becomes unknown. AWS_MAX_ATTEMPTS or a profile's max_attempts wins.
DEFAULT_MAX_ATTEMPTS = 8
# Seconds an attempt waits to connect and to be answered. AWS control-plane calls answer in well under a second;
# botocore's own defaults (60 s to read) made an endpoint that never answers cost minutes per call.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
# Global calls (STS, Organizations, EC2 DescribeRegions) go to this region when the session names none.
FALLBACK_REGION = "us-east-1"
ROLE_SESSION_NAME = "sseguard-scan"

_ROLE_ARN = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):role/[\w+=,.@/-]+$")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"^[a-z]{2,}(?:-[a-z]+)+-\d+$")
_ACCOUNT_ID = Kind("a 12-digit account id", lambda value: isinstance(value, str) and bool(_ACCOUNT.fullmatch(value)))


class AwsSetupError(Exception):
    """The scan cannot start (no credentials, no region, an unknown profile): one line, exit 2."""


def is_region_name(text: str) -> bool:
    """True for a well-formed region name such as ``eu-west-1``, ``us-gov-west-1`` or ``eusc-de-east-1``."""
    return bool(_REGION.match(text))


def known_region(session: boto3.Session, name: str) -> bool:
    """True when botocore's endpoint data lists ``name`` as a Kinesis region of any partition. A newer region than
    the installed botocore knows is still a region: callers warn, they do not refuse. ``session`` is the scan's own,
    which loads that data once for its clients too."""
    return any(name in session.get_available_regions("kinesis", partition)
               for partition in session.get_available_partitions())


def role_account(role_arn: str) -> str:
    """The account id of an IAM role ARN; raises ``AwsSetupError`` when the ARN is not a role ARN."""
    found = _ROLE_ARN.match(role_arn)
    if not found:
        raise AwsSetupError(f"--role-arn {role_arn}: not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return found.group(2)


# Region name prefixes of the partitions other than ``aws`` (botocore's endpoint data, regionRegex of each).
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"),
               ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"), ("eusc-", "aws-eusc"))


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to."""
    return next((partition for prefix, partition in _PARTITIONS if region.startswith(prefix)), "aws")


@dataclass
class ApiCounter:
    """API calls made, per service and per operation (a retried call counts once; its attempts count as requests)."""

    calls: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any, service: str) -> None:
        """Count every call and every HTTP attempt of ``client``."""
        def on_call(model: Any, **_: Any) -> None:
            with self._lock:
                self.calls[service] += 1
                self.operations[f"{service}:{model.name}"] += 1

        def on_send(**_: Any) -> None:
            with self._lock:
                self.requests[service] += 1

        client.meta.events.register("before-call", on_call)
        client.meta.events.register("before-send", on_send)

    def as_report(self) -> dict[str, dict[str, int]]:
        """The counts as the report's ``api_calls``/``api_operations``/``http_requests`` fields."""
        with self._lock:
            return {
                "api_calls": dict(sorted(self.calls.items())),
                "api_operations": dict(sorted(self.operations.items())),
                "http_requests": dict(sorted(self.requests.items())),
            }


class Clients:
    """The clients of one set of credentials, one per (service, region), made once.

    boto3 sessions are not thread-safe, so clients are made under a lock; the clients themselves are.
    """

    def __init__(self, session: boto3.Session, base: BaseSession) -> None:
        self._session = session
        self._base = base
        self.default_region = base.region or FALLBACK_REGION
        self._made: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str | None) -> Any:
        where = region or self.default_region
        with self._lock:
            made = self._made.get((service, where))
            if made is None:
                made = self._session.client(  # type: ignore[call-overload]
                    service, region_name=where, endpoint_url=self._base.endpoint_url, config=self._base.config
                )
                keep_within(made, self._base.deadline)
                check_answers(made)
                self._base.counter.attach(made, service)
                self._made[(service, where)] = made
            return made

    def kinesis(self, region: str) -> KinesisClient:
        client: KinesisClient = self._client("kinesis", region)
        return client

    def kms(self, region: str) -> KMSClient:
        client: KMSClient = self._client("kms", region)
        return client

    def sts(self) -> STSClient:
        client: STSClient = self._client("sts", None)
        return client

    def ec2(self) -> EC2Client:
        client: EC2Client = self._client("ec2", None)
        return client

    def organizations(self) -> OrganizationsClient:
        client: OrganizationsClient = self._client("organizations", None)
        return client

    def config(self, region: str) -> Any:
        # Any, like ``iam``: no type stubs for Config or Security Hub are installed; their answers are read through
        # ``answers.Answer``.
        return self._client("config", region)

    def securityhub(self, region: str) -> Any:
        return self._client("securityhub", region)

    def iam(self) -> Any:
        # Any: the project installs no type stubs for IAM, whose one call here (SimulatePrincipalPolicy) is read
        # through ``answers.Answer`` like every other answer.
        return self._client("iam", None)


@dataclass(frozen=True)
class Account:
    """An account the scan can read, with the clients to read it."""

    account_id: str
    clients: Clients
    via: str  # "credentials" or the role ARN assumed
    # The ARN the calls are made as (GetCallerIdentity's, or the assumed role session's), which is what a
    # change records as its author.
    principal: str = ""


@dataclass(frozen=True)
class AccountFailure:
    """An account the scan was asked to read but could not enter (AssumeRole failed)."""

    account_id: str
    unknown: Unknown


@dataclass
class BaseSession:
    """The user's own session and what every client is made with."""

    session: boto3.Session
    region: str | None
    config: Config
    endpoint_url: str | None
    counter: ApiCounter
    deadline: Deadline

    def clients(self, session: boto3.Session | None = None) -> Clients:
        """Clients for the user's credentials, or for another session (an assumed role)."""
        return Clients(session or self.session, self)


def open_base_session(profile: str | None, endpoint_url: str | None, counter: ApiCounter, deadline: Deadline,
                      connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT) -> BaseSession:
    """The user's session as boto3 finds it (environment, ``--profile``, SSO, instance role). No attempt waits
    longer than the deadline itself."""
    core = botocore.session.Session(profile=profile)
    try:
        session = boto3.Session(botocore_session=core)
        # AWS_REGION is the variable the AWS CLI v2 and the other SDKs read first; botocore reads only
        # AWS_DEFAULT_REGION and the profile's region.
        region = os.environ.get("AWS_REGION") or session.region_name
        configured = core.get_config_variable("max_attempts")
    except ProfileNotFound as err:
        raise AwsSetupError(str(err)) from None
    except BotoCoreError as err:
        raise AwsSetupError(f"cannot read the AWS configuration: {err}") from None
    attempts = int(configured) if configured else DEFAULT_MAX_ATTEMPTS
    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": attempts},
        max_pool_connections=32,
        connect_timeout=min(connect_timeout, deadline.seconds),
        read_timeout=min(read_timeout, deadline.seconds),
        user_agent_extra=f"sseguard/{__version__}",
    )
    return BaseSession(session, region, config, endpoint_url, counter, deadline)


def caller_identity(clients: Clients) -> tuple[str, str]:
    """The account and ARN of the user's own credentials (sts:GetCallerIdentity); no credentials is a setup
    error."""
    try:
        answer = call("sts:GetCallerIdentity", "the caller", lambda: clients.sts().get_caller_identity())
        account: str = answer.required("Account", _ACCOUNT_ID)
        principal: str = answer.optional("Arn", NAME) or ""
    except Unreadable as err:
        if isinstance(err.cause, ClientError | NoCredentialsError):
            what = "use the AWS credentials"
        elif isinstance(err.cause, BotoCoreError | DeadlinePassed):
            what = "reach AWS"
        else:
            what = "read the answer of AWS"
        raise AwsSetupError(f"cannot {what}: {err.unknown.reason}") from None
    return account, principal


def organization_role_arns(clients: Clients, role_name: str) -> list[str]:
    """``arn:...:iam::ACCOUNT:role/NAME`` for every active account of the organisation."""
    if not re.fullmatch(r"[\w+=,.@/-]{1,512}", role_name):
        raise AwsSetupError(f"--org-role {role_name}: not an IAM role name")
    arns: list[str] = []
    try:
        for page in call_pages("organizations:ListAccounts", "the organisation",
                               lambda: clients.organizations().get_paginator("list_accounts").paginate()):
            for acct in page.entries("Accounts"):
                # ``State`` replaces the older ``Status`` field; both say ACTIVE for a usable account.
                if (acct.optional("State", TEXT) or acct.optional("Status", TEXT)) != "ACTIVE":
                    continue
                partition = (acct.optional("Arn", TEXT) or "arn:aws:").split(":")[1] or "aws"
                arns.append(f"arn:{partition}:iam::{acct.required('Id', _ACCOUNT_ID)}:role/{role_name.strip('/')}")
    except Unreadable as err:
        raise AwsSetupError(f"--org-role: {err.unknown.reason}") from None
    return arns


def assume(base: BaseSession, clients: Clients, role_arn: str) -> Account | AccountFailure:
    """Assume ``role_arn`` (sts:AssumeRole) and return the account it opens, or why it could not."""
    opened = assume_session(base, clients, role_arn)
    if isinstance(opened, AccountFailure):
        return opened
    session, principal = opened
    return Account(role_account(role_arn), base.clients(session), role_arn, principal)


def assume_session(base: BaseSession, clients: Clients,
                   role_arn: str) -> tuple[boto3.Session, str] | AccountFailure:
    """Assume ``role_arn`` (sts:AssumeRole): a boto3 session holding the role's credentials and the ARN the calls
    are made as, or why it could not. For callers that make clients of the role's session with their own settings
    (the Config rule, whose PutEvaluations has a later deadline than its reads)."""
    account_id = role_account(role_arn)
    try:
        answer = call("sts:AssumeRole", role_arn, lambda: clients.sts().assume_role(
            RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME))
        creds = answer.part("Credentials")
        key_id, secret, token = (creds.required(f, NAME) for f in ("AccessKeyId", "SecretAccessKey", "SessionToken"))
        principal = str((answer.optional("AssumedRoleUser", OBJECT) or {}).get("Arn") or role_arn)
    except Unreadable as err:
        if isinstance(err.cause, NoCredentialsError):
            raise AwsSetupError("no AWS credentials found to assume roles with (environment, --profile, SSO)") from None
        return AccountFailure(account_id, err.unknown)
    # A fresh botocore session per role: credentials set on a session apply to every client it makes.
    session = boto3.Session(
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=base.region,
        botocore_session=botocore.session.Session(),
    )
    return session, principal


def open_accounts(base: BaseSession, role_arns: Iterable[str], org_role: str | None,
                  max_workers: int) -> list[Account | AccountFailure]:
    """The accounts to scan: the user's own, or one per role (``--role-arn``, ``--org-role``), in a stable order."""
    own = base.clients()
    wanted = list(dict.fromkeys(role_arns))
    for arn in wanted:
        role_account(arn)  # fail fast on a malformed ARN, before any call
    if org_role:
        wanted.extend(a for a in organization_role_arns(own, org_role) if a not in wanted)
    if not wanted:
        account, principal = caller_identity(own)
        return [Account(account, own, "credentials", principal)]
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted)))) as pool:
        opened = list(pool.map(lambda arn: assume(base, own, arn), wanted))
    return opened
