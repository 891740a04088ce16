"""``sseguard aws`` as a user runs it: ``python -m sseguard aws --endpoint-url URL ...`` against moto's server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.kinesis.models import kinesis_backends

from aws_server import ACCOUNT, MotoAws, arn, assume, clean_env, client, make_stream, role_arn, run_cli
from fault_proxy import HTML_PAGE, FaultProxy, edit_json, fault_proxy, invalid_utf8, replace, stall
from helpers import validate_report


@pytest.fixture
def proxy(aws: MotoAws) -> Iterator[FaultProxy]:
    with fault_proxy(aws.url) as p:
        yield p


def stream(aws: MotoAws, name: str, key: str | None = None, region: str = "us-east-1", creds: Any = None) -> str:
    kinesis = client(aws.url, "kinesis", region, creds)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    if key:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def one_error_line(stderr: str) -> str:
    """The whole of stderr, which must be one line and no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_json_report_validates_and_counts_calls(aws: MotoAws, tmp_path: Path) -> None:
    plain = stream(aws, "plain")
    managed = stream(aws, "managed", "alias/aws/kinesis")
    key = client(aws.url, "kms").create_key()["KeyMetadata"]
    customer = stream(aws, "customer", key["KeyId"])
    done = run_cli(["aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json"],
                   clean_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    report = json.loads(done.stdout)
    validate_report(report)
    by_address = {f["resource"]["address"]: f for f in report["findings"]}
    assert (by_address[plain]["status"], by_address[plain]["code"]) == ("fail", "KSSE002")
    assert (by_address[managed]["status"], by_address[managed]["advisories"]) == ("pass", ["KSSE010"])
    assert (by_address[customer]["status"], by_address[customer]["advisories"]) == ("pass", ["KSSE013", "KSSE015"])
    assert report["inputs"] == [{"kind": "aws", "location": f"aws://{ACCOUNT}/us-east-1"}]
    assert report["api_calls"] == {"kinesis": 4, "kms": 4, "sts": 1}
    assert report["api_operations"] == {
        "kinesis:DescribeStreamSummary": 3, "kinesis:ListStreams": 1, "kms:DescribeKey": 1,
        "kms:GetKeyPolicy": 1, "kms:GetKeyRotationStatus": 1, "kms:ListGrants": 1, "sts:GetCallerIdentity": 1,
    }


def test_output_files_and_text(aws: MotoAws, tmp_path: Path) -> None:
    managed = stream(aws, "managed", "alias/aws/kinesis")
    out = tmp_path / "report.json"
    done = run_cli(["aws", "--endpoint-url", aws.url, "--output", f"json={out}"], clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert managed in done.stdout  # the text report still goes to stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [f["resource"]["address"] for f in report["findings"]] == [managed]
    assert report["summary"] == {"pass": 1, "fail": 0, "unknown": 0, "suppressed": 0}


def test_fail_on_unknown(aws: MotoAws, tmp_path: Path) -> None:
    stream(aws, "incomplete")
    kinesis_backends[ACCOUNT]["us-east-1"].streams["incomplete"].encryption_type = None
    args = ["aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json"]
    assert run_cli(args, clean_env(tmp_path)).returncode == 0
    done = run_cli([*args, "--fail-on", "unknown"], clean_env(tmp_path))
    assert done.returncode == 1
    finding = json.loads(done.stdout)["findings"][0]
    assert (finding["status"], finding["code"]) == ("unknown", "KSSE021")


def test_role_arns_and_strict_key_policy(aws: MotoAws, tmp_path: Path) -> None:
    first, second = "111111111111", "222222222222"
    creds = assume(aws.url, first)
    key = client(aws.url, "kms", creds=creds).create_key()["KeyMetadata"]
    in_first = stream(aws, "orders", key["KeyId"], creds=creds)
    in_second = stream(aws, "orders", "alias/aws/kinesis", region="eu-west-1", creds=assume(aws.url, second))
    done = run_cli(["aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--region", "eu-west-1",
                    "--role-arn", role_arn(first), "--role-arn", role_arn(second), "--strict-key-policy",
                    "--format", "json"], clean_env(tmp_path))
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    by_address = {f["resource"]["address"]: f for f in report["findings"]}
    assert sorted(by_address) == sorted([in_first, in_second])
    # moto's default key policy only delegates to the account root: a fail under --strict-key-policy.
    assert (by_address[in_first]["status"], by_address[in_first]["code"]) == ("fail", "KSSE013")
    assert by_address[in_second]["resource"]["account"] == second
    assert len(report["inputs"]) == 4


@pytest.mark.parametrize(
    ("args", "env_change", "expected"),
    [
        ([], {"AWS_DEFAULT_REGION": None},
         "sseguard: error: no region: give --region REGION (repeatable, or all), or set AWS_REGION or a profile "
         "region"),
        (["--region", "mars-1"], {}, "sseguard: error: --region 'mars-1': not a region name (e.g. eu-west-1) or 'all'"),
        (["--profile", "nope"], {}, "sseguard: error: The config profile (nope) could not be found"),
        (["--role-arn", "arn:aws:iam::123:role/x"], {},
         "sseguard: error: --role-arn arn:aws:iam::123:role/x: not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"),
        ([], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
         "sseguard: error: cannot use the AWS credentials: sts:GetCallerIdentity failed: NoCredentialsError: "
         "Unable to locate credentials"),
    ],
    ids=["no-region", "bad-region", "unknown-profile", "bad-role-arn", "no-credentials"],
)
def test_setup_errors_are_one_line_and_exit_2(aws: MotoAws, tmp_path: Path, args: list[str],
                                              env_change: dict[str, str | None], expected: str) -> None:
    env = clean_env(tmp_path)
    for name, value in env_change.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    done = run_cli(["aws", "--endpoint-url", aws.url, *args], env)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == expected
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("localhost:5000", "give a URL starting with http:// or https://"),
        ("http://[::1", "not a URL (it needs a host, and a port that is a number)"),
        ("http://localhost:port", "not a URL (it needs a host, and a port that is a number)"),
        ("https://", "not a URL (it needs a host, and a port that is a number)"),
    ],
)
def test_endpoint_url_must_be_a_url(tmp_path: Path, url: str, expected: str) -> None:
    done = run_cli(["aws", "--endpoint-url", url], clean_env(tmp_path))
    assert done.returncode == 2
    assert one_error_line(done.stderr) == f"sseguard: error: --endpoint-url {url!r}: {expected}"


def test_timeout_must_be_a_positive_number(tmp_path: Path) -> None:
    for value in ("0", "-5", "nan"):
        done = run_cli(["aws", "--endpoint-url", "http://127.0.0.1:9", "--timeout", value], clean_env(tmp_path))
        assert done.returncode == 2
        assert one_error_line(done.stderr) == "sseguard: error: --timeout must be a number of seconds above 0"


# --- answers that cannot be read, through fault_proxy ---------------------------------------------------------


def test_malformed_answers_end_in_a_report_not_a_traceback(proxy: FaultProxy, aws: MotoAws, tmp_path: Path) -> None:
    for name in ("plain", "bad-utf8", "listy"):
        make_stream(aws.url, name)
    proxy.add("kinesis:DescribeStreamSummary", invalid_utf8("EncryptionType"),
              match=lambda params: params["StreamName"] == "bad-utf8")
    proxy.add("kinesis:DescribeStreamSummary",
              edit_json(lambda answer, _: {**answer, "StreamDescriptionSummary": {
                  **answer["StreamDescriptionSummary"], "EncryptionType": ["NONE"]}}),
              match=lambda params: params["StreamName"] == "listy")
    done = run_cli(["aws", "--endpoint-url", proxy.url, "--region", "us-east-1", "--format", "json"],
                   clean_env(tmp_path))
    assert done.returncode == 1, done.stderr  # the readable stream fails; the run did not stop
    assert done.stderr == ""
    report = json.loads(done.stdout)
    validate_report(report)
    by_address = {f["resource"]["address"]: f for f in report["findings"]}
    assert (by_address[arn("plain")]["status"], by_address[arn("plain")]["code"]) == ("fail", "KSSE002")
    for name in ("bad-utf8", "listy"):
        assert (by_address[arn(name)]["status"], by_address[arn(name)]["code"]) == ("unknown", "KSSE021")
    assert by_address[arn("bad-utf8")]["message"].startswith(
        "kinesis:DescribeStreamSummary returned an answer that is not UTF-8 (byte 0xff at offset ")
    assert by_address[arn("listy")]["message"].startswith(
        'kinesis:DescribeStreamSummary returned StreamDescriptionSummary.EncryptionType as ["NONE"], not a string')


def test_a_listing_that_cannot_be_read_is_not_a_clean_region(proxy: FaultProxy, aws: MotoAws,
                                                             tmp_path: Path) -> None:
    for i in range(8):
        make_stream(aws.url, f"plain-{i}")
    proxy.add("kinesis:ListStreams", HTML_PAGE)
    args = ["aws", "--endpoint-url", proxy.url, "--region", "us-east-1", "--format", "json"]
    done = run_cli(args, clean_env(tmp_path))
    report = json.loads(done.stdout)
    assert report["summary"] == {"pass": 0, "fail": 0, "unknown": 1, "suppressed": 0}
    assert [(f["resource"]["address"], f["status"], f["code"]) for f in report["findings"]] == [
        (f"aws://{ACCOUNT}/us-east-1", "unknown", "KSSE021")]
    assert done.returncode == 0  # unknown is not a failure unless asked
    assert run_cli([*args, "--fail-on", "unknown"], clean_env(tmp_path)).returncode == 1


def test_an_unreadable_caller_identity_is_one_line(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.add("sts:GetCallerIdentity", HTML_PAGE)
    done = run_cli(["aws", "--endpoint-url", proxy.url, "--region", "us-east-1"], clean_env(tmp_path))
    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        "sseguard: error: cannot read the answer of AWS: sts:GetCallerIdentity returned an answer botocore cannot "
        "parse: KeyError: 'GetCallerIdentityResult'")


@pytest.mark.parametrize(
    ("operation", "addresses", "call"),
    [
        ("kinesis:DescribeStreamSummary", [arn("first"), arn("second")], "kinesis:DescribeStreamSummary"),
        ("kinesis:ListStreams", [f"aws://{ACCOUNT}/us-east-1"], "kinesis:ListStreams"),
    ],
    ids=["describe-never-answers", "listing-never-answers"],
)
def test_timeout_ends_a_scan_whose_endpoint_never_answers(proxy: FaultProxy, aws: MotoAws, tmp_path: Path,
                                                          operation: str, addresses: list[str], call: str) -> None:
    make_stream(aws.url, "first")
    make_stream(aws.url, "second")
    proxy.add(operation, stall())
    # Each attempt may wait as long as the whole scan: the stalled call times out at the deadline, not before.
    done = run_cli(["aws", "--endpoint-url", proxy.url, "--region", "us-east-1", "--timeout", "2", "--format",
                    "json"], clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert sorted(f["resource"]["address"] for f in report["findings"]) == addresses
    for finding in report["findings"]:
        assert (finding["status"], finding["code"]) == ("unknown", "KSSE021")
        assert finding["message"] == (
            f"{call} was not read before the --timeout deadline of 2 s; its last attempt failed: ReadTimeoutError: "
            f'Read timeout on endpoint URL: "{proxy.url}/"; to resolve: raise --timeout (it was 2 s) and scan again')
    assert len(proxy.seen(operation)) == len(addresses)  # no attempt after the deadline


def test_a_region_botocore_does_not_know_is_a_warning(proxy: FaultProxy, aws: MotoAws, tmp_path: Path) -> None:
    # moto serves only the regions it knows; an endpoint that serves this one answers an empty listing.
    proxy.add("kinesis:ListStreams", replace(b'{"StreamNames": [], "HasMoreStreams": false}'), region="eu-fake-9")
    make_stream(aws.url, "known")
    done = run_cli(["aws", "--endpoint-url", proxy.url, "--region", "eu-fake-9", "--region", "us-east-1",
                    "--region", "eu-fake-9", "--format", "json"], clean_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr == "sseguard: warning: --region eu-fake-9 is not a region botocore knows; scanning it anyway\n"
    report = json.loads(done.stdout)
    assert [i["location"] for i in report["inputs"]] == [f"aws://{ACCOUNT}/eu-fake-9", f"aws://{ACCOUNT}/us-east-1"]
    assert [f["resource"]["address"] for f in report["findings"]] == [arn("known")]


@pytest.mark.parametrize("regions", [["us-east-1", "eusc-de-east-1"], ["all"]], ids=["known", "all"])
def test_known_regions_and_all_give_no_warning(aws: MotoAws, tmp_path: Path, regions: list[str]) -> None:
    args = ["aws", "--endpoint-url", aws.url, "--format", "json"]
    for region in regions:
        args += ["--region", region]
    env = clean_env(tmp_path)
    done = run_cli(args, env)
    assert done.stderr == ""
    assert done.returncode == 0
