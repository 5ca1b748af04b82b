"""`precis cache stats` after `precis cache clear` (issue 13 item 11): the last run's
hit counts described entries that are gone, so they are gone too. Real subprocesses
over a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def precis(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PRECIS_CONFIG=str(tmp_path / "none.toml"))
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_cache_stats_after_clear_shows_no_last_run(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache.sqlite3")
    export = precis(
        "export", "--summarizer", "extractive", "--offline", "--cache", cache, tmp_path=tmp_path
    )
    assert export.returncode == 0, export.stderr
    before = precis("cache", "stats", "--cache", cache, tmp_path=tmp_path)
    assert "misses" in before.stdout
    cleared = precis("cache", "clear", "--cache", cache, tmp_path=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    after = precis("cache", "stats", "--cache", cache, tmp_path=tmp_path)
    assert after.returncode == 0, after.stderr
    assert "entries:  0" in after.stdout
    assert "last run: no run recorded" in after.stdout
