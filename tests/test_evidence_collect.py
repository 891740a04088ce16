"""``sseguard evidence collect``: Config rule results and Security Hub findings recorded in the history, and the
period report setting them beside sseguard's verdict.

Security Hub runs end to end on moto over HTTP (``sseguard aws --format asff``, ``BatchImportFindings``, then
``GetFindings`` through collect). moto does not implement Config's compliance-details calls, so Config is answered
by ``config_results_server.ConfigResultsServer``, a stand-in for those calls only, reached through
``AWS_ENDPOINT_URL_CONFIG_SERVICE``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aws_server import ACCOUNT, MotoAws, arn, client, make_key, make_stream
from config_results_server import ConfigResultsServer, evaluation
from sseguard import cli
from sseguard.evidence.results import CONFIG_RESULT, SECURITYHUB_RESULT, live_stream_key
from sseguard.evidence.store import History, format_time

MANAGED = "kinesis-stream-encrypted"
OURS = "sseguard-kinesis-stream-encrypted"
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date().isoformat()


@pytest.fixture
def config(aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConfigResultsServer]:
    """The Config stand-in; every other service of sseguard's clients goes to moto."""
    with ConfigResultsServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", server.url)
        yield server


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def db() -> Path:
    return Path(os.environ["SSEGUARD_DB"])


def rows(kind: str) -> list[tuple[str | None, str | None, str, dict[str, object]]]:
    with History.open(db()) as h:
        return [(r.stream_key, r.status, r.recorded_at, r.data()) for r in h.rows(kind=kind)]


def streams(aws: MotoAws) -> None:
    """``good`` passes; ``locked`` fails KSSE012 (its key's policy lets no one use it); ``off`` is not encrypted."""
    make_stream(aws.url, "good", make_key(aws.url, policy="kinesis-service-principal")["KeyId"])
    make_stream(aws.url, "locked", make_key(aws.url, policy="no-data-plane-grant")["KeyId"])
    make_stream(aws.url, "off")


def scan_asff(aws: MotoAws) -> list[dict[str, object]]:
    """``sseguard aws --format asff``: recorded in the history as a run, and the findings it prints."""
    code, out, err = run("aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "asff")
    assert code == 1, err  # locked and off fail
    findings: list[dict[str, object]] = json.loads(out)
    return findings


def test_security_hub_end_to_end_beside_sseguard(aws: MotoAws, config: ConfigResultsServer) -> None:
    streams(aws)
    asff = scan_asff(aws)
    hub = client(aws.url, "securityhub")
    # 120 findings of another control first, so sseguard's and Kinesis.1's come on GetFindings' second page; moto
    # applies no filters, so collect must also tell them apart itself.
    other = [{**asff[0], "Id": f"other-{i}", "GeneratorId": "aws-foundational/S3.1",
              "ProductFields": {"ControlId": "S3.1"}, "Compliance": {"Status": "FAILED"}} for i in range(120)]
    for i in range(0, len(other), 100):
        assert hub.batch_import_findings(Findings=other[i:i + 100])["FailedCount"] == 0
    assert hub.batch_import_findings(Findings=asff)["FailedCount"] == 0
    # AWS's own control finding says the locked stream passes: Kinesis.1 only checks that encryption is set.
    control = {**asff[0], "Id": "arn:aws:securityhub:us-east-1:123456789012:security-control/Kinesis.1/finding/1",
               "GeneratorId": "security-control/Kinesis.1", "ProductFields": {"ControlId": "Kinesis.1"},
               "Compliance": {"Status": "PASSED", "SecurityControlId": "Kinesis.1"},
               "Resources": [{"Type": "AwsKinesisStream", "Id": arn("locked"), "Region": "us-east-1"}],
               "UpdatedAt": (NOW - dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
               "Title": "Kinesis streams should be encrypted at rest"}
    assert hub.batch_import_findings(Findings=[control])["FailedCount"] == 0

    code, out, err = run("evidence", "collect", "--region", "us-east-1", "--security-hub")
    assert code == 0, err
    assert err == (f"sseguard: note: no rule {MANAGED} in aws://{ACCOUNT}/us-east-1: nothing collected from it\n"
                   f"sseguard: note: no rule {OURS} in aws://{ACCOUNT}/us-east-1: nothing collected from it\n")
    assert out == f"recorded 4 results (securityhub_result 4) in {db()}; 0 already recorded\n"
    recorded = rows(SECURITYHUB_RESULT)
    by_source = sorted((r[3]["source"], r[3]["resource"]["address"], r[1], r[3]["word"]) for r in recorded)
    assert by_source == [
        ("Security Hub Kinesis.1", arn("locked"), "pass", "PASSED"),
        ("Security Hub sseguard", arn("good"), "pass", "PASSED"),
        ("Security Hub sseguard", arn("locked"), "fail", "FAILED"),
        ("Security Hub sseguard", arn("off"), "fail", "FAILED"),
    ]
    # Keyed as sseguard aws keys its findings, and dated by UpdatedAt.
    with History.open(db()) as h:
        finding_keys = {r.stream_key for r in h.rows(kind="finding")}
    assert {r[0] for r in recorded} == finding_keys
    assert {r[2] for r in recorded if r[3]["source"] == "Security Hub Kinesis.1"} == {
        (NOW - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}

    code, report, err = run("evidence", "report", "--from", TODAY, "--format", "md")
    assert code == 0, err
    assert ("**DISAGREEMENT on 1 stream-day (1 stream): Config or Security Hub said otherwise than sseguard.**"
            in report)
    assert (f"| `{arn('locked')}` | Security Hub Kinesis.1 | {TODAY} | fail KSSE012 | PASSED (pass) | "
            f"{control['UpdatedAt'][:19]}Z | **DISAGREE** |") in report
    assert f"| `{arn('locked')}` | Security Hub sseguard | {TODAY} | fail KSSE012 | FAILED (fail) |" in report
    assert f"| `{arn('good')}` | Security Hub sseguard | {TODAY} | pass KSSE000 | PASSED (pass) |" in report

    # Collected again: nothing new.
    code, out, _ = run("evidence", "collect", "--region", "us-east-1", "--security-hub")
    assert (code, out) == (0, f"recorded 0 results in {db()}; 4 already recorded\n")
    assert len(rows(SECURITYHUB_RESULT)) == 4
    assert run("evidence", "verify")[0] == 0


def test_config_results_paged_with_a_disagreement_and_not_applicable(aws: MotoAws,
                                                                     config: ConfigResultsServer) -> None:
    streams(aws)
    scan_asff(aws)
    earlier = NOW - dt.timedelta(days=3)
    config.state.rules = {
        MANAGED: [
            # The managed rule sees encryption set on locked: COMPLIANT, recorded before the period, still in force.
            evaluation(MANAGED, "locked", "COMPLIANT", earlier),
            evaluation(MANAGED, "good", "COMPLIANT", NOW - dt.timedelta(hours=1)),
            evaluation(MANAGED, "off", "NON_COMPLIANT", NOW - dt.timedelta(hours=1)),
            evaluation(MANAGED, "gone", "NOT_APPLICABLE", NOW - dt.timedelta(hours=2)),
            evaluation(MANAGED, "my-bucket", "COMPLIANT", NOW, resource_type="AWS::S3::Bucket"),
        ],
        OURS: [evaluation(OURS, arn("locked"), "NON_COMPLIANT", NOW - dt.timedelta(hours=1),
                          annotation="KSSE012 the key policy lets no principal use the key")],
    }
    code, out, err = run("evidence", "collect", "--region", "us-east-1")
    assert (code, err) == (0, "")
    assert out == (f"recorded 5 results (config_result 5) in {db()}; 0 already recorded; 1 result about other "
                   "resources than stream ARNs left out\n")
    # Five evaluations of the managed rule, two a page: three calls, the last two with the NextToken given.
    managed_calls = [req for op, req in config.state.calls if req.get("ConfigRuleName") == MANAGED]
    assert [req.get("NextToken") for req in managed_calls] == [None, "2", "4"]
    recorded = {(r[3]["rule"], r[3]["resource"]["address"]): r for r in rows(CONFIG_RESULT)}
    assert set(recorded) == {(MANAGED, arn(n)) for n in ("locked", "good", "off", "gone")} | {(OURS, arn("locked"))}
    gone = recorded[(MANAGED, arn("gone"))]
    assert (gone[0], gone[1], gone[3]["word"]) == (live_stream_key(arn("gone")), "not-applicable", "NOT_APPLICABLE")
    assert recorded[(MANAGED, arn("locked"))][2] == earlier.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert recorded[(OURS, arn("locked"))][3]["detail"] == "KSSE012 the key policy lets no principal use the key"

    code, report, _ = run("evidence", "report", "--from", TODAY, "--format", "md")
    assert code == 0
    assert (f"| `{arn('locked')}` | Config rule {MANAGED} | {TODAY} | fail KSSE012 | COMPLIANT (pass) | "
            f"{earlier.isoformat()[:19]}Z | **DISAGREE** |") in report
    assert f"| `{arn('locked')}` | Config rule {OURS} | {TODAY} | fail KSSE012 | NON\\_COMPLIANT (fail) |" in report
    assert f"| `{arn('off')}` | Config rule {MANAGED} | {TODAY} | fail KSSE002 | NON\\_COMPLIANT (fail) |" in report
    assert (f"| `{arn('gone')}` | Config rule {MANAGED} | {TODAY} | not judged | NOT\\_APPLICABLE (not-applicable) | "
            in report)
    assert report.count("**DISAGREE**") == 1

    code, text, _ = run("evidence", "report", "--from", TODAY, "--format", "json")
    results = json.loads(text)["results"]
    assert (results["disagreeing_days"], results["streams_disagreeing"]) == (1, 1)
    locked = next(c for c in results["comparisons"] if c["address"] == arn("locked") and MANAGED in c["source"])
    assert locked["spans"] == [{"from": TODAY, "to": TODAY, "days": 1, "sseguard": "fail", "sseguard_code": "KSSE012",
                                "result": "pass", "word": "COMPLIANT",
                                "recorded_at": earlier.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "detail": "",
                                "agreement": "disagree"}]
    assert locked["results_in_period"] == 0  # recorded before the period, in force in it

    code, html, _ = run("evidence", "report", "--from", TODAY, "--format", "html")
    assert html.count('<tr class="disagree">') == 1
    assert f'<tr class="disagree"><td><code>{arn("locked")}</code></td><td>Config rule {MANAGED}</td>' in html

    code, text, _ = run("evidence", "report", "--from", TODAY, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    disagreeing = [r for r in table if "DISAGREE" in r["code"]]
    assert disagreeing == [{"control": "kinesis_stream_server_side_encryption_enabled", "address": arn("locked"),
                            "resource_type": "AWS::Kinesis::Stream", "source_kind": "config",
                            "location": f"Config rule {MANAGED}", "from": TODAY, "to": TODAY, "days": "1",
                            "day_status": "pass", "code": "COMPLIANT; sseguard fail KSSE012; DISAGREE",
                            "observations": "0"}]

    bundle = db().parent / "bundle.zip"
    assert run("evidence", "bundle", "--from", TODAY, "-o", str(bundle))[0] == 0
    with zipfile.ZipFile(bundle) as z:
        assert '<tr class="disagree">' in z.read("report.html").decode()
        assert json.loads(z.read("report.json"))["results"]["disagreeing_days"] == 1
        raw = [json.loads(line) for line in z.read("results.jsonl").decode().splitlines()]
        entries = {n: z.read(n) for n in z.namelist()}
    # The raw rows of the results recorded in the period (the one recorded before it is not among them).
    assert sorted((r["kind"], r["result"]["resource"]["address"]) for r in raw) == sorted(
        [(CONFIG_RESULT, arn(n)) for n in ("good", "off", "gone", "locked")])
    code, text, _ = run("evidence", "verify", str(bundle), "--db", str(db()))
    assert code == 0, text
    assert "8 history rows match their hashes" in text  # the run, its 3 findings and the 4 results
    edited = [dict(r, result=dict(r["result"], word="NON_COMPLIANT")) if i == 0 else r for i, r in enumerate(raw)]
    entries["results.jsonl"] = "".join(json.dumps(r, sort_keys=True) + "\n" for r in edited).encode()
    forged = db().parent / "forged.zip"
    with zipfile.ZipFile(forged, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    code, text, _ = run("evidence", "verify", str(forged))
    assert code == 1
    assert f"results.jsonl line 1 (history row {raw[0]['seq']}) was edited: it does not match its row hash" in text


def test_through_an_aggregator(aws: MotoAws, config: ConfigResultsServer) -> None:
    other = "210987654321"
    config.state.aggregated = {
        (MANAGED, ACCOUNT, "us-east-1"): [evaluation(MANAGED, "a", "COMPLIANT", NOW)],
        (MANAGED, other, "eu-west-1"): [evaluation(MANAGED, f"arn:aws:kinesis:eu-west-1:{other}:stream/b",
                                                   "NON_COMPLIANT", NOW),
                                        evaluation(MANAGED, "c", "COMPLIANT", NOW)],
    }
    code, out, err = run("evidence", "collect", "--region", "us-east-1", "--aggregator", "org",
                         "--config-rule", MANAGED)
    assert (code, err) == (0, "")
    assert out == f"recorded 3 results (config_result 3) in {db()}; 0 already recorded\n"
    assert sorted(r[3]["resource"]["address"] for r in rows(CONFIG_RESULT)) == sorted([
        arn("a"), f"arn:aws:kinesis:eu-west-1:{other}:stream/b", f"arn:aws:kinesis:eu-west-1:{other}:stream/c"])
    assert {r[3]["via"] for r in rows(CONFIG_RESULT)} == {"aggregator org"}
    ops = [op for op, _ in config.state.calls]
    assert ops == ["DescribeAggregateComplianceByConfigRules", "GetAggregateComplianceDetailsByConfigRule",
                   "GetAggregateComplianceDetailsByConfigRule"]


def test_an_api_error_is_one_line_and_never_a_result(aws: MotoAws, config: ConfigResultsServer) -> None:
    config.state.rules = {MANAGED: [evaluation(MANAGED, "a", "COMPLIANT", NOW)],
                          OURS: [evaluation(OURS, "a", "COMPLIANT", NOW)]}
    config.state.denied = {"GetComplianceDetailsByConfigRule"}
    code, out, err = run("evidence", "collect", "--region", "us-east-1", "--config-rule", MANAGED)
    assert code == 2
    assert err == ("sseguard: error: config:GetComplianceDetailsByConfigRule failed: AccessDeniedException: User: "
                   f"arn:aws:iam::{ACCOUNT}:user/collector is not authorized to perform: "
                   "config:GetComplianceDetailsByConfigRule; to resolve: grant config:GetComplianceDetailsByConfigRule "
                   f"on rule {MANAGED} in aws://{ACCOUNT}/us-east-1 to the scanning principal (IAM policy, SCP, key "
                   "policy) and scan again\n")
    assert out == f"recorded 0 results in {db()}; 0 already recorded\n"
    assert not db().exists()  # nothing to record: the history was not even made


def test_a_failed_page_drops_the_whole_listing(aws: MotoAws, config: ConfigResultsServer) -> None:
    config.state.rules = {MANAGED: [evaluation(MANAGED, n, "COMPLIANT", NOW) for n in "abc"],
                          OURS: [evaluation(OURS, "a", "COMPLIANT", NOW)]}
    config.state.denied_token = "2"
    code, out, err = run("evidence", "collect", "--region", "us-east-1")
    assert code == 2
    assert err.startswith("sseguard: error: config:GetComplianceDetailsByConfigRule failed: AccessDeniedException: ")
    assert err.count("\n") == 1
    assert out == f"recorded 1 result (config_result 1) in {db()}; 0 already recorded\n"
    assert [r[3]["rule"] for r in rows(CONFIG_RESULT)] == [OURS]  # none of the managed rule's first page


def test_a_named_rule_that_does_not_exist_is_an_error(aws: MotoAws, config: ConfigResultsServer) -> None:
    """A rule named on the command line that does not exist is an error; the one that exists is still recorded."""
    config.state.rules = {MANAGED: [evaluation(MANAGED, "a", "COMPLIANT", NOW)]}
    code, out, err = run("evidence", "collect", "--region", "us-east-1", "--config-rule", MANAGED,
                         "--config-rule", "typo")
    assert code == 2
    assert err == f"sseguard: error: no rule typo in aws://{ACCOUNT}/us-east-1: nothing collected from it\n"
    assert out == f"recorded 1 result (config_result 1) in {db()}; 0 already recorded\n"


def test_a_report_without_results_has_no_results_section(aws: MotoAws) -> None:
    streams(aws)
    scan_asff(aws)
    _, text, _ = run("evidence", "report", "--from", TODAY, "--format", "json")
    assert "results" not in json.loads(text)
    _, report, _ = run("evidence", "report", "--from", TODAY, "--format", "md")
    assert "Config and Security Hub" not in report


def test_observations_are_dated_each_by_its_own_time(tmp_path: Path) -> None:
    later, earlier = NOW - dt.timedelta(hours=1), NOW - dt.timedelta(days=2)
    with History.open(tmp_path / "h.sqlite3", create=True) as h:
        appended = h.append_observations(CONFIG_RESULT, [(later, "k", "pass", {"n": 1}),
                                                         (earlier, "k", "fail", {"n": 2})])
        stored = list(h.rows())
        assert [(r.recorded_at, r.status, r.data()) for r in stored] == [
            (format_time(later), "pass", {"n": 1}), (format_time(earlier), "fail", {"n": 2})]
        assert {r.run_id for r in stored} == {appended.run_id}
        assert (appended.first_seq, appended.last_seq) == (1, 2)
        assert h.verify().ok
        with pytest.raises(ValueError, match="finding rows are recorded by append_run"):
            h.append_observations("finding", [])


def test_a_stream_name_is_read_in_the_account_of_the_role_assumed(aws: MotoAws, config: ConfigResultsServer) -> None:
    other = "210987654321"
    config.state.rules = {MANAGED: [evaluation(MANAGED, "orders", "COMPLIANT", NOW)]}
    code, out, err = run("evidence", "collect", "--region", "eu-west-1", "--config-rule", MANAGED,
                         "--role-arn", f"arn:aws:iam::{other}:role/auditor")
    assert (code, err) == (0, "")
    assert out == f"recorded 1 result (config_result 1) in {db()}; 0 already recorded\n"
    [(key, status, _, body)] = rows(CONFIG_RESULT)
    address = f"arn:aws:kinesis:eu-west-1:{other}:stream/orders"
    assert (body["resource"]["address"], body["via"], status) == (address, f"config {other}/eu-west-1", "pass")
    assert key == live_stream_key(address)
