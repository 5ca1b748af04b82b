"""A second precis process for the cache tests: writes or reads one cache file.

The cache must survive several processes at once and a process killed mid-write,
which only real processes can show. Values are derived from their keys, so a
reader can tell a wrong value from a right one without knowing who wrote it.

    cache_writer.py put DB PREFIX COUNT GO_FILE   wait for GO_FILE, then COUNT puts
    cache_writer.py batches DB PREFIX SIZE        put_many batches forever, print each
    cache_writer.py use DB HITS MISSES            that many hits and misses, then close
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

from models.cache.results import ResultCache


def value_for(key: str) -> str:
    """The one right value for `key` (tests/test_cache*.py compute the same)."""
    return f"{key}:" + hashlib.sha256(key.encode()).hexdigest() * 4


def main(argv: list[str]) -> int:
    mode, db = argv[0], Path(argv[1])
    cache = ResultCache(db)
    if cache.warnings:
        print("\n".join(cache.warnings), file=sys.stderr)
        return 1
    if mode == "put":
        prefix, count, go = argv[2], int(argv[3]), Path(argv[4])
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.005)
        for i in range(count):
            key = f"{prefix}-{i}"
            cache.put(key, value_for(key), task="summary", model="writer")
    elif mode == "batches":
        prefix, size = argv[2], int(argv[3])
        batch = 0
        while True:  # runs until the test kills it
            keys = [f"{prefix}-{batch}-{i}" for i in range(size)]
            cache.put_many((key, value_for(key), "summary", "writer") for key in keys)
            print(batch, flush=True)
            batch += 1
    elif mode == "use":
        hits, misses = int(argv[2]), int(argv[3])
        cache.put("used", value_for("used"))
        for _ in range(hits):
            assert cache.get("used") == value_for("used")
        for i in range(misses):
            assert cache.get(f"absent-{i}") is None
    cache.close()
    if cache.warnings:
        print("\n".join(cache.warnings), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
