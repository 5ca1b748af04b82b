"""The config file is typed and validated: wrong types, unknown tables and keys, and
files that are not small regular files give one line naming the file and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.settings import Settings, SettingsError, load_settings
from models.types import Length

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[reader]\noffline = "false"\n', "[reader] offline: expected bool, got str"),
        ('[reader]\nquantize = "no"\n', "[reader] quantize: expected bool, got str"),
        ('[cache]\nmax_mb = "big"\n', "[cache] max_mb: expected int, got str"),
        ('[modles]\nsummarizer = "x"\n', "unknown table [modles]"),
        ("[reader]\nfoo = 1\n", "unknown key [reader] foo"),
        ('[reader]\nlength = "huge"\n', "[reader] length: expected one of short, medium, long"),
        ('[reader]\ndevice = "gpu"\n', "[reader] device: expected one of auto, cpu, cuda, mps"),
        ("[keys]\ncycle-length = 3\n", "[keys] *: expected str, got int"),
        ("x = [\n", "config "),
    ],
)
def test_bad_values_are_one_line_naming_file_and_key(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert needle in message
    assert str(path) in message
    assert "\n" not in message


def test_a_valid_file_is_read_into_typed_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[models]\n"
        'summarizer = "extractive"\n'
        "[models.translators]\n"
        'de = { model = "org/multi", prefix = ">>deu<<" }\n'
        'fr = "Helsinki-NLP/opus-mt-en-fr"\n'
        "[reader]\n"
        'length = "long"\n'
        "offline = true\n"
        "quantize = false\n"
        "[cache]\n"
        'path = "~/x.sqlite3"\n'
        "max_mb = 7\n",
    )
    settings = load_settings(path)
    assert settings.summarizer == "extractive"
    assert settings.translators == {"de": "org/multi", "fr": "Helsinki-NLP/opus-mt-en-fr"}
    assert settings.translator_prefixes == {"de": ">>deu<<"}
    assert settings.length is Length.LONG
    assert settings.offline is True and settings.quantize is False
    assert settings.cache_path == Path("~/x.sqlite3").expanduser()
    assert settings.cache_max_mb == 7


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml") == Settings(cache_path=Settings().cache_path)


def test_a_fifo_or_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="not a regular file"):
        load_settings(fifo)  # would block forever if opened for reading
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: 1 GB on paper, nothing on disk
    with pytest.raises(SettingsError, match="larger than"):
        load_settings(huge)


@pytest.mark.parametrize(
    "command", [["cache", "stats"], ["export", "-", "--summarizer", "extractive"]]
)
def test_the_cli_reports_a_bad_config_in_one_line_and_exits_2(
    tmp_path: Path, command: list[str]
) -> None:
    path = write(tmp_path, '[reader]\noffline = "false"\n')
    env = {**os.environ, "PRECIS_CONFIG": str(path), "PRECIS_CACHE": str(tmp_path / "c.db")}
    proc = subprocess.run(
        [sys.executable, "-m", "tui", *command],
        input="A title\n\nSome text here. More text there.\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"precis: config {path}: [reader] offline: expected bool, got str"]
