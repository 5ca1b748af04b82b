"""The reader with LLM backends (pilot): the pane streams, then shows the final text.

Real service, real provider, real cache; the model is a local OpenAI-compatible
server (tests/fake_openai.py) or the tiny chat LM built by scripts/make_tiny_llm.py.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reader_fixtures import build_app, pane
from reader_fixtures import wait_for as wait_for_reader
from textual.pilot import Pilot

from models.cache.results import ResultCache
from models.service.provider import ModelProvider
from models.settings import Settings
from models.types import Length
from tests.fake_openai import FakeOpenAI
from tui.app import PrecisApp
from tui.widgets import OutputPane, StatusBar

ROOT = Path(__file__).resolve().parents[1]
REPLY = "Eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf."


def make_app(tmp_path: Path, settings: Settings) -> PrecisApp:
    cache = ResultCache(tmp_path / "cache.sqlite3", max_bytes=10_000_000)
    return build_app(tmp_path, ModelProvider(settings), settings, cache=cache)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 60) -> None:
    """The readers' wait, with room for a model to load and a server to answer."""
    await wait_for_reader(pilot, condition, timeout)


@pytest.fixture
def slow_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=REPLY, token_delay_s=0.08) as server:
        yield server


async def test_the_pane_streams_the_summary_then_shows_it_whole(
    tmp_path: Path, slow_server: FakeOpenAI
) -> None:
    settings = Settings(
        summarizer="openai:test",
        openai_base_url=slow_server.base_url,
        lang="de",
        length=Length.SHORT,
        cache_path=tmp_path / "cache.sqlite3",
    )
    app = make_app(tmp_path, settings)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app._reader.query(OutputPane)))

        def streaming() -> bool:
            if pane(app).state == "streaming":
                seen.append(pane(app).partial_text)
            return pane(app).state == "output"

        await wait_for(pilot, streaming)
        assert seen, "the pane never showed a partial summary"
        assert all(REPLY.startswith(text) for text in seen)
        assert len(seen[0]) < len(REPLY)  # the first words came before the rest
        assert pane(app).body_text == REPLY  # final text, no cursor
        assert slow_server.requests[0]["stream"] is True
        bar = app._reader.query_one(StatusBar)
        # The status line says where outputs come from.
        await wait_for(pilot, lambda: f"openai:test @ 127.0.0.1:{slow_server.port}" in bar.info)
    cache = ResultCache(tmp_path / "cache.sqlite3", max_bytes=10_000_000)
    try:
        assert cache.stats().entries >= 1  # the finished summary, never a partial
    finally:
        cache.close()


async def test_moving_on_cancels_the_stream(tmp_path: Path) -> None:
    with FakeOpenAI(reply=" ".join(["Wort"] * 300), token_delay_s=0.05) as server:
        settings = Settings(
            summarizer="openai:test",
            openai_base_url=server.base_url,
            lang="de",
            length=Length.SHORT,
            cache_path=tmp_path / "cache.sqlite3",
        )
        app = make_app(tmp_path, settings)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: bool(app._reader.query(OutputPane)))
            await wait_for(pilot, lambda: pane(app).state == "streaming")
            first = app._reader.section
            await pilot.press("j")
            await wait_for(pilot, lambda: app._reader.section != first)
            await wait_for(pilot, lambda: len(server.requests) >= 2)
            # The first answer's stream was closed long before its 15 s were up.
            await wait_for(pilot, lambda: server.closed_early >= 1, timeout=10)


def _tiny_llm(out: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "make_tiny_llm", ROOT / "scripts/make_tiny_llm.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder: Path = module.build_tiny_llm(out)
    return folder


async def test_reader_with_a_local_tiny_llm_shows_a_summary(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """`precis --summarizer PATH_TO_TINY_LLM --lang de`, in a pilot."""
    folder = _tiny_llm(tmp_path_factory.mktemp("llm"))
    settings = Settings(
        summarizer=str(folder),
        lang="de",
        length=Length.SHORT,
        device="cpu",
        quantize=False,
        cache_path=tmp_path / "cache.sqlite3",
    )
    app = make_app(tmp_path, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app._reader.query(OutputPane)))
        await wait_for(pilot, lambda: pane(app).state in ("output", "failure"), timeout=120)
        assert pane(app).state == "output", pane(app).query_one("#output-failure").render()
        assert pane(app).body_text.strip()
        assert pane(app).output is not None and pane(app).output.models == (str(folder),)
