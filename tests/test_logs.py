"""The log file: unexpected failures are one line on the terminal that names the log
file, and the traceback is kept there; `--version` answers without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRECIS_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_a_bug_is_one_line_naming_the_log_file_and_the_traceback_is_logged(
    tmp_path: Path,
) -> None:
    proc = run(
        "import sys, tui.cli as cli\n"
        "def broken(argv):\n"
        "    raise RuntimeError('boom in the cache command')\n"
        "cli.run_cache = broken\n"
        "sys.exit(cli.main(['cache', 'stats']))\n",
        tmp_path,
    )
    log_file = tmp_path / "logs" / "precis.log"
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"precis: internal error (RuntimeError: boom in the cache command); details in {log_file}"
    ]
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "boom in the cache command" in logged


def test_log_level_debug_is_accepted_by_every_command(tmp_path: Path) -> None:
    proc = run(
        "import sys, tui.cli as cli\n"
        f"sys.exit(cli.main(['cache', 'stats', '--cache', {str(tmp_path / 'c.db')!r},"
        " '--log-level', 'debug']))\n",
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr


def test_version(tmp_path: Path) -> None:
    proc = run("import sys, tui.cli as cli; sys.exit(cli.main(['--version']))", tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("precis ") and proc.stdout.split()[1][0].isdigit()


def test_a_listener_bug_is_logged_not_swallowed(tmp_path: Path) -> None:
    proc = run(
        "import logging\n"
        "from models.logs import setup_logging\n"
        "from models.service.events import Progress\n"
        "from models.service.scheduler import PrecisService\n"
        "setup_logging('warning')\n"
        "service = PrecisService.__new__(PrecisService)\n"
        "def listener(event):\n"
        "    raise ValueError('listener bug')\n"
        "service._listener = listener\n"
        "service._emit(Progress(None, 0, ''))\n"
        "logging.shutdown()\n",
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    logged = (tmp_path / "logs" / "precis.log").read_text(encoding="utf-8")
    assert "service listener failed on Progress" in logged and "listener bug" in logged
