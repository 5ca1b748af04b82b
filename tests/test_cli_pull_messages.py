"""`precis models pull` that cannot download (issue 13 item 10): the message said to
run `precis models pull` — the command that just failed. Real subprocesses; the
unreachable hub is a closed port on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pull(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, PRECIS_CONFIG=str(tmp_path / "none.toml"), **env)
    environ.pop("HF_HUB_OFFLINE", None)
    environ.update(env)
    environ["HF_HOME"] = str(tmp_path / "hf")
    return subprocess.run(
        [sys.executable, "-m", "tui", "models", "pull", "de", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "env", "why"),
    [
        (("--offline",), {}, "precis is offline"),
        ((), {"HF_ENDPOINT": "http://127.0.0.1:9"}, "huggingface.co cannot be reached"),
    ],
)
def test_a_failed_pull_does_not_tell_to_pull(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], why: str
) -> None:
    result = pull(tmp_path, *args, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert why in lines[0] and "opus-mt-en-de (~300 MB)" in lines[0]
    assert "models pull" not in lines[0] and "--summarizer" not in lines[0]


def export(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, PRECIS_CONFIG=str(tmp_path / "none.toml"), HF_HUB_OFFLINE="1")
    environ["HF_HOME"] = str(tmp_path / "hf")
    environ["PRECIS_CACHE"] = str(tmp_path / "cache.sqlite3")
    return subprocess.run(
        [sys.executable, "-m", "tui", "export", "--offline", "--strict", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "flag", "other"),
    [
        ((), "--summarizer", "--translator"),
        (("--summarizer", "extractive", "--lang", "de"), "--translator", "--summarizer/"),
    ],
)
def test_a_missing_model_names_only_the_flag_that_applies(
    tmp_path: Path, args: tuple[str, ...], flag: str, other: str
) -> None:
    result = export(tmp_path, *args)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[0]
    assert f"local folder with {flag}" in line and other not in line, line
