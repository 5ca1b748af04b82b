"""The article brief: made from the section summaries through the real pipeline and
cache (real SQLite), cached, and remade when a section's summary changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from reader_fixtures import StubSource, pane, view, wait_for
from test_search_reader import (
    Misquotes,
    make_app,
    paragraphs,
    ready,
    search_for,
    styled,
)
from textual.pilot import Pilot
from textual.widgets import Static

from models.cache.results import ResultCache
from models.errors import PrecisError
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.article import Article, Section
from models.service.brief import make_brief, peek_brief
from models.service.events import SUMMARY, Output, OutputKey
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length
from tui.app import PrecisApp
from tui.marks import MATCH_STYLE, SENTENCE_STYLE, SUPPORT_STYLE
from tui.screens.reader_brief import BriefReady
from tui.widgets import OutputPane, SectionList
from tui.widgets.original_view import ParagraphPair
from tui.widgets.section_list import BRIEF

SECTIONS = (
    "The council approved a budget of 11.3 billion euros on Tuesday. The vote was close. "
    "Opposition members walked out before the end.",
    "Mayor Anne Hidalgo promised 1,500 social homes by 2026. Builders welcomed the plan. "
    "Tenants groups asked for more.",
    "Critics said the city was already in debt. The auditor will report in March. "
    "The debt stands at 9 billion euros.",
)


def _service(tmp_path: Path, texts: tuple[str, ...] = SECTIONS) -> PrecisService:
    article = Article(
        title="Paris budget",
        sections=tuple(Section(i, f"Part {i}", (t,)) for i, t in enumerate(texts)),
    )
    settings = Settings(summarizer="extractive", offline=True, cache_path=tmp_path / "c.db")
    return PrecisService(
        article,
        StubSource(settings, ExtractiveSummarizer()),
        ResultCache(tmp_path / "c.db"),
        source_lang="en",
        prefetch=False,
    )


def test_the_brief_summarizes_the_section_summaries_and_is_cached(tmp_path: Path) -> None:
    with _service(tmp_path) as service:
        assert peek_brief(service, "en", Length.SHORT) is None
        brief = make_brief(service, "en", Length.SHORT)
        assert isinstance(brief, Output) and not brief.from_cache
        # Extractive: the brief is one of the section summaries' sentences.
        assert brief.text in " ".join(SECTIONS)
        assert brief.flags == ()
    with _service(tmp_path) as service:  # a new run: from the cache file
        cached = peek_brief(service, "en", Length.SHORT)
        assert cached is not None and cached.from_cache and cached.text == brief.text
        again = make_brief(service, "en", Length.SHORT)
        assert isinstance(again, Output) and again.from_cache


def test_a_changed_section_makes_a_new_brief(tmp_path: Path) -> None:
    with _service(tmp_path) as service:
        make_brief(service, "en", Length.SHORT)
    changed = (SECTIONS[0], SECTIONS[1], "An entirely new closing section. It says other things.")
    with _service(tmp_path, changed) as service:
        assert peek_brief(service, "en", Length.SHORT) is None  # its summaries changed
        brief = make_brief(service, "en", Length.SHORT)
        assert isinstance(brief, Output) and not brief.from_cache


def title(app: PrecisApp) -> str:
    return str(pane(app).query_one("#output-title", Static).content)


async def brief_shown(pilot: Pilot, app: PrecisApp) -> None:
    await wait_for(pilot, lambda: pane(app).state == "output" and title(app).startswith("Brief"))
    await app.workers.wait_for_complete()
    await pilot.pause()
    await wait_for(pilot, lambda: view(app).settled)


async def test_the_brief_is_the_first_entry_of_the_section_list(tmp_path: Path) -> None:
    titles: list[str] = []
    set_title = OutputPane.set_title

    def record(self: OutputPane, text: str) -> None:
        titles.append(text)
        set_title(self, text)

    app = make_app(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OutputPane, "set_title", record)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            section_summary = pane(app).body_text
            sections = app._reader.query_one(SectionList)
            assert sections.highlighted_section == 0  # the reader opens on the lead
            await pilot.press("k")  # up from the lead: the Brief
            assert app._reader.brief and sections.highlighted_section is BRIEF
            await brief_shown(pilot, app)
            assert title(app).startswith("Brief · the whole article · short")
            # Made while it was on screen, with its progress in the title.
            assert any(t.endswith("section summaries 0 of 4") for t in titles)
            assert any(t.endswith("writing the brief") for t in titles)
            brief = pane(app).body_text
            # The test summarizer misquotes: the brief of its summaries repeats its
            # misquote, which the section summaries (the brief's source) do state: no flag.
            assert brief.startswith("They spent 4 million euros.")
            cached = peek_brief(app.service, "en", Length.SHORT)  # it is the brief, cached
            assert cached is not None and cached.text == brief
            assert pane(app).output is not None and pane(app).output.flags == ()
            assert sections.brief_ready  # its mark in the list
            # Where the text goes: the article's title and one line per section.
            assert [str(p) for p in paragraphs(app)] == [
                "1. Lead",
                "2. Transport",
                "3. Weather",
                "4. 上海",
            ]
            await pilot.press("j")  # down from the Brief: the lead again
            assert not app._reader.brief and app._reader.section == 0
            await wait_for(pilot, lambda: title(app).startswith("Summary"))
            assert pane(app).body_text == section_summary
    app.service.close()


async def test_home_click_and_b_reach_the_brief(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = app._reader
        await pilot.press("j", "j")
        await pilot.press("b")  # from section 2 to the Brief ...
        assert screen.brief and screen.section == 2
        await brief_shown(pilot, app)
        await pilot.press("b")  # ... and back to section 2
        assert not screen.brief and screen.section == 2
        assert screen.query_one(SectionList).highlighted_section == 2
        await wait_for(pilot, lambda: title(app).startswith("Summary"))
        await pilot.press("home")
        assert screen.brief
        await brief_shown(pilot, app)  # cached now: shown again without a model
        await pilot.press("end")
        assert not screen.brief and screen.section == 3
        sections = screen.query_one(SectionList)
        await pilot.click(sections, offset=(6, 0))  # the first row: the Brief
        assert screen.brief and sections.highlighted_section is BRIEF
        await brief_shown(pilot, app)
    app.service.close()


async def test_a_changed_section_summary_or_a_new_length_remakes_the_brief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("b")
        await brief_shown(pilot, app)
        before = pane(app).body_text
        assert "something else" not in before
        # A section summary changes while the brief is on screen (as after a download
        # or a recompute): the brief follows it.
        monkeypatch.setattr(
            Misquotes,
            "summarize",
            lambda self, texts, length, **_: [
                "They spent 4 million euros. The lead now says something else." for _ in texts
            ],
        )
        app.service.recompute(OutputKey(0, "en", SUMMARY, Length.SHORT))
        await wait_for(pilot, lambda: "something else" in pane(app).body_text)
        assert app._reader.brief and title(app).startswith("Brief")
        remade = peek_brief(app.service, "en", Length.SHORT)
        assert remade is not None and remade.text == pane(app).body_text
        await pilot.press("s")  # medium: made from the medium section summaries
        await wait_for(pilot, lambda: "medium" in title(app))
        await brief_shown(pilot, app)
        medium = pane(app).output
        assert medium is not None and medium.key.length is Length.MEDIUM
        assert not medium.from_cache and app._reader.brief
        cached = peek_brief(app.service, "en", Length.MEDIUM)
        assert cached is not None and cached.text == pane(app).body_text
    app.service.close()


async def test_a_brief_sentence_marks_the_sections_it_came_from(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("b")
        await brief_shown(pilot, app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: view(app).settled)
        body = pane(app).query_one("#output-body", Static).content
        # The brief's second sentence is the lead's summary's second sentence.
        assert styled(body, SENTENCE_STYLE) == ["It approved 1,500 new homes."]
        assert styled(paragraphs(app)[0], SUPPORT_STYLE) == ["1. Lead"]
        assert all(styled(p, SUPPORT_STYLE) == [] for p in paragraphs(app)[1:])
    app.service.close()


async def test_stale_briefs_are_dropped_and_t_says_why_not(tmp_path: Path) -> None:
    app = make_app(tmp_path, lang="de")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = app._reader
        await pilot.press("b")
        # A brief made for another length arrives late: not shown.
        other = Output(OutputKey(0, "de", SUMMARY, Length.LONG), ("Not this one.",), ())
        screen.post_message(BriefReady("de", Length.LONG, other))
        await brief_shown(pilot, app)
        assert "Not this one." not in pane(app).body_text
        assert pane(app).body_text.startswith("[de] ")  # the brief, translated
        await pilot.press("t")  # nothing beside the brief to translate: one line says so
        assert not screen.bilingual
        assert any("t shows a section" in n.message for n in app._notifications)
        await pilot.press("j")
        screen.post_message(BriefReady("de", Length.SHORT, other))  # left the brief
        await wait_for(pilot, lambda: pane(app).state == "output")
        await pilot.pause()
        assert pane(app).body_text != "Not this one." and title(app).startswith("Summary")
    app.service.close()


async def test_a_brief_that_cannot_be_made_says_why_and_r_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summarize = Misquotes.summarize

    def breaks_on_buses(self: Misquotes, texts: Sequence[str], length: Length, **kw: Any) -> Any:
        if any("Buses" in t for t in texts):
            raise PrecisError("the summarizer broke")
        return summarize(self, texts, length, **kw)

    monkeypatch.setattr(Misquotes, "summarize", breaks_on_buses)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("b")
        await wait_for(pilot, lambda: pane(app).state == "failure")
        failure = str(pane(app).query_one("#output-failure", Static).content)
        assert failure.startswith("No brief: section 2: ") and "summarizer broke" in failure
        assert "r to try again" in failure
        monkeypatch.setattr(Misquotes, "summarize", summarize)
        await pilot.press("r")
        await brief_shown(pilot, app)
        assert pane(app).body_text.startswith("They spent 4 million euros.")
        await pilot.press("r")  # a brief on screen: r says what remakes it
        assert any("r on a section" in n.message for n in app._notifications)
    app.service.close()


async def test_the_bilingual_view_steps_aside_for_the_brief_and_comes_back(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, lang="de")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = app._reader
        await pilot.press("t")
        await wait_for(pilot, lambda: view(app).settled and bool(view(app).query(ParagraphPair)))
        await pilot.press("b")
        await brief_shown(pilot, app)
        assert not view(app).query(ParagraphPair)  # the contents, alone
        assert screen.bilingual  # kept for the sections
        await pilot.press("b")
        await wait_for(pilot, lambda: view(app).settled and bool(view(app).query(ParagraphPair)))
        pairs = [p for p in view(app).query(ParagraphPair) if "pair-title" not in p.classes]
        assert pairs[0].translated.startswith("[de] The council met")
    app.service.close()


async def test_search_from_the_brief_lands_on_the_sections(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        screen = app._reader
        sections = screen.query_one(SectionList)
        await pilot.press("b")
        await brief_shown(pilot, app)
        await search_for(pilot, app, "sao paulo")
        # The first match from the section read last (the lead), the Brief left.
        assert not screen.brief and screen.section == 0
        assert sections.highlighted_section == 0
        assert styled(paragraphs(app)[0], MATCH_STYLE) == ["São Paulo"]
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.section == 1 and view(app).settled)
        assert sections.highlighted_section == 1
        assert styled(paragraphs(app)[0], MATCH_STYLE) == ["SAO PAULO"]
        await pilot.press("N")
        await wait_for(pilot, lambda: screen.section == 0 and view(app).settled)
        assert sections.highlighted_section == 0 and not screen.brief
    app.service.close()


async def test_a_long_brief_keeps_the_list_responsive_and_stops_when_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 sections: the brief computes every section summary (extractive: a few ms
    each). Their ready marks are applied in batches, not one by one (10,000 single
    updates took 15 s of the UI thread), and leaving the Brief stops the work."""
    from test_tui_app import make_app as make_extractive_app

    updates: list[int] = []
    watch_ready = SectionList.watch_ready

    def count(self: SectionList, old: frozenset[int], new: frozenset[int]) -> None:
        updates.append(len(new))
        watch_ready(self, old, new)

    monkeypatch.setattr(SectionList, "watch_ready", count)
    n = 3000
    article = Article(
        title="Long",
        sections=tuple(
            Section(i, f"Part {i}", (f"Paragraph {i} says one thing.",)) for i in range(n)
        ),
    )
    app = make_extractive_app(tmp_path, article=article)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app._reader
        sections = screen.query_one(SectionList)
        await wait_for(pilot, lambda: sections.sections_loaded == n, timeout=60)
        await ready(pilot, app)
        updates.clear()
        app.call_later(sections.step, -1)  # to the Brief, as k does, without waiting
        await wait_for(pilot, lambda: app.service.stats.computed >= 300, timeout=60)
        assert screen.brief and "section summaries" in title(app)
        computed = app.service.stats.computed
        assert 0 < len(updates) < computed / 4  # batched, not one update per output
        app.call_later(sections.step, 1)  # back to the lead
        await wait_for(pilot, lambda: not screen.brief, timeout=10)
        await wait_for(pilot, lambda: title(app).startswith("Summary"), timeout=10)
        # The part asked for when it was left is finished (at most 64 sections), then
        # nothing more.
        await pilot.pause(2.0)
        stopped_at = app.service.stats.computed
        await pilot.pause(1.0)
        assert app.service.stats.computed == stopped_at < n
    app.service.close()


def test_the_export_carries_the_brief_in_json_and_markdown(tmp_path: Path) -> None:
    from models.service.export import export_data, to_markdown

    with _service(tmp_path) as service:
        data = export_data(service, lang="en", length=Length.SHORT, brief=True)
        brief = make_brief(service, "en", Length.SHORT)
    assert isinstance(brief, Output)
    assert data["brief"] == {"summary": brief.text, "flags": [], "models": list(brief.models)}
    markdown = to_markdown(data)
    assert f"## Brief\n\n{brief.text}\n" in markdown
    with _service(tmp_path) as service:
        assert export_data(service, lang="en", length=Length.SHORT)["brief"] is None


def test_precis_export_brief_on_the_command_line(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    article = tmp_path / "budget.md"
    article.write_text(
        "# Paris budget\n\n"
        + "\n\n".join(f"## Part {i}\n\n{text}" for i, text in enumerate(SECTIONS)),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PRECIS_CACHE": str(tmp_path / "c.db"),
        "PRECIS_CONFIG": str(tmp_path / "none.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    args = ["export", "--summarizer", "extractive", "--format", "json", "--brief", str(article)]
    result = subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["brief"]["summary"] in " ".join(SECTIONS)
    assert data["brief"]["flags"] == []
    for section in data["sections"]:
        assert section["flags"] == []  # extractive: every sentence is the section's own
        assert all(links for links in section["support"])
