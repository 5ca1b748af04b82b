"""`--engine` on `precis` and `precis export`, and what an export says about engines.

In subprocesses, as a user runs them: a bad value is one line and exit 2; the flag
overrides the config's `engine`; an export shows a CTranslate2 conversion on stderr
and a conversion that fails as one `precis: note:` line, and its `models` then name
transformers. The CTranslate2 cases skip where its wheel is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.inference import engines

needs_ct2 = pytest.mark.skipif(not engines.ct2_installed(), reason="ctranslate2 not installed")


def run_precis(*args: str, tmp_path: Path, config: str = "") -> subprocess.CompletedProcess[str]:
    config_path = tmp_path / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    env = {
        **os.environ,
        "PRECIS_CACHE": str(tmp_path / "cache.sqlite3"),
        "PRECIS_CONFIG": str(config_path),
        "PRECIS_CT2_CACHE": str(tmp_path / "ct2"),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("command", [[], ["export"]])
def test_a_bad_engine_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    result = run_precis(*command, "--engine", "onnx", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "precis: engine must be auto, transformers or ctranslate2, not 'onnx'\n"
    assert result.stdout == ""


def _export(summarizer: Path, tmp_path: Path, *flags: str, config: str = "") -> tuple[dict, str]:
    result = run_precis(
        "export",
        "--format",
        "json",
        "--summarizer",
        str(summarizer),
        "--offline",
        *flags,
        tmp_path=tmp_path,
        config='[reader]\ndevice = "cpu"\nquantize = false\ndecoding = "fast"\n' + config,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_the_flag_overrides_the_config(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    data, _ = _export(
        tiny_models["summarizer"],
        tmp_path,
        "--engine",
        "transformers",
        config='engine = "ctranslate2"\n',
    )
    assert data["models"] and all("transformers fp32" in m for m in data["models"])
    assert not (tmp_path / "ct2").exists()  # nothing was converted


@needs_ct2
def test_an_export_shows_the_conversion_on_stderr(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    data, stderr = _export(
        tiny_models["summarizer"],
        tmp_path,
        "--engine",
        "CTranslate2",
        config='engine = "transformers"\n',
    )
    assert all("ctranslate2 fp32" in m for m in data["models"]), data["models"]
    lines = stderr.splitlines()
    assert [line for line in lines if "converting" in line] == [
        f"precis: converting {tiny_models['summarizer']} for CTranslate2"
    ]
    assert "note:" not in stderr


@needs_ct2
def test_a_failed_conversion_is_one_note_and_the_models_say_transformers(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "tanh-bart"
    shutil.copytree(tiny_models["summarizer"], folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["activation_function"] = "tanh"  # transformers runs it; the converter refuses
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    data, stderr = _export(folder, tmp_path)  # engine auto: CTranslate2 on CPU
    assert all("transformers fp32" in m for m in data["models"]), data["models"]
    notes = [line for line in stderr.splitlines() if line.startswith("precis: note:")]
    assert notes == [
        f"precis: note: {folder}: CTranslate2 unavailable (conversion failed: "
        "KeyError: 'tanh'); using transformers"
    ]
