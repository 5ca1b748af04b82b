"""Pilot tests of fidelity in the reader: flagged spans, support of summary sentences,
and search across sections (accent- and case-insensitive, CJK), against a real
PrecisService with a real cache and the real flagger.

The summarizer is a test double that misquotes each section ("4 million euros")
and then repeats the section's second sentence, so that the flag and the support
link are known in advance; the translator prefixes paragraphs with the language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from reader_fixtures import PrefixTranslator, StubSource, build_app, pane, view, wait_for
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static

from models.ingest.article import Article, Section
from models.settings import Settings
from models.types import Length, Translator
from tui.app import PrecisApp
from tui.marks import FLAG_STYLE, MATCH_STYLE, OTHER_MATCH_STYLE, SENTENCE_STYLE, SUPPORT_STYLE
from tui.widgets.original_view import ParagraphPair
from tui.widgets.search_bar import SearchBar

ARTICLE = Article(
    title="Cities",
    sections=(
        Section(
            0,
            "",
            (
                "The council met in São Paulo on Tuesday. It approved 1,500 new homes.",
                "Critics said the plan came late.",
            ),
        ),
        Section(1, "Transport", ("Buses in SAO PAULO will run at night. Fares stay the same.",)),
        Section(2, "Weather", ("Rain is expected. Nobody mentioned the city here.",)),
        Section(3, "上海", ("上海市统计局公布了数据。上海的人口增加了。",)),
    ),
)


class Misquotes:
    """Says "4 million euros" (in no section) and repeats the second sentence."""

    name = "misquotes"
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
        out = []
        for text in texts:
            second = text.replace("\n\n", " ").split(". ")[1:2] or [text]
            out.append(f"They spent 4 million euros. {second[0].rstrip('.')}.")
        return out


def bracketed(source: str, target: str) -> PrefixTranslator:
    """A translator double that tags each paragraph with its language: "[de] ..."."""
    return PrefixTranslator(source, target, template="[{lang}] {p}")


def make_app(
    tmp_path: Path,
    lang: str = "en",
    article: Article = ARTICLE,
    translator: Callable[[str, str], Translator] = bracketed,
) -> PrecisApp:
    settings = Settings(summarizer="misquotes", lang=lang, cache_path=tmp_path / "c.db")
    source = StubSource(settings, Misquotes(), translator)
    return build_app(tmp_path, source, settings, article=article, prefetch=True)


def styled(content: object, style: str) -> list[str]:
    """The texts of `content` that carry `style`."""
    assert isinstance(content, Content)
    return [content.plain[s.start : s.end] for s in content.spans if s.style == style]


def paragraphs(app: PrecisApp) -> list[Content]:
    return [w.content for w in view(app).query(".paragraph").results(Static)]  # type: ignore[misc]


async def search_for(pilot: Pilot, app: PrecisApp, query: str) -> None:
    await pilot.press("slash")
    bar = app._reader.query_one(SearchBar)
    assert bar.is_open and isinstance(app.focused, Input)
    app.focused.value = query
    await pilot.press("enter")
    count = bar.query_one("#search-count", Static)
    await wait_for(pilot, lambda: str(count.content) not in ("", "searching …"))
    await app.workers.wait_for_complete()
    await pilot.pause()
    await wait_for(pilot, lambda: view(app).settled)


async def ready(pilot: Pilot, app: PrecisApp) -> None:
    await wait_for(pilot, lambda: pane(app).state == "output")
    await wait_for(pilot, lambda: view(app).settled)


async def all_summaries_cached(pilot: Pilot, app: PrecisApp) -> None:
    from models.service.events import SUMMARY, OutputKey

    def done() -> bool:
        return all(
            app.service.peek(OutputKey(i, app._reader.lang, SUMMARY, Length.SHORT)) is not None
            for i in range(len(ARTICLE.sections))
        )

    await wait_for(pilot, done)


async def test_flagged_spans_are_styled_with_a_check_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        body = pane(app).query_one("#output-body", Static).content
        assert styled(body, FLAG_STYLE) == ["4 million euros"]
        check = pane(app).query_one("#output-check", Static)
        assert check.display
        assert str(check.content) == "check: 4 million euros not in the section"
    app.service.close()


async def test_summary_sentences_highlight_their_support(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("right_square_bracket")  # first summary sentence: no support
        await wait_for(pilot, lambda: view(app).settled)
        body = pane(app).query_one("#output-body", Static).content
        assert styled(body, SENTENCE_STYLE) == ["They spent 4 million euros."]
        assert all(styled(p, SUPPORT_STYLE) == [] for p in paragraphs(app))
        await pilot.press("right_square_bracket")  # second: the section's second sentence
        await wait_for(pilot, lambda: view(app).settled)
        body = pane(app).query_one("#output-body", Static).content
        assert styled(body, SENTENCE_STYLE) == ["It approved 1,500 new homes."]
        assert styled(paragraphs(app)[0], SUPPORT_STYLE) == ["It approved 1,500 new homes."]
        assert styled(body, FLAG_STYLE) == ["4 million euros"]  # flags stay marked
        await pilot.press("left_square_bracket")
        body = pane(app).query_one("#output-body", Static).content
        assert styled(body, SENTENCE_STYLE) == ["They spent 4 million euros."]
    app.service.close()


async def test_search_is_accent_and_case_insensitive_and_jumps_across_sections(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await all_summaries_cached(pilot, app)
        await search_for(pilot, app, "sao paulo")
        bar = app._reader.query_one(SearchBar)
        count = str(bar.query_one("#search-count", Static).content)
        assert count == "1/2 · 2 matches in 2 sections"
        # The bar is on screen, above the footer, not under it.
        footer = app._reader.query_one("Footer")
        assert bar.region.height == 1 and bar.region.y < footer.region.y
        assert styled(paragraphs(app)[0], MATCH_STYLE) == ["São Paulo"]
        await pilot.press("n")
        await wait_for(pilot, lambda: app._reader.section == 1 and view(app).settled)
        assert styled(paragraphs(app)[0], MATCH_STYLE) == ["SAO PAULO"]
        await pilot.press("n")  # wraps around to the first match
        await wait_for(pilot, lambda: app._reader.section == 0 and view(app).settled)
        await pilot.press("N")
        await wait_for(pilot, lambda: app._reader.section == 1)
    app.service.close()


async def test_search_finds_cjk_and_text_in_summaries(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await all_summaries_cached(pilot, app)
        await search_for(pilot, app, "上海")
        await wait_for(pilot, lambda: app._reader.section == 3 and view(app).settled)
        count = str(app._reader.query_one("#search-count", Static).content)
        assert count.endswith("matches in 1 section")
        assert styled(paragraphs(app)[0], MATCH_STYLE) == ["上海"]
        assert styled(paragraphs(app)[0], OTHER_MATCH_STYLE) == ["上海"]
        # "million" is only in the summaries (cached for every section): 4 of them.
        await search_for(pilot, app, "MILLION")
        count = str(app._reader.query_one("#search-count", Static).content)
        assert count.endswith("4 matches in 4 sections")
        body = pane(app).query_one("#output-body", Static).content
        assert styled(body, MATCH_STYLE) == ["million"]
    app.service.close()


async def test_a_match_in_a_translation_opens_the_bilingual_view(tmp_path: Path) -> None:
    app = make_app(tmp_path, lang="de")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("t")  # caches the translation of section 0
        await wait_for(pilot, lambda: view(app).settled and bool(view(app).query(ParagraphPair)))
        await pilot.press("t")
        await wait_for(pilot, lambda: not view(app).query(ParagraphPair))
        await search_for(pilot, app, "[de] critics")
        await wait_for(pilot, lambda: app._reader.bilingual and view(app).settled)
        pairs = [p for p in view(app).query(ParagraphPair) if "pair-title" not in p.classes]
        assert pairs[1].translated.startswith("[de] Critics")
    app.service.close()


async def test_support_far_down_the_section_is_scrolled_to(tmp_path: Path) -> None:
    # One long opening sentence fills the screen; the summary's second sentence comes
    # from the paragraph after it.
    opening = "The report, " + ", ".join(f"in its part {i} on the river" for i in range(150))
    article = Article(
        title="Long",
        sections=(Section(0, "", (opening + ".", "The dam will be removed in 2030.")),),
    )
    app = make_app(tmp_path, article=article)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        assert view(app).scroll_y == 0
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: view(app).settled)
        await wait_for(pilot, lambda: view(app).scroll_y > 0)
        assert styled(paragraphs(app)[1], SUPPORT_STYLE) == ["The dam will be removed in 2030."]
    app.service.close()


class Garbles(PrefixTranslator):
    """A translator double that changes one number: 1,500 becomes 1,900."""

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        return [t.replace("1,500", "1,900") for t in super().translate(texts)]


async def test_a_translation_shows_its_flags_in_the_bilingual_view(tmp_path: Path) -> None:
    app = make_app(tmp_path, lang="de", translator=lambda s, t: Garbles(s, t, "[{lang}] {p}"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("t")
        await wait_for(pilot, lambda: view(app).settled and bool(view(app).query(".check")))
        check = view(app).query_one(".check", Static)
        assert str(check.content) == (
            "check: 1,900 not in the section; 1,500 of the section missing"
        )
        pairs = [p for p in view(app).query(ParagraphPair) if "pair-title" not in p.classes]
        assert "1,900" in pairs[0].translated
    app.service.close()


async def test_a_new_language_searches_again_before_jumping(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await all_summaries_cached(pilot, app)
        await search_for(pilot, app, "million")
        count = app._reader.query_one("#search-count", Static)
        assert str(count.content).endswith("4 matches in 4 sections")
        app._reader.lang = "de"  # summaries now come in German (tagged "[de]")
        await ready(pilot, app)
        await all_summaries_cached(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "searching" not in str(count.content))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(count.content).endswith("4 matches in 4 sections")
        assert app._reader._searched is not None and app._reader._searched[1] == "de"
    app.service.close()
