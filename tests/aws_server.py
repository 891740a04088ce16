"""The AWS endpoint of the live-source tests: moto's ``ThreadedMotoServer`` on 127.0.0.1 and a free port.

sseguard reaches it only over HTTP, through ``--endpoint-url`` / ``AwsScanOptions.endpoint_url``, with the same
boto3 code users run; nothing in boto3 or sseguard is patched. The server runs in the test process, so a test can
reach moto's backends to set up what the API cannot (a key managed by AWS, a stream being updated).

Where moto differs from AWS, and what these tests do about it:

- ListStreams: moto pages only by ``HasMoreStreams`` + ``ExclusiveStartStreamName`` (10 names a page), never by
  ``NextToken``, and returns every stream in ``StreamSummaries`` on every page. AWS returns ``NextToken``.
  ``AwsBehaviour.token_paging`` makes this server page as AWS does (an opaque ``NextToken``; only the page's
  summaries), so the token path is tested over HTTP too.
- StartStreamEncryption: moto accepts any ``KeyId``; AWS checks that the key exists and is usable. A stream whose
  key is missing is set up here directly; on AWS it happens when the key is deleted after encryption started.
- ``alias/aws/kinesis``: moto does not have it (AWS creates the key on first use, and DescribeKey on the alias can
  create it). sseguard never calls KMS for it, so the tests check that no KMS call is made.
- Access denied (``INITIAL_NO_AUTH_ACTION_COUNT``, switched on through ``/moto-api/reset-auth``): moto answers
  JSON-protocol calls with an XML error document, HTTP 403, code ``AccessDenied``; AWS answers
  ``AccessDeniedException`` in JSON. sseguard reads the code out of either.
- Throttling: moto never throttles. ``AwsBehaviour.throttle`` answers the next N calls of an operation with
  ``LimitExceededException`` (HTTP 400), as Kinesis does when its per-account rate is exceeded.
- Broken answers (cut short, not JSON, wrong shapes, resets, an endpoint that never answers): ``fault_proxy.py``
  sits between sseguard and this server and breaks the answers a test names.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from fault_proxy import operation_of
from sseguard.options import ScanOptions
from sseguard.report.core import Report
from sseguard.scan import judge
from sseguard.sources.aws import AwsScanOptions, scan_aws

ACCOUNT = "123456789012"  # moto's default account: the one the plain test credentials belong to
REPO = Path(__file__).resolve().parent.parent
POLICIES = REPO / "tests" / "fixtures" / "aws" / "policies"

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Call:
    """One request the server received: ``kinesis:ListStreams`` and its parameters."""

    operation: str
    params: dict[str, Any]


class AwsBehaviour:
    """A WSGI layer in front of moto: records every call, and on demand answers as AWS does where moto does not.

    By default it only records; ``token_paging`` and ``throttle`` are switched on by the tests that need them.
    """

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.token_paging = False
        self._throttles: dict[str, int] = {}
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.token_paging = False
            self._throttles.clear()
            self._calls.clear()

    def throttle(self, operation: str, times: int) -> None:
        """Answer the next ``times`` calls of ``operation`` (e.g. ``kinesis:DescribeStreamSummary``) with a throttle."""
        with self._lock:
            self._throttles[operation] = times

    def calls(self, operation: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if operation is None or c.operation == operation]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        operation, params = operation_of(environ.get("HTTP_X_AMZ_TARGET", ""), environ.get("HTTP_AUTHORIZATION", ""),
                                         body)
        if operation:
            with self._lock:
                self._calls.append(Call(operation, params))
                throttled = self._throttles.get(operation, 0) > 0
                if throttled:
                    self._throttles[operation] -= 1
            if throttled:
                answer = json.dumps({"__type": "LimitExceededException", "message": "Rate exceeded"}).encode()
                start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                                   ("Content-Length", str(len(answer)))])
                return [answer]
        if operation == "kinesis:ListStreams" and self.token_paging:
            return self._list_streams_by_token(environ, params, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _list_streams_by_token(self, environ: dict[str, Any], params: dict[str, Any],
                               start_response: StartResponse) -> Iterable[bytes]:
        request = dict(params)
        token = request.pop("NextToken", None)
        if token:
            request["ExclusiveStartStreamName"] = base64.urlsafe_b64decode(token.encode()).decode()
        status, headers, answer = self._forward(environ, json.dumps(request).encode())
        if status.startswith("200"):
            page = json.loads(answer)
            names = page.get("StreamNames", [])
            page["StreamSummaries"] = [s for s in page.get("StreamSummaries", []) if s.get("StreamName") in names]
            if page.get("HasMoreStreams") and names:
                page["NextToken"] = base64.urlsafe_b64encode(names[-1].encode()).decode()
            answer = json.dumps(page).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]

    def _forward(self, environ: dict[str, Any], body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        got: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            got["status"], got["headers"] = status, list(headers)
            return lambda _data: None

        chunks = self.app(inner, capture)
        try:
            answer = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return got["status"], got["headers"], answer


class MotoAws(ThreadedMotoServer):
    """``ThreadedMotoServer`` on 127.0.0.1, a free port, with ``AwsBehaviour`` in front of moto's application."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.behaviour = AwsBehaviour(DomainDispatcherApplication(create_backend_app))

    def _server_entry(self) -> None:
        # The parent's entry point, with the recording layer wrapped around moto's own application.
        self._server = make_server(self._ip_address, self._port, self.behaviour, True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every resource and call, and leave IAM checks off."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        self.behaviour.reset()

    @contextlib.contextmanager
    def iam_enforced(self) -> Iterator[None]:
        """Check every call against IAM policies (moto's access control), then switch it off again."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        try:
            yield
        finally:
            requests.post(f"{self.url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


@contextlib.contextmanager
def running() -> Iterator[MotoAws]:
    """A started server, stopped at the end."""
    server = MotoAws()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Creds:
    access_key: str = "testing"
    secret_key: str = "testing"
    token: str | None = None


def client(url: str, service: str, region: str = "us-east-1", creds: Creds | None = None) -> Any:
    """A boto3 client for setting up the server's resources."""
    c = creds or Creds()
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id=c.access_key,
                        aws_secret_access_key=c.secret_key, aws_session_token=c.token)


def assume(url: str, account: str, role: str = "scanner") -> Creds:
    """Credentials of another account, as moto gives them for AssumeRole of arn:aws:iam::ACCOUNT:role/NAME."""
    got = client(url, "sts").assume_role(RoleArn=role_arn(account, role), RoleSessionName="setup")["Credentials"]
    return Creds(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])


def role_arn(account: str, role: str = "scanner") -> str:
    return f"arn:aws:iam::{account}:role/{role}"


def iam_user(url: str, name: str, statements: list[dict[str, Any]]) -> Creds:
    """An IAM user with one inline policy, and its access key (for calls checked by moto's access control)."""
    iam = client(url, "iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="scan",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Creds(key["AccessKeyId"], key["SecretAccessKey"])


def clean_env(tmp: Path, creds: Creds | None = None, region: str | None = "us-east-1") -> dict[str, str]:
    """An environment with only test credentials: no user profile, config or credentials file is read."""
    c = creds or Creds()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": c.access_key,
        "AWS_SECRET_ACCESS_KEY": c.secret_key,
        "AWS_CONFIG_FILE": str(tmp / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "SSEGUARD_DB": str(tmp / "history.sqlite"),
        "NO_COLOR": "1",
    })
    if c.token:
        env["AWS_SESSION_TOKEN"] = c.token
    if region:
        env["AWS_DEFAULT_REGION"] = region
    return env


def make_stream(url: str, name: str, key: str | None = None, region: str = "us-east-1", creds: Creds | None = None,
                on_demand: bool = False) -> None:
    """A stream (provisioned, or on-demand), encrypted with ``key`` when one is given."""
    kinesis = client(url, "kinesis", region, creds)
    if on_demand:
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    if key is not None:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)


def make_key(url: str, region: str = "us-east-1", policy: str | None = None,
             creds: Creds | None = None, rotation: bool = True) -> dict[str, Any]:
    """A customer key, with the policy of ``fixtures/aws/policies/POLICY.json`` when one is named; its automatic
    rotation on unless ``rotation`` is false (off, it gets advisory KSSE015)."""
    kms = client(url, "kms", region, creds)
    meta: dict[str, Any] = kms.create_key()["KeyMetadata"]
    if rotation:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    if policy is not None:
        kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default",
                           Policy=(POLICIES / f"{policy}.json").read_text(encoding="utf-8"))
    return meta


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This process's environment reduced to ``clean_env``: the in-process scans read only the test credentials."""
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in clean_env(tmp_path).items():
        monkeypatch.setenv(name, value)


def scan(url: str, *regions: str, **options: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Scan through ``url`` in this process; the findings by address, and the whole JSON report."""
    strict = options.pop("strict", False)
    done = scan_aws(AwsScanOptions(endpoint_url=url, regions=regions, **options))
    findings = judge(done.result.streams, ScanOptions(strict_key_policy=strict))
    report = Report(findings, done.result.inputs, done.result.errors, extra=dict(done.api)).to_dict()
    return {f["resource"]["address"]: f for f in report["findings"]}, report


def arn(name: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def verdict(finding: dict[str, Any]) -> tuple[str, str, list[str]]:
    return finding["status"], finding["code"], finding["advisories"]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m sseguard ARGS`` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "sseguard", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, cwd=REPO)
