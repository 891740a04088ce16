"""The command line: `sseguard scan` records each run; `sseguard evidence report|bundle|verify` read the history.
Everything runs as a user would: `python -m sseguard ...` in a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from evidence_factory import at, record_streams, stream
from sseguard.evidence.store import History

ROOT = Path(__file__).resolve().parents[1]
STACK = "tests/fixtures/evidence/stack"


def sseguard(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def fixed_history(db: Path) -> list[str]:
    ids = []
    for when, enc in (("2025-03-01 09:00", None), ("2025-03-03 09:00", "KMS")):
        ids.append(record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", enc)],
                                  at(when)).run_id)
    return ids


def test_scan_records_the_run_with_its_findings_and_git_commit(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    first = sseguard("scan", STACK, "--db", db, "--format", "json", "--var", "password=hunter2")
    assert first.returncode == 1, first.stderr
    assert first.stderr == ""
    assert sseguard("scan", STACK, "--db", db, "--format", "json").returncode == 1
    with History.open(db) as history:
        rows = list(history.rows())
        assert history.verify().ok
    runs = [r.data() for r in rows if r.kind == "run"]
    assert len(runs) == 2 and len(rows) == 8
    assert runs[0]["command"] == "scan" and runs[0]["inputs"] == [STACK]
    assert runs[0]["arguments"]["var"] == ["password=<redacted>"] and "hunter2" not in rows[0].body
    # Other work may commit to this checkout meanwhile, so the exact commit is checked on a repository of its own.
    assert runs[0]["git"]["root"] == str(ROOT) and len(runs[0]["git"]["commit"]) == 40
    assert runs[0]["summary"] == {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 1}
    findings = [(r.data()["resource"]["address"], r.status, r.data()["code"], r.data()["source"]["line"])
                for r in rows[1:4]]
    assert findings == [("aws_kinesis_stream.orders", "pass", "KSSE000", 5),
                        ("aws_kinesis_stream.clicks", "fail", "KSSE001", 12),
                        ("aws_kinesis_stream.public", "suppressed", "KSSE001", 18)]
    assert rows[3].data()["suppression"] == {"kind": "sseguard", "reason": "public clickstream, no personal data",
                                             "expires": "2099-12-31"}
    # The period report of today (and yesterday, so a run just past midnight is still inside) shows the three.
    today = dt.datetime.now(dt.UTC).date()
    report = sseguard("evidence", "report", "--from", today - dt.timedelta(days=1), "--db", db, "--format", "json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert [(s["address"], s["last_status"]["status"]) for s in data["streams"]] == [
        ("aws_kinesis_stream.clicks", "fail"), ("aws_kinesis_stream.orders", "pass"),
        ("aws_kinesis_stream.public", "suppressed")]
    assert data["streams"][2]["suppressions"][0]["reason"] == "public clickstream, no personal data"


def test_scan_of_a_git_checkout_records_its_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / STACK, repo / "stack")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "stack"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    db = tmp_path / "h.sqlite3"
    assert sseguard("scan", repo / "stack", "--db", db, "--format", "json").returncode == 1
    with History.open(db) as history:
        header = next(history.rows(kind="run")).data()
    assert header["git"] == {"commit": head, "root": str(repo.resolve())}
    assert header["inputs"] == [str(repo / "stack")]


def test_default_history_is_SSEGUARD_DB_and_no_history_writes_nothing(tmp_path: Path) -> None:
    env_db = Path(os.environ["SSEGUARD_DB"])  # set for every test by conftest.py
    assert not env_db.exists()
    assert sseguard("scan", STACK, "--no-history").returncode == 1
    assert not env_db.exists()
    assert sseguard("scan", STACK).returncode == 1
    with History.open(env_db) as history:
        assert history.verify().runs == 1


def test_a_history_write_error_never_costs_the_report(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the history folder should be\n")
    db = blocker / "h.sqlite3"
    done = sseguard("scan", STACK, "--db", db, "--format", "json")
    assert done.returncode == 2  # the user named the history: not recording the run is an error, after the report
    assert json.loads(done.stdout)["summary"] == {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 1}
    assert done.stderr.splitlines() == [f"sseguard: error: this run was not recorded in the history {db} (named by "
                                        f"--db): cannot create history {db}: {blocker} is not a folder"]


def test_parallel_scans_lose_no_run(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    procs = [subprocess.Popen([sys.executable, "-m", "sseguard", "scan", STACK, "--db", str(db), "--format", "json"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [1] * 6 and errors == [""] * 6
    done = sseguard("evidence", "verify", "--db", db)
    assert done.returncode == 0
    assert done.stdout.startswith(f"OK: {db}: 24 rows in 6 runs, hash chain intact, head row 24 sha256 ")


def test_verify_history_names_the_tampered_row(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = fixed_history(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("DROP TRIGGER records_no_delete")
    conn.execute("UPDATE records SET status = 'pass' WHERE seq = 3")
    conn.execute("DELETE FROM records WHERE seq = 5")
    conn.commit()
    conn.close()
    done = sseguard("evidence", "verify", "--db", db)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"TAMPERED: {db}: 3 problems in 5 rows",
        f"  edited: row 3 (finding aws_kinesis_stream.b of run {ids[0]}, recorded 2025-03-01T09:00:00.000000Z) was "
        "edited: its content no longer matches its hash",
        f"  deleted: row 5 was deleted: the sequence jumps from row 4 to row 6 (in run {ids[1]})",
        f"  deleted: run {ids[1]} (recorded 2025-03-03T09:00:00.000000Z) has 1 finding rows, its header says 2",
    ]
    # A report from a tampered history still shows, but says so and exits 1.
    report = sseguard("evidence", "report", "--from", "2025-03-01", "--to", "2025-03-03", "--db", db)
    assert report.returncode == 1
    assert "**History hash chain BROKEN** (3 problems); this report cannot be trusted:" in report.stdout
    bundle = sseguard("evidence", "bundle", "--from", "2025-03-01", "--to", "2025-03-03", "--db", db,
                      "-o", tmp_path / "e.zip")
    assert bundle.returncode == 1 and not (tmp_path / "e.zip").exists()
    assert bundle.stderr.startswith("sseguard: the history's hash chain is broken, no bundle made: row 3 ")


def test_report_formats_and_outputs(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    fixed_history(db)
    period = ("--from", "2025-03-01", "--to", "2025-03-03", "--db", db)
    md = sseguard("evidence", "report", *period)
    assert md.returncode == 0
    assert "| `aws_kinesis_stream.b` | terraform main.tf | `F.P` | no | 1 | 1 | pass KSSE000 | " \
           "2025-03-03T09:00:00Z | 2d |" in md.stdout.splitlines()
    csv_out = sseguard("evidence", "report", *period, "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == ("control,address,resource_type,source_kind,location,from,to,days,"
                                              "day_status,code,observations")
    assert len(csv_out.stdout.splitlines()) == 1 + 2 * 3
    page = tmp_path / "period.html"
    done = sseguard("evidence", "report", *period, "-o", page)
    assert done.returncode == 0 and done.stdout == ""
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_bundle_and_verify_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    fixed_history(db)
    out = tmp_path / "evidence.zip"
    done = sseguard("evidence", "bundle", "--from", "2025-03-01", "--to", "2025-03-03", "--db", db, "-o", out)
    assert done.returncode == 0, done.stderr
    with History.open(db) as history:
        head = history.head()
    assert done.stdout == (f"wrote {out}: 7 files and manifest.json, period 2025-03-01 to 2025-03-03, history head "
                           f"row 6 sha256 {head.hash}\n")
    ok = sseguard("evidence", "verify", out)
    assert ok.returncode == 0
    assert ok.stdout == (f"OK: {out}: 7 files match the manifest, 6 history rows match their hashes; history head row "
                         f"6 sha256 {head.hash}\n")
    against = sseguard("evidence", "verify", out, "--db", db)
    assert against.returncode == 0 and f"rows and head match the history {db}" in against.stdout
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(forged, "w") as zout:
        for info in zin.infolist():
            if info.filename != "mappings.csv":
                data = zin.read(info)
                zout.writestr(info, data.replace(b"<html", b"<html data-x") if info.filename == "report.html"
                              else data)
    bad = sseguard("evidence", "verify", forged)
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0] == f"TAMPERED: {forged}: 2 problems"
    assert lines[1] == "  file missing: mappings.csv is in the manifest but not in the bundle"
    assert lines[2].startswith("  file changed: report.html (sha256 in the manifest ")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip\n")
    done = sseguard("evidence", "verify", junk)
    assert done.returncode == 2 and done.stderr.startswith(f"sseguard: error: cannot read {junk} as a zip")
    missing = sseguard("evidence", "verify", "--db", tmp_path / "absent.sqlite3")
    assert (missing.returncode, missing.stderr) == (2, f"sseguard: error: no history at "
                                                       f"{tmp_path / 'absent.sqlite3'}\n")
    bad_date = sseguard("evidence", "report", "--from", "March 1st")
    assert bad_date.returncode == 2 and "not a date (YYYY-MM-DD): 'March 1st'" in bad_date.stderr
    db = tmp_path / "h.sqlite3"
    fixed_history(db)
    backwards = sseguard("evidence", "report", "--from", "2025-03-03", "--to", "2025-03-01", "--db", db)
    assert (backwards.returncode, backwards.stderr) == (2, "sseguard: error: --to 2025-03-01 is before --from "
                                                           "2025-03-03\n")
    today = dt.datetime.now(dt.UTC).date()
    future = sseguard("evidence", "report", "--from", today + dt.timedelta(days=2), "--db", db)
    assert (future.returncode, future.stderr) == (2, f"sseguard: error: --from {today + dt.timedelta(days=2)} is "
                                                     f"after today ({today} UTC): there is no history for it yet\n")
    # a typo'd century is refused at once instead of building a timeline of 400,000 days per stream
    huge = sseguard("evidence", "bundle", "--from", "1900-01-01", "--to", "2000-01-01", "--db", db, "-o",
                    tmp_path / "e.zip")
    assert (huge.returncode, huge.stderr) == (2, "sseguard: error: the period 1900-01-01 to 2000-01-01 is 36525 "
                                                 "days; one report covers at most 3660 (ten years): split it into "
                                                 "shorter periods\n")
    assert not (tmp_path / "e.zip").exists()


def test_a_period_running_past_today_ends_today(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    fixed_history(db)
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=9)
    done = sseguard("evidence", "report", "--from", start, "--to", "2999-12-31", "--db", db, "--format", "json")
    assert done.returncode == 0
    assert done.stderr == f"sseguard: note: --to 2999-12-31 is after today; the period ends today ({today} UTC)\n"
    data = json.loads(done.stdout)
    assert data["period"] == {"from": start.isoformat(), "to": today.isoformat(), "days": 10, "timezone": "UTC"}
    # the fixed history holds runs from 2025 only, so every day of this period is one gap
    assert data["coverage"]["gap_ranges"] == [{"from": start.isoformat(), "to": today.isoformat(), "days": 10}]


def test_the_scan_html_report_charts_compliance_over_time_from_the_history(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    first = sseguard("scan", STACK, "--db", db, "--format", "json")
    assert first.returncode == 1, first.stderr
    page = tmp_path / "report.html"
    second = sseguard("scan", STACK, "--db", db, "--output", f"html={page}")
    assert second.returncode == 1, second.stderr
    html = page.read_text(encoding="utf-8")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    # both runs are today: one scanned day, the last status of each of the fixture's three streams
    assert 'id="history-chart"' in html
    assert f"of 3 streams passing on {today}" in html
    without = tmp_path / "no-history.html"
    third = sseguard("scan", STACK, "--no-history", "--output", f"html={without}")
    assert third.returncode == 1, third.stderr
    assert 'id="history"' not in without.read_text(encoding="utf-8")
