"""The persistent per-section result cache.

Model outputs take seconds to compute and never change for the same inputs, so
precis keeps every one it shows in a SQLite file (keys from `models.cache_key`).
The cache is a convenience, never a reason to fail: a corrupt file is moved aside
and rebuilt, an unwritable directory or a full disk leaves results in memory for
the run, and each such event leaves one line in `warnings` for the UI to show.

Reads come from an in-memory LRU layer first (the article that is open), then from
SQLite. The UI thread reads through its own connection while the service's worker
thread writes through another, so a write waiting on a busy file never stalls the
screen. WAL mode, a busy timeout and retries let two precis processes share a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
DEFAULT_MAX_BYTES = 500 * 1024 * 1024
MEMORY_ENTRIES = 4096  # the memory layer in front of SQLite; ample for one article
_MEMORY_MAX_BYTES = 64 * 1024 * 1024
_ROW_OVERHEAD = 64  # rough bytes per row beyond its text: checksum, numbers, index entry
_EVICT_TO = 0.9  # after eviction the cache holds at most this share of max_bytes
_RETRIES = 5
_BUSY_TIMEOUT_MS = 5000
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = f"""
DROP TABLE IF EXISTS results;
DROP TABLE IF EXISTS meta;
CREATE TABLE results (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum TEXT NOT NULL,
    task TEXT, model TEXT, size INTEGER NOT NULL, created REAL, last_used REAL
);
CREATE INDEX results_last_used ON results(last_used);
CREATE TABLE meta (name TEXT PRIMARY KEY, value);
INSERT INTO meta(name, value) VALUES ('total_size', 0);
-- Triggers keep the running total exact across processes, in the writing transaction.
CREATE TRIGGER results_insert AFTER INSERT ON results BEGIN
    UPDATE meta SET value = value + NEW.size WHERE name = 'total_size'; END;
CREATE TRIGGER results_delete AFTER DELETE ON results BEGIN
    UPDATE meta SET value = value - OLD.size WHERE name = 'total_size'; END;
CREATE TRIGGER results_update AFTER UPDATE OF size ON results BEGIN
    UPDATE meta SET value = value + NEW.size - OLD.size WHERE name = 'total_size'; END;
PRAGMA user_version = {SCHEMA_VERSION};
"""
_UPSERT = """
INSERT INTO results(key, value, checksum, task, model, size, created, last_used)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value, checksum = excluded.checksum,
    task = excluded.task, model = excluded.model, size = excluded.size,
    last_used = excluded.last_used
"""


@dataclass(frozen=True)
class CacheStats:
    """What `precis cache stats` prints; hits and misses count this process only."""

    entries: int
    size_bytes: int
    hits: int
    misses: int
    path: Path | None
    max_bytes: int = 0


class _CorruptError(Exception):
    """The database file is damaged and should be moved aside (never escapes)."""


def _checksum(key: str, value: str) -> str:
    # Binds the value to its key, so a row that is damaged or swapped reads as a miss.
    return hashlib.sha256(f"{key}\0{value}".encode()).hexdigest()[:32]


def _size(key: str, value: str, task: str = "", model: str = "") -> int:
    return len(key) + len(value.encode("utf-8")) + len(task) + len(model) + _ROW_OVERHEAD


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    return code & 0xFF if isinstance(code, int) else None


def _is_busy(exc: BaseException) -> bool:
    code = _code(exc)
    return code in (5, 6) if code is not None else "locked" in str(exc) or "busy" in str(exc)


def _is_corrupt(exc: BaseException) -> bool:
    code, text = _code(exc), str(exc)
    return code in (11, 26) or "malformed" in text or "not a database" in text


def _check_header(path: Path) -> None:
    """Raise `_CorruptError` when `path` is plainly not a SQLite database."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError:  # missing, a directory, unreadable: not corruption; SQLite judges
        return
    if head and (len(head) < 100 or not head.startswith(_SQLITE_MAGIC)):
        raise _CorruptError("not a SQLite database")


class ResultCache:
    """Model outputs by cache key: memory LRU in front of a SQLite file (or memory only)."""

    def __init__(
        self,
        path: Path | None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        memory_entries: int = MEMORY_ENTRIES,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self.max_bytes = max_bytes
        self.warnings: list[str] = []
        self._memory_entries = memory_entries
        self._mem: OrderedDict[str, str] = OrderedDict()
        self._mem_bytes = 0
        self._hits = 0
        self._misses = 0
        self._touched: dict[str, float] = {}  # last_used updates, written with the next write
        self._bad: dict[str, str] = {}  # key -> checksum of a damaged row, deleted likewise
        self._lock = threading.Lock()  # the fields above; held for microseconds only
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        if self.path is not None:
            self._open(self.path)

    def _open(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._fall_back(f"its directory cannot be created: {exc.strerror or exc}")
        for attempt in range(2):
            try:
                return self._connect(path)
            except (_CorruptError, sqlite3.DatabaseError) as exc:
                self._close_connections()
                if not isinstance(exc, _CorruptError) and not _is_corrupt(exc):
                    return self._fall_back(str(exc))
                if attempt == 1 or (moved := self._move_aside(path)) is None:
                    return self._fall_back(f"it is corrupt and cannot be rebuilt: {exc}")
                self._warn(
                    f"cache at {path} was corrupt ({exc}); moved to {moved} and started afresh"
                )

    def _connect(self, path: Path) -> None:
        _check_header(path)
        writer = self._writer = self._new_connection(path)
        mode = self._set_wal(writer)
        if str(mode).lower() != "wal":
            self._warn(f"cache at {path} cannot use WAL mode ({mode}); sharing it may be slower")
        writer.execute("PRAGMA synchronous = NORMAL")
        version = writer.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            # Not corrupt: leave it for the newer precis and run from memory.
            raise sqlite3.OperationalError(f"it was made by a newer precis (schema {version})")
        check = [row[0] for row in writer.execute("PRAGMA quick_check").fetchall()]
        if check != ["ok"]:
            raise _CorruptError("; ".join(check[:3]))
        if version < SCHEMA_VERSION:

            def create(conn: sqlite3.Connection) -> None:
                # Another process may have built it while we waited for the lock.
                if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    for statement in _SCHEMA.split(";\n"):
                        if statement.strip():
                            conn.execute(statement)

            self._transaction(writer, create)
        self._reader = self._new_connection(path)
        self._reader.execute("PRAGMA query_only = 1")

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> str:
        """Switch to WAL; retried, because SQLite answers "locked" at once, without its
        busy timeout, when another process switches the same new file at that moment."""
        for attempt in range(_RETRIES):
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    @staticmethod
    def _new_connection(path: Path) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
        conn = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        return conn

    def _move_aside(self, path: Path) -> Path | None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
        try:
            os.replace(path, target)
            for suffix in ("-wal", "-shm", "-journal"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    os.replace(side, target.with_name(target.name + suffix))
        except OSError:
            return None
        return target

    def _fall_back(self, reason: str) -> None:
        self._close_connections()
        self._warn(
            f"cache at {self.path} cannot be used ({reason}); results are kept in memory only"
        )

    def _close_connections(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
        self._reader = self._writer = None

    @staticmethod
    def _transaction(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `body` in one write transaction, retrying while the file stays locked."""
        for attempt in range(_RETRIES):
            try:
                # IMMEDIATE takes the write lock up front: a deferred transaction that
                # reads first can fail with SQLITE_BUSY at once, ignoring busy_timeout.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = body(conn)
                    conn.execute("COMMIT")
                    return result
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _write(self, body: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
        """Run `body` in one write transaction; (False, None) when it had to be dropped."""
        with self._write_lock:
            if self._writer is None:
                return False, None
            try:
                return True, self._transaction(self._writer, body)
            except sqlite3.Error as exc:
                self._write_failed(exc)
                return False, None

    def _write_failed(self, exc: sqlite3.Error) -> None:
        code, text = _code(exc), str(exc)
        if code == 13 or "full" in text:
            why = "the disk is full"
        elif code == 8 or "readonly" in text or "read-only" in text:
            why = "it is read-only"
        elif _is_busy(exc):
            why = "it stayed locked by another process"
        else:
            why = text
        self._warn(f"a result was not saved to the cache at {self.path}: {why}")

    def _remember(self, key: str, value: str) -> None:
        if (old := self._mem.pop(key, None)) is not None:
            self._mem_bytes -= _size(key, old)
        self._mem[key] = value
        self._mem_bytes += _size(key, value)
        memory_only = self._writer is None
        max_entries = sys.maxsize if memory_only else self._memory_entries
        max_bytes = self.max_bytes if memory_only else min(self.max_bytes, _MEMORY_MAX_BYTES)
        while self._mem and (len(self._mem) > max_entries or self._mem_bytes > max_bytes):
            old_key, old_value = self._mem.popitem(last=False)
            self._mem_bytes -= _size(old_key, old_value)

    def _warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def get(self, key: str) -> str | None:
        """The cached value for `key`, or None. Never returns a value stored for another key."""
        with self._lock:
            value = self._mem.get(key)
            if value is not None:
                self._mem.move_to_end(key)
                self._hits += 1
                if self._writer is not None:
                    self._touched[key] = time.time()
                return value
        value = self._read_disk(key)
        with self._lock:
            if value is None:
                self._misses += 1
                return None
            self._hits += 1
            self._remember(key, value)
            self._touched[key] = time.time()
        return value

    def _read_disk(self, key: str) -> str | None:
        with self._read_lock:
            if self._reader is None:
                return None
            try:
                row = self._reader.execute(
                    "SELECT value, checksum FROM results WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.Error as exc:
                self._warn(f"the cache at {self.path} could not be read: {exc}")
                return None
        if row is None:
            return None
        value, checksum = row
        if not isinstance(value, str) or checksum != _checksum(key, value):
            with self._lock:
                self._bad[key] = checksum
            self._warn(f"a damaged entry in the cache at {self.path} was ignored")
            return None
        return value

    def put(self, key: str, value: str, *, task: str = "", model: str = "") -> None:
        """Store `value` for `key`; an empty or whitespace-only value is never stored."""
        self.put_many([(key, value, task, model)])

    def put_many(self, items: Iterable[tuple[str, str, str, str]]) -> None:
        """Store (key, value, task, model) items in one transaction."""
        now = time.time()
        rows = []
        for key, value, task, model in items:
            size = _size(key, value, task, model)
            if value and value.strip() and size <= self.max_bytes:
                rows.append((key, value, _checksum(key, value), task, model, size, now, now))
        if not rows:
            return
        with self._lock:
            for row in rows:
                self._remember(row[0], row[1])
        ok, evicted = self._write(lambda conn: self._insert(conn, rows))
        if ok and evicted:
            with self._lock:
                for key in evicted:
                    if (old := self._mem.pop(key, None)) is not None:
                        self._mem_bytes -= _size(key, old)

    def _flush_pending(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            (touched, self._touched), (bad, self._bad) = (self._touched, {}), (self._bad, {})
        conn.executemany(
            "UPDATE results SET last_used = max(last_used, ?) WHERE key = ?",
            [(when, key) for key, when in touched.items()],
        )
        conn.executemany("DELETE FROM results WHERE key = ? AND checksum = ?", list(bad.items()))

    def _insert(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[str]:
        conn.executemany(_UPSERT, rows)
        self._flush_pending(conn)  # fresh last_used values before choosing what to evict
        return self._evict(conn)

    def _evict(self, conn: sqlite3.Connection) -> list[str]:
        total = self._total_size(conn)
        if total <= self.max_bytes:
            return []
        excess = total - int(self.max_bytes * _EVICT_TO)
        victims: list[str] = []
        cursor = conn.execute("SELECT key, size FROM results ORDER BY last_used, created")
        for key, size in cursor:
            victims.append(key)
            excess -= size
            if excess <= 0:
                break
        cursor.close()
        conn.executemany("DELETE FROM results WHERE key = ?", [(key,) for key in victims])
        return victims

    @staticmethod
    def _total_size(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE name = 'total_size'").fetchone()
        if row is None or not isinstance(row[0], int):  # only if someone edited the file
            row = conn.execute("SELECT coalesce(sum(size), 0) FROM results").fetchone()
        return row[0]

    def stats(self) -> CacheStats:
        """Entries and size on disk (or in memory), and this process's hits and misses."""
        with self._lock:
            hits, misses = self._hits, self._misses
            entries, size = len(self._mem), self._mem_bytes
        with self._read_lock:
            if self._reader is not None:
                try:
                    entries = self._reader.execute("SELECT count(*) FROM results").fetchone()[0]
                    size = self._total_size(self._reader)
                except sqlite3.Error as exc:
                    self._warn(f"the cache at {self.path} could not be read: {exc}")
        return CacheStats(entries, size, hits, misses, self.path, self.max_bytes)

    def last_run_stats(self) -> tuple[int, int] | None:
        """(hits, misses) of the last run that closed this cache after using it."""
        with self._read_lock:
            if self._reader is None:
                return None
            try:
                row = self._reader.execute(
                    "SELECT value FROM meta WHERE name = 'last_run'"
                ).fetchone()
                hits, misses = json.loads(row[0]) if row else (None, None)
            except (sqlite3.Error, ValueError, TypeError):
                return None
        return (hits, misses) if isinstance(hits, int) and isinstance(misses, int) else None

    def clear(self) -> None:
        """Forget every entry, on disk and in memory, and give the disk space back."""
        with self._lock:
            self._mem.clear()
            self._mem_bytes = 0
            self._touched.clear()
            self._bad.clear()
        ok, _ = self._write(lambda conn: conn.execute("DELETE FROM results"))
        if ok:
            with self._write_lock, contextlib.suppress(sqlite3.Error):
                if self._writer is not None:
                    self._writer.execute("VACUUM")  # best effort: a reader elsewhere blocks it

    def close(self) -> None:
        """Write pending bookkeeping and this run's hit rate, then close the file."""
        if self._writer is not None:
            with self._lock:
                used = self._hits + self._misses > 0
                record = json.dumps([self._hits, self._misses])

            def finish(conn: sqlite3.Connection) -> None:
                self._flush_pending(conn)
                if used:  # `precis cache stats` uses nothing: keep the run before it
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_run', ?)", (record,))

            self._write(finish)
        with self._read_lock, self._write_lock:
            self._close_connections()

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
