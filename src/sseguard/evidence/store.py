"""The scan history: an append-only, hash-chained SQLite table of runs and their findings.

One run is one transaction that appends a ``run`` row and one ``finding`` row per finding. Each row's hash is
``sha256(previous row's hash + canonical JSON of the row)``, so an edited, deleted or reordered row breaks the chain
and :meth:`History.verify` names it. Triggers refuse UPDATE and DELETE, so only a deliberate act (dropping them)
changes a row. The chain head (last seq and hash) is also kept in ``meta``: rows deleted from the end of the table
leave no gap, and only the head shows they are gone.

Concurrent writers (two CI jobs on one file) are serialized by ``BEGIN IMMEDIATE`` under WAL with a busy timeout,
so every run reads the head and appends after it without losing or interleaving rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
SCHEMA_VERSION = "1"
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

_COLUMNS = "seq, run_id, kind, recorded_at, stream_key, status, body, prev_hash, hash"


class HistoryError(Exception):
    """The history cannot be opened or read (missing file, not a database, not an sseguard history)."""


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
        address = (self.data().get("resource") or {}).get("address") or "?"
        return f"finding {address} of run {self.run_id}, recorded {self.recorded_at}"


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
    def open(cls, path: Path, *, create: bool = False, timeout: float = 30.0) -> History:
        """Open the history at ``path``; with ``create`` make it (and its folder) when absent.

        Without ``create`` a missing file is a :class:`HistoryError`: reading commands never make an empty history.
        """
        if not create and not path.is_file():
            raise HistoryError(f"no history at {path}")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise HistoryError(f"cannot open history {path}: {err}") from err
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if create:
                cls._create(conn)
            elif conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").fetchone() \
                    is None:
                raise HistoryError(f"{path} is not an sseguard history (no records table)")
        except sqlite3.DatabaseError as err:
            conn.close()
            raise HistoryError(f"{path} is not a readable sseguard history: {err}") from err
        except HistoryError:
            conn.close()
            raise
        return cls(conn, path)

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        # WAL lets readers (reports) run while a scan appends; the schema is made inside a write transaction so
        # processes that start on a new file at once do not race each other.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

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
        header = dict(run)
        header.update(run_id=run_id, recorded_at=recorded_at, finding_count=len(findings))
        # Everything that does not depend on the head is prepared before taking the write lock.
        items: list[tuple[str, str | None, str | None, str]] = [("run", None, None, canonical(header))]
        items.extend(("finding", stream_key(f), str(f.get("status")), canonical(f)) for f in findings)
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            seq, prev = self._append_point()
            first = seq + 1
            values = []
            for kind, key, status, body in items:
                seq += 1
                digest = row_hash(prev, run_id, kind, recorded_at, key, status, body)
                values.append((seq, run_id, kind, recorded_at, key, status, body, prev, digest))
                prev = digest
            conn.executemany(f"INSERT INTO records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            conn.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                             [("head_seq", str(seq)), ("head_hash", prev)])
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return Appended(run_id, recorded_at, first, seq, ChainHead(seq, prev))

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


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed rollback must not hide the error that caused it.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


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
    """Every run's header says how many findings it recorded; fewer rows than that means rows were deleted."""
    headers = {r.run_id: r for r in rows if r.kind == "run"}
    counts: dict[str, int] = {}
    for r in rows:
        if r.kind != "run":
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
