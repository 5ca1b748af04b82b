"""Pilot tests of the reader: every key, driven against a real PrecisService.

The service runs over the bundled sample with the real extractive summarizer and
a real in-memory ResultCache. The translator is the one test double (a model
pipeline is not needed to test the UI): it prefixes each paragraph, keeping
paragraph breaks, so a bilingual view can be checked pair by pair.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from reader_fixtures import PrefixTranslator, StubSource, build_app, pane, reader, wait_for
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, ProgressBar, Static

from models.cache.results import ResultCache
from models.errors import Cancelled, ModelMissingError, PrecisError
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, TRANSLATION, Output, OutputKey
from models.settings import Settings
from models.types import Length, Translator
from tui.app import PrecisApp
from tui.messages import OutputReady
from tui.screens import ConfirmDownload, HelpScreen, LanguagePicker
from tui.state import ReaderState, article_key, load_state, save_state
from tui.widgets import OriginalView, OutputPane, SectionList, StatusBar
from tui.widgets.original_view import ParagraphPair

ROOT = Path(__file__).resolve().parents[1]
MISSING_MODEL = "Helsinki-NLP/opus-mt-en-fr"


class ReaderProvider(StubSource):
    """The model provider as the pipeline sees it: real extractive summaries,
    `PrefixTranslator` for any language but French, whose model is "missing"."""

    offline = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            settings,
            translator=PrefixTranslator,
            description="extractive · prefix translator · cpu",
        )
        self.downloads: list[str] = []
        self.download_started = threading.Event()
        self.download_release = threading.Event()
        self.fail_with: str | None = None

    def translator(self, source: str, target: str) -> Translator:
        if target == "fr":
            raise ModelMissingError(
                f"the model {MISSING_MODEL} is not downloaded",
                model_id=MISSING_MODEL,
                size_bytes=300_000_000,
            )
        return super().translator(source, target)

    def download(
        self, model_id: str, progress: Callable[[int, int | None], None], cancel: threading.Event
    ) -> None:
        self.downloads.append(model_id)
        progress(100_000_000, 300_000_000)
        self.download_started.set()
        if self.fail_with:
            raise PrecisError(self.fail_with)
        while not self.download_release.wait(0.02):
            if cancel.is_set():
                raise Cancelled()


def make_app(
    tmp_path: Path,
    *,
    article: Article | None = None,
    settings: Settings | None = None,
    prefetch: bool = False,
) -> PrecisApp:
    settings = settings or Settings(summarizer="extractive", cache_path=tmp_path / "c.sqlite3")
    return build_app(
        tmp_path, ReaderProvider(settings), settings, article=article, prefetch=prefetch
    )


async def settled(pilot: Pilot, app: PrecisApp) -> None:
    """Wait until the output pane shows a result and the service is idle."""
    await wait_for(pilot, lambda: bool(reader(app).query(OutputPane)))
    await wait_for(pilot, lambda: pane(app).state in ("output", "failure"))
    await wait_for(pilot, lambda: reader(app).query_one(StatusBar).activity == "")
    await wait_for(pilot, lambda: reader(app).query_one(OriginalView).settled)
    # The ready marks are read from the cache by a worker: wait for it and its message.
    await wait_for(pilot, lambda: all(w.is_finished for w in app.workers if w.group == "marks"))
    await pilot.pause()


def notice(app: PrecisApp) -> str:
    """The line above the summary."""
    return str(reader(app).query_one("#output-note", Static).content)


def screen_text(app: PrecisApp) -> str:
    """What a person sees, as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def original_text(pilot: Pilot, app: PrecisApp) -> str:
    """The text in the original pane, once it shows the current state."""
    view = reader(app).query_one(OriginalView)
    await wait_for(pilot, lambda: view.settled)
    return "\n".join(str(static.content) for static in view.query(Static))


# -- launch and layout ---------------------------------------------------------


async def test_first_screen_shows_sections_text_and_status(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    article = app.service.article
    async with app.run_test(size=(120, 40)) as pilot:
        sections = reader(app).query_one(SectionList)
        # The Brief first, then the sections; the first section is on screen.
        assert sections.option_count == len(article.sections) + 1
        assert str(sections.get_option_at_index(0).prompt).strip() == "Brief"
        assert sections.highlighted_section == 0 and not reader(app).brief
        shown = await original_text(pilot, app)
        assert article.title in shown
        assert article.sections[0].paragraphs[0] in shown
        await settled(pilot, app)
        status = str(reader(app).query_one("#status-info", Static).content)
        assert "en → en (original)" in status and "short" in status
        assert "prefix translator" in status  # service.model_info(), loaded off-thread
        assert "Lead" in screen_text(app)
        expected = app.service.peek(OutputKey(0, "en", SUMMARY, Length.SHORT))
        assert expected is not None and pane(app).body_text == expected.text
        assert "sentences picked" in str(reader(app).query_one("#output-about", Static).content)
        assert 0 in sections.ready  # the mark for a section whose summary is ready
    app.service.close()


async def test_marks_follow_outputs_for_the_current_language_and_length(tmp_path: Path) -> None:
    app = make_app(tmp_path, prefetch=True)
    n = len(app.service.article.sections)
    async with app.run_test(size=(120, 40)) as pilot:
        sections = reader(app).query_one(SectionList)
        await wait_for(pilot, lambda: sections.ready == frozenset(range(n)))
        assert "●" in screen_text(app)
        await pilot.press("s")  # medium: the prefetch made the other lengths of section 0 only
        await wait_for(pilot, lambda: 0 in sections.ready)
        await wait_for(pilot, lambda: sections.ready == frozenset(range(n)))
    app.service.close()


async def test_narrow_terminal_stacks_panes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = reader(app)
        assert screen.has_class("-medium")
        original = screen.query_one(OriginalView).region
        output = screen.query_one(OutputPane).region
        assert output.y > original.y and output.x == original.x  # stacked
        assert screen.query_one(SectionList).region.width <= 24
        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        assert screen.has_class("-narrow") and not screen.query_one(SectionList).display
        await pilot.press("j")
        assert screen.section == 1
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        original = screen.query_one(OriginalView).region
        output = screen.query_one(OutputPane).region
        assert screen.has_class("-wide") and output.x > original.x  # side by side
    app.service.close()


# -- keys ----------------------------------------------------------------------------


async def test_j_k_and_arrows_move_between_sections(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    article = app.service.article
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        await pilot.press("j")
        assert screen.section == 1
        assert article.sections[1].title in await original_text(pilot, app)
        assert article.sections[1].paragraphs[0] in await original_text(pilot, app)
        await settled(pilot, app)
        assert pane(app).body_text == app.service.peek(screen.summary_key).text
        await pilot.press("j", "j", "k")
        assert screen.section == 2
        await pilot.press("k", "k")
        assert screen.section == 0 and not screen.brief
        assert article.title in await original_text(pilot, app)
        await pilot.press("k", "k")  # above the lead is the Brief, and nothing above it
        assert screen.brief and screen.section == 0
        assert screen.focused is screen.query_one(SectionList)
        await pilot.press("down", "down", "down")
        assert screen.section == 2 and not screen.brief
        await pilot.press("up")
        assert screen.section == 1
        for _ in range(len(article.sections) + 2):
            await pilot.press("j")
        assert screen.section == len(article.sections) - 1
    app.service.close()


async def test_enter_focuses_text_and_escape_returns(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await pilot.press("down", "enter")
        assert screen.section == 1
        assert screen.focused is screen.query_one(OriginalView)
        await pilot.press("j")  # j still moves between sections from the text
        assert screen.section == 2
        await pilot.press("escape")
        assert screen.focused is screen.query_one(SectionList)
    app.service.close()


async def test_s_cycles_lengths_and_output_follows(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await pilot.press("j")  # a section long enough for three distinct lengths
        await settled(pilot, app)
        seen = {}
        for expected in (Length.MEDIUM, Length.LONG, Length.SHORT):
            await pilot.press("s")
            assert screen.length is expected
            assert screen.summary_key == OutputKey(1, "en", SUMMARY, expected)
            assert expected.value in str(screen.query_one("#status-info", Static).content)
            await settled(pilot, app)
            assert pane(app).body_text == app.service.peek(screen.summary_key).text
            seen[expected] = pane(app).body_text
        assert len(seen[Length.SHORT]) < len(seen[Length.LONG])
    app.service.close()


async def test_language_picker_filters_switches_and_shift_l_returns(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        await pilot.press("l")
        picker = app.screen
        assert isinstance(picker, LanguagePicker)
        options = picker.query_one(OptionList)
        assert "original" in str(options.get_option_at_index(0).prompt)
        assert options.option_count > 5
        await pilot.press(*"deut")
        assert picker.query_one(Input).value == "deut"
        assert options.option_count == 1
        await pilot.press("enter")
        assert app.screen is screen and screen.lang == "de"
        await settled(pilot, app)
        assert pane(app).body_text.startswith("DE: ")
        assert "prefix-en-de" in str(screen.query_one("#output-about", Static).content)
        assert "en → de" in str(screen.query_one("#status-info", Static).content)
        await pilot.press("L")
        assert screen.lang == "en"
        await settled(pilot, app)
        assert not pane(app).body_text.startswith("DE: ")
        await pilot.press("L")
        assert screen.lang == "de"
        await pilot.press("l", "escape")  # cancelling keeps the language
        assert screen.lang == "de"
        await pilot.press("l", *"Españ", "enter")  # native names match too
        assert screen.lang == "es"
    app.service.close()


async def test_t_shows_translation_beside_original(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="de"))
    section = app.service.article.sections[1]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await pilot.press("j")
        await settled(pilot, app)
        await pilot.press("t")
        view = screen.query_one(OriginalView)
        await wait_for(pilot, lambda: view.translation is not None and view.translation.paragraphs)
        await wait_for(pilot, lambda: view.settled)
        pairs = view.query(ParagraphPair).exclude(".pair-title")
        assert len(pairs) == len(section.paragraphs)
        for pair, paragraph in zip(pairs, section.paragraphs, strict=True):
            assert (pair.original, pair.translated) == (paragraph, f"DE: {paragraph}")
        first = section.paragraphs[0].split()[0]
        row = next(line for line in screen_text(app).splitlines() if f"DE: {first}" in line)
        assert row.index(first) < row.index(f"DE: {first}")  # side by side
        await pilot.press("j")  # the bilingual view follows the section
        await wait_for(pilot, lambda: view.translation is not None and view.translation.paragraphs)
        await wait_for(pilot, lambda: view.settled)
        nxt = app.service.article.sections[2]
        assert view.translation.paragraphs[0] == f"DE: {nxt.paragraphs[0]}"
        await pilot.press("t")
        await wait_for(pilot, lambda: view.settled)
        assert view.translation is None and not view.query(".pair")
    app.service.close()


async def test_t_in_the_original_language_explains_itself(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        assert not reader(app).bilingual
        assert any("already in this language" in n.message for n in app._notifications)
    app.service.close()


async def test_r_recomputes_bypassing_the_cache(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="de"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        computed = app.service.stats.computed
        await pilot.press("j", "k")  # cached now: nothing is computed again
        await settled(pilot, app)
        assert app.service.stats.computed == computed + 1  # only section 1 was new
        await pilot.press("r")
        await wait_for(pilot, lambda: app.service.stats.computed == computed + 2)
        await settled(pilot, app)
        assert app.service.stats.computed == computed + 2
        assert "cached" not in str(reader(app).query_one("#output-about", Static).content)
    app.service.close()


async def test_e_exports_markdown_with_current_settings(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="de"))
    out = tmp_path / "out.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("s", "e")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: any(str(out) in n.message for n in app._notifications))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# " + " ".join(app.service.article.title.split()))
    assert "(medium) in de" in text and "DE: " in text
    app.service.close()


async def test_help_lists_keys_from_the_keymap(tmp_path: Path) -> None:
    settings = Settings(summarizer="extractive", keymap={"cycle-length": "x"})
    app = make_app(tmp_path, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.rows)
        assert rows["x"].startswith("Summary length")
        assert "s" not in rows and "j" in rows and "l" in rows
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("s")
        assert screen.length is Length.SHORT  # remapped away
        await pilot.press("x")
        assert screen.length is Length.MEDIUM
    app.service.close()


async def test_command_palette_offers_reader_commands(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Summary length", "Language…", "Export", "Full translation"} <= set(titles)
        titles["Summary length"].callback()
        await pilot.pause()
        assert reader(app).length is Length.MEDIUM
    app.service.close()


async def test_q_quits_and_language_and_length_persist(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l", *"deut", "enter", "s")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    state = load_state(tmp_path / "state.json")
    assert (state.lang, state.previous_lang, state.length) == ("de", "en", Length.MEDIUM)
    assert state.sections == ((article_key(app.service.article), 0),)
    app.service.close()
    again = make_app(tmp_path)
    async with again.run_test(size=(120, 40)):
        assert reader(again).lang == "de" and reader(again).length is Length.MEDIUM
        assert reader(again).previous_lang == "en"
    again.service.close()
    flagged = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="es"))
    async with flagged.run_test(size=(120, 40)):
        assert reader(flagged).lang == "es"  # a flag beats the remembered language
    flagged.service.close()


async def test_the_section_read_last_is_restored_never_the_brief(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j", "j")
        await pilot.press("b")  # the Brief on screen when the reader quits
        assert reader(app).brief and reader(app).section == 2
        await pilot.press("q")
    app.service.close()
    again = make_app(tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        screen = reader(again)
        assert screen.section == 2 and not screen.brief
        sections = screen.query_one(SectionList)
        assert sections.highlighted_section == 2
        section = again.service.article.sections[2]
        assert section.paragraphs[0] in await original_text(pilot, again)
        await pilot.press("k")
        assert screen.section == 1  # the list moves on from the restored section
    again.service.close()
    # Another article does not start at this one's section; a section gone is ignored.
    other = Article(title="Other", sections=(Section(0, "", ("Only one section here.",)),))
    third = make_app(tmp_path, article=other)
    async with third.run_test(size=(120, 40)):
        assert reader(third).section == 0
    third.service.close()
    key = article_key(app.service.article)
    save_state(tmp_path / "state.json", ReaderState(sections=((key, 999),)))
    fourth = make_app(tmp_path)
    async with fourth.run_test(size=(120, 40)):
        assert reader(fourth).section == 0
    fourth.service.close()


def test_remembered_sections_are_kept_for_the_last_articles_only(tmp_path: Path) -> None:
    from tui.state import REMEMBERED_ARTICLES

    state = ReaderState()
    for n in range(REMEMBERED_ARTICLES + 5):
        state = state.with_section(f"article-{n}", n)
    state = state.with_section("article-10", 3)  # read again: now the most recent
    path = tmp_path / "state.json"
    save_state(path, state)
    loaded = load_state(path)
    assert len(loaded.sections) == REMEMBERED_ARTICLES
    assert loaded.sections[-1] == ("article-10", 3)
    assert loaded.section_for("article-0") is None  # the oldest were dropped
    assert loaded.section_for(f"article-{REMEMBERED_ARTICLES + 4}") == REMEMBERED_ARTICLES + 4
    path.write_text('{"sections": {"a": -1, "b": true, "c": "2", "d": 4}}', encoding="utf-8")
    assert load_state(path).sections == (("d", 4),)


# -- behaviour -------------------------------------------------------------------------


async def test_stale_outputs_are_dropped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        shown = pane(app).body_text
        key = OutputKey(3, "en", SUMMARY, Length.SHORT)
        stale = Output(key, ("stale",), ("x",), extractive=True)
        reader(app).post_message(OutputReady(stale))
        marks = reader(app).query_one(SectionList)
        await wait_for(pilot, lambda: 3 in marks.ready)  # the mark is set (marks come batched)
        assert pane(app).body_text == shown  # but the stale output is not shown
        other = Output(OutputKey(0, "de", TRANSLATION), ("stale",), ("x",))
        reader(app).post_message(OutputReady(other))
        await pilot.pause()
        assert reader(app).query_one(OriginalView).translation is None
    app.service.close()


async def test_article_text_is_never_markup(tmp_path: Path) -> None:
    article = Article(
        title="[bold]Title[/bold] [@click=app.quit]quit[/]",
        sections=(
            Section(
                0,
                "",
                ("Lead with [red]red[/red] and $variable.", "Second [link=x]y[/link]."),
                captions=("[i]caption[/i]",),
            ),
            Section(1, "[b]Heading[/b]", ("Body [@click=app.bell]bell[/] text.",)),
        ),
        dateline="[dim]Updated[/dim]",
    )
    app = make_app(tmp_path, article=article)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        text = screen_text(app)
        for literal in (
            "[bold]Title[/bold]",
            "[@click=app.quit]quit[/]",
            "[red]red[/red]",
            "$variable",
            "[i]caption[/i]",
            "[dim]Updated[/dim]",
            "[b]Heading[/b]",
        ):
            assert literal in text, literal
        await pilot.click(OriginalView)
        await pilot.press("j")
        await settled(pilot, app)
        assert "[@click=app.bell]bell[/]" in screen_text(app)
        assert app.is_running
    app.service.close()


async def test_missing_translator_shows_the_summary_untranslated_and_offers_it(
    tmp_path: Path,
) -> None:
    """Issue 13 items 2 and 5: French has no translator on disk. The summary is shown
    in English under a one-line notice; `d` downloads the translator with progress
    below the summary, which stays there when the download is cancelled."""
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="fr"))
    provider: ReaderProvider = app.service.provider
    english = app.service.peek(OutputKey(0, "en", SUMMARY, Length.SHORT))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        assert pane(app).state == "output"
        summary = pane(app).body_text
        assert summary and not summary.startswith("FR: ")
        if english is not None:
            assert summary == english.text
        assert notice(app) == "French needs opus-mt-en-fr (~300 MB); d downloads it"
        title = str(screen.query_one("#output-title", Static).content)
        assert title == "Summary · short · English"  # the language the text is in
        await pilot.press("j")  # everything else keeps working
        await settled(pilot, app)
        assert screen.section == 1 and pane(app).state == "output"
        await pilot.press("k")
        await settled(pilot, app)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDownload)
        await pilot.press("n")
        assert app.screen is screen and provider.downloads == []
        await pilot.press("d", "y")
        await wait_for(pilot, provider.download_started.is_set)
        bar = screen.query_one(ProgressBar)
        await wait_for(pilot, lambda: bar.progress == 100_000_000)
        assert bar.total == 300_000_000
        # The download's progress is below the summary, which stays readable.
        assert pane(app).state == "output" and pane(app).body_text == summary
        started = time.monotonic()
        await pilot.press("escape")  # cancels the download at once
        assert time.monotonic() - started < 1.0
        assert any("cancelled" in n.message for n in app._notifications)
        assert "cancelled" in str(screen.query_one("#status-info", Static).content)
        assert pane(app).state == "output" and pane(app).body_text == summary
        assert not screen.query_one("#output-download").display
        await pilot.press("d")  # asked once per model: no second confirmation
        assert app.screen is screen
        await wait_for(pilot, lambda: len(provider.downloads) == 2)
        provider.download_release.set()
        await wait_for(pilot, lambda: any("Downloaded" in n.message for n in app._notifications))
        await settled(pilot, app)  # still missing here: the same stand-in again
        assert pane(app).body_text == summary
        assert provider.downloads == [MISSING_MODEL, MISSING_MODEL]
    app.service.close()


async def test_a_failed_download_keeps_the_summary_and_says_why(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="fr"))
    provider: ReaderProvider = app.service.provider
    provider.fail_with = "the hub answered 503 [bold]Service Unavailable[/bold]"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        summary = pane(app).body_text
        await pilot.press("d", "y")
        await wait_for(pilot, lambda: any("failed" in n.message for n in app._notifications))
        await pilot.pause()
        message = next(n.message for n in app._notifications if "failed" in n.message)
        assert "[bold]Service Unavailable[/bold]" in message  # plain text, not markup
        assert "failed" in str(screen.query_one("#status-info", Static).content)
        assert pane(app).state == "output" and pane(app).body_text == summary
    app.service.close()


async def test_keys_with_nothing_to_do_say_why(tmp_path: Path) -> None:
    """Issue 13 item 9: r with the extractive summarizer, d with nothing missing, and t
    with no translator each give a one-line reason."""
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        computed = app.service.stats.computed
        await pilot.press("r")
        await pilot.pause()
        assert any("extractive summarizer" in n.message for n in app._notifications)
        assert app.service.stats.computed == computed
        await pilot.press("d")
        assert app.screen is reader(app)
        assert any("Nothing to download" in n.message for n in app._notifications)
    app.service.close()
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="fr"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("t")
        screen = reader(app)
        await wait_for(pilot, lambda: any("translation" in n.message for n in app._notifications))
        await pilot.pause()
        message = next(n.message for n in app._notifications if "translation" in n.message)
        assert f"{MISSING_MODEL} is not on disk" in message and "\n" not in message
        assert not screen.bilingual  # no original squeezed beside an empty column
        assert screen.query_one(OriginalView).translation is None
    app.service.close()


async def test_unknown_theme_is_reported_and_known_theme_applies(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", theme="nord"))
    async with app.run_test(size=(120, 40)):
        assert app.theme == "nord"
    app.service.close()
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", theme="no-such"))
    async with app.run_test(size=(120, 40)):
        assert any("unknown theme" in n.message for n in app._notifications)
    app.service.close()


async def test_real_tiny_models_summary_translation_and_missing_model(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    """The reader over the real model provider: tiny BART and Marian, offline."""
    from models.service.provider import ModelProvider

    settings = Settings(
        summarizer=str(tiny_models["summarizer"]),
        translator=str(tiny_models["translator"]),
        lang="de",
        offline=True,
        cache_path=tmp_path / "c.sqlite3",
    )
    app = build_app(tmp_path, ModelProvider(settings, cache_dir=tmp_path / "hub"), settings)
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await wait_for(pilot, lambda: pane(app).state == "output", timeout=60)
        output = service.peek(screen.summary_key)
        assert output is not None and pane(app).body_text == output.text
        about = str(screen.query_one("#output-about", Static).content)
        assert all(name in about for name in output.models) and len(output.models) == 2
        await pilot.press("t")
        view = screen.query_one(OriginalView)
        await wait_for(
            pilot, lambda: view.translation is not None and view.translation.paragraphs, 60
        )
        await wait_for(pilot, lambda: view.settled)
        pairs = view.query(ParagraphPair).exclude(".pair-title")
        assert [p.original for p in pairs] == list(service.article.sections[0].paragraphs)
        assert all(p.translated.strip() for p in pairs)
        await pilot.press("l", *"fren", "enter")
        assert screen.lang == "fr"
        # No en->fr translator on disk: the summary in English, and one line saying
        # what French needs; offline, how to get it rather than a download offer.
        await wait_for(
            pilot,
            lambda: pane(app).state == "output" and notice(app).startswith("French needs"),
            timeout=30,
        )
        assert notice(app) == (
            "French needs opus-mt-en-fr (~300 MB); offline: "
            "`precis models pull Helsinki-NLP/opus-mt-en-fr` on a connected machine"
        )
        assert not screen.check_action("download", ())
    service.close()


# -- state file ---------------------------------------------------------------------------


def test_state_round_trips_and_bad_files_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    assert load_state(path) == ReaderState()
    save_state(path, ReaderState("de", "en", Length.LONG))
    assert load_state(path) == ReaderState("de", "en", Length.LONG)
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temp file left
    path.write_text('{"lang": "../../x", "length": "huge"}', encoding="utf-8")
    assert load_state(path) == ReaderState()
    path.write_text("not json", encoding="utf-8")
    assert load_state(path) == ReaderState()


# -- import hygiene -----------------------------------------------------------------------


def test_first_screen_loads_neither_torch_nor_transformers(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from models.cache.results import ResultCache
        from models.service.provider import ModelProvider
        from models.service.scheduler import PrecisService
        from models.settings import Settings
        from models.ingest.sources import read_article
        from tui.app import PrecisApp

        async def main():
            settings = Settings(summarizer="extractive", cache_path=Path({str(tmp_path)!r}) / "c")
            service = PrecisService(read_article(None), ModelProvider(settings),
                                    ResultCache(None, max_bytes=10_000_000), source_lang="en")
            app = PrecisApp(service, settings, state_path=Path({str(tmp_path)!r}) / "s.json")
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                assert app.screen.query("SectionList")
                print("torch" in sys.modules, "transformers" in sys.modules)
            service.close()

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["False", "False"]


async def test_extractive_stand_in_offers_the_summarizer_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default summarizer is not on disk (and not offline): extractive summaries
    are shown, marked, and `d` offers the abstractive model."""
    from models.service.provider import ModelProvider

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # scripts/test sets it

    settings = Settings(lang="en", cache_path=tmp_path / "c.sqlite3")
    app = build_app(tmp_path, ModelProvider(settings, cache_dir=tmp_path / "empty-hub"), settings)
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await wait_for(pilot, lambda: pane(app).state == "output", timeout=30)
        # A stand-in is not stored as the final output: the real model replaces it later.
        assert service.peek(screen.summary_key) is None
        note = str(screen.query_one("#output-note", Static).content)
        assert note.startswith("Sentences picked: the summarizer distilbart-cnn-12-6 (")
        assert note.endswith("; d downloads it")
        assert screen.check_action("download", ())
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDownload)
        await pilot.press("n")
        assert app.screen is screen
    service.close()


async def test_cache_warnings_reach_the_reader(tmp_path: Path) -> None:
    """A cache that cannot be used (here another program's file) is said in the reader,
    at start and when a new warning comes up during the run (issue 17 item 12)."""
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"not a database, somebody's notes\n" * 100)
    settings = Settings(summarizer="extractive", cache_path=foreign)
    cache = ResultCache(foreign, max_bytes=10_000_000)
    assert cache.warnings
    app = build_app(tmp_path, ReaderProvider(settings), settings, cache=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(str(foreign) in n.message for n in app._notifications))
        cache.warnings.append("cache: the disk is full; outputs are no longer saved")
        await pilot.press("j")
        await wait_for(pilot, lambda: any("disk is full" in n.message for n in app._notifications))
    assert foreign.read_bytes().startswith(b"not a database")
