"""Snapshot tests: what a person sees in the reader's main states.

Deterministic by construction: the real extractive summarizer, a prefixing
translator, no prefetch (the service goes idle, so no spinner is drawn), and
every snapshot is taken once the output has settled.
"""

from __future__ import annotations

from pathlib import Path

from reader_fixtures import reader, wait_for
from test_tui_app import make_app, settled
from textual.pilot import Pilot
from textual.widgets import Static

from models.settings import Settings
from tui.widgets import OriginalView, OutputPane


def extractive(**changes: object) -> Settings:
    return Settings(summarizer="extractive").replace(**changes)


def test_first_screen(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()


def test_summary_in_german(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=extractive(lang="de"))

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)
        await pilot.press("j", "s")
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()


def test_language_picker(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)
        await pilot.press("l", "e")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()


def test_bilingual_view(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=extractive(lang="de"))

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)  # section 1 done first: `j` would cancel it otherwise
        await pilot.press("j")
        await settled(pilot, app)
        await pilot.press("t")
        view = reader(app).query_one(OriginalView)
        await wait_for(pilot, lambda: view.translation is not None and view.translation.paragraphs)
        await settled(pilot, app)
        await wait_for(pilot, lambda: view.settled)
        # The marks as the cache has them now, not as the events happened to arrive.
        reader(app)._refresh_marks()
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()


def test_missing_model(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=extractive(lang="fr"))

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()


def test_small_terminal(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=extractive(lang="de"))

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    app.service.close()


def test_brief(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await settled(pilot, app)
        await pilot.press("b")
        title = reader(app).query_one("#output-title", Static)
        await wait_for(pilot, lambda: str(title.content).startswith("Brief"))
        await wait_for(pilot, lambda: reader(app).query_one(OutputPane).state == "output")
        await app.workers.wait_for_complete()
        await settled(pilot, app)
        # The marks as the cache has them now, not as the events happened to arrive.
        reader(app)._refresh_marks()
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
    app.service.close()
