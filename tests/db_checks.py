"""Checks of a cache file from outside precis, shared by the cache fault tests.

A separate connection, not the cache's own: what another process would find.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def integrity(path: Path) -> str:
    """SQLite's full integrity check of the file at `path`: "ok" when it is sound."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
