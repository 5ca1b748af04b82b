"""The SQLite file under the result cache: opening, checking, schema, transactions.

`models.cache.results` decides what to keep and for how long; this module knows how to keep
it safely in a file that other precis processes share and that may be damaged. A
file that fails its checks is moved aside and rebuilt once; anything else that stops
the file being used is reported through `warn` and the cache runs from memory.
WAL mode, a busy timeout and retries on "locked" let two processes share one file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
RETRIES = 5
BUSY_TIMEOUT_MS = 5000
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
UPSERT = """
INSERT INTO results(key, value, checksum, task, model, size, created, last_used)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value, checksum = excluded.checksum,
    task = excluded.task, model = excluded.model, size = excluded.size,
    last_used = excluded.last_used
"""

Connect = Callable[[Path], sqlite3.Connection]
Warn = Callable[[str], None]


class CorruptError(Exception):
    """The database file is damaged and should be moved aside (never escapes)."""


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    return code & 0xFF if isinstance(code, int) else None


def is_busy(exc: BaseException) -> bool:
    code = _code(exc)
    return code in (5, 6) if code is not None else "locked" in str(exc) or "busy" in str(exc)


def is_corrupt(exc: BaseException) -> bool:
    code, text = _code(exc), str(exc)
    return code in (11, 26) or "malformed" in text or "not a database" in text


def write_failure(exc: sqlite3.Error) -> str:
    """Why a write failed, in words for the one-line warning."""
    code, text = _code(exc), str(exc)
    if code == 13 or "full" in text:
        return "the disk is full"
    if code == 8 or "readonly" in text or "read-only" in text:
        return "it is read-only"
    if is_busy(exc):
        return "it stayed locked by another process"
    return text


def check_header(path: Path) -> None:
    """Raise `CorruptError` when `path` is plainly not a SQLite database."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError:  # missing, a directory, unreadable: not corruption; SQLite judges
        return
    if head and (len(head) < 100 or not head.startswith(_SQLITE_MAGIC)):
        raise CorruptError("not a SQLite database")


def new_connection(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def close_all(conns: list[sqlite3.Connection]) -> None:
    for conn in conns:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def open_connections(
    path: Path, connect: Connect, warn: Warn
) -> tuple[sqlite3.Connection, sqlite3.Connection] | None:
    """(writer, reader) on the cache file at `path`, or None to run from memory.

    A corrupt file is moved aside and rebuilt once; every reason not to use the
    file, and every repair, is reported through `warn`.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fall_back(path, warn, f"its directory cannot be created: {exc.strerror or exc}")
    for attempt in range(2):
        opened: list[sqlite3.Connection] = []
        try:
            return _connect(path, connect, warn, opened)
        except (CorruptError, sqlite3.DatabaseError) as exc:
            close_all(opened)
            if not isinstance(exc, CorruptError) and not is_corrupt(exc):
                return _fall_back(path, warn, str(exc))
            if attempt == 1 or (moved := move_aside(path)) is None:
                return _fall_back(path, warn, f"it is corrupt and cannot be rebuilt: {exc}")
            warn(f"cache at {path} was corrupt ({exc}); moved to {moved} and started afresh")
    return None


def _fall_back(path: Path, warn: Warn, reason: str) -> None:
    warn(f"cache at {path} cannot be used ({reason}); results are kept in memory only")


def _connect(
    path: Path, connect: Connect, warn: Warn, opened: list[sqlite3.Connection]
) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """Open, check and if need be create the schema; `opened` collects what to close."""
    check_header(path)
    writer = connect(path)
    opened.append(writer)
    mode = set_wal(writer)
    if str(mode).lower() != "wal":
        warn(f"cache at {path} cannot use WAL mode ({mode}); sharing it may be slower")
    writer.execute("PRAGMA synchronous = NORMAL")
    version = writer.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        # Not corrupt: leave it for the newer precis and run from memory.
        raise sqlite3.OperationalError(f"it was made by a newer precis (schema {version})")
    check = [row[0] for row in writer.execute("PRAGMA quick_check").fetchall()]
    if check != ["ok"]:
        raise CorruptError("; ".join(check[:3]))
    if version < SCHEMA_VERSION:

        def create(conn: sqlite3.Connection) -> None:
            # Another process may have built it while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)

        transaction(writer, create)
    reader = connect(path)
    opened.append(reader)
    reader.execute("PRAGMA query_only = 1")
    return writer, reader


def set_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL; retried, because SQLite answers "locked" at once, without its
    busy timeout, when another process switches the same new file at that moment."""
    for attempt in range(RETRIES):
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def move_aside(path: Path) -> Path | None:
    """Rename a corrupt file (and its -wal, -shm, -journal) out of the way."""
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


def transaction(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run `body` in one write transaction, retrying while the file stays locked."""
    for attempt in range(RETRIES):
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
            if not is_busy(exc) or attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def total_size(conn: sqlite3.Connection) -> int:
    """The bytes the cache holds, from the running total the triggers keep."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'total_size'").fetchone()
    if row is None or not isinstance(row[0], int):  # only if someone edited the file
        row = conn.execute("SELECT coalesce(sum(size), 0) FROM results").fetchone()
    return row[0]
