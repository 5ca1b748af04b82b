"""The result cache when things go wrong: it may lose entries, never the app or a value.

Real SQLite files and real processes: concurrent writers, a writer killed with
SIGKILL mid-batch, corrupt and truncated files, unwritable places, a full disk.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from db_checks import integrity

from models.cache.results import ResultCache

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).with_name("cache_writer.py")


def value_for(key: str) -> str:
    # The same rule as cache_writer.value_for, so values written elsewhere can be checked.
    return f"{key}:" + hashlib.sha256(key.encode()).hexdigest() * 4


def start_writer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fill(path: Path, count: int = 300) -> None:
    with ResultCache(path) as cache:
        cache.put_many((f"k{i}", value_for(f"k{i}"), "summary", "m") for i in range(count))


def moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


# -- several processes --------------------------------------------------------------


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_writers_lose_nothing(tmp_path: Path, writers: int) -> None:
    path, go, count = tmp_path / "c.db", tmp_path / "go", 150
    procs = [start_writer("put", str(path), f"w{n}", str(count), str(go)) for n in range(writers)]
    for proc in procs:  # every process has opened the cache before any writes
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr and proc.stderr.read()
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    assert integrity(path) == "ok"
    with ResultCache(path) as cache:
        assert cache.stats().entries == writers * count
        for n in range(writers):
            for i in range(count):
                key = f"w{n}-{i}"
                assert cache.get(key) == value_for(key)
        assert cache.warnings == []


def test_a_writer_killed_mid_batch_leaves_a_sound_cache(tmp_path: Path) -> None:
    path, batch = tmp_path / "c.db", 40
    for round_ in range(3):  # kill at a different moment each round
        proc = start_writer("batches", str(path), f"r{round_}", str(batch))
        assert proc.stdout is not None
        for _ in range(3 + round_):  # some batches committed, the next one under way
            assert proc.stdout.readline().strip() != "", proc.stderr and proc.stderr.read()
        time.sleep(0.003 * round_)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    with ResultCache(path) as cache:
        assert cache.warnings == []
        conn = sqlite3.connect(path)
        keys = [row[0] for row in conn.execute("SELECT key FROM results")]
        conn.close()
        assert len(keys) >= (3 + 4 + 5) * batch
        assert len(keys) % batch == 0  # batches are all or nothing
        for key in keys:
            assert cache.get(key) == value_for(key)


# -- damaged files ------------------------------------------------------------------


def test_a_truncated_file_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    with ResultCache(path) as cache:
        assert len(cache.warnings) == 1
        assert "was corrupt" in cache.warnings[0]
        [aside] = moved_aside(path)
        assert str(aside) in cache.warnings[0]
        assert aside.stat().st_size == size // 2
        assert cache.get("k1") is None
        cache.put("new", "works")
        assert cache.get("new") == "works"
    assert integrity(path) == "ok"
    with ResultCache(path) as cache:
        assert cache.warnings == []
        assert cache.get("new") == "works"


def test_a_damaged_page_inside_the_file_is_found_at_open(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path)
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    data[-3 * page : -2 * page] = os.urandom(page)  # the header and schema stay intact
    path.write_bytes(bytes(data))
    with ResultCache(path) as cache:
        assert len(cache.warnings) == 1 and "was corrupt" in cache.warnings[0]
        assert len(moved_aside(path)) == 1
        assert cache.get("k1") is None
    assert integrity(path) == "ok"


def test_a_damaged_precis_cache_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path, 5)
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # only the header, with precis' id, is left
    path.write_bytes(bytes(data))
    path.with_name("c.db-wal").write_bytes(os.urandom(1000))
    with ResultCache(path) as cache:
        assert len(cache.warnings) == 1 and "was corrupt" in cache.warnings[0]
        cache.put("new", "works")
        assert cache.get("new") == "works"
    # SQLite may discard a WAL with a bad header when it opens the file; if the WAL is
    # still there it moves along with the file.
    [aside, *wal] = moved_aside(path)
    assert aside.read_bytes() == bytes(data)
    assert all(w.name == aside.name + "-wal" for w in wal)
    assert integrity(path) == "ok"


def test_a_file_of_random_bytes_is_not_precis_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    junk = os.urandom(16384)
    path.write_bytes(junk)
    path.with_name("c.db-wal").write_bytes(b"w" * 1000)
    with ResultCache(path) as cache:
        assert len(cache.warnings) == 1 and "not a precis cache" in cache.warnings[0]
        assert "not a SQLite database" in cache.warnings[0]
        cache.put("new", "works")
        assert cache.get("new") == "works"
    assert moved_aside(path) == []
    assert path.read_bytes() == junk
    assert path.with_name("c.db-wal").read_bytes() == b"w" * 1000


def test_a_damaged_row_reads_as_a_miss_and_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path, 10)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE results SET value = 'a wrong value' WHERE key = 'k1'")
    # Two rows with their values swapped: each is a well-formed row, for the wrong key.
    conn.execute("UPDATE results SET value = ? WHERE key = 'k2'", (value_for("k3"),))
    conn.execute("UPDATE results SET value = ? WHERE key = 'k3'", (value_for("k2"),))
    conn.commit()
    conn.close()
    with ResultCache(path) as cache:
        assert cache.get("k1") is None
        assert cache.get("k2") is None
        assert cache.get("k3") is None
        assert cache.get("k4") == value_for("k4")
        assert cache.stats().misses == 3
        assert any("damaged" in warning for warning in cache.warnings)
    conn = sqlite3.connect(path)
    left = {row[0] for row in conn.execute("SELECT key FROM results")}
    conn.close()
    assert left == {f"k{i}" for i in range(10)} - {"k1", "k2", "k3"}


def test_a_cache_from_a_newer_precis_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path, 5)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with ResultCache(path) as cache:
        assert len(cache.warnings) == 1 and "newer precis" in cache.warnings[0]
        assert cache.get("k1") is None
        cache.put("k", "in memory")
        assert cache.get("k") == "in memory"
    assert moved_aside(path) == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 5
    conn.close()


# -- places that cannot be written ---------------------------------------------------


def check_memory_fallback(cache: ResultCache) -> None:
    assert len(cache.warnings) == 1
    assert "kept in memory only" in cache.warnings[0]
    cache.put("k", "v")
    assert cache.get("k") == "v"
    assert cache.stats().entries == 1
    cache.close()


def test_a_directory_that_cannot_be_created_falls_back_to_memory(tmp_path: Path) -> None:
    # Works even as root, who may write anywhere: nothing can be made under a file.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    check_memory_fallback(ResultCache(blocker / "cache" / "c.db"))
    assert blocker.read_text() == "not a directory"


def test_a_path_that_is_a_directory_falls_back_and_is_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.mkdir()
    check_memory_fallback(ResultCache(path))
    assert path.is_dir() and moved_aside(path) == []


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores directory permissions; covered by the two tests above",
)
def test_a_read_only_directory_falls_back_to_memory(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        check_memory_fallback(ResultCache(folder / "c.db"))
    finally:
        folder.chmod(0o700)


def test_a_full_disk_drops_writes_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path, 20)
    with ResultCache(path) as cache:
        assert cache._writer is not None
        pages = cache._writer.execute("PRAGMA page_count").fetchone()[0]
        # The database may not grow by a single page: the next big write is SQLITE_FULL.
        cache._writer.execute(f"PRAGMA max_page_count = {pages}")
        cache.put("big", "x" * 200_000)
        cache.put_many([(f"b{i}", "y" * 50_000, "summary", "m") for i in range(3)])
        assert len(cache.warnings) == 1 and "disk is full" in cache.warnings[0]
        assert cache.get("k3") == value_for("k3")  # from SQLite: reads still work
        assert cache.get("big") == "x" * 200_000  # kept in memory for this run
    with ResultCache(path) as cache:
        assert cache.get("big") is None
        assert cache.get("k7") == value_for("k7")
    assert integrity(path) == "ok"


def test_a_read_only_database_drops_writes_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    fill(path, 5)
    with ResultCache(path) as cache:
        assert cache._writer is not None
        cache._writer.execute("PRAGMA query_only = 1")
        cache.put("new", "value")
        assert len(cache.warnings) == 1 and "read-only" in cache.warnings[0]
        assert cache.get("k1") == value_for("k1")
    with ResultCache(path) as cache:
        assert cache.get("new") is None
