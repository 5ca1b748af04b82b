"""The result cache and its keys in normal use: real SQLite files, real processes.

Failure modes (corruption, kill -9, full disks, concurrent writers) live in
test_cache_faults.py.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.cache.keys import PIPELINE_VERSION, make_key
from models.cache.results import SCHEMA_VERSION, CacheStats, ResultCache
from models.types import Length, Task

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).with_name("cache_writer.py")


def value_for(key: str) -> str:
    # The same rule as cache_writer.value_for, so values written elsewhere can be checked.
    return f"{key}:" + hashlib.sha256(key.encode()).hexdigest() * 4


def run_writer(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(WRITER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


# -- keys ---------------------------------------------------------------------------

BASE_KEY_FIELDS: dict[str, object] = {
    "text": "The council met on Tuesday.\n\nIt voted to build a bridge.",
    "task": Task.SUMMARY,
    "source_lang": "en",
    "target_lang": "de",
    "length": Length.SHORT,
    "model": "sshleifer/distilbart-cnn-12-6",
    "revision": "a4f8f3e",
    "settings": "beams=1;max_new=60",
}

CHANGED_FIELDS: list[tuple[str, object]] = [
    ("text", "The council met on Wednesday.\n\nIt voted to build a bridge."),
    ("text", "The council met on Tuesday. It voted to build a bridge."),  # paragraphs matter
    ("task", Task.TRANSLATION),
    ("task", Task.CHUNK_SUMMARY),
    ("source_lang", "fr"),
    ("target_lang", "en"),
    ("length", Length.MEDIUM),
    ("length", None),
    ("model", "facebook/bart-large-cnn"),
    ("revision", None),
    ("revision", "b000000"),
    ("settings", "beams=4;max_new=60"),
]


def test_equal_inputs_give_equal_keys() -> None:
    key = make_key(**BASE_KEY_FIELDS)  # type: ignore[arg-type]
    assert key == make_key(**dict(BASE_KEY_FIELDS))  # type: ignore[arg-type]
    assert len(key) == 64 and int(key, 16) >= 0


@pytest.mark.parametrize(("field", "value"), CHANGED_FIELDS)
def test_any_changed_field_changes_the_key(field: str, value: object) -> None:
    changed = {**BASE_KEY_FIELDS, field: value}
    assert make_key(**changed) != make_key(**BASE_KEY_FIELDS)  # type: ignore[arg-type]


def test_whitespace_only_differences_share_a_key() -> None:
    messy = {
        **BASE_KEY_FIELDS,
        "text": "  The council   met on\tTuesday.\n\n\n   It voted to build\na bridge.  \n",
    }
    assert make_key(**messy) == make_key(**BASE_KEY_FIELDS)  # type: ignore[arg-type]


def test_fields_cannot_bleed_into_each_other() -> None:
    a = {**BASE_KEY_FIELDS, "source_lang": "en", "target_lang": "de"}
    b = {**BASE_KEY_FIELDS, "source_lang": "de", "target_lang": "en"}
    c = {**BASE_KEY_FIELDS, "source_lang": 'en","de', "target_lang": ""}
    keys = {make_key(**fields) for fields in (a, b, c)}  # type: ignore[arg-type]
    assert len(keys) == 3


def test_pipeline_version_is_an_int() -> None:
    assert isinstance(PIPELINE_VERSION, int) and PIPELINE_VERSION >= 1


# -- the cache ----------------------------------------------------------------------


def test_round_trip_and_persistence_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "cache.db"  # parent directories are created
    with ResultCache(path) as cache:
        assert cache.warnings == []
        cache.put("k1", "Ein Rat tagte.", task="summary", model="m")
        cache.put("k2", "第二段。", task="translation", model="m")
        assert cache.get("k1") == "Ein Rat tagte."
    with ResultCache(path) as cache:  # a fresh memory layer: these come from SQLite
        assert cache.get("k1") == "Ein Rat tagte."
        assert cache.get("k2") == "第二段。"
        assert cache.get("k3") is None
        assert cache.warnings == []
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    rows = conn.execute("SELECT key, task, model FROM results ORDER BY key").fetchall()
    assert rows == [("k1", "summary", "m"), ("k2", "translation", "m")]
    conn.close()


def test_put_replaces_an_older_value(tmp_path: Path) -> None:
    with ResultCache(tmp_path / "c.db") as cache:
        cache.put("k", "first")
        cache.put("k", "second, recomputed")
        assert cache.get("k") == "second, recomputed"
    with ResultCache(tmp_path / "c.db") as cache:
        assert cache.get("k") == "second, recomputed"
        assert cache.stats().entries == 1


def test_memory_only_mode_keeps_values_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with ResultCache(None) as cache:
        cache.put("k", "value")
        assert cache.get("k") == "value"
        assert cache.get("other") is None
        stats = cache.stats()
        assert (stats.entries, stats.hits, stats.misses, stats.path) == (1, 1, 1, None)
        assert cache.last_run_stats() is None
        assert cache.warnings == []
    assert list(tmp_path.iterdir()) == []


def test_memory_only_mode_is_bounded_by_max_bytes() -> None:
    cache = ResultCache(None, max_bytes=10_000)
    for i in range(100):
        cache.put(f"k{i}", "x" * 500)
    assert cache.stats().size_bytes <= 10_000
    assert cache.get("k99") == "x" * 500
    assert cache.get("k0") is None


@pytest.mark.parametrize("path", [None, "c.db"])
def test_empty_values_are_never_stored(tmp_path: Path, path: str | None) -> None:
    cache = ResultCache(tmp_path / path if path else None)
    cache.put("empty", "")
    cache.put("blank", "  \n\t ")
    cache.put_many([("e2", "", "summary", "m"), ("ok", "fine", "summary", "m")])
    assert cache.get("empty") is None
    assert cache.get("blank") is None
    assert cache.get("e2") is None
    assert cache.stats().entries == 1
    cache.close()


def test_put_many_writes_in_one_transaction(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c.db")
    statements: list[str] = []
    assert cache._writer is not None
    cache._writer.set_trace_callback(statements.append)
    items = [(f"k{i}", value_for(f"k{i}"), "summary", "m") for i in range(50)]
    cache.put_many(iter(items))  # any iterable
    begins = [s for s in statements if s.upper().startswith("BEGIN")]
    commits = [s for s in statements if s.upper().startswith("COMMIT")]
    assert (len(begins), len(commits)) == (1, 1)
    cache.close()
    with ResultCache(tmp_path / "c.db") as cache:
        assert all(cache.get(key) == value for key, value, _, _ in items)


def test_stats_count_entries_size_hits_and_misses(tmp_path: Path) -> None:
    with ResultCache(tmp_path / "c.db", max_bytes=1_000_000) as cache:
        cache.put_many([(f"k{i}", "v" * 100, "summary", "m") for i in range(10)])
        for i in range(4):
            cache.get(f"k{i}")
        cache.get("nope")
        stats = cache.stats()
        assert isinstance(stats, CacheStats)
        assert (stats.entries, stats.hits, stats.misses) == (10, 4, 1)
        assert stats.path == tmp_path / "c.db"
        assert stats.max_bytes == 1_000_000
        assert 10 * 100 < stats.size_bytes < 10 * 400
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("SELECT sum(size) FROM results").fetchone()[0] == stats.size_bytes
    conn.close()


def test_clear_forgets_everything(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with ResultCache(path) as cache:
        cache.put_many([(f"k{i}", "v" * 1000, "summary", "m") for i in range(200)])
        cache.clear()
        assert cache.get("k1") is None
        stats = cache.stats()
        assert (stats.entries, stats.size_bytes) == (0, 0)
        cache.put("after", "still works")
    with ResultCache(path) as cache:
        assert cache.get("k1") is None
        assert cache.get("after") == "still works"
        assert cache.stats().entries == 1


def test_last_run_hit_rate_is_read_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    result = run_writer("use", str(path), "3", "2")
    assert result.returncode == 0, result.stderr
    with ResultCache(path) as cache:  # e.g. `precis cache stats`: uses nothing itself
        assert cache.last_run_stats() == (3, 2)
        assert cache.stats().entries == 1
    with ResultCache(path) as cache:  # ...so closing it did not overwrite the record
        assert cache.last_run_stats() == (3, 2)
        cache.get("used")
    with ResultCache(path) as cache:
        assert cache.last_run_stats() == (1, 0)


def test_eviction_keeps_the_size_under_the_cap_and_the_recently_used(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cap = 40_000
    hot = [f"hot{i}" for i in range(5)]
    with ResultCache(path, max_bytes=cap, memory_entries=8) as cache:
        for key in hot:
            cache.put(key, value_for(key) + "." * 500)
        for i in range(300):  # ~190 KB in all, nearly five times the cap
            cache.put(f"cold{i}", value_for(f"cold{i}") + "." * 500)
            assert cache.stats().size_bytes <= cap
            if i % 10 == 0:
                for key in hot:
                    assert cache.get(key) == value_for(key) + "." * 500
        assert cache.get("cold0") is None
        assert cache.get("cold299") is not None
    conn = sqlite3.connect(path)
    total, entries = conn.execute("SELECT sum(size), count(*) FROM results").fetchone()
    keys = {row[0] for row in conn.execute("SELECT key FROM results")}
    conn.close()
    assert total <= cap and 20 < entries < 60
    assert set(hot) <= keys
    assert "cold0" not in keys


def test_a_value_larger_than_the_cap_is_not_stored(tmp_path: Path) -> None:
    with ResultCache(tmp_path / "c.db", max_bytes=5_000) as cache:
        cache.put("small", "s")
        cache.put("huge", "h" * 10_000)
        assert cache.get("huge") is None
        assert cache.get("small") == "s"


def test_reads_and_writes_from_two_threads(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c.db", memory_entries=50)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(300):
                cache.put(f"k{i}", value_for(f"k{i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    seen = 0
    while thread.is_alive() or seen == 0:
        for i in range(0, 300, 7):
            value = cache.get(f"k{i}")
            assert value is None or value == value_for(f"k{i}")
            seen += value is not None
        time.sleep(0.001)  # a busy loop would starve the writer of the GIL
    thread.join()
    assert errors == []
    assert all(cache.get(f"k{i}") == value_for(f"k{i}") for i in range(300))
    cache.close()
    assert cache.warnings == []


def test_get_many_reads_the_file_in_chunks_and_checks_each_row(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = ResultCache(path)
    cache.put_many([(f"k{i}", f"value {i}", "summary", "m") for i in range(1200)])
    cache.close()
    with sqlite3.connect(path) as conn:  # one damaged row
        conn.execute("UPDATE results SET value = 'forged' WHERE key = 'k7'")
    reopened = ResultCache(path)
    found = reopened.get_many([f"k{i}" for i in range(1200)] + ["absent"])
    assert len(found) == 1199 and "k7" not in found and "absent" not in found
    assert found["k1199"] == "value 1199"
    assert any("damaged" in w for w in reopened.warnings)
    assert reopened.get_many(["k3"]) == {"k3": "value 3"}  # now from memory
    reopened.close()
