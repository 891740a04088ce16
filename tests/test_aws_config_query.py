"""``sseguard aws --config-query``: the streams from AWS Config's advanced query, only the keys from KMS.

moto answers ``SelectResourceConfig`` with results set beforehand (the way its Athena results are set). This moto
has no HTTP route to set Config's, and reads no ``Expression`` from the request body, so the test queues the
answer of the next query on the backend of the server running in this process (as ``aws_server`` allows for what
the API cannot set up) and checks the expression sseguard sent from the recorded request. Results are JSON
strings, as AWS returns them.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from moto.config.models import config_backends

from aws_server import ACCOUNT, MotoAws, arn, iam_user, make_key
from sseguard import cli
from sseguard.sources.aws.config_query import EXPRESSION


def item(name: str, encryption: dict[str, str] | None, status: str = "OK") -> dict[str, Any]:
    """A Config item of a stream as the advanced query returns it (the CloudFormation resource schema's fields)."""
    configuration: dict[str, Any] = {"Name": name, "Arn": arn(name), "ShardCount": 1, "RetentionPeriodHours": 24}
    if encryption is not None:
        configuration["StreamEncryption"] = encryption
    return {"accountId": ACCOUNT, "awsRegion": "us-east-1", "resourceId": name, "resourceName": name,
            "arn": arn(name), "configuration": configuration, "configurationItemStatus": status}


def recorded(*items: dict[str, Any]) -> None:
    config_backends[ACCOUNT]["us-east-1"].query_results_queue.append([json.dumps(i) for i in items])


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_streams_from_config_keys_from_kms(aws: MotoAws) -> None:
    good = make_key(aws.url, policy="kinesis-service-principal")
    locked = make_key(aws.url, policy="no-data-plane-grant")
    recorded(item("good", {"EncryptionType": "KMS", "KeyId": good["KeyId"]}),
             item("locked", {"EncryptionType": "KMS", "KeyId": locked["Arn"]}),
             item("off", None),
             item("gone", None, status="ResourceDeleted"))
    code, out, err = run("aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json",
                         "--config-query")
    assert code == 1
    assert err.endswith("sseguard: note: --config-query: the streams came from AWS Config; calls saved: 3 "
                        "kinesis:DescribeStreamSummary and 1 kinesis:ListStreams\n")
    report = json.loads(out)
    found = {f["resource"]["address"]: (f["status"], f["code"]) for f in report["findings"]}
    assert found == {arn("good"): ("pass", "KSSE000"), arn("locked"): ("fail", "KSSE012"),
                     arn("off"): ("fail", "KSSE002")}
    assert report["calls_saved_by_config_query"] == {"kinesis:DescribeStreamSummary": 3, "kinesis:ListStreams": 1}
    assert report["api_operations"].get("config:SelectResourceConfig") == 1
    # The recorder names a call by its X-Amz-Target prefix where it knows no service for it (Config's).
    sent = aws.behaviour.calls("StarlingDoveService:SelectResourceConfig")
    assert [c.params for c in sent] == [{"Expression": EXPRESSION}]
    assert not [c for c in aws.behaviour.calls() if c.operation.startswith("kinesis:")]
    assert {f["resource"]["address"]: f["source"]["path"] for f in report["findings"]}[arn("good")] == (
        f"aws://{ACCOUNT}/us-east-1")


def test_an_item_without_its_encryption_type_is_unknown_not_a_fail(aws: MotoAws) -> None:
    recorded(item("odd", {"KeyId": "alias/aws/kinesis"}))
    code, out, _ = run("aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json",
                       "--config-query")
    assert code == 0  # unknown is below the default --fail-on fail
    finding = json.loads(out)["findings"][0]
    assert (finding["resource"]["address"], finding["status"], finding["code"]) == (arn("odd"), "unknown", "KSSE021")
    assert finding["message"].startswith("config:SelectResourceConfig returned no "
                                         "configuration.StreamEncryption.EncryptionType for stream odd")


def test_a_refused_query_makes_the_region_unknown(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(item("good", None))
    creds = iam_user(aws.url, "no-config", [{"Effect": "Allow", "Action": ["sts:GetCallerIdentity", "kms:*"],
                                             "Resource": "*"}])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    with aws.iam_enforced():
        code, out, _ = run("aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json",
                           "--config-query")
    assert code == 0  # an unknown is not at or above the default --fail-on fail
    finding = json.loads(out)["findings"][0]
    assert (finding["status"], finding["code"]) == ("unknown", "KSSE021")
    assert "config:SelectResourceConfig failed: AccessDenied" in finding["message"]
