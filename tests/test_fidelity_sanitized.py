"""A model output carrying terminal escapes and bidi overrides (issue 15, issue 17 item 3).

The service cleans each output once, before it checks it and before it caches it, so
the cached text is clean, every flag's offsets index that clean text (in the export
too), and the reader underlines the flagged span instead of dropping the flags because
cleaning moved their offsets. Real service, real SQLite cache, real flagger, real
Textual pilot; the summarizer double returns what a hostile tokenizer could decode to.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from reader_fixtures import StubSource
from textual.content import Content
from textual.widgets import Static

from models.cache.results import ResultCache
from models.fidelity.flags import NUMBER_FLAG
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, Output, OutputKey
from models.service.export import export_data
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length
from tui.app import PrecisApp
from tui.marks import FLAG_STYLE
from tui.widgets import OutputPane

ARTICLE = Article(
    title="Budget",
    sections=(
        Section(
            0,
            "",
            (
                "The city council approved a budget of 11.3 billion euros on Tuesday. Mayor "
                "Anne Hidalgo said the money would pay for 1,500 social housing units.",
            ),
        ),
    ),
)
# OSC 52 (clipboard), OSC 0 (title), CSI 2J (clear), a C1 CSI, a right-to-left override
# and an isolate, all before the flagged number: cleaning them shifts its offsets.
HOSTILE = (
    "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07The \x1b[2Jcouncil \u202espent\u202c \x9b"
    "\u2067 4 million euros\u2069. Anne Hidalgo\u200f said 1,500 homes."
)
CLEAN = "The council spent  4 million euros. Anne Hidalgo\u200f said 1,500 homes."
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Hostile:
    """A summarizer double whose every summary carries escapes and bidi controls."""

    name = "hostile"
    revision = None
    extractive = False
    languages = None

    def settings_key(self, length: Length) -> str:
        return length.value

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        cancel: threading.Event | None = None,
    ) -> list[str]:
        return [HOSTILE for _ in texts]


def _settings(tmp_path: Path) -> Settings:
    return Settings(summarizer="hostile", offline=True, cache_path=tmp_path / "c.db")


def test_cached_text_is_clean_and_flag_offsets_index_it(tmp_path: Path) -> None:
    key = OutputKey(0, "en", SUMMARY, Length.SHORT)
    cache = ResultCache(tmp_path / "c.db")
    service = PrecisService(
        ARTICLE, StubSource(_settings(tmp_path), Hostile()), cache, source_lang="en", prefetch=False
    )
    with service:
        (output,) = service.compute([key])
        assert isinstance(output, Output)
        assert output.text == CLEAN
        assert [(f.text, f.kind) for f in output.flags] == [("4 million euros", NUMBER_FLAG)]
        flag = output.flags[0]
        assert flag.start is not None and flag.end is not None
        assert output.text[flag.start : flag.end] == "4 million euros"
        # What the SQLite file holds for the output is the clean text and those offsets.
        raw = cache.get(service._pipeline.output_cache_key(key))
        assert raw is not None and not UNSAFE.search(raw)
        stored = json.loads(raw)
        assert "\n\n".join(stored["paragraphs"]) == CLEAN
        data = export_data(service, lang="en", length=Length.SHORT)
    section = data["sections"][0]
    assert section["summary"] == CLEAN
    (exported,) = section["flags"]
    assert section["summary"][exported["start"] : exported["end"]] == "4 million euros"


async def test_the_reader_underlines_a_flag_in_cleaned_model_text(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    service = PrecisService(
        ARTICLE, StubSource(settings, Hostile()), ResultCache(None), source_lang="en", prefetch=True
    )
    app = PrecisApp(service, settings, state_path=tmp_path / "state.json")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app._reader.query_one(OutputPane)
        deadline = time.monotonic() + 10
        while pane.state != "output":
            assert time.monotonic() < deadline, "the summary never arrived"
            await pilot.pause(0.02)
        body = pane.query_one("#output-body", Static).content
        assert isinstance(body, Content)
        assert body.plain == CLEAN
        flagged = [body.plain[s.start : s.end] for s in body.spans if s.style == FLAG_STYLE]
        assert flagged == ["4 million euros"]
        check = pane.query_one("#output-check", Static)
        assert check.display and str(check.content) == "check: 4 million euros not in the section"
    service.close()
