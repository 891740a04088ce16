"""Running ``sseguard remediate`` in tests: in this process, through the command line's own ``main``, against the
moto server (or the fault proxy in front of it) over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from aws_server import POLICIES, client
from sseguard import cli


def remediate(url: str, *args: str, region: str = "us-east-1") -> tuple[int, dict[str, Any], str]:
    """``sseguard remediate --endpoint-url URL --region REGION --format json ARGS``: exit code, the JSON output
    (empty when there is none) and stderr, which never holds a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(["remediate", "--endpoint-url", url, "--region", region, "--format", "json", *args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, json.loads(out.getvalue()) if out.getvalue() else {}, err.getvalue()


def by_name(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The output's stream entries by stream name."""
    return {s["name"]: s for s in output["streams"]}


def failed_checks(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, why) of every preflight check that failed."""
    return [(c["name"], c["why"]) for c in entry["preflight"] if not c["passed"]]


def customer_key(url: str, policy: str = "kinesis-service-principal", region: str = "us-east-1") -> dict[str, Any]:
    """A symmetric encryption key with the policy of ``fixtures/aws/policies/POLICY.json``. Its usage is given
    when it is made: moto's DescribeKey leaves KeyUsage out for a key made without one (AWS always gives it), and
    the preflight refuses a key whose usage it does not know."""
    kms = client(url, "kms", region)
    meta: dict[str, Any] = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default",
                       Policy=(POLICIES / f"{policy}.json").read_text(encoding="utf-8"))
    return meta
