"""Issue 17 items 1, 7, 12, 13, 14: the cache path holds something that is not precis'.

Another application's SQLite database, a file that is not SQLite, a FIFO, a cache made
by a newer precis, a read-only mount, a disk that fills during an export: precis
recognises its own file, touches nothing else, never hangs, and says what happened in
one line. The commands run as a user runs them (real subprocesses, real SQLite, real
tmpfs mounts where a full or read-only disk is needed; those skip unless root).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import corpus
import pytest
from db_checks import integrity

from models.cache.results import ResultCache
from models.cache.store import APPLICATION_ID

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cache: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PRECIS_CACHE": str(cache),
        "PRECIS_CONFIG": str(ROOT / "tests" / "no-such-config.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def refused(result: subprocess.CompletedProcess[str], needle: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    corpus.check_refusal(lines[0])
    assert needle in lines[0], lines[0]
    return lines[0]


def digest(folder: Path) -> dict[str, str]:
    """Every file in `folder` (names and contents): what "touching nothing" compares."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def other_app_db(path: Path) -> None:
    """The issue's repro: an application's database with a table named `results`."""
    conn = sqlite3.connect(path)
    conn.execute("create table results(id integer primary key, grade text)")
    conn.execute("insert into results(grade) values('A')")
    conn.commit()
    conn.close()


def grades(path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select * from results").fetchall()
    finally:
        conn.close()


# -- item 1: another application's database, and files that are not SQLite -------------


@pytest.mark.parametrize("command", [("cache", "stats"), ("cache", "clear")])
def test_cache_commands_refuse_another_apps_database_and_touch_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    db = tmp_path / "app.db"
    other_app_db(db)
    before = digest(tmp_path)
    message = refused(run(*command, cache=db), "not a precis cache")
    assert "another application" in message
    assert digest(tmp_path) == before  # no DROP, no WAL switch, no -wal/-shm files
    assert grades(db) == [(1, "A")]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_an_export_leaves_another_apps_database_alone_and_runs_from_memory(
    tmp_path: Path,
) -> None:
    db = tmp_path / "app.db"
    other_app_db(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 1234")  # an app that does set its id
    conn.close()
    before = digest(tmp_path)
    result = run("export", "--summarizer", "extractive", "--format", "json", cache=db)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and "not a precis cache" in warnings[0], warnings
    assert digest(tmp_path) == before
    assert grades(db) == [(1, "A")]


def test_stats_on_a_file_that_is_not_sqlite_does_not_move_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n" * 100)
    before = digest(tmp_path)
    refused(run("cache", "stats", cache=path), "not a SQLite database")
    assert digest(tmp_path) == before


def test_stats_never_writes_to_a_precis_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ResultCache(path) as cache:
        cache.put("k", "v")
    before = digest(tmp_path)
    mtime = path.stat().st_mtime_ns
    result = run("cache", "stats", cache=path)
    assert result.returncode == 0, result.stderr
    assert "entries:  1" in result.stdout
    assert digest(tmp_path) == before and path.stat().st_mtime_ns == mtime


def test_stats_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.db"
    result = run("cache", "stats", cache=path)
    assert result.returncode == 0, result.stderr
    assert "(no file yet)" in result.stdout and "entries:  0" in result.stdout
    assert not (tmp_path / "sub").exists()


def test_a_precis_cache_made_before_the_application_id_is_still_used(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ResultCache(path) as cache:
        cache.put("k", "kept")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")  # what every earlier precis wrote
    conn.close()
    with ResultCache(path) as cache:
        assert cache.warnings == [] and cache.get("k") == "kept"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_an_empty_sqlite_file_becomes_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    sqlite3.connect(path).close()  # zero bytes
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")
    conn.execute("VACUUM")  # a valid header and no tables
    conn.close()
    with ResultCache(path) as cache:
        assert cache.warnings == [] and cache.on_disk
        cache.put("k", "v")
    assert integrity(path) == "ok"


# -- item 7: a FIFO (or socket, or device) at the cache path ----------------------------


@pytest.mark.parametrize("command", [("cache", "stats"), ("cache", "clear")])
def test_a_fifo_as_the_cache_path_is_one_line_not_a_hang(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    fifo = tmp_path / "cache.fifo"
    os.mkfifo(fifo)
    refused(run(*command, cache=fifo, timeout=30), "FIFO")


def test_an_export_with_a_fifo_cache_runs_from_memory(tmp_path: Path) -> None:
    fifo = tmp_path / "cache.fifo"
    os.mkfifo(fifo)
    result = run("export", "--summarizer", "extractive", cache=fifo, timeout=60)
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.strip().splitlines()
    assert "FIFO" in warning and "memory only" in warning


def test_a_device_as_the_cache_path_is_refused(tmp_path: Path) -> None:
    refused(run("cache", "stats", cache=Path("/dev/null")), "character device")


# -- item 13: `cache clear` says "cleared" only when it cleared ------------------------


def test_clear_on_a_cache_from_a_newer_precis_fails_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ResultCache(path) as cache:
        cache.put("k", "v")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    result = run("cache", "clear", cache=path)
    assert "cleared" not in result.stdout
    refused(result, "newer precis")
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from results").fetchone()[0] == 1
    conn.close()


def test_clear_of_a_missing_cache_says_there_was_nothing(tmp_path: Path) -> None:
    result = run("cache", "clear", cache=tmp_path / "none.db")
    assert result.returncode == 0 and "nothing to clear" in result.stdout
    assert not (tmp_path / "none.db").exists()


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A real small filesystem at `folder` (root only; the test skips otherwise)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_clear_on_a_read_only_mount_fails_and_says_so(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "4m") as mnt:
        path = mnt / "c.db"
        with ResultCache(path) as cache:
            cache.put("k", "v")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        result = run("cache", "clear", cache=path)
        assert "cleared" not in result.stdout
        refused(result, "c.db")
        assert run("cache", "stats", cache=path).stdout.count("entries:  1") == 1


# -- item 12: a disk that fills during an export ----------------------------------------


def test_a_disk_that_fills_during_an_export_is_reported_at_its_end(tmp_path: Path) -> None:
    article = tmp_path / "long.md"
    article.write_text(corpus.sectioned_markdown(150), encoding="utf-8")
    with tmpfs(tmp_path / "mnt", "1m") as mnt:
        path = mnt / "c.db"
        with ResultCache(path):
            pass  # the schema exists; now leave SQLite little room
        filler = mnt / "filler"
        with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 4096)
        # Room to open the file (its -shm and the first WAL frames), not for the run.
        os.truncate(filler, filler.stat().st_size - 64 * 1024)
        result = run(
            "export", str(article), "--summarizer", "extractive", "--format", "json", cache=path
        )
        assert result.returncode == 0, result.stderr
        warnings = result.stderr.strip().splitlines()
        assert warnings and all(w.startswith("precis: warning: ") for w in warnings), warnings
        assert any("disk is full" in w for w in warnings), warnings
        filler.unlink()
        assert integrity(path) == "ok"


# -- item 14: the corruption warning is one line ---------------------------------------


def test_a_corruption_warning_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ResultCache(path) as cache:
        cache.put_many((f"k{i}", "v" * 300, "summary", "m") for i in range(400))
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page + 1 : 3 * page + 3] = b"\x0f\xf0"  # a bad free-block pointer on page 4
    path.write_bytes(bytes(data))
    conn = sqlite3.connect(path)
    report = conn.execute("PRAGMA quick_check").fetchone()[0]
    conn.close()
    assert report.count("\n") >= 2, report  # SQLite's own report spans several lines
    result = run("export", "--summarizer", "extractive", "--format", "json", cache=path)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and "was corrupt" in warnings[0], result.stderr
    corpus.check_refusal(warnings[0])
