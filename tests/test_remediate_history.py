"""``sseguard remediate`` and the history: every change (and every skip and refusal) is a ``remediation`` row of
the hash chain, the 25-changes-a-day limit is counted from those rows, and ``evidence report`` shows the fix."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from pathlib import Path

from aws_server import ACCOUNT, MotoAws, arn, make_stream
from remediate_helpers import by_name, remediate
from sseguard import cli
from sseguard.control.codes import CONTROL_ID
from sseguard.evidence.render import remediation_text
from sseguard.evidence.store import REMEDIATION, History, stream_key

CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"


def history() -> Path:
    return Path(os.environ["SSEGUARD_DB"])


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(args))
    return code, out.getvalue()


def key_of(name: str) -> str:
    """The history's identity of a live stream of the test account in us-east-1."""
    return stream_key({"control": CONTROL_ID, "resource": {"address": arn(name)},
                       "source": {"kind": "aws", "path": f"aws://{ACCOUNT}/us-east-1"}})


def record_changes(name: str, hours_ago: list[float], status: str = "applied") -> None:
    now = dt.datetime.now(dt.UTC)
    with History.open(history(), create=True) as h:
        for hours in hours_ago:
            h.append_records(REMEDIATION, [(key_of(name), status, {"resource": {"address": arn(name)}})],
                             at=now - dt.timedelta(hours=hours))


def test_every_outcome_is_recorded_and_the_chain_holds(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    code, out, _ = remediate(aws.url)
    assert code == 1 and not history().exists()  # a plan changes nothing, and records nothing
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 0
    code, _, _ = remediate(aws.url, "--apply")
    with History.open(history()) as h:
        rows = list(h.rows(kind=REMEDIATION))
    assert [(r.stream_key, r.status) for r in rows] == [(key_of("plain"), "applied"), (key_of("plain"), "skipped")]
    body = rows[0].data()
    assert body["schema"] == "sseguard/remediation/v1"
    assert body["command"] == "remediate"
    assert body["by"] == CALLER
    assert body["resource"] == {"address": arn("plain"), "account": ACCOUNT, "region": "us-east-1"}
    assert body["key"] == "alias/aws/kinesis"
    assert body["before"] == {"encryption_type": "NONE", "key_id": None}
    assert body["after"] == {"encryption_type": "KMS", "key_id": "alias/aws/kinesis"}
    assert body["plaintext_until"] == by_name(out)["plain"]["plaintext_until"]
    code, text = run("evidence", "verify", "--db", str(history()))
    assert code == 0, text


def test_the_evidence_report_shows_the_fix(aws: MotoAws) -> None:
    make_stream(aws.url, "plain")
    scan = ["aws", "--endpoint-url", aws.url, "--region", "us-east-1", "--format", "json"]
    assert run(*scan)[0] == 1
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 0
    assert run(*scan)[0] == 0
    today = dt.datetime.now(dt.UTC).date().isoformat()
    code, report = run("evidence", "report", "--from", today, "--format", "md")
    assert code == 0
    with History.open(history()) as h:
        at = next(iter(h.rows(kind=REMEDIATION))).recorded_at
    entry = by_name(out)["plain"]
    assert (f"## Live remediation\n\n- `{arn('plain')}`: fixed at {at[:19]}Z by sseguard remediate ({CALLER}): key "
            "alias/aws/kinesis; before NONE, after KMS alias/aws/kinesis; records written before it stay plaintext "
            f"until {entry['plaintext_until']}\n") in report
    code, html = run("evidence", "report", "--from", today, "--format", "html")
    assert f"<code>{arn('plain')}</code>: fixed at {at[:19]}Z by sseguard remediate" in html


def test_a_stream_at_the_daily_limit_is_refused_until_it_frees_up(aws: MotoAws) -> None:
    make_stream(aws.url, "busy")
    make_stream(aws.url, "calm")
    # a call AWS accepted but that was not seen through (unverified) used a change too; refusals did not
    record_changes("busy", [23.5 - i * 0.5 for i in range(24)])
    record_changes("busy", [1.0], status="unverified")
    record_changes("calm", [25.0] + [23.0 - i * 0.5 for i in range(24)])  # the oldest is out of the window
    record_changes("calm", [0.5], status="refused")
    with History.open(history()) as h:
        oldest = min(r.recorded_at for r in h.rows(kind=REMEDIATION) if r.stream_key == key_of("busy"))
    frees = (dt.datetime.fromisoformat(oldest) + dt.timedelta(hours=24)).isoformat(timespec="seconds")
    code, out, _ = remediate(aws.url, "--apply")
    assert code == 1
    busy = by_name(out)["busy"]
    assert busy["action"] == "refused"
    assert busy["why"] == ("the history records 25 key changes of this stream in the last 24 hours, the most Kinesis "
                           f"allows; it frees up at {frees.replace('+00:00', 'Z')}")
    assert busy["resolve"] == "run again after that time"
    assert by_name(out)["calm"]["action"] == "applied"
    assert [c.params["StreamName"] for c in aws.behaviour.calls("kinesis:StartStreamEncryption")] == ["calm"]


def test_a_history_that_cannot_be_read_changes_nothing(aws: MotoAws, tmp_path: Path) -> None:
    make_stream(aws.url, "plain")
    broken = tmp_path / "broken.sqlite3"
    broken.write_text("not a database", encoding="utf-8")
    code, out, err = remediate(aws.url, "--db", str(broken))
    assert (code, out) == (2, {})
    assert err == ("sseguard: error: the 24-hour limit cannot be counted, so nothing was changed: "
                   f"{broken} is not a readable sseguard history: file is not a database\n")
    code, out, err = remediate(aws.url, "--apply", "--db", str(broken))
    assert (code, out) == (2, {})
    assert err == ("sseguard: error: the history cannot be written, so nothing was changed: "
                   f"{broken} is not a readable sseguard history: file is not a database\n")
    assert [c.operation for c in aws.behaviour.calls()] == ["kinesis:CreateStream"]  # the setup's only: no call


def test_a_history_that_cannot_be_written_changes_nothing(aws: MotoAws, tmp_path: Path) -> None:
    make_stream(aws.url, "plain")
    missing = tmp_path / "no-such-folder" / "history.sqlite3"
    code, out, err = remediate(aws.url, "--apply", "--db", str(missing))
    assert (code, out) == (2, {})
    assert err == (f"sseguard: error: the history cannot be written, so nothing was changed: cannot create history "
                   f"{missing}: the folder {missing.parent} does not exist (sseguard creates the file only, in a "
                   "folder that exists)\n")
    assert aws.behaviour.calls("kinesis:StartStreamEncryption") == []


def test_the_report_line_of_a_rekeyed_stream_and_of_a_refusal() -> None:
    rekeyed = {"at": "2026-11-30T09:14:46.123456Z", "action": "applied", "by": CALLER, "key": "alias/kinesis-prod",
               "before": {"encryption_type": "KMS", "key_id": "old-key"},
               "after": {"encryption_type": "KMS", "key_id": "alias/kinesis-prod"}, "why": "", "plaintext_until": None}
    assert remediation_text(rekeyed) == (f"fixed at 2026-11-30T09:14:46Z by sseguard remediate ({CALLER}): key "
                                         "alias/kinesis-prod; before KMS old-key, after KMS alias/kinesis-prod")
    refused = {**rekeyed, "action": "refused", "why": "preflight failed: key-enabled: key k is not usable: Disabled"}
    assert remediation_text(refused) == (f"refused at 2026-11-30T09:14:46Z by sseguard remediate ({CALLER}): "
                                         "preflight failed: key-enabled: key k is not usable: Disabled")
