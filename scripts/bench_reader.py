"""The reader's own timings for scripts/bench.py, measured on a real pseudo-terminal.

- cold start: `precis --summarizer S --translator T` started in a 120x40 pty, until
  the first section's summary (in the article's language, the reader's default, so
  only the summarizer loads) is on the screen. The summary
  text is not known in advance (random-weight stand-ins), so the result cache the
  run writes is polled: its first output names words that must then appear in
  what the reader draws. The time is taken when they do. The peak RSS is that of
  the whole process tree (the reader and, on a first run, its conversion child),
  sampled every 20 ms.
- first run: the same with the engine's own caches empty (transformers' int8
  weights, CTranslate2's converted models), which is what a user's first run is.
- first paint: `precis --summarizer extractive` until the article is drawn.

All runs use the caches under the benchmark's temporary folder (bench.isolated_env).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07"
)


def cold_starts(args: Any, engine: str, root: Path) -> dict[str, Any]:
    """First run (engine caches empty), then `args.cold_runs` runs with them filled."""
    from bench import _folders

    folders = _folders(args)
    env = dict(args.env)
    cache_var = "PRECIS_CT2_CACHE" if engine == "ctranslate2" else "PRECIS_INT8_CACHE"
    shutil.rmtree(env[cache_var], ignore_errors=True)
    config = root / f"config-{engine}.toml"
    config.write_text(f'[reader]\nengine = "{engine}"\n', encoding="utf-8")
    env["PRECIS_CONFIG"] = str(config)
    # The summary in the article's own language: the reader's default, so only the
    # summarizer loads before the first summary.
    command = [sys.executable, "-m", "tui", "--offline"]
    command += [
        "--summarizer",
        str(folders["summarizer"]),
        "--translator",
        str(folders["translator"]),
    ]
    runs = []
    for k in range(1 + max(1, args.cold_runs)):
        env["PRECIS_CACHE"] = str(root / f"reader-{engine}-{k}.sqlite3")
        env["PRECIS_STATE"] = str(root / f"reader-{engine}-{k}.json")
        runs.append(first_summary(command, env, Path(env["PRECIS_CACHE"])))
    first, cold = runs[0], runs[1:]
    return {
        "first_run_s": first["s"],
        "first_run_peak_rss_mb": first["peak_rss_mb"],
        "cold_start_runs_s": [r["s"] for r in cold],
        "cold_start_s": statistics.median(r["s"] for r in cold),
        "cold_start_peak_rss_mb": max(r["peak_rss_mb"] for r in cold),
        "runs": runs,
    }


def first_summary(command: list[str], env: dict[str, str], cache: Path) -> dict[str, Any]:
    """Seconds from starting `command` in a pty until the first output it caches is drawn."""
    import psutil

    with _Pty(command, env) as term:
        peak = 0.0
        words: list[str] | None = None
        cached_at = None
        while time.perf_counter() - term.started < 300:
            term.read(0.02)
            peak = max(peak, _tree_rss_mb(psutil, term.proc.pid))
            if words is None:
                words = _first_output_words(cache, term.article_text)
                if words is not None:
                    cached_at = time.perf_counter() - term.started
            if words is not None and all(w.encode() in term.screen() for w in words):
                return {
                    "s": time.perf_counter() - term.started,
                    "cached_s": cached_at,
                    "peak_rss_mb": peak,
                    "words": words,
                }
            if term.proc.poll() is not None:
                break
        raise RuntimeError(f"no summary drawn: {term.screen()[-400:]!r}")


def first_paint_s(env: dict[str, str], marker: str = "Viruses respect") -> float:
    """Seconds from starting `precis --summarizer extractive` until `marker` (a section
    title of the sample) is on the screen it draws."""
    command = [sys.executable, "-m", "tui", "--summarizer", "extractive", "--offline"]
    with _Pty(command, env) as term:
        while time.perf_counter() - term.started < 60:
            term.read(0.05)
            if marker.encode() in term.screen():
                return time.perf_counter() - term.started
            if term.proc.poll() is not None:
                break
        raise RuntimeError(f"precis drew no {marker!r}: {term.screen()[-300:]!r}")


def import_torch_s(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
    return time.perf_counter() - started


class _Pty:
    """`command` running in a 120x40 pseudo-terminal; what it wrote, escapes removed."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = command
        self.env = {**env, "TERM": "xterm-256color"}
        self.seen = b""
        from models.ingest.sources import read_article

        self.article_text = " ".join(s.text for s in read_article(None).sections)

    def __enter__(self) -> _Pty:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=self.env,
            start_new_session=True,
        )
        os.close(slave)
        return self

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            with contextlib.suppress(OSError):
                self.seen += os.read(self.master, 1 << 16)

    def screen(self) -> bytes:
        return ESCAPES.sub(b"", self.seen)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def _first_output_words(cache: Path, article: str) -> list[str] | None:
    """Two words of the first output the run cached that the article does not hold
    (so seeing them on screen means the output is drawn), or None while there is none."""
    if not cache.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=0.05) as db:
            rows = db.execute(
                "SELECT value FROM results WHERE task = 'output' ORDER BY created"
            ).fetchall()
    except sqlite3.Error:
        return None
    known = set(re.findall(r"[A-Za-z]+", article.lower()))
    for (value,) in rows:
        try:
            paragraphs = json.loads(value)["paragraphs"]
        except (ValueError, KeyError, TypeError):
            continue
        words = re.findall(r"(?<![^\s])[A-Za-z]{4,}(?![^\s.,;:!?])", " ".join(paragraphs))
        fresh = [w for w in dict.fromkeys(words) if w.lower() not in known]
        if len(fresh) >= 2:
            return fresh[:2]
        if words:
            return words[:2]
    return None


def _tree_rss_mb(psutil: Any, pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20
