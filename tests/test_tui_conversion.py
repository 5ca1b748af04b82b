"""The reader while a model is converted for CTranslate2: progress, escape, fallback.

Real Textual pilot runs on the service `precis` builds (session.open_service) with a
tiny BART and a real conversion in the child process: its progress shows below the
output pane as a download's does, with the model's name; escape skips it and
transformers runs the model; a conversion that fails shows one notification saying
why, and the status line then names transformers. Skips where ctranslate2 is not
installed.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Static

from models.inference import ct2_convert, engines
from models.service.session import open_service
from models.settings import Settings
from tui.app import PrecisApp
from tui.screens import ReaderScreen
from tui.widgets import OutputPane

pytestmark = pytest.mark.skipif(not engines.ct2_installed(), reason="ctranslate2 not installed")


def _app(summarizer: Path, tmp_path: Path) -> PrecisApp:
    settings = Settings(
        summarizer=str(summarizer),
        engine="auto",
        device="cpu",
        quantize=False,
        offline=True,
        decoding="fast",
        cache_path=tmp_path / "cache.sqlite3",
    )
    service = open_service(settings, None, reader=False)  # the bundled sample
    return PrecisApp(service, settings, state_path=tmp_path / "state.json")


async def _wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the reader")
        await pilot.pause(0.02)


def _reader(app: PrecisApp) -> ReaderScreen:
    return app._reader


def _pane(app: PrecisApp) -> OutputPane:
    return _reader(app).query_one(OutputPane)


def _progress_line(app: PrecisApp) -> str:
    pane = _pane(app)
    if not pane.query_one("#output-download").display:
        return ""
    return str(pane.query_one("#download-label", Label).content)


def _status(app: PrecisApp) -> str:
    return str(_reader(app).query_one("#status-info", Static).content)


def _messages(app: PrecisApp) -> list[str]:
    return [n.message for n in app._notifications]


def _close(app: PrecisApp) -> None:
    app.service.close()
    app.service.cache.close()


async def test_conversion_progress_shows_then_goes_and_ctranslate2_runs(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ct2_convert.ENV, str(tmp_path / "ct2"))
    app = _app(tiny_models["summarizer"], tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: "for CTranslate2" in _progress_line(app))
        line = _progress_line(app)
        assert line.startswith("Converting summarizer for CTranslate2: ")
        assert line.endswith("(escape skips)")
        assert "converting summarizer" in _status(app)
        await _wait_for(pilot, lambda: _pane(app).state == "output")
        await _wait_for(pilot, lambda: "ctranslate2 fp32" in _status(app))
        assert _progress_line(app) == ""  # gone once converted
        assert "converting" not in _status(app)
        assert not any("transformers" in m for m in _messages(app))
    _close(app)


async def test_escape_skips_the_conversion_and_transformers_runs_the_model(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ct2_convert.ENV, str(tmp_path / "ct2"))
    app = _app(tiny_models["summarizer"], tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: "for CTranslate2" in _progress_line(app))
        await pilot.press("escape")
        assert _progress_line(app) == ""
        await _wait_for(pilot, lambda: _pane(app).state == "output")
        await _wait_for(pilot, lambda: "transformers fp32" in _status(app))
        skipped = [m for m in _messages(app) if "skipped" in m]
        assert len(skipped) == 1 and "transformers runs it this time" in skipped[0]
        assert _pane(app).body_text  # the summary, from transformers
    _close(app)
    assert not list((tmp_path / "ct2").glob("*" + ct2_convert.FAILED_SUFFIX))


async def test_a_failed_conversion_is_one_notification_and_the_status_says_transformers(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "tanh-bart"
    shutil.copytree(tiny_models["summarizer"], folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["activation_function"] = "tanh"  # transformers runs it; the converter refuses
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setenv(ct2_convert.ENV, str(tmp_path / "ct2"))
    app = _app(folder, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: _pane(app).state == "output")
        await _wait_for(pilot, lambda: "transformers fp32" in _status(app))
        await _wait_for(pilot, lambda: any("using transformers" in m for m in _messages(app)))
        (note,) = [m for m in _messages(app) if "CTranslate2" in m]
        assert "conversion failed: KeyError: 'tanh'" in note and "\n" not in note
        assert _progress_line(app) == ""
        assert _pane(app).body_text
    _close(app)
