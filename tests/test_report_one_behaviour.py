"""One behaviour per situation: both names of Markdown everywhere, ASFF's account and region from options or the
environment (named in the error and in --help), out-of-reach key checks said once in text, and counts that read
right for 1. Commands run as a user runs them: ``python -m sseguard ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import report_cases as rc
from evidence_factory import at, record_streams, stream
from sseguard.evidence.store import History
from sseguard.report import FORMATS, RenderOptions

ROOT = Path(__file__).resolve().parents[1]
STACK = "tests/fixtures/evidence/stack"
DESCRIBE = "tests/fixtures/describe/real"


def sseguard(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sseguard ARGS`` from the repository root, without the test's AWS_* variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environ.update(env or {})
    done = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environ, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


# --- md and markdown ---------------------------------------------------------------------------------------------


def test_scan_takes_md_and_markdown_alike(tmp_path: Path) -> None:
    done = sseguard("scan", STACK, "--no-history", "--format", "md", "--output", f"md={tmp_path / 'a.md'}",
                    "--output", f"markdown={tmp_path / 'b.md'}", "--output", f"htm={tmp_path / 'c.html'}")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith("<!-- sseguard-report -->\n")
    assert (tmp_path / "a.md").read_text("utf-8") == (tmp_path / "b.md").read_text("utf-8") == done.stdout
    assert (tmp_path / "c.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    bad = sseguard("scan", STACK, "--no-history", "--output", f"mdown={tmp_path / 'x'}")
    assert (bad.returncode, bad.stderr) == (2, f"sseguard: error: --output mdown={tmp_path / 'x'}: unknown format "
                                               "'mdown'; known: asff, csv, gitlab, html, json, junit, markdown, "
                                               "sarif, text\n")


def test_evidence_report_takes_markdown_and_md_alike(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-01 09:00"))
    period = ("evidence", "report", "--from", "2025-03-01", "--to", "2025-03-01", "--db", db)
    md = sseguard(*period, "--format", "md")
    assert (md.returncode, md.stderr) == (0, "")
    assert sseguard(*period, "--format", "markdown").stdout == md.stdout
    assert sseguard(*period, "-o", tmp_path / "r.markdown").returncode == 0
    assert (tmp_path / "r.markdown").read_text("utf-8") == md.stdout
    page = sseguard(*period, "--format", "htm")
    assert page.returncode == 0 and page.stdout.startswith("<!DOCTYPE html>")
    bad = sseguard(*period, "--format", "xml")
    assert (bad.returncode, bad.stderr) == (2, "sseguard: error: --format must be one of csv, html (or htm), json, "
                                               "md (or markdown), not 'xml'\n")


# --- ASFF's account and region ----------------------------------------------------------------------------------


def test_asff_on_the_bundled_examples_names_both_ways_to_give_account_and_region() -> None:
    done = sseguard("scan", "examples", "--no-history", "--format", "asff")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "sseguard: error: asff: ASFF needs the AWS account and region of every stream: no account is known for "
        "OrdersStream, ClickStream, module.ingest[\"orders\"].aws_kinesis_stream.this and 7 more (give --account-id "
        "ACCOUNT or set AWS_ACCOUNT_ID); no region is known for OrdersStream, ClickStream (give --region REGION or set "
        "AWS_REGION)\n")


def _accounts_and_regions(done: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    assert done.returncode == 1, done.stderr
    return {f["ProductFields"]["sseguard/Address"]: (f["AwsAccountId"], f["Resources"][0]["Region"])
            for f in json.loads(done.stdout)}


def test_asff_account_and_region_from_options_fill_what_streams_do_not_say() -> None:
    got = _accounts_and_regions(sseguard("scan", "examples", "--no-history", "--format", "asff", "--account-id",
                                         "111122223333", "--region", "eu-west-1"))
    # The Terraform streams name their provider's region, which wins; the CloudFormation ones name none.
    assert got["OrdersStream"] == got["ClickStream"] == ("111122223333", "eu-west-1")
    assert got["aws_kinesis_stream.clickstream"] == ("111122223333", "us-east-1")
    assert len(got) == 10


def test_asff_options_win_over_the_environment_and_a_stream_s_own_account_over_both() -> None:
    env = {"AWS_ACCOUNT_ID": "222233334444", "AWS_REGION": "ap-south-1"}
    from_env = _accounts_and_regions(sseguard("scan", "examples", "--no-history", "--format", "asff", env=env))
    assert from_env["OrdersStream"] == ("222233334444", "ap-south-1")
    given = _accounts_and_regions(sseguard("scan", "examples", "--no-history", "--format", "asff", "--account-id",
                                           "111122223333", env=env))
    assert given["OrdersStream"] == ("111122223333", "ap-south-1")
    live = _accounts_and_regions(sseguard("scan", f"{DESCRIBE}/describe-stream-summary.plain.json", "--no-history",
                                          "--format", "asff", "--account-id", "111122223333"))
    assert set(live.values()) == {("123456789012", "us-east-1")}  # the saved output's own ARN


def test_a_bad_account_id_names_the_option() -> None:
    done = sseguard("scan", "examples", "--no-history", "--format", "asff", "--account-id", "prod")
    assert (done.returncode, done.stderr) == (2, "sseguard: error: asff: --account-id must be a 12-digit AWS account "
                                                 "id, not 'prod'\n")
    env = sseguard("scan", "examples", "--no-history", "--format", "asff", env={"AWS_ACCOUNT_ID": "prod"})
    assert env.stderr == "sseguard: error: asff: AWS_ACCOUNT_ID must be a 12-digit AWS account id, not 'prod'\n"


def test_help_names_the_asff_options_and_their_variables() -> None:
    for command in ("scan", "aws"):
        text = " ".join(sseguard(command, "--help").stdout.split())
        assert ("--account-id ACCOUNT for ASFF, the 12-digit AWS account of findings whose stream names none (a live "
                "stream's own account wins; default: $AWS_ACCOUNT_ID)") in text
    scan_help = " ".join(sseguard("scan", "--help").stdout.split())
    assert ("--region REGION the region of a provider that names none; for ASFF, also the region of findings whose "
            "stream names none (default there: $AWS_REGION, else $AWS_DEFAULT_REGION)") in scan_help
    assert "output format: asff, csv, gitlab, html (or htm), json, junit, markdown (or md), sarif, text" in scan_help


# --- out-of-reach key checks said once ---------------------------------------------------------------------------


def test_key_checks_that_could_not_run_are_stated_once_with_their_reasons() -> None:
    text = FORMATS["text"](rc.report(), RenderOptions())
    lines = text.splitlines()
    start = lines.index("  PASS       KSSE000 aws_kinesis_stream.orders:26")
    assert lines[start:start + 5] == [
        "  PASS       KSSE000 aws_kinesis_stream.orders:26",
        "             encrypted with KMS key alias/orders",
        "             not checked (KSSE011): the alias is not declared in the scanned files",
        "             not checked (KSSE012, KSSE013, KSSE016): the key's policy is not known",
        "             not checked (KSSE014, KSSE015): the key's state is not known",
    ]
    assert "could not run" not in text
    # Other formats keep the message whole: it is the one place they state the checks.
    finding = rc.by_address(rc.report(), "aws_kinesis_stream.orders")
    assert finding.verdict.message.endswith(
        "; 6 key checks could not run: KSSE011, KSSE012, KSSE013, KSSE014, KSSE015, KSSE016")


# --- counts that read right for 1 --------------------------------------------------------------------------------


def test_counts_of_one_in_every_summary(tmp_path: Path) -> None:
    one = rc.report([rc.streams()[0]])
    assert FORMATS["text"](one, RenderOptions()).endswith(
        "1 stream: 0 pass, 1 fail, 0 unknown, 0 suppressed; 1 input error\n")
    assert "**❌ failing streams**: 1 stream checked, ⚠️ 1 input could not be read" in FORMATS["markdown"](
        one, RenderOptions())
    page = FORMATS["html"](one, RenderOptions())
    assert '<div class="n">1</div><div class="l">stream</div>' in page
    assert '<div class="l">input error</div>' in page and "2 inputs read" in page
    db = tmp_path / "h.db"
    record_streams(db, [], at("2025-03-01 09:00"))  # one run, one row: its header
    verify = sseguard("evidence", "verify", "--db", db)
    with History.open(db) as history:
        head = history.head()
    assert verify.stdout == f"OK: {db}: 1 row in 1 run, hash chain intact, head row 1 sha256 {head.hash}\n"
    period = ("--from", "2025-03-01", "--to", "2025-03-01", "--db", db)
    md = sseguard("evidence", "report", *period).stdout
    assert f"History: 1 run, 1 row, hash chain intact (head row 1, sha256 `{head.hash}`)." in md
    assert "Coverage: 1 of 1 day scanned; days without a scan: none." in md
    out = tmp_path / "e.zip"
    assert sseguard("evidence", "bundle", *period, "-o", out).returncode == 0
    checked = sseguard("evidence", "verify", out)
    assert checked.stdout == (f"OK: {out}: 7 files match the manifest, 1 history row matches its hash; history head "
                              f"row 1 sha256 {head.hash}\n")

