"""The persistent per-section result cache.

Model outputs take seconds to compute and never change for the same inputs, so
precis keeps every one it shows in a SQLite file (keys from `models.cache.keys`).
The cache is a convenience, never a reason to fail: a corrupt file is moved aside
and rebuilt, an unwritable directory or a full disk leaves results in memory for
the run, and each such event leaves one line in `warnings` for the UI to show (the
export prints them at its end; the reader shows them in its status line). A file at
the cache path that is not precis' own is never touched (see `models.cache.store`).

Reads come from an in-memory LRU layer first (the article that is open), then from
SQLite. The UI thread reads through its own connection while the service's worker
thread writes through another, so a write waiting on a busy file never stalls the
screen. The file itself (opening, checks, schema, transactions, retries) is handled
in `models.cache.store`; this module decides what is kept, where, and for how long.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.cache import store as cache_store
from models.cache.store import SCHEMA_VERSION
from models.sanitize import safe_message

__all__ = ["DEFAULT_MAX_BYTES", "MEMORY_ENTRIES", "SCHEMA_VERSION", "CacheStats", "ResultCache"]

DEFAULT_MAX_BYTES = 500 * 1024 * 1024
MEMORY_ENTRIES = 4096  # the memory layer in front of SQLite; ample for one article
_MEMORY_MAX_BYTES = 64 * 1024 * 1024
_ROW_OVERHEAD = 64  # rough bytes per row beyond its text: checksum, numbers, index entry
_READ_CHUNK = 500  # keys per SELECT in get_many (below SQLite's oldest variable limit, 999)
_EVICT_TO = 0.9  # after eviction the cache holds at most this share of max_bytes


@dataclass(frozen=True)
class CacheStats:
    """What `precis cache stats` prints; hits and misses count this process only."""

    entries: int
    size_bytes: int
    hits: int
    misses: int
    path: Path | None
    max_bytes: int = 0


def _checksum(key: str, value: str) -> str:
    # Binds the value to its key, so a row that is damaged or swapped reads as a miss.
    return hashlib.sha256(f"{key}\0{value}".encode()).hexdigest()[:32]


def _size(key: str, value: str, task: str = "", model: str = "") -> int:
    return len(key) + len(value.encode("utf-8")) + len(task) + len(model) + _ROW_OVERHEAD


class ResultCache:
    """Model outputs by cache key: memory LRU in front of a SQLite file (or memory only)."""

    def __init__(
        self,
        path: Path | None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        memory_entries: int = MEMORY_ENTRIES,
        read_only: bool = False,
    ) -> None:
        """`read_only` (for `precis cache stats`) opens the file with SQLite's mode=ro:
        nothing is created, converted, repaired or recorded."""
        self.path = Path(path).expanduser() if path is not None else None
        self.max_bytes = max_bytes
        self.read_only = read_only
        # One safe line each, in the order they happened, never repeated; append-only, so
        # a reader may remember how many it has shown.
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

    # A seam for tests that race two processes: every connection is made here.
    _new_connection = staticmethod(cache_store.new_connection)

    def _open(self, path: Path) -> None:
        opened = cache_store.open_connections(
            path, self._new_connection, self._warn, read_only=self.read_only
        )
        if opened is not None:
            self._writer, self._reader = opened

    @property
    def on_disk(self) -> bool:
        """Whether results are read from the file at `path` (False: memory only)."""
        return self._reader is not None

    def _close_connections(self) -> None:
        cache_store.close_all([c for c in (self._reader, self._writer) if c is not None])
        self._reader = self._writer = None

    def _write(self, body: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
        """Run `body` in one write transaction; (False, None) when it had to be dropped."""
        with self._write_lock:
            if self._writer is None:
                return False, None
            try:
                return True, cache_store.transaction(self._writer, body)
            except sqlite3.Error as exc:
                self._write_failed(exc)
                return False, None

    def _write_failed(self, exc: sqlite3.Error) -> None:
        why = cache_store.write_failure(exc)
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
        # Paths and SQLite's text can hold escapes and newlines (quick_check reports
        # several lines): each warning is one safe line.
        message = safe_message(message, limit=1000)
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def get(self, key: str, *, disk: bool = True) -> str | None:
        """The cached value for `key`, or None. Never returns a value stored for another key.

        `disk=False` asks the memory layer only: what this process stored lately."""
        return self.get_many((key,), disk=disk).get(key)

    def get_many(self, keys: Sequence[str], *, disk: bool = True) -> dict[str, str]:
        """`get` for many keys at once: the values found, by key. The file is asked in
        chunks, not once per key (an export asks for every section before it starts)."""
        found: dict[str, str] = {}
        missing: list[str] = []
        with self._lock:
            for key in keys:
                value = self._mem.get(key)
                if value is None:
                    missing.append(key)
                    continue
                self._mem.move_to_end(key)
                found[key] = value
                if self._writer is not None:
                    self._touched[key] = time.time()
        read: dict[str, str] = {}
        for start in range(0, len(missing) if disk else 0, _READ_CHUNK):
            read.update(self._read_disk_many(missing[start : start + _READ_CHUNK]))
        with self._lock:
            now = time.time()
            for key, value in read.items():
                self._remember(key, value)
                self._touched[key] = now
            self._hits += len(found) + len(read)
            self._misses += len(missing) - len(read)
        found.update(read)
        return found

    def _read_disk_many(self, keys: Sequence[str]) -> dict[str, str]:
        with self._read_lock:
            if self._reader is None or not keys:
                return {}
            marks = ",".join("?" * len(keys))
            try:
                rows = self._reader.execute(
                    f"SELECT key, value, checksum FROM results WHERE key IN ({marks})",
                    tuple(keys),
                ).fetchall()
            except sqlite3.Error as exc:
                self._warn(f"the cache at {self.path} could not be read: {exc}")
                return {}
        values: dict[str, str] = {}
        for key, value, checksum in rows:
            if not isinstance(value, str) or checksum != _checksum(key, value):
                with self._lock:
                    self._bad[key] = checksum
                self._warn(f"a damaged entry in the cache at {self.path} was ignored")
                continue
            values[key] = value
        return values

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
        conn.executemany(cache_store.UPSERT, rows)
        self._flush_pending(conn)  # fresh last_used values before choosing what to evict
        return self._evict(conn)

    def _evict(self, conn: sqlite3.Connection) -> list[str]:
        total = cache_store.total_size(conn)
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

    def stats(self) -> CacheStats:
        """Entries and size on disk (or in memory), and this process's hits and misses."""
        with self._lock:
            hits, misses = self._hits, self._misses
            entries, size = len(self._mem), self._mem_bytes
        with self._read_lock:
            if self._reader is not None:
                try:
                    entries = self._reader.execute("SELECT count(*) FROM results").fetchone()[0]
                    size = cache_store.total_size(self._reader)
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

    def clear(self) -> bool:
        """Forget every entry, on disk and in memory, and give the disk space back.
        Returns whether the file was cleared (False: memory only, or the write failed;
        the reason is in `warnings`)."""
        with self._lock:
            self._mem.clear()
            self._mem_bytes = 0
            self._touched.clear()
            self._bad.clear()

        def forget(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM results")
            # The last run's hit rate described entries that are gone now.
            conn.execute("DELETE FROM meta WHERE name = 'last_run'")

        ok, _ = self._write(forget)
        if ok:
            with self._write_lock, contextlib.suppress(sqlite3.Error):
                if self._writer is not None:
                    self._writer.execute("VACUUM")  # best effort: a reader elsewhere blocks it
        return ok

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
