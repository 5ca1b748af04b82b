"""The reader in a real pseudo-terminal: an article piped on stdin, keys from the tty.

A pilot cannot show this bug: Textual reads keys from descriptor 0, which after
`cat article | precis -` is the drained pipe. Here the reader runs under a real pty
as its controlling terminal, exactly as in a shell, and must obey `j` and `q`.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ARTICLE = """# Piped article title

The lead paragraph says what happened today in the town by the river.
It has a second sentence so that a summary has something to pick.

## Second heading here

The second section talks about the bridge, the council and the vote.
The vote passed by a wide margin after a long debate in the hall.
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        HF_HUB_OFFLINE="1",
        PRECIS_CONFIG=str(tmp_path / "none.toml"),
        PRECIS_STATE=str(tmp_path / "state.json"),
        PRECIS_CACHE=str(tmp_path / "cache.sqlite3"),
        COLUMNS="100",
        LINES="30",
    )
    env.pop("TEXTUAL", None)
    return env


def _read_until(fd: int, needle: bytes, seen: bytearray, timeout: float) -> bool:
    """Read the pty into `seen` until `needle` appears (True) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the pty
                return needle in seen
            if not chunk:
                return needle in seen
            seen.extend(chunk)
    return True


def _wait_exit(pid: int, fd: int, seen: bytearray, timeout: float) -> int | None:
    """The child's exit status, draining its output meanwhile; None if it is still running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        _read_until(fd, b"\x00never\x00", seen, 0.1)
    return None


def test_article_piped_on_stdin_reads_keys_from_the_terminal(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text(ARTICLE, encoding="utf-8")
    env = _env(tmp_path)
    command = f"cat {article} | exec {sys.executable} -m tui - --summarizer extractive --offline"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal and its stdin
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
            os.chdir(ROOT)
            os.execve("/bin/sh", ["/bin/sh", "-c", command], env)
        finally:
            os._exit(127)
    seen = bytearray()
    code: int | None = None
    try:
        assert _read_until(fd, b"Piped article title", seen, 60), bytes(seen[-2000:])
        # The first paint is up; let the reader settle, then press keys on the tty.
        time.sleep(1.0)
        start = len(seen)
        os.write(fd, b"j")
        assert _read_until(fd, b"bridge", seen, 20), "j did not move to the next section"
        assert b"bridge" in seen[start:]
        os.write(fd, b"q")
        code = _wait_exit(pid, fd, seen, 20)
        assert code == 0, f"the reader did not quit on q (status {code})"
    finally:
        if code is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_reader_without_any_terminal_says_so_in_one_line(tmp_path: Path) -> None:
    """No controlling terminal at all (a cron job): one line, exit 2, no spinning."""
    result = subprocess.run(
        [sys.executable, "-m", "tui", "-", "--summarizer", "extractive", "--offline"],
        input=ARTICLE,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path),
        timeout=60,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "precis export" in lines[0], result.stderr
