"""The scan history: an append-only, hash-chained SQLite table of runs and their findings.

One run is one transaction that appends a ``run`` row and one ``finding`` row per finding; other kinds of record
(a signed ``digest`` of the chain head) are appended one row at a time with :meth:`History.append_record`. Each
row's hash is ``sha256(previous row's hash + canonical JSON of the row)``, so an edited, deleted or reordered row
breaks the chain and :meth:`History.verify` names it. Triggers refuse UPDATE and DELETE, so only a deliberate act
(dropping them) changes a row. The chain head (last seq and hash) is also kept in ``meta``: rows deleted from the
end of the table leave no gap, and only the head shows they are gone.

Concurrent writers (two CI jobs on one file) are serialized by ``BEGIN IMMEDIATE`` under WAL with a busy timeout,
so every run reads the head and appends after it without losing or interleaving rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sseguard import __version__

GENESIS = "0" * 64
# The run id of rows counted in a report before their run is recorded (see ``unrecorded_rows``).
UNRECORDED = "unrecorded"
SCHEMA_VERSION = "1"
# The kind of row of one stream's live change by ``sseguard remediate`` (recorded without a run header).
REMEDIATION = "remediation"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    stream_key TEXT,
    status TEXT,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_time ON records (recorded_at, seq);
CREATE INDEX IF NOT EXISTS records_stream ON records (stream_key, recorded_at);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'the sseguard history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'the sseguard history is append-only'); END;
"""

_COLUMN_NAMES = ("seq", "run_id", "kind", "recorded_at", "stream_key", "status", "body", "prev_hash", "hash")
_COLUMNS = ", ".join(_COLUMN_NAMES)


class HistoryError(Exception):
    """The history cannot be opened, read or written (missing file, not a database, not an sseguard history, a
    newer schema, a full disk)."""


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text. The same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def format_time(at: dt.datetime) -> str:
    """A timestamp as the history stores it: UTC, microseconds, ``Z``; sorts as text in time order."""
    if at.tzinfo is None:
        raise ValueError("history timestamps must be timezone-aware")
    return at.astimezone(dt.UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> dt.datetime:
    """The inverse of :func:`format_time`."""
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def day_start(day: dt.date) -> str:
    """The stored timestamp of a UTC day's first instant, for range queries."""
    return format_time(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))


def stream_key(finding: Mapping[str, Any]) -> str:
    """The identity of a stream across runs: control, resource address, source kind and where it was read.

    The line is left out on purpose: a stream keeps its identity when lines above it move. A live stream has no
    path, so its account and region stand in for it.
    """
    resource = finding.get("resource") or {}
    source = finding.get("source") or {}
    where = source.get("path")
    if where and source.get("root"):
        where = f"{where} (root {source['root']})"  # one module file reached from two roots is two streams
    if not where:
        where = f"{resource.get('account') or '?'}/{resource.get('region') or '?'}"
    return canonical([finding.get("control"), resource.get("address"), source.get("kind"), where])


def row_hash(prev_hash: str, run_id: str, kind: str, recorded_at: str, key: str | None, status: str | None,
             body: str) -> str:
    """sha256(previous hash + canonical JSON of the row's content). ``seq`` is not hashed: the chain orders rows."""
    content = canonical({"run_id": run_id, "kind": kind, "recorded_at": recorded_at, "stream_key": key,
                         "status": status, "body": body})
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Row:
    """One stored record, exactly as it is in the table."""

    seq: int
    run_id: str
    kind: str
    recorded_at: str
    stream_key: str | None
    status: str | None
    body: str
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this row's content gives, chained on its own ``prev_hash``."""
        return row_hash(self.prev_hash, self.run_id, self.kind, self.recorded_at, self.stream_key, self.status,
                        self.body)

    def data(self) -> dict[str, Any]:
        """The body as JSON; an unreadable body (a tampered row) gives an empty dict."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def describe(self) -> str:
        """A short name for messages: which run and which stream."""
        if self.kind == "run":
            return f"header of run {self.run_id}, recorded {self.recorded_at}"
        if self.kind != "finding":
            return f"{self.kind} of run {self.run_id}, recorded {self.recorded_at}"
        resource = self.data().get("resource")
        address = (resource.get("address") if isinstance(resource, dict) else None) or "?"
        return f"{self.kind} {address} of run {self.run_id}, recorded {self.recorded_at}"


@dataclass(frozen=True)
class ChainHead:
    """The last row of the chain: its sequence number and hash (``GENESIS`` and 0 for an empty history)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Appended:
    """What one recorded run added: its id, time, the seq range of its rows and the new head."""

    run_id: str
    recorded_at: str
    first_seq: int
    last_seq: int
    head: ChainHead


@dataclass(frozen=True)
class Problem:
    """One integrity problem: what kind (edited, deleted, reordered, chain-break, head), where, in words."""

    kind: str
    seq: int | None
    message: str


@dataclass
class VerifyResult:
    """The outcome of checking the whole chain."""

    rows: int = 0
    runs: int = 0
    head: ChainHead = field(default_factory=lambda: ChainHead(0, GENESIS))
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class History:
    """An open history file. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = False, make_folder: bool = False, timeout: float = 30.0) -> History:
        """Open the history at ``path``.

        Without ``create`` the file is opened read-only, so reports, bundles and checks work on read-only media, and
        a missing file is a :class:`HistoryError`: reading commands never make an empty history. With ``create``
        the file is made when absent, in a folder that must exist unless ``make_folder``. Either way the file must
        be an sseguard history of a schema version this code understands; anything else is refused, unchanged.
        """
        _check_path(path, create=create, make_folder=make_folder)
        return cls(cls._connect(path, create=create, timeout=timeout), path)

    @classmethod
    def _connect(cls, path: Path, *, create: bool, timeout: float) -> sqlite3.Connection:
        """A connection to a checked history (made first when ``create``); every failure is a ``HistoryError``."""
        try:
            if create:
                conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            else:
                conn = sqlite3.connect(_read_only_uri(path), timeout=timeout, isolation_level=None, uri=True)
        except sqlite3.Error as err:
            raise HistoryError(f"cannot open history {path}: {err}") from err
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if create:
                cls._create(conn, path)
            _check_schema(conn, path)
            if create:
                _use_wal(conn, timeout)  # only once the file is known to be an sseguard history
        except sqlite3.OperationalError as err:  # I/O, a full disk, a lock held too long: the file may be fine
            conn.close()
            raise HistoryError(f"cannot open history {path}: {err}") from err
        except sqlite3.DatabaseError as err:
            conn.close()
            raise HistoryError(f"{path} is not a readable sseguard history: {err}") from err
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _create(conn: sqlite3.Connection, path: Path) -> None:
        """Make the tables in a new (empty) file; a file that holds other tables is refused untouched."""
        if not _tables(conn):
            # In a write transaction, so processes that start on a new file at once do not race each other; the
            # check is made again inside it, as another process may have made the tables meanwhile.
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not _tables(conn):
                    for statement in _SCHEMA.split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute("INSERT INTO meta (name, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        if "records" not in _tables(conn):
            raise HistoryError(f"{path} is a SQLite database but not an sseguard history (it has no records table); "
                               "sseguard adds nothing to it")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def head(self) -> ChainHead:
        """The chain head as ``meta`` records it (what the last append left)."""
        meta = dict(self._conn.execute("SELECT name, value FROM meta WHERE name IN ('head_seq', 'head_hash')"))
        if "head_seq" not in meta or "head_hash" not in meta:
            return ChainHead(0, GENESIS)
        return ChainHead(int(meta["head_seq"]), meta["head_hash"])

    def append_run(self, run: Mapping[str, Any], findings: Sequence[Mapping[str, Any]],
                   *, at: dt.datetime | None = None) -> Appended:
        """Record one run and its findings in one transaction; ``at`` fixes the time (tests, imports)."""
        run_id = secrets.token_hex(8)
        recorded_at = format_time(at or dt.datetime.now(dt.UTC))
        # Everything that does not depend on the head is prepared before taking the write lock.
        return self._append(run_id, recorded_at, _row_items(run, findings, run_id, recorded_at))

    def append_records(self, kind: str, records: Sequence[tuple[str | None, str | None, Mapping[str, Any]]],
                       *, at: dt.datetime | None = None) -> Appended:
        """Record rows of another ``kind`` than a scan's (``remediation``), each given as (stream key, status,
        body), in one transaction under one new run id. They have no run header: they are no scan, and ``verify``
        counts only finding rows against a header."""
        if kind in ("run", "finding"):
            raise ValueError(f"{kind} rows are recorded by append_run, with their header")
        run_id = secrets.token_hex(8)
        recorded_at = format_time(at or dt.datetime.now(dt.UTC))
        items = [(kind, key, status, canonical(body)) for key, status, body in records]
        return self._append(run_id, recorded_at, items)

    def append_observations(self, kind: str,
                            records: Sequence[tuple[dt.datetime, str | None, str | None, Mapping[str, Any]]]
                            ) -> Appended:
        """Like :meth:`append_records`, but each row is given its own time (stream key, status and body follow it):
        results another service recorded (a Config evaluation, a Security Hub finding) are dated when that service
        recorded them, not when sseguard read them. One transaction, one run id."""
        if kind in ("run", "finding"):
            raise ValueError(f"{kind} rows are recorded by append_run, with their header")
        run_id = secrets.token_hex(8)
        times = [format_time(at) for at, _, _, _ in records]
        items = [(kind, key, status, canonical(body)) for _, key, status, body in records]
        return self._append(run_id, format_time(dt.datetime.now(dt.UTC)), items, times)

    def _append(self, run_id: str, recorded_at: str,
                items: Sequence[tuple[str, str | None, str | None, str]]
                | Callable[[ChainHead], Sequence[tuple[str, str | None, str | None, str]]],
                times: Sequence[str] = ()) -> Appended:
        """Chain ``items`` (kind, stream key, status, body) after the head, in one write transaction. ``items`` may
        be a function of the head, called under the write lock (a body that names what it follows). ``times``, when
        given, dates each item; else every row is dated ``recorded_at``."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            seq, prev = self._append_point()
            first = seq + 1
            values = []
            for i, (kind, key, status, body) in enumerate(items(ChainHead(seq, prev)) if callable(items) else items):
                seq += 1
                at = times[i] if times else recorded_at
                digest = row_hash(prev, run_id, kind, at, key, status, body)
                values.append((seq, run_id, kind, at, key, status, body, prev, digest))
                prev = digest
            conn.executemany(f"INSERT INTO records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            conn.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                             [("head_seq", str(seq)), ("head_hash", prev)])
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            _rollback(conn)
            raise HistoryError(f"cannot write to history {self.path}: {err}") from err
        except BaseException:
            _rollback(conn)
            raise
        return Appended(run_id, recorded_at, first, seq, ChainHead(seq, prev))

    def append_record(self, kind: str, run_id: str,
                      build: Callable[[ChainHead, Row | None], Mapping[str, Any]],
                      *, at: dt.datetime | None = None) -> Row:
        """Append one row of ``kind`` in its own transaction. ``build`` makes its body from the chain head it will
        follow and the last row of the same kind, both read under the write lock, so no other run slips between."""
        recorded_at = format_time(at or dt.datetime.now(dt.UTC))

        def item(head: ChainHead) -> list[tuple[str, str | None, str | None, str]]:
            found = self._conn.execute(f"SELECT {_COLUMNS} FROM records WHERE kind = ? ORDER BY seq DESC LIMIT 1",
                                       (kind,)).fetchone()
            return [(kind, None, None, canonical(dict(build(head, Row(*found) if found else None))))]

        appended = self._append(run_id, recorded_at, item)
        found = self._conn.execute(f"SELECT {_COLUMNS} FROM records WHERE seq = ?", (appended.last_seq,)).fetchone()
        return Row(*found)

    def _append_point(self) -> tuple[int, str]:
        """The seq and hash to append after. The head in ``meta`` wins over the last row, so rows deleted from the
        end stay detectable after later appends; a seq taken by a row appended behind sseguard's back is skipped."""
        head = self.head()
        max_seq = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
        if head.seq == 0 and max_seq:
            last = self._conn.execute("SELECT hash FROM records WHERE seq = ?", (max_seq,)).fetchone()[0]
            head = ChainHead(int(max_seq), str(last))
        return max(head.seq, int(max_seq)), head.hash

    def rows(self, *, kind: str | None = None, start: str | None = None, end: str | None = None) -> Iterator[Row]:
        """Rows in chain order (by seq), optionally of one kind, with ``start <= recorded_at < end``."""
        where: list[str] = []
        params: list[Any] = []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if start is not None:
            where.append("recorded_at >= ?")
            params.append(start)
        if end is not None:
            where.append("recorded_at < ?")
            params.append(end)
        sql = f"SELECT {_COLUMNS} FROM records" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        for values in self._conn.execute(sql, params):
            yield Row(*values)

    def last_before(self, start: str, keys: Sequence[str]) -> dict[str, Row]:
        """For each stream key, its last finding row recorded before ``start`` (the state the period opens on)."""
        out: dict[str, Row] = {}
        chunk = 500  # stay under SQLite's bound-parameter limit
        for i in range(0, len(keys), chunk):
            part = list(keys[i:i + chunk])
            sql = (f"SELECT {_COLUMNS} FROM records WHERE seq IN (SELECT MAX(seq) FROM records WHERE kind = 'finding' "
                   f"AND recorded_at < ? AND stream_key IN ({', '.join('?' for _ in part)}) GROUP BY stream_key)")
            for values in self._conn.execute(sql, [start, *part]):
                row = Row(*values)
                out[str(row.stream_key)] = row
        return out

    def row_hashes(self, seqs: Sequence[int]) -> dict[int, str]:
        """The stored hash of each given seq that exists."""
        out: dict[int, str] = {}
        for i in range(0, len(seqs), 500):
            part = list(seqs[i:i + 500])
            sql = f"SELECT seq, hash FROM records WHERE seq IN ({', '.join('?' for _ in part)})"
            out.update((int(s), str(h)) for s, h in self._conn.execute(sql, part))
        return out

    def verify(self) -> VerifyResult:
        """Walk the whole chain and name every row that was edited, deleted or moved, and any head mismatch."""
        return verify_rows(self.rows(), self.head(), _has_head(self._conn))


def _row_items(run: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], run_id: str,
               recorded_at: str) -> list[tuple[str, str | None, str | None, str]]:
    """The kind, stream key, status and body of each row one run adds, its header first."""
    header = dict(run)
    header.update(run_id=run_id, recorded_at=recorded_at, finding_count=len(findings))
    items: list[tuple[str, str | None, str | None, str]] = [("run", None, None, canonical(header))]
    items.extend(("finding", stream_key(f), str(f.get("status")), canonical(f)) for f in findings)
    return items


def unrecorded_rows(run: Mapping[str, Any], findings: Sequence[Mapping[str, Any]],
                    *, at: dt.datetime | None = None) -> list[Row]:
    """The rows :meth:`History.append_run` would add for this run, before it is recorded: run id ``unrecorded``,
    numbered from 1 and not chained (no hashes). A report drawn before its run is recorded counts them."""
    recorded_at = format_time(at or dt.datetime.now(dt.UTC))
    items = _row_items(run, findings, UNRECORDED, recorded_at)
    return [Row(seq, UNRECORDED, kind, recorded_at, key, status, body, "", "")
            for seq, (kind, key, status, body) in enumerate(items, start=1)]


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed rollback must not hide the error that caused it.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


def _check_path(path: Path, *, create: bool, make_folder: bool) -> None:
    """Refuse what can never be a history file before SQLite touches it (it would make journal files beside a
    device), and make the folder only when asked."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a device, pipe or socket)"
        raise HistoryError(f"{path} is {what}, not a history file")
    if path.exists():
        return
    if not create:
        raise HistoryError(f"no history at {path}")
    folder = path.parent
    if make_folder:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise HistoryError(f"cannot create history {path}: cannot make the folder {folder}: "
                               f"{err.strerror or err}") from err
    elif folder.exists() and not folder.is_dir():
        raise HistoryError(f"cannot create history {path}: {folder} is not a folder")
    elif not folder.exists():
        raise HistoryError(f"cannot create history {path}: the folder {folder} does not exist (sseguard creates the "
                           "file only, in a folder that exists)")


def _read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` read-only.

    In WAL mode a reader needs the ``-shm`` file beside the database, which cannot be made in a folder that is not
    writable (read-only media, an auditor's copy). When it is there, SQLite reads through it. When it is not, no
    writer can be at work (a writer needs it too), and the file is opened as immutable, without locks or the WAL;
    that is safe only when the WAL holds nothing, so a WAL with rows in it (a copy taken while a scan wrote) is
    refused rather than read without its last rows.
    """
    uri = path.absolute().as_uri() + "?mode=ro"
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if os.access(path.parent, os.W_OK) or shm.exists():
        return uri
    if not wal.exists() or wal.stat().st_size == 0:
        return uri + "&immutable=1"
    raise HistoryError(f"cannot read history {path}: its folder cannot be written and its write-ahead log {wal} "
                       f"holds rows not yet in the file, which SQLite reads only with {shm}; copy the file and its "
                       "-wal file to a writable folder")


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Turn on WAL, which lets readers (reports) run while a scan appends. The switch needs the file to itself, and
    SQLite answers "locked" at once, without waiting, when two processes would otherwise wait on each other (both
    making a new file): it is retried until ``timeout``."""
    deadline = time.monotonic() + timeout
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(name) for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """The file must hold exactly sseguard's tables and columns, at a schema version this code understands: a
    newer history is never read with older rules, nor appended to."""
    tables = _tables(conn)
    if "records" not in tables:
        raise HistoryError(f"{path} is not an sseguard history (no records table)")
    for table, expected in (("records", _COLUMN_NAMES), ("meta", ("name", "value"))):
        found = [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]
        if sorted(found) != sorted(expected):
            foreign = ", ".join(sorted(set(found) - set(expected))) or "none"
            absent = ", ".join(sorted(set(expected) - set(found))) or "none"
            raise HistoryError(f"{path} is not an sseguard history: its {table} table has columns sseguard does "
                               f"not write ({foreign}) or lacks some it needs ({absent})")
    row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    version = str(row[0]) if row is not None else None
    if version == SCHEMA_VERSION:
        return
    if version is None:
        raise HistoryError(f"{path} is not an sseguard history: it records no schema version")
    if version.isdigit() and int(version) > int(SCHEMA_VERSION):
        raise HistoryError(f"{path} is a history of schema version {version}, newer than this sseguard "
                           f"{__version__} understands ({SCHEMA_VERSION}): upgrade sseguard to read or add to it; "
                           "the file is left as it is")
    raise HistoryError(f"{path} has history schema version {version!r}, which this sseguard {__version__} does not "
                       f"know (it understands {SCHEMA_VERSION})")


def _has_head(conn: sqlite3.Connection) -> bool:
    count = conn.execute("SELECT COUNT(*) FROM meta WHERE name IN ('head_seq', 'head_hash')").fetchone()[0]
    return int(count) == 2


def verify_rows(rows: Iterator[Row] | Sequence[Row], head: ChainHead, has_head: bool = True) -> VerifyResult:
    """Check a chain of rows (in seq order) against itself and against the recorded head.

    Each row must hash to its stored hash (else: edited) and link to the row stored before it. A broken link is
    told apart by where the link points: to no row (the predecessor was deleted, or rewritten with a new hash), or
    to a row stored elsewhere (rows were reordered; the hash links give the order they were written in).
    """
    all_rows = list(rows)
    result = VerifyResult(rows=len(all_rows), head=head)
    problems = result.problems
    by_hash = {r.hash: r for r in all_rows}
    successors: dict[str, list[Row]] = {}
    for r in all_rows:
        successors.setdefault(r.prev_hash, []).append(r)
    misplaced = False
    prev: Row | None = None
    for row in all_rows:
        if row.expected_hash() != row.hash:
            problems.append(Problem("edited", row.seq, f"row {row.seq} ({row.describe()}) was edited: its content no "
                                                       "longer matches its hash"))
        prev_seq = prev.seq if prev else 0
        prev_hash = prev.hash if prev else GENESIS
        if row.prev_hash == prev_hash:
            if row.seq != prev_seq + 1:
                problems.append(Problem("edited", row.seq, f"row {row.seq} ({row.describe()}) is numbered out of "
                                                           f"sequence: it directly follows row {prev_seq} in the "
                                                           "chain, so rows were renumbered"))
        elif row.prev_hash in by_hash or row.prev_hash == GENESIS:
            misplaced = True
        elif row.seq != prev_seq + 1:
            problems.append(Problem("deleted", prev_seq + 1, _deleted_message(prev_seq + 1, row.seq - 1, prev, row)))
        else:
            problems.append(Problem(
                "chain-break", row.seq,
                f"chain break at row {row.seq} ({row.describe()}): it does not link to row {prev_seq}; row "
                f"{prev_seq} was rewritten with a new hash, or rows before row {row.seq} were deleted and the rest "
                "renumbered"))
        prev = row
    for parent, children in successors.items():
        if len(children) > 1:
            owner = f"row {by_hash[parent].seq}" if parent in by_hash else "the start of the history"
            problems.append(Problem("edited", children[1].seq,
                                    f"rows {', '.join(str(c.seq) for c in children)} all claim to follow {owner}: "
                                    "rows were copied or forged"))
    if misplaced:
        problems.extend(_reorder_problems(all_rows, by_hash, successors))
    problems.extend(_head_problems(all_rows[-1] if all_rows else None, head, has_head, bool(all_rows)))
    problems.extend(_run_problems(all_rows))
    result.runs = sum(1 for r in all_rows if r.kind == "run")
    return result


def _reorder_problems(rows: list[Row], by_hash: dict[str, Row], successors: dict[str, list[Row]]) -> list[Problem]:
    """Follow the hash links to the order rows were written in and name each window of rows stored out of it."""
    written: list[Row] = []
    seen: set[int] = set()
    for start in rows:
        # A segment starts at the first row or where a predecessor is gone; walk it along the links.
        if start.seq in seen or start.prev_hash in by_hash:
            continue
        node: Row | None = start
        while node is not None and node.seq not in seen:
            seen.add(node.seq)
            written.append(node)
            nexts = successors.get(node.hash, [])
            node = nexts[0] if nexts else None
    # Rows on a loop of links (not reachable from any segment start) keep their stored place.
    written.extend(r for r in rows if r.seq not in seen)
    order = [r.seq for r in written]
    stored = sorted(order)
    out: list[Problem] = []
    i = 0
    while i < len(order):
        if order[i] == stored[i]:
            i += 1
            continue
        j = i
        while j < len(order) and order[j] != stored[j]:
            j += 1
        window = stored[i:j]
        out.append(Problem("reordered", window[0],
                           f"rows {window[0]}-{window[-1]} were reordered: their hash links say they were written in "
                           f"the order {', '.join(str(s) for s in order[i:j])}"))
        i = j
    return out


def _head_problems(last: Row | None, head: ChainHead, has_head: bool, any_rows: bool) -> list[Problem]:
    if not has_head:
        return [Problem("head", None, "the chain head is missing from the history's meta table")] if any_rows else []
    last_seq = last.seq if last else 0
    if head.seq > last_seq:
        return [Problem("deleted", last_seq + 1, _deleted_message(last_seq + 1, head.seq, last, None))]
    if head.seq < last_seq:
        return [Problem("head", head.seq, f"the chain head records {head.seq} rows but rows go up to {last_seq}: "
                                          "rows were added outside sseguard, or the head was edited")]
    if last is not None and head.hash != last.hash:
        return [Problem("head", last.seq, f"the chain head hash {head.hash} does not match row {last.seq}'s hash "
                                          f"{last.hash}: the last row or the head was edited")]
    return []


def _run_problems(rows: list[Row]) -> list[Problem]:
    """Every run's header says how many findings it recorded; fewer rows than that means rows were deleted. Rows of
    other kinds (a remediation) have no header and are checked by the chain alone."""
    headers = {r.run_id: r for r in rows if r.kind == "run"}
    counts: dict[str, int] = {}
    for r in rows:
        if r.kind == "finding":  # a run's other records (its signed digest) are not counted in its header
            counts[r.run_id] = counts.get(r.run_id, 0) + 1
    out = []
    for run_id, header in headers.items():
        expected = header.data().get("finding_count")
        found = counts.get(run_id, 0)
        if isinstance(expected, int) and found != expected:
            out.append(Problem("deleted" if found < expected else "edited", header.seq,
                               f"run {run_id} (recorded {header.recorded_at}) has {found} finding rows, its header "
                               f"says {expected}"))
    for run_id in sorted(set(counts) - set(headers)):
        out.append(Problem("deleted", None, f"run {run_id} has finding rows but its header row is missing"))
    return out


def _deleted_message(first: int, last: int, before: Row | None, after: Row | None) -> str:
    which = f"row {first}" if first == last else f"rows {first}-{last}"
    verb = "was" if first == last else "were"
    if after is None:
        return f"{which} {verb} deleted from the end of the history: the chain head records row {last}"
    if before is None:
        return f"{which} {verb} deleted: the history starts at row {after.seq}"
    runs = {before.run_id, after.run_id}
    within = f" (between runs {' and '.join(sorted(runs))})" if len(runs) > 1 else f" (in run {before.run_id})"
    return f"{which} {verb} deleted: the sequence jumps from row {before.seq} to row {after.seq}{within}"
