"""The history store: every run recorded, the hash chain, and each kind of tampering named exactly."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sqlite3
import subprocess
from pathlib import Path

import pytest

from evidence_factory import at, record_streams, stream
from sseguard.evidence.recorder import git_commit, record
from sseguard.evidence.store import GENESIS, History, HistoryError
from sseguard.model import Location, ScannedInput, SourceKind, Stream
from sseguard.options import ScanOptions
from sseguard.report.core import Report
from sseguard.scan import judge


def three_runs(db: Path) -> list[str]:
    """Three runs of two streams: rows 1-3, 4-6, 7-9 (a header then the findings, in address order)."""
    ids = []
    for day in ("2025-03-01 09:00", "2025-03-02 09:00", "2025-03-03 09:00"):
        ids.append(record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)],
                                  at(day)).run_id)
    return ids


def tamper(db: Path, *statements: str) -> None:
    """Change the file as someone with write access would: drop the append-only triggers, then edit."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("DROP TRIGGER records_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def problems(db: Path) -> list[tuple[str, str]]:
    with History.open(db) as history:
        return [(p.kind, p.message) for p in history.verify().problems]


def test_rows_are_chained_by_sha256_of_previous_hash_and_canonical_row(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    three_runs(db)
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT seq, run_id, kind, recorded_at, stream_key, status, body, prev_hash, hash "
                        "FROM records ORDER BY seq").fetchall()
    prev = "0" * 64
    for _seq, run_id, kind, recorded_at, key, status, body, prev_hash, digest in rows:
        content = json.dumps({"run_id": run_id, "kind": kind, "recorded_at": recorded_at, "stream_key": key,
                              "status": status, "body": body}, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False)
        assert prev_hash == prev
        assert digest == hashlib.sha256((prev + content).encode()).hexdigest()
        prev = digest
    assert [r[0] for r in rows] == list(range(1, 10))
    assert [(r[2], r[5]) for r in rows[:3]] == [("run", None), ("finding", "pass"), ("finding", "fail")]
    head = dict(conn.execute("SELECT name, value FROM meta WHERE name LIKE 'head_%'"))
    assert head == {"head_seq": "9", "head_hash": prev}
    with History.open(db) as history:
        result = history.verify()
    assert result.ok and result.rows == 9 and result.runs == 3 and result.head.hash == prev


def test_run_header_and_findings_hold_what_the_brief_asks(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    done = record_streams(db, [stream("aws_kinesis_stream.b", None, line=7)], at("2025-03-01 09:30"))
    with History.open(db) as history:
        header, finding = list(history.rows())
    assert header.recorded_at == "2025-03-01T09:30:00.000000Z" == done.recorded_at
    h = header.data()
    assert h["command"] == "scan" and h["tool"] == {"name": "sseguard", "version": "0.1.0"}
    assert h["finding_count"] == 1 and h["summary"] == {"pass": 0, "fail": 1, "unknown": 0, "suppressed": 0}
    assert h["regions"] == ["eu-west-1"] and h["accounts"] == [] and h["git"] is None
    assert {"framework": "PCI DSS v4.0", "requirement": "3.5.1", "sources": ["seed", "Prowler"]} in \
        h["mappings"]["frameworks"]
    f = finding.data()
    assert f["status"] == "fail" and f["code"] == "KSSE001" and "mappings" not in f
    assert f["resource"]["address"] == "aws_kinesis_stream.b" and f["source"] == {
        "kind": "terraform", "path": "main.tf", "line": 7, "end_line": None}
    assert finding.stream_key == json.dumps(["kinesis_stream_server_side_encryption_enabled",
                                             "aws_kinesis_stream.b", "terraform", "main.tf"], separators=(",", ":"))


def test_live_run_records_accounts_regions_and_the_streams_place(tmp_path: Path) -> None:
    where = "aws://123456789012/eu-west-1"
    live = Stream(address="arn:aws:kinesis:eu-west-1:123456789012:stream/orders", resource_type="AWS::Kinesis::Stream",
                  location=Location(SourceKind.AWS, where), encryption_type="NONE", region="eu-west-1",
                  account="123456789012", arn="arn:aws:kinesis:eu-west-1:123456789012:stream/orders")
    empty_region = "aws://123456789012/us-east-1"  # scanned, no stream there: still in the header
    report = Report(judge([live], ScanOptions()), [ScannedInput(SourceKind.AWS, where),
                                                   ScannedInput(SourceKind.AWS, empty_region)])
    db = tmp_path / "h.sqlite3"
    record(report, db, command="aws", arguments={"region": ["eu-west-1", "us-east-1"]}, inputs=[])
    with History.open(db) as history:
        header, finding = list(history.rows())
    h = header.data()
    assert (h["command"], h["accounts"], h["regions"], h["inputs"], h["git"]) == (
        "aws", ["123456789012"], ["eu-west-1", "us-east-1"], [where, empty_region], None)
    assert finding.status == "fail" and finding.data()["code"] == "KSSE002"
    assert json.loads(str(finding.stream_key)) == ["kinesis_stream_server_side_encryption_enabled",
                                                   "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "aws", where]


def test_git_commit_of_the_scanned_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text("# empty\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    assert git_commit(repo / "infra" / "main.tf") == {"commit": head, "root": str(repo.resolve())}
    assert git_commit(tmp_path) is None
    db = tmp_path / "h.sqlite3"
    record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-01 09:00"), inputs=[str(repo / "infra")])
    with History.open(db) as history:
        assert next(history.rows(kind="run")).data()["git"] == {"commit": head, "root": str(repo.resolve())}


def test_triggers_refuse_update_and_delete(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    three_runs(db)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="the sseguard history is append-only"):
        conn.execute("UPDATE records SET status = 'pass' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="the sseguard history is append-only"):
        conn.execute("DELETE FROM records WHERE seq = 3")
    conn.close()


def test_edited_body_is_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    tamper(db, "UPDATE records SET body = replace(body, '\"status\":\"fail\"', '\"status\":\"pass\"') WHERE seq = 6")
    assert problems(db) == [("edited", f"row 6 (finding aws_kinesis_stream.b of run {ids[1]}, recorded "
                                       "2025-03-02T09:00:00.000000Z) was edited: its content no longer matches its "
                                       "hash")]


def test_edited_status_column_is_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    tamper(db, "UPDATE records SET status = 'pass' WHERE seq = 3")
    assert problems(db) == [("edited", f"row 3 (finding aws_kinesis_stream.b of run {ids[0]}, recorded "
                                       "2025-03-01T09:00:00.000000Z) was edited: its content no longer matches its "
                                       "hash")]


def test_edited_row_with_its_hash_recomputed_breaks_the_next_link(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    with History.open(db) as history:
        row = next(r for r in history.rows() if r.seq == 5)
    forged = row.body.replace('"status":"pass"', '"status":"fail"')
    content = json.dumps({"run_id": row.run_id, "kind": row.kind, "recorded_at": row.recorded_at,
                          "stream_key": row.stream_key, "status": row.status, "body": forged},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((row.prev_hash + content).encode()).hexdigest()
    tamper(db, f"UPDATE records SET body = '{forged}', hash = '{digest}' WHERE seq = 5")
    assert problems(db) == [("chain-break", f"chain break at row 6 (finding aws_kinesis_stream.b of run {ids[1]}, "
                                            "recorded 2025-03-02T09:00:00.000000Z): it does not link to row 5; row 5 "
                                            "was rewritten with a new hash, or rows before row 6 were deleted and "
                                            "the rest renumbered")]


def test_deleted_row_is_named_with_its_run(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    tamper(db, "DELETE FROM records WHERE seq = 5")
    assert problems(db) == [
        ("deleted", f"row 5 was deleted: the sequence jumps from row 4 to row 6 (in run {ids[1]})"),
        ("deleted", f"run {ids[1]} (recorded 2025-03-02T09:00:00.000000Z) has 1 finding rows, its header says 2"),
    ]


def test_deleted_first_row_and_whole_last_run(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    tamper(db, "DELETE FROM records WHERE seq = 1", "DELETE FROM records WHERE seq >= 7")
    assert problems(db) == [
        ("deleted", "row 1 was deleted: the history starts at row 2"),
        ("deleted", "rows 7-9 were deleted from the end of the history: the chain head records row 9"),
        ("deleted", f"run {ids[0]} has finding rows but its header row is missing"),
    ]


def test_deletion_stays_visible_after_later_runs(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    ids = three_runs(db)
    tamper(db, "DELETE FROM records WHERE seq = 9")
    later = record_streams(db, [stream("aws_kinesis_stream.a")], at("2025-03-04 09:00")).run_id
    assert problems(db) == [
        ("deleted", f"row 9 was deleted: the sequence jumps from row 8 to row 10 (between runs {min(ids[2], later)} "
                    f"and {max(ids[2], later)})"),
        ("deleted", f"run {ids[2]} (recorded 2025-03-03T09:00:00.000000Z) has 1 finding rows, its header says 2"),
    ]


def test_reordered_rows_are_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    three_runs(db)
    tamper(db, "UPDATE records SET seq = -1 WHERE seq = 5", "UPDATE records SET seq = 5 WHERE seq = 6",
           "UPDATE records SET seq = 6 WHERE seq = -1")
    assert problems(db) == [("reordered", "rows 5-6 were reordered: their hash links say they were written in the "
                                          "order 6, 5")]


def test_edited_chain_head_is_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    three_runs(db)
    conn = sqlite3.connect(db)
    last = conn.execute("SELECT hash FROM records WHERE seq = 9").fetchone()[0]
    conn.execute("UPDATE meta SET value = ? WHERE name = 'head_hash'", (GENESIS,))
    conn.commit()
    conn.close()
    assert problems(db) == [("head", f"the chain head hash {GENESIS} does not match row 9's hash {last}: the last "
                                     "row or the head was edited")]


def test_opening_what_is_not_a_history(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"^no history at "):
        History.open(tmp_path / "absent.sqlite3")
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all, just text that is long enough to be read as a header\n" * 20)
    with pytest.raises(HistoryError, match="is not a readable sseguard history: file is not a database"):
        History.open(junk)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(HistoryError, match="is not an sseguard history \\(no records table\\)"):
        History.open(other)


def _writer(db: str, worker: int, runs: int, go: object) -> None:
    go.wait()  # type: ignore[attr-defined]
    for i in range(runs):
        record_streams(Path(db), [stream(f"aws_kinesis_stream.w{worker}"), stream(f"aws_kinesis_stream.x{worker}",
                                                                                   None)],
                       at(f"2025-03-01 10:{i:02d}"))


def test_parallel_processes_lose_no_rows_and_keep_the_chain(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "h.sqlite3"  # created by the racing writers themselves
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    workers, runs = 8, 12
    procs = [ctx.Process(target=_writer, args=(str(db), w, runs, go)) for w in range(workers)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM records WHERE kind = 'run'").fetchone()[0] == workers * runs
    assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == workers * runs * 3
    assert conn.execute("SELECT MIN(seq), MAX(seq) FROM records").fetchone() == (1, workers * runs * 3)
    # One run's rows are never interleaved with another's: each run is one transaction.
    per_run = conn.execute("SELECT run_id, MIN(seq), MAX(seq), COUNT(*) FROM records GROUP BY run_id").fetchall()
    assert all(hi - lo + 1 == n == 3 for _, lo, hi, n in per_run)
    per_stream = dict(conn.execute("SELECT stream_key, COUNT(*) FROM records WHERE kind = 'finding' "
                                   "GROUP BY stream_key"))
    assert len(per_stream) == workers * 2 and set(per_stream.values()) == {runs}
    conn.close()
    with History.open(db) as history:
        result = history.verify()
    assert result.ok, result.problems
    assert (result.rows, result.runs) == (workers * runs * 3, workers * runs)
