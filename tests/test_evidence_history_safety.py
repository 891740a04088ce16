"""A history that cannot be written or read never costs the user the reports, and a file that is not a history of
this version is refused untouched. Everything runs as a user would: ``python -m sseguard ...`` in a subprocess.

Read-only media are real here: as root the history's folder is bind-mounted read-only in a private mount namespace
(``unshare -m``), and as any other user the folder's write permission is taken away; both make the folder
unwritable to SQLite exactly as a read-only disk or an auditor's copy does. A full disk is a real tmpfs filled to
the last byte (as root), and a write limit (``RLIMIT_FSIZE``) that makes SQLite's writes fail (any user).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from evidence_factory import at, record_streams, report_of, stream
from sseguard import __version__
from sseguard.evidence.recorder import stored_finding
from sseguard.evidence.store import History
from sseguard.report.core import finding_dict

ROOT = Path(__file__).resolve().parents[1]
STACK = "tests/fixtures/evidence/stack"
SUMMARY = {"pass": 1, "fail": 1, "unknown": 0, "suppressed": 1}
NOT_RECORDED = "sseguard: error: this run was not recorded in the history"


def sseguard(*args: str | Path, env: dict[str, str | None] | None = None,
             preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sseguard ARGS`` from the repository root; ``env`` sets (or, with None, removes) variables."""
    environ = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    done = subprocess.run([sys.executable, "-m", "sseguard", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environ, preexec_fn=preexec, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def runs_in(db: Path) -> int:
    with History.open(db) as history:
        return history.verify().runs


def one_run(db: Path) -> None:
    record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-01 09:00"))


# --- a history that cannot be written: the reports first, then exit 2 when the user named it -------------------


def test_a_named_history_in_a_missing_folder_is_an_error_after_the_reports_and_makes_no_folder(tmp_path: Path) -> None:
    db = tmp_path / "absent" / "dir" / "h.db"
    page = tmp_path / "r.html"
    done = sseguard("scan", STACK, "--db", db, "--format", "json", "--output", f"html={page}")
    assert done.returncode == 2
    assert json.loads(done.stdout)["summary"] == SUMMARY
    # The chart counts the run being reported, although it could not be recorded afterwards.
    assert f"of 3 streams passing on {dt.datetime.now(dt.UTC).date()}" in page.read_text(encoding="utf-8")
    assert done.stderr == (f"{NOT_RECORDED} {db} (named by --db): cannot create history {db}: the folder "
                           f"{db.parent} does not exist (sseguard creates the file only, in a folder that exists)\n")
    assert not (tmp_path / "absent").exists()


def test_a_history_named_by_SSEGUARD_DB_is_named_so(tmp_path: Path) -> None:
    db = tmp_path / "absent" / "h.db"
    done = sseguard("scan", STACK, "--format", "json", env={"SSEGUARD_DB": str(db)})
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (2, SUMMARY)
    assert done.stderr.startswith(f"{NOT_RECORDED} {db} (named by SSEGUARD_DB): cannot create history {db}: ")


def test_the_default_history_only_warns_and_its_folder_is_made(tmp_path: Path) -> None:
    blocker = tmp_path / "data-home"
    blocker.write_text("a file where the data folder should be\n")
    done = sseguard("scan", STACK, "--format", "json", env={"SSEGUARD_DB": None, "XDG_DATA_HOME": str(blocker)})
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (1, SUMMARY)  # the scan's own exit code
    db = blocker / "sseguard" / "history.sqlite3"
    assert done.stderr == (f"sseguard: warning: this run was not recorded in the history {db}: cannot create history "
                           f"{db}: cannot make the folder {db.parent}: Not a directory\n")
    fresh = tmp_path / "fresh-home"  # the default data folder (and its parents) is the one folder sseguard makes
    done = sseguard("scan", STACK, "--format", "json", env={"SSEGUARD_DB": None, "XDG_DATA_HOME": str(fresh)})
    assert (done.returncode, done.stderr) == (1, "")
    assert runs_in(fresh / "sseguard" / "history.sqlite3") == 1


@pytest.mark.parametrize("target", ["folder", "/dev/full"])
def test_a_folder_or_a_device_is_never_opened_as_a_history(tmp_path: Path, target: str) -> None:
    db = tmp_path if target == "folder" else Path(target)
    what = "a folder" if target == "folder" else "not a regular file (a device, pipe or socket)"
    for sidecar in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert not sidecar.exists()
    done = sseguard("scan", STACK, "--db", db, "--format", "json")
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (2, SUMMARY)
    assert done.stderr == f"{NOT_RECORDED} {db} (named by --db): {db} is {what}, not a history file\n"
    # SQLite never saw it, so it made no journal files beside it (in /dev, as root, it could).
    for sidecar in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert not sidecar.exists()
    verify = sseguard("evidence", "verify", "--db", db)
    assert (verify.returncode, verify.stderr) == (2, f"sseguard: error: {db} is {what}, not a history file\n")


def _write_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: writes fail, EFBIG

    return apply


def test_a_history_write_that_fails_costs_no_report(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    one_run(db)
    done = sseguard("scan", STACK, "--db", db, "--format", "json", preexec=_write_limit(1024))
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (2, SUMMARY)
    assert done.stderr == f"{NOT_RECORDED} {db} (named by --db): cannot open history {db}: disk I/O error\n"
    assert runs_in(db) == 1


def _unshare_available() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _in_mount_namespace(setup: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run shell ``setup`` (mounts) then ``python -m sseguard ARGS`` in a private mount namespace."""
    command = " ".join(shlex.quote(str(a)) for a in (sys.executable, "-m", "sseguard", *args))
    done = subprocess.run(["unshare", "-m", "sh", "-c", f"set -e; {setup}; exec {command}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.mark.skipif(not _unshare_available(), reason="needs root and unshare -m for a private tmpfs")
def test_a_full_disk_costs_no_report(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    one_run(source)
    disk = tmp_path / "disk"
    disk.mkdir()
    db = disk / "h.db"
    size = source.stat().st_size
    setup = (f"mount -t tmpfs -o size={size + 64 * 1024} tmpfs {disk}; cp {source} {db}; "
             f"(dd if=/dev/zero of={disk}/fill bs=4096 2>/dev/null || true); ! touch {disk}/probe 2>/dev/null")
    done = _in_mount_namespace(setup, "scan", STACK, "--db", db, "--format", "json")
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (2, SUMMARY)
    assert done.stderr == f"{NOT_RECORDED} {db} (named by --db): cannot open history {db}: disk I/O error\n"


# --- a file that is not a history of this version: refused, untouched, and the reports still written -----------


def test_a_history_with_foreign_columns_is_refused_after_the_reports(tmp_path: Path) -> None:
    db = tmp_path / "foreign.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE records (seq INTEGER PRIMARY KEY, body TEXT, owner TEXT)")
    conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO records (body, owner) VALUES ('x', 'someone else')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    page = tmp_path / "r.html"
    done = sseguard("scan", STACK, "--db", db, "--format", "json", "--output", f"html={page}")
    assert (done.returncode, json.loads(done.stdout)["summary"]) == (2, SUMMARY)
    html = page.read_text(encoding="utf-8")
    assert 'id="streams"' in html and 'id="history"' not in html  # a history that cannot be read: no chart
    assert done.stderr == (f"{NOT_RECORDED} {db} (named by --db): {db} is not an sseguard history: its records "
                           "table has columns sseguard does not write (owner) or lacks some it needs (hash, kind, "
                           "prev_hash, recorded_at, run_id, status, stream_key)\n")
    assert db.read_bytes() == before
    report = sseguard("evidence", "report", "--from", "2025-03-01", "--db", db)
    assert report.returncode == 2 and report.stderr.startswith(f"sseguard: error: {db} is not an sseguard history: ")


def test_a_sqlite_file_of_another_tool_is_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    done = sseguard("scan", STACK, "--db", db, "--format", "json")
    assert done.returncode == 2
    assert done.stderr == (f"{NOT_RECORDED} {db} (named by --db): {db} is a SQLite database but not an sseguard "
                           "history (it has no records table); sseguard adds nothing to it\n")
    assert db.read_bytes() == before


def test_a_newer_schema_is_refused_and_never_appended_to(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    one_run(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '2' WHERE name = 'schema_version'")
    conn.commit()
    rows_before = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    conn.close()
    refusal = (f"{db} is a history of schema version 2, newer than this sseguard {__version__} understands (1): "
               "upgrade sseguard to read or add to it; the file is left as it is")
    done = sseguard("scan", STACK, "--db", db, "--format", "json")
    assert (done.returncode, done.stderr) == (2, f"{NOT_RECORDED} {db} (named by --db): {refusal}\n")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == rows_before == 2
    conn.close()
    for command in (["evidence", "verify", "--db", db], ["evidence", "report", "--from", "2025-03-01", "--db", db],
                    ["evidence", "bundle", "--from", "2025-03-01", "--db", db, "-o", tmp_path / "e.zip"]):
        read = sseguard(*command)
        assert (read.returncode, read.stdout, read.stderr) == (2, "", f"sseguard: error: {refusal}\n")
    assert not (tmp_path / "e.zip").exists()


def test_a_run_whose_report_cannot_be_written_is_still_recorded(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    target = tmp_path / "absent" / "r.json"
    done = sseguard("scan", STACK, "--db", db, "--output", f"json={target}")
    assert done.returncode == 2
    assert done.stderr == f"sseguard: error: cannot write {target}: No such file or directory\n"
    assert runs_in(db) == 1


# --- rows this version does not understand ---------------------------------------------------------------------


def _history_with_a_status_from_a_newer_sseguard(db: Path) -> None:
    """Two runs of stream a, and between them a chain-valid row (written through the store, as a newer sseguard
    would) whose status this version does not know."""
    record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-01 09:00"))
    finding = stored_finding(finding_dict(report_of([stream("aws_kinesis_stream.a")], dt.date(2025, 3, 2)).findings[0]))
    finding["status"] = "quarantined"
    with History.open(db, create=True) as history:
        history.append_run({"command": "scan", "inputs": []}, [finding], at=at("2025-03-02 09:00"))
    record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-03 09:00"))


def test_a_status_this_version_does_not_know_is_named_not_a_crash(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _history_with_a_status_from_a_newer_sseguard(db)
    period = ("--from", "2025-03-01", "--to", "2025-03-03", "--db", db)
    with History.open(db) as history:
        header = next(r for r in history.rows(kind="run") if r.seq == 3)
    named = (f"row 4 (finding aws_kinesis_stream.a of run {header.run_id}, recorded 2025-03-02T09:00:00.000000Z) has "
             "status 'quarantined', which this sseguard does not know: it counts as an unknown day")
    warning = f"sseguard: warning: 1 history row not understood by this sseguard (named in the report): {named}\n"
    data = sseguard("evidence", "report", *period, "--format", "json")
    assert (data.returncode, data.stderr) == (0, warning)
    report = json.loads(data.stdout)
    assert report["history"]["rows_not_understood"] == [named]
    assert [(s["status"], s["days"]) for s in report["streams"][0]["timeline"]] == [("pass", 1), ("unknown", 1),
                                                                                    ("pass", 1)]
    md = sseguard("evidence", "report", *period)
    assert md.returncode == 0
    assert f"**1 history row not understood** by this sseguard:\n- {named.replace('_', chr(92) + '_')}\n" in md.stdout
    assert "| `aws_kinesis_stream.a` | terraform main.tf | `PUP` | no | 0 | 0 | pass KSSE000 |" in md.stdout
    html = sseguard("evidence", "report", *period, "--format", "html")
    assert html.returncode == 0
    assert (f'<div class="broken" id="not-understood"><strong>1 history row not understood</strong> by this '
            f"sseguard:<ul><li>{named.replace(chr(39), '&#x27;')}</li></ul></div>") in html.stdout
    assert sseguard("evidence", "report", *period, "--format", "csv").returncode == 0


def test_a_row_without_a_readable_stream_key_is_named_and_left_out(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)], at("2025-03-01 09:00"))
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET stream_key = 'not a key', status = NULL WHERE seq = 3")
    conn.commit()
    run_id = conn.execute("SELECT run_id FROM records WHERE seq = 1").fetchone()[0]
    conn.close()
    done = sseguard("evidence", "report", "--from", "2025-03-01", "--to", "2025-03-01", "--db", db, "--format", "json")
    assert done.returncode == 1  # the edit broke the chain, and the report says so
    report = json.loads(done.stdout)
    assert report["history"]["rows_not_understood"] == [
        f"row 3 (finding aws_kinesis_stream.b of run {run_id}, recorded 2025-03-01T09:00:00.000000Z) has no readable "
        "stream key: it is left out of the timelines"]
    assert [s["address"] for s in report["streams"]] == ["aws_kinesis_stream.a"]
    assert report["history"]["chain_intact"] is False


# --- read-only media --------------------------------------------------------------------------------------------


def _read_only(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m sseguard ARGS`` with ``folder`` unwritable: a read-only bind mount (root), else no write bit."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return sseguard(*args)
        finally:
            folder.chmod(0o755)
    if not _unshare_available():
        pytest.skip("as root, an unwritable folder needs unshare -m for a read-only bind mount")
    setup = (f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))}; "
             f"mount -o remount,bind,ro {shlex.quote(str(folder))}; ! touch {shlex.quote(str(folder / 'probe'))} "
             "2>/dev/null")
    return _in_mount_namespace(setup, *args)


def test_reading_commands_work_on_read_only_media(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    db = media / "h.db"
    head = record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)],
                          at("2025-03-01 09:00")).head
    # A closed history leaves no -wal or -shm, so a reader of an unwritable copy has none to read through.
    assert sorted(p.name for p in media.iterdir()) == ["h.db"]
    before = db.read_bytes()
    verify = _read_only(media, "evidence", "verify", "--db", db)
    assert (verify.returncode, verify.stderr) == (0, "")
    assert verify.stdout == f"OK: {db}: 3 rows in 1 run, hash chain intact, head row 3 sha256 {head.hash}\n"
    report = _read_only(media, "evidence", "report", "--from", "2025-03-01", "--to", "2025-03-01", "--db", db,
                        "--format", "json")
    assert report.returncode == 0
    assert [s["address"] for s in json.loads(report.stdout)["streams"]] == ["aws_kinesis_stream.a",
                                                                          "aws_kinesis_stream.b"]
    bundle = _read_only(media, "evidence", "bundle", "--from", "2025-03-01", "--to", "2025-03-01", "--db", db, "-o",
                        tmp_path / "e.zip")
    assert bundle.returncode == 0 and (tmp_path / "e.zip").is_file()
    assert db.read_bytes() == before


def _copy_with_unmerged_wal(source: Path, media: Path, sidecars: Sequence[str]) -> Path:
    """A copy of a history taken while a process still held it open: its last run only in the -wal file."""
    record_streams(source, [stream("aws_kinesis_stream.a")], at("2025-03-01 09:00"))
    holder = sqlite3.connect(source)  # a reader that stays: the next writer's close merges nothing
    holder.execute("SELECT COUNT(*) FROM records").fetchone()
    record_streams(source, [stream("aws_kinesis_stream.a")], at("2025-03-02 09:00"))
    media.mkdir()
    for suffix in ("", *sidecars):
        shutil.copy(f"{source}{suffix}", f"{media / 'h.db'}{suffix}")
    holder.close()
    assert Path(f"{media / 'h.db'}-wal").stat().st_size > 0
    return media / "h.db"


def test_a_read_only_copy_whose_wal_holds_rows_is_refused_rather_than_read_short(tmp_path: Path) -> None:
    db = _copy_with_unmerged_wal(tmp_path / "source.db", tmp_path / "media", ["-wal"])
    done = _read_only(db.parent, "evidence", "verify", "--db", db)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"sseguard: error: cannot read history {db}: its folder cannot be written and its "
                           f"write-ahead log {db}-wal holds rows not yet in the file, which SQLite reads only with "
                           f"{db}-shm; copy the file and its -wal file to a writable folder\n")


def test_a_read_only_copy_with_its_wal_and_shm_is_read_whole(tmp_path: Path) -> None:
    db = _copy_with_unmerged_wal(tmp_path / "source.db", tmp_path / "media", ["-wal", "-shm"])
    done = _read_only(db.parent, "evidence", "verify", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {db}: 4 rows in 2 runs, hash chain intact, head row 4 sha256 ")
