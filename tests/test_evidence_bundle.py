"""Evidence bundles: contents, manifest hashes, and every kind of alteration named exactly."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from evidence_factory import at, record_streams, stream
from sseguard.evidence.bundle import (
    BrokenHistoryError,
    BundleError,
    build_bundle,
    manifest_self_hash,
    verify_bundle,
)
from sseguard.evidence.store import History, canonical, row_hash

START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 3)
NOW = at("2025-03-04 08:00")
FILES = ["findings.jsonl", "mappings.csv", "mappings.json", "report.csv", "report.html", "report.json", "runs.jsonl"]


def history(db: Path) -> None:
    record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)], at("2025-02-28 09:00"))
    for day in ("2025-03-01 09:00", "2025-03-03 09:00"):
        record_streams(db, [stream("aws_kinesis_stream.a"), stream("aws_kinesis_stream.b", None)], at(day))


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    db = tmp_path / "h.sqlite3"
    history(db)
    out = tmp_path / "out" / "evidence.zip"
    with History.open(db) as h:
        manifest = build_bundle(h, START, END, out, now=NOW)
    return db, out, manifest


def rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes), removing (None) or adding entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change.pop(info.filename)
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info))
        for name, data in change.items():
            assert data is not None
            zout.writestr(name, data)


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def test_bundle_holds_the_report_rows_mappings_and_a_manifest(bundle: tuple[Path, Path, dict[str, object]]) -> None:
    db, out, manifest = bundle
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == sorted([*FILES, "manifest.json"])
        stored = json.loads(zf.read("manifest.json"))
        for entry in stored["files"]:
            data = zf.read(entry["name"])
            assert entry == {"name": entry["name"], "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert stored == manifest
    assert [f["name"] for f in stored["files"]] == FILES
    with History.open(db) as h:
        head = h.head()
    assert stored["history"]["head_seq"] == head.seq == 9 and stored["history"]["head_hash"] == head.hash
    assert stored["period"] == {"from": "2025-03-01", "to": "2025-03-03", "timezone": "UTC"}
    assert stored["manifest_sha256"] == manifest_self_hash(stored)
    findings = [json.loads(line) for line in read(out, "findings.jsonl").decode().splitlines()]
    # Only the period's rows: the run of 2025-02-28 stays out.
    assert [(f["seq"], f["finding"]["resource"]["address"], f["status"]) for f in findings] == [
        (5, "aws_kinesis_stream.a", "pass"), (6, "aws_kinesis_stream.b", "fail"),
        (8, "aws_kinesis_stream.a", "pass"), (9, "aws_kinesis_stream.b", "fail")]
    assert findings[0]["finding"]["evidence"]["key_reference"] == "alias/app"
    assert [json.loads(line)["seq"] for line in read(out, "runs.jsonl").decode().splitlines()] == [4, 7]
    mapping_rows = list(csv.reader(io.StringIO(read(out, "mappings.csv").decode())))
    assert mapping_rows[0] == ["type", "scheme", "id", "source_or_note"]
    assert ["framework", "PCI DSS v4.0", "3.5.1", "seed; Prowler"] in mapping_rows
    assert ["tool", "Checkov", "CKV_AWS_43", "SSE on"] in mapping_rows
    assert json.loads(read(out, "report.json"))["coverage"]["gap_days"] == ["2025-03-02"]
    assert b"<svg" in read(out, "report.html")
    check = verify_bundle(out)
    assert check.ok and check.files == 7 and check.rows == 6


def test_same_history_and_clock_give_the_same_bytes(bundle: tuple[Path, Path, dict[str, object]],
                                                    tmp_path: Path) -> None:
    db, out, _ = bundle
    again = tmp_path / "again.zip"
    with History.open(db) as h:
        build_bundle(h, START, END, again, now=NOW)
    assert again.read_bytes() == out.read_bytes()


def test_changed_file_is_named(bundle: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    _, out, manifest = bundle
    forged = tmp_path / "forged.zip"
    new = read(out, "report.csv").replace(b",fail,KSSE001,", b",pass,KSSE000,")
    rewrite(out, forged, {"report.csv": new})
    recorded = next(f["sha256"] for f in manifest["files"] if f["name"] == "report.csv")  # type: ignore[attr-defined]
    assert verify_bundle(forged).problems == [
        f"file changed: report.csv (sha256 in the manifest {recorded}, found {hashlib.sha256(new).hexdigest()})"]


def test_added_file_is_named(bundle: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    _, out, _ = bundle
    forged = tmp_path / "forged.zip"
    rewrite(out, forged, {"exception-approval.txt": b"approved\n"})
    assert verify_bundle(forged).problems == [
        "file added: exception-approval.txt is in the bundle but not in the manifest"]


def test_removed_file_is_named(bundle: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    _, out, _ = bundle
    forged = tmp_path / "forged.zip"
    rewrite(out, forged, {"findings.jsonl": None})
    assert verify_bundle(forged).problems == ["file missing: findings.jsonl is in the manifest but not in the bundle"]


def test_edited_manifest_is_named(bundle: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    _, out, manifest = bundle
    forged = tmp_path / "forged.zip"
    edited = dict(manifest, period={"from": "2025-01-01", "to": "2025-03-03", "timezone": "UTC"})
    rewrite(out, forged, {"manifest.json": json.dumps(edited).encode()})
    assert verify_bundle(forged).problems == [
        f"manifest edited: its content no longer matches its own hash (manifest_sha256 {manifest['manifest_sha256']},"
        f" computed {manifest_self_hash(edited)})"]
    missing = tmp_path / "no-manifest.zip"
    rewrite(out, missing, {"manifest.json": None})
    assert verify_bundle(missing).problems == ["manifest missing: manifest.json is not in the bundle, nothing can be "
                                               "checked"]


def test_consistent_forgery_is_caught_by_row_hashes_and_the_history(
        bundle: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    db, out, manifest = bundle
    lines = read(out, "findings.jsonl").decode().splitlines()
    row = json.loads(lines[1])
    row["status"] = "pass"
    row["finding"]["status"] = "pass"
    lines[1] = json.dumps(row, sort_keys=True)

    def forge(name: str, rows: list[str]) -> Path:
        data = ("\n".join(rows) + "\n").encode()
        files = [dict(f, sha256=hashlib.sha256(data).hexdigest(), size=len(data)) if f["name"] == "findings.jsonl"
                 else f for f in manifest["files"]]  # type: ignore[attr-defined]
        m = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
        m["files"] = files
        m["manifest_sha256"] = manifest_self_hash(m)
        path = tmp_path / name
        rewrite(out, path, {"findings.jsonl": data, "manifest.json": json.dumps(m).encode()})
        return path

    # Files and manifest rewritten together: the row no longer matches its own chain hash.
    assert verify_bundle(forge("a.zip", lines)).problems == [
        "findings.jsonl line 2 (history row 6) was edited: it does not match its row hash"]
    # The row hash recomputed too: only the history itself can tell.
    row["hash"] = row_hash(row["prev_hash"], row["run_id"], "finding", row["recorded_at"], row["stream_key"],
                           row["status"], canonical(row["finding"]))
    lines[1] = json.dumps(row, sort_keys=True)
    forged = forge("b.zip", lines)
    assert verify_bundle(forged).ok
    with History.open(db) as h:
        assert verify_bundle(forged, h).problems == [
            "findings.jsonl line 2: history row 6 has a different hash in the history"]


def test_manifest_head_is_checked_against_the_history(bundle: tuple[Path, Path, dict[str, object]],
                                                      tmp_path: Path) -> None:
    _, out, manifest = bundle
    other = tmp_path / "other.sqlite3"
    history(other)  # same findings, other run ids: other hashes
    with History.open(other) as h:
        problems = verify_bundle(out, h).problems
        head = h.row_hashes([9])[9]
    assert problems[-1] == (f"the manifest's history head (row 9, sha256 {manifest['history']['head_hash']}) "  # type: ignore[index]
                            f"does not match the history {other} (sha256 {head})")
    assert len(problems) == 7  # and each of the six rows differs from the other history's


def test_no_bundle_from_a_broken_history(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    history(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER records_no_delete")
    conn.execute("DELETE FROM records WHERE seq = 2")
    conn.commit()
    conn.close()
    out = tmp_path / "evidence.zip"
    with History.open(db) as h, pytest.raises(BrokenHistoryError, match="row 2 was deleted"):
        build_bundle(h, START, END, out, now=NOW)
    assert not out.exists()


def test_unreadable_bundles(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really a zip")
    with pytest.raises(BundleError, match=r"cannot read .* as a zip"):
        verify_bundle(junk)
    with pytest.raises(BundleError, match="no such bundle"):
        verify_bundle(tmp_path / "absent.zip")
