"""The SQLite file under the result cache: opening, checking, schema, transactions.

`models.cache.results` decides what to keep and for how long; this module knows how to keep
it safely in a file that other precis processes share and that may be damaged, and that
may not be precis' at all. precis recognises its own database by SQLite's
`application_id` (plus, for caches made before that was set, the exact schema it creates)
and touches nothing else: another application's database, a file that is not SQLite, a
FIFO, socket or device at the cache path is reported through `warn` and the cache runs
from memory. Only a file that is recognisably precis' and fails its checks is moved aside
and rebuilt, and only by a writer; a read-only open (`precis cache stats`) never writes.
WAL mode, a busy timeout and retries on "locked" let two processes share one file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
# SQLite's application_id for precis caches: "prcs" in ASCII.
APPLICATION_ID = 0x70726373
RETRIES = 5
BUSY_TIMEOUT_MS = 5000
_SQLITE_MAGIC = b"SQLite format 3\x00"

# Run only on a database with no tables at all (checked in the same transaction): it
# never drops or replaces anything.
_SCHEMA = f"""
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
PRAGMA application_id = {APPLICATION_ID};
"""
_TABLES = {"results", "meta"}
_RESULT_COLUMNS = ["key", "value", "checksum", "task", "model", "size", "created", "last_used"]
UPSERT = """
INSERT INTO results(key, value, checksum, task, model, size, created, last_used)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value, checksum = excluded.checksum,
    task = excluded.task, model = excluded.model, size = excluded.size,
    last_used = excluded.last_used
"""

Connect = Callable[[Path], sqlite3.Connection]
Warn = Callable[[str], None]
# (writer, reader), the writer None when opened read-only; None: run from memory.
Opened = tuple[sqlite3.Connection | None, sqlite3.Connection] | None


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


class ForeignError(Exception):
    """The file at the cache path is not a precis cache: it is left exactly as it is."""


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_file(path: Path) -> bool:
    """Whether a file exists at `path`; raise ForeignError when it is anything but a regular
    file (a FIFO would block the first read forever) or plainly not a SQLite database."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ForeignError(f"it cannot be inspected: {exc.strerror or exc}") from None
    kind = _kind_of(info.st_mode)
    if kind is not None:
        raise ForeignError(f"it is {kind}, not a database file")
    if info.st_size == 0:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise ForeignError(f"it cannot be read: {exc.strerror or exc}") from None
    if not head.startswith(_SQLITE_MAGIC):
        raise ForeignError("it is not a SQLite database")
    return True


def _header_is_precis(path: Path) -> bool:
    """Whether the raw file header carries precis' application_id (for damaged files that
    SQLite cannot open: only those may be moved aside)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError:
        return False
    return (
        len(head) == 100
        and head.startswith(_SQLITE_MAGIC)
        and int.from_bytes(head[68:72], "big") == APPLICATION_ID
    )


def _classify(conn: sqlite3.Connection) -> str:
    """ "precis", "empty" (no tables: precis may create its schema) or raise ForeignError."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    }
    if app_id == APPLICATION_ID:
        return "precis"
    if app_id != 0:
        raise ForeignError(f"it belongs to another application (application_id {app_id:#x})")
    if not tables and version == 0:
        return "empty"
    if version == 1 and tables == _TABLES and _legacy_schema(conn):
        return "precis"  # made before precis set its application_id
    raise ForeignError("it is another application's SQLite database, not a precis cache")


def _legacy_schema(conn: sqlite3.Connection) -> bool:
    columns = [row[1] for row in conn.execute("PRAGMA table_info(results)")]
    meta = [row[1] for row in conn.execute("PRAGMA table_info(meta)")]
    total = conn.execute("SELECT count(*) FROM meta WHERE name = 'total_size'").fetchone()[0]
    return columns == _RESULT_COLUMNS and meta == ["name", "value"] and total == 1


def new_connection(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
    # read_only opens with mode=ro: SQLite itself then refuses every write. A WAL
    # database with no -wal file beside it (no precis has it open) is also opened
    # immutable: otherwise SQLite creates -wal and -shm files even for a reader, and
    # cannot open it at all on a read-only mount.
    target = str(path)
    if read_only:
        wal = path.with_name(path.name + "-wal")
        flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
        target = f"file:{urllib.parse.quote(str(path))}?{flags}"
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=read_only,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def close_all(conns: list[sqlite3.Connection]) -> None:
    for conn in conns:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def open_connections(
    path: Path, connect: Connect, warn: Warn, *, read_only: bool = False
) -> Opened:
    """(writer, reader) on the cache file at `path`, or None to run from memory.

    A file that is not precis' is never changed. A corrupt precis cache is moved aside
    and rebuilt once, by a writer only. With `read_only` the writer is None, nothing is
    created and nothing written; a missing file also gives None, silently. Every reason
    not to use the file, and every repair, is reported through `warn`.
    """
    if read_only:
        return _open_read_only(path, warn)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fall_back(path, warn, f"its directory cannot be created: {exc.strerror or exc}")
    for attempt in range(2):
        opened: list[sqlite3.Connection] = []
        try:
            return _connect(path, connect, warn, opened)
        except ForeignError as exc:
            close_all(opened)
            return _refuse(path, warn, str(exc))
        except (CorruptError, sqlite3.DatabaseError) as exc:
            close_all(opened)
            if not isinstance(exc, CorruptError) and not is_corrupt(exc):
                return _fall_back(path, warn, str(exc))
            if not _header_is_precis(path):
                return _refuse(path, warn, f"it is not a readable SQLite database: {exc}")
            if attempt == 1 or (moved := move_aside(path)) is None:
                return _fall_back(path, warn, f"it is corrupt and cannot be rebuilt: {exc}")
            warn(f"cache at {path} was corrupt ({exc}); moved to {moved} and started afresh")
    return None


def _open_read_only(path: Path, warn: Warn) -> Opened:
    try:
        if not check_file(path):
            return None
        reader = new_connection(path, read_only=True)
    except ForeignError as exc:
        return _refuse(path, warn, str(exc))
    except sqlite3.Error as exc:
        return _fall_back(path, warn, str(exc))
    try:
        reader.execute("PRAGMA query_only = 1")
        if _classify(reader) == "empty":
            reader.close()
            return None
        version = reader.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.OperationalError(f"it was made by a newer precis (schema {version})")
        check = [row[0] for row in reader.execute("PRAGMA quick_check").fetchall()]
        if check != ["ok"]:
            raise CorruptError("; ".join(check[:3]))
    except ForeignError as exc:
        reader.close()
        return _refuse(path, warn, str(exc))
    except (CorruptError, sqlite3.DatabaseError) as exc:
        reader.close()
        if isinstance(exc, CorruptError) or is_corrupt(exc):
            if not _header_is_precis(path):
                return _refuse(path, warn, f"it is not a readable SQLite database: {exc}")
            return _fall_back(path, warn, f"it is corrupt ({exc}); the next run moves it aside")
        return _fall_back(path, warn, str(exc))
    return None, reader


def _refuse(path: Path, warn: Warn, reason: str) -> Opened:
    warn(
        f"cache at {path} is not a precis cache ({reason}); it was left untouched and "
        "results are kept in memory only (choose another file with --cache)"
    )
    return None


def _fall_back(path: Path, warn: Warn, reason: str) -> Opened:
    warn(f"cache at {path} cannot be used ({reason}); results are kept in memory only")
    return None


def _connect(
    path: Path, connect: Connect, warn: Warn, opened: list[sqlite3.Connection]
) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """Open, recognise, check and if need be create the schema; `opened` collects what
    to close. Nothing is written before the file is known to be precis' (or empty)."""
    check_file(path)
    writer = connect(path)
    opened.append(writer)
    kind = _classify(writer)
    version = writer.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        # Not corrupt: leave it for the newer precis and run from memory.
        raise sqlite3.OperationalError(f"it was made by a newer precis (schema {version})")
    check = [row[0] for row in writer.execute("PRAGMA quick_check").fetchall()]
    if check != ["ok"]:
        raise CorruptError("; ".join(check[:3]))
    mode = set_wal(writer)
    if str(mode).lower() != "wal":
        warn(f"cache at {path} cannot use WAL mode ({mode}); sharing it may be slower")
    writer.execute("PRAGMA synchronous = NORMAL")
    if kind == "empty" or writer.execute("PRAGMA application_id").fetchone()[0] == 0:

        def create(conn: sqlite3.Connection) -> None:
            # Another process may have built it, or another application written to
            # it, while we waited for the lock: decide again inside the transaction.
            if _classify(conn) == "empty":
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
            elif conn.execute("PRAGMA application_id").fetchone()[0] == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a legacy cache

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
    return int(row[0])
