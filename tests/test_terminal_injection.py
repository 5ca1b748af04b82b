"""Issue 17 item 3: nothing precis did not write reaches the terminal raw.

A model whose output decodes to OSC 52 (clipboard), OSC 0 (window title) and CSI 2J
(clear screen); a model folder whose config.json carries escapes in `model_type`; a
server whose reason phrase and Content-Type carry them (tests/test_hardening_urls.py).
The real command line runs in a subprocess; its stdout (Markdown and JSON exports) and
stderr are checked byte for byte for escape and control characters.

The model here is the real extractive summarizer with its output wrapped to append the
escapes: what a tokenizer with such pieces in its vocabulary decodes to, without
training one. (The reader's panes are the reader engineer's part of this item.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import corpus
import pytest

ROOT = Path(__file__).resolve().parent.parent

HOSTILE_MODEL = f"""
import sys
import models.inference.extractive as extractive
summarize = extractive.ExtractiveSummarizer.summarize
def hostile(self, *args, **kwargs):
    tail = {corpus.INJECTION!r} + " \\x9b2J end"
    return [text + tail for text in summarize(self, *args, **kwargs)]
extractive.ExtractiveSummarizer.summarize = hostile
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run(code: str | None, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PRECIS_CACHE": str(tmp_path / "c.db"),
        "PRECIS_CONFIG": str(tmp_path / "none.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    argv = ["-c", code] if code else ["-m", "tui"]
    return subprocess.run(
        [sys.executable, *argv, *args],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def assert_clean(data: bytes) -> None:
    text = data.decode("utf-8")
    bad = corpus.CONTROL.findall(text.replace("\r\n", "\n"))
    assert not bad, sorted(set(bad))


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_escapes_in_model_output_never_reach_stdout(tmp_path: Path, fmt: str) -> None:
    result = run(
        HOSTILE_MODEL, "export", "--summarizer", "extractive", "--format", fmt, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    assert_clean(result.stdout)
    assert_clean(result.stderr)
    text = result.stdout.decode()
    assert "2J end" in text  # the printable rest of the output is kept
    if fmt == "json":
        assert all("\x1b" not in s["summary"] for s in json.loads(text)["sections"])


def test_escapes_in_model_output_never_reach_an_export_file(tmp_path: Path) -> None:
    out = tmp_path / "export.md"
    result = run(
        HOSTILE_MODEL, "export", "--summarizer", "extractive", "-o", str(out), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    assert_clean(out.read_bytes())
    assert_clean(result.stderr)


def test_escapes_in_a_model_type_never_reach_stderr(tmp_path: Path) -> None:
    model = tmp_path / "evil-model"
    model.mkdir()
    config = {"model_type": f"bart{corpus.INJECTION}", "architectures": ["X\x1b[2J"]}
    (model / "config.json").write_text(json.dumps(config))
    result = run(None, "export", "--summarizer", str(model), "--offline", tmp_path=tmp_path)
    # Refused (exit 2) or run without it: either way nothing raw on either stream.
    assert result.returncode in (0, 2)
    assert_clean(result.stderr)
    assert_clean(result.stdout)
    assert "Traceback" not in result.stderr.decode()


def test_escapes_in_a_file_name_never_reach_stderr(tmp_path: Path) -> None:
    name = tmp_path / f"article{corpus.INJECTION}.md"
    name.write_bytes(b"\x00\x01\x02 not text" * 100)
    result = run(None, "export", "--summarizer", "extractive", str(name), tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean(result.stderr)
