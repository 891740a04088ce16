"""Credentials and accounts: the user's session, roles assumed per account, the organisation's accounts.

Every client is made here, with the same botocore configuration (adaptive retries, the user's ``--endpoint-url``)
and a hook that counts the API calls per service for the report.
"""

from __future__ import annotations

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
from sseguard.sources.aws.errors import api_unknown, error_code_and_message

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

# botocore's own default is 3 attempts (adaptive mode). A scan makes few calls per stream and is not interactive,
# so it waits longer before a throttled call becomes unknown. AWS_MAX_ATTEMPTS or a profile's max_attempts wins.
DEFAULT_MAX_ATTEMPTS = 8
# Global calls (STS, Organizations, EC2 DescribeRegions) go to this region when the session names none.
FALLBACK_REGION = "us-east-1"
ROLE_SESSION_NAME = "sseguard-scan"

_ROLE_ARN = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):role/[\w+=,.@/-]+$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")


class AwsSetupError(Exception):
    """The scan cannot start (no credentials, no region, an unknown profile): one line, exit 2."""


def is_region_name(text: str) -> bool:
    """True for a well-formed region name such as ``eu-west-1`` or ``us-gov-west-1``."""
    return bool(_REGION.match(text))


def role_account(role_arn: str) -> str:
    """The account id of an IAM role ARN; raises ``AwsSetupError`` when the ARN is not a role ARN."""
    found = _ROLE_ARN.match(role_arn)
    if not found:
        raise AwsSetupError(f"--role-arn {role_arn}: not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return found.group(2)


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


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

    def __init__(self, session: boto3.Session, endpoint_url: str | None, config: Config, counter: ApiCounter,
                 default_region: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._config = config
        self._counter = counter
        self.default_region = default_region
        self._made: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str | None) -> Any:
        where = region or self.default_region
        with self._lock:
            made = self._made.get((service, where))
            if made is None:
                made = self._session.client(  # type: ignore[call-overload]
                    service, region_name=where, endpoint_url=self._endpoint_url, config=self._config
                )
                self._counter.attach(made, service)
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


@dataclass(frozen=True)
class Account:
    """An account the scan can read, with the clients to read it."""

    account_id: str
    clients: Clients
    via: str  # "credentials" or the role ARN assumed


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

    def clients(self, session: boto3.Session | None = None) -> Clients:
        """Clients for the user's credentials, or for another session (an assumed role)."""
        return Clients(session or self.session, self.endpoint_url, self.config, self.counter,
                       self.region or FALLBACK_REGION)


def open_base_session(profile: str | None, endpoint_url: str | None, counter: ApiCounter) -> BaseSession:
    """The user's session as boto3 finds it (environment, ``--profile``, SSO, instance role)."""
    core = botocore.session.Session(profile=profile)
    try:
        session = boto3.Session(botocore_session=core)
        region = session.region_name
        configured = core.get_config_variable("max_attempts")
    except ProfileNotFound as err:
        raise AwsSetupError(str(err)) from None
    except BotoCoreError as err:
        raise AwsSetupError(f"cannot read the AWS configuration: {err}") from None
    attempts = int(configured) if configured else DEFAULT_MAX_ATTEMPTS
    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": attempts},
        max_pool_connections=32,
        connect_timeout=10,
        read_timeout=30,
        user_agent_extra=f"sseguard/{__version__}",
    )
    return BaseSession(session, region, config, endpoint_url, counter)


def caller_account(base: BaseSession, clients: Clients) -> str:
    """The account of the user's own credentials (sts:GetCallerIdentity); no credentials is a setup error."""
    try:
        account = clients.sts().get_caller_identity().get("Account")
    except (ClientError, BotoCoreError) as err:
        code, message = error_code_and_message(err)
        what = "use the AWS credentials" if isinstance(err, ClientError | NoCredentialsError) else "reach AWS"
        raise AwsSetupError(f"cannot {what}: sts:GetCallerIdentity failed: {code}"
                            + (f": {message}" if message else "")) from None
    if not account:
        raise AwsSetupError("cannot use the AWS credentials: sts:GetCallerIdentity returned no account")
    return account


def organization_role_arns(clients: Clients, role_name: str) -> list[str]:
    """``arn:...:iam::ACCOUNT:role/NAME`` for every active account of the organisation."""
    if not re.fullmatch(r"[\w+=,.@/-]{1,512}", role_name):
        raise AwsSetupError(f"--org-role {role_name}: not an IAM role name")
    arns: list[str] = []
    try:
        pages = clients.organizations().get_paginator("list_accounts").paginate()
        for page in pages:
            for acct in page.get("Accounts", []):
                # ``State`` replaces the older ``Status`` field; both say ACTIVE for a usable account.
                if (acct.get("State") or acct.get("Status")) != "ACTIVE":
                    continue
                partition = acct.get("Arn", "arn:aws:").split(":")[1] or "aws"
                arns.append(f"arn:{partition}:iam::{acct['Id']}:role/{role_name.strip('/')}")
    except (ClientError, BotoCoreError) as err:
        code, message = error_code_and_message(err)
        raise AwsSetupError(f"--org-role: organizations:ListAccounts failed: {code}"
                            + (f": {message}" if message else "")) from None
    return arns


def assume(base: BaseSession, clients: Clients, role_arn: str) -> Account | AccountFailure:
    """Assume ``role_arn`` (sts:AssumeRole) and return the account it opens, or why it could not."""
    account_id = role_account(role_arn)
    try:
        creds = clients.sts().assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME).get("Credentials")
    except NoCredentialsError:
        raise AwsSetupError("no AWS credentials found to assume roles with (environment, --profile, SSO)") from None
    except (ClientError, BotoCoreError) as err:
        return AccountFailure(account_id, api_unknown("sts:AssumeRole", err, role_arn))
    if not creds:
        return AccountFailure(account_id, Unknown(f"sts:AssumeRole returned no credentials for {role_arn}",
                                                  "check the role and scan again", "KSSE021"))
    # A fresh botocore session per role: credentials set on a session apply to every client it makes.
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.region,
        botocore_session=botocore.session.Session(),
    )
    return Account(account_id, base.clients(session), role_arn)


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
        return [Account(caller_account(base, own), own, "credentials")]
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted)))) as pool:
        opened = list(pool.map(lambda arn: assume(base, own, arn), wanted))
    return opened
