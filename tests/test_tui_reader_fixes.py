"""Pilot tests of the reader fixes of issue 13 (layout, keys, notes, export folder)
and the reader's part of issue 17 (keymap checks, state file limits, plain-text
notifications, no terminal escapes or bidi overrides from text precis did not write).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from reader_fixtures import build_app, pane, reader, wait_for
from test_tui_app import ReaderProvider, make_app, screen_text, settled
from textual.widgets import Static

from models.ingest.article import Article, Section
from models.settings import Settings
from models.types import Length
from tui.screens import HelpScreen, ReaderScreen
from tui.state import ReaderState, load_state_checked, save_state
from tui.widgets import OriginalView, OutputPane, SectionList
from tui.widgets.key_footer import KeyFooter
from tui.widgets.section_list import FIRST_PAINT_SECTIONS

ESCAPES = ("\x1b]52;c;aGk=\x07", "\x1b]0;pwned\x07", "\x1b[2J", "\x9b31m")


def footer_keys(app) -> list[tuple[str, str]]:
    footer = reader(app).query_one(KeyFooter)
    return [(key.key_display, key.description) for key in footer.query("FooterKey")]


# -- issue 13 item 7: 80x24 ------------------------------------------------------------


async def test_small_terminal_footer_status_and_summary_scroll(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="fr"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot, app)
        await pilot.pause(0.2)
        keys = footer_keys(app)
        # Every key shown has its label, help and quit always fit, nothing runs off.
        assert all(label for _, label in keys), keys
        assert ("?", "Help") in keys and ("q", "Quit") in keys
        bottom = screen_text(app).splitlines()[-1]
        assert "? Help" in bottom and "q Quit" in bottom
        # The status line leaves out whole parts, never cuts one.
        status = str(reader(app).query_one("#status-info", Static).content)
        assert "…" not in status and status.startswith("en → fr · short")
        # The summary pane scrolls from the keyboard with a documented key.
        await pilot.press("o")
        assert reader(app).focused is reader(app).query_one(OutputPane)
        await pilot.press("escape")
        assert reader(app).focused is reader(app).query_one(SectionList)
    app.service.close()


async def test_status_line_drops_whole_parts_when_narrow(tmp_path: Path) -> None:
    from tui.widgets.status_bar import fit_parts

    parts = ["en → de", "short", "distilbart-cnn-12-6", "opus-mt-en-de", "cpu int8"]
    assert fit_parts(parts, 200) == " · ".join(parts)
    assert fit_parts(parts, 40) == "en → de · short · distilbart-cnn-12-6"
    assert fit_parts(parts, 3) == "en → de"


# -- issue 13 item 8: every action in the palette and the help --------------------------


async def test_every_action_is_in_the_palette_and_the_help(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Download the missing model",
            "Read the section text",
            "Scroll the summary",
            "Export",
            "Recompute",
            "Previous language",
            "Help",
        ):
            assert title in titles, title
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        described = {row[1] for row in app.screen.rows}
        for binding in ReaderScreen.BINDINGS:
            if binding.id != "download-why":
                assert (binding.tooltip or binding.description) in described, binding.id
        await pilot.press("escape")
        keys = dict(footer_keys(app))
        for key in ("j", "k", "s", "l", "t", "e"):
            assert key in keys  # the footer at 120 columns holds the main keys
    app.service.close()


# -- issue 13 item 11: notes, export folder -------------------------------------------


async def test_article_notes_follow_the_last_section(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    notes = app.service.article.notes
    assert notes, "the bundled sample ends with (With input from Xinhua)"
    async with app.run_test(size=(120, 40)) as pilot:
        view = reader(app).query_one(OriginalView)
        await settled(pilot, app)
        assert notes[0] not in "\n".join(str(s.content) for s in view.query(Static))
        for _ in range(len(app.service.article.sections)):
            await pilot.press("j")
        await wait_for(pilot, lambda: view.settled)
        shown = "\n".join(str(s.content) for s in view.query(Static))
        assert notes[0] in shown
    app.service.close()


async def test_e_writes_into_the_export_folder_and_shows_the_full_path(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "deeper"
    settings = Settings(summarizer="extractive", export_dir=str(folder))
    app = make_app(tmp_path, settings=settings)
    app._reader._export_path = None  # make_app fixes a file; here the folder decides
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: any("Written to" in n.message for n in app._notifications))
        written = list(folder.glob("precis-*-en-short.md"))
        assert len(written) == 1
        message = next(n.message for n in app._notifications if "Written to" in n.message)
        assert str(written[0].resolve()) in message.splitlines()  # whole, on its own line
    assert not list(Path.cwd().glob("precis-*-en-short.md"))
    app.service.close()


@pytest.mark.parametrize("name", ["d[/]x", "cwd[@click=app.quit]y"])
async def test_markup_in_an_export_folder_name_is_shown_as_written(
    tmp_path: Path, name: str
) -> None:
    # Issue 17 item 5: this toast once parsed markup: MarkupError (exit 1) for d[/]x, and
    # a live quit action for [@click=app.quit].
    folder = tmp_path / name
    settings = Settings(summarizer="extractive", export_dir=str(folder), theme="[/]")
    settings = replace(settings, keymap={"download": "[/]"})
    app = make_app(tmp_path, settings=settings)
    app._reader._export_path = None
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: any("Written to" in n.message for n in app._notifications))
        messages = [n.message for n in app._notifications]
        assert any(name in m for m in messages if "Written to" in m)
        assert any("[/]" in m and "theme" in m for m in messages)
        assert any(m.startswith("[keys]") and "[/]" in m for m in messages)
        assert all(not n.markup for n in app._notifications)
        assert app.is_running  # no click action ran
        assert len(list(folder.glob("precis-*.md"))) == 1
    app.service.close()


# -- issue 17 item 15: the [keys] table ------------------------------------------------


async def test_keymap_problems_are_one_line_each_and_help_shows_effective_keys(
    tmp_path: Path,
) -> None:
    keymap = {
        "cycle_length": "x",  # the README's form: accepted
        "no-such-thing": "y",
        "export": "ctrl+zz",
        "pick-language": "j",  # j is next-section's
    }
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", keymap=keymap))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        warnings = [n.message for n in app._notifications if n.message.startswith("[keys]")]
        assert len(warnings) == 3 and all("\n" not in w for w in warnings), warnings
        assert any("no-such-thing: no such action" in w for w in warnings)
        assert any("export = 'ctrl+zz': not a key" in w for w in warnings)
        assert any("pick-language = 'j'" in w and "next-section" in w for w in warnings)
        await pilot.press("question_mark")
        rows = dict(app.screen.rows)
        assert rows["x"].startswith("Summary length")
        ids = dict(zip([r[0] for r in app.screen.rows], app.screen.ids, strict=False))
        assert ids["x"] == "cycle-length" and ids["j"] == "next-section"
        assert rows["j"] == "Next section" and rows["l"] == "Pick the target language"
        await pilot.press("escape")
        await pilot.press("j")
        assert screen.section == 1  # j still moves
        await pilot.press("x")
        assert screen.length is Length.MEDIUM
        assert ("x", "Length") in footer_keys(app)
    app.service.close()


# -- issue 17 item 11: the state file --------------------------------------------------


def test_state_file_type_and_size_are_checked(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    state, warning = load_state_checked(fifo)  # would hang in read_text()
    assert time.monotonic() - started < 2
    assert state == ReaderState() and warning and "not a regular file" in warning
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(1024**3)  # sparse: 1 GB that costs nothing on disk
    state, warning = load_state_checked(big)
    assert state == ReaderState() and warning and "larger than 64 kB" in warning
    assert load_state_checked(Path("/dev/zero"))[1] is not None
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert "not a precis state file" in (load_state_checked(bad)[1] or "")
    good = tmp_path / "good.json"
    save_state(good, ReaderState("de", "en", Length.LONG))
    assert load_state_checked(good) == (ReaderState("de", "en", Length.LONG), None)
    assert load_state_checked(tmp_path / "missing.json") == (ReaderState(), None)


async def test_reader_starts_with_a_fifo_as_state_file(tmp_path: Path) -> None:
    fifo = tmp_path / "state-fifo"
    os.mkfifo(fifo)
    app = make_app(tmp_path)
    app.state_path = fifo
    from tui.app import PrecisApp

    service = app.service
    app = PrecisApp(service, app.settings, state_path=fifo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        assert any("not a regular file" in n.message for n in app._notifications)
        await pilot.press("q")
    service.close()


# -- issue 17 items 3, 5 and 17: nothing but plain, safe text reaches the screen --------


class EscapingTranslator:
    """A hostile model: its output carries terminal escapes and markup."""

    revision = None
    name = "evil\x1b]0;title\x07-translator"

    def __init__(self, source: str, target: str) -> None:
        self.source_lang, self.target_lang = source, target

    def settings_key(self) -> str:
        return "evil-v1"

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        return [f"{ESCAPES[0]}Hi [bold]there[/bold] {ESCAPES[2]}{t[:40]}" for t in texts]


class EscapingProvider(ReaderProvider):
    def translator(self, source: str, target: str) -> EscapingTranslator:  # type: ignore[override]
        return EscapingTranslator(source, target)


async def test_model_output_escapes_never_reach_the_screen(tmp_path: Path) -> None:
    settings = Settings(summarizer="extractive", lang="de")
    app = build_app(tmp_path, EscapingProvider(settings), settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        body = pane(app).body_text
        assert "Hi [bold]there[/bold]" in body  # markup shown as text
        text = screen_text(app)
        about = str(reader(app).query_one("#output-about", Static).content)
        for shown in (body, text, about):
            assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
        await pilot.press("t")
        view = reader(app).query_one(OriginalView)
        await wait_for(pilot, lambda: view.translation is not None and view.translation.paragraphs)
        assert all("\x1b" not in p for p in view.translation.paragraphs)
    app.service.close()


async def test_bidi_overrides_are_removed_from_single_line_widgets(tmp_path: Path) -> None:
    article = Article(
        title="Title",
        sections=(
            Section(0, "", ("Lead text here. Another sentence follows.",)),
            Section(1, "\u202eevil\u202c \u200bheading\u2066", ("Body \u202e kept here.",)),
        ),
    )
    app = make_app(tmp_path, article=article)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        prompt = str(reader(app).query_one(SectionList).get_option_at_index(2).prompt)
        for char in "\u202e\u202c\u200b\u2066":
            assert char not in prompt
        assert "evil heading" in prompt
        await pilot.press("j")
        view = reader(app).query_one(OriginalView)
        await wait_for(pilot, lambda: view.settled)
        body = "\n".join(str(s.content) for s in view.query(Static))
        assert "\u202e" in body  # the body text keeps what it means
    app.service.close()


async def test_notifications_are_plain_text(tmp_path: Path) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", theme="[b]x[/b]"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        notes = [n for n in app._notifications if "unknown theme" in n.message]
        assert notes and all(not n.markup for n in notes)
        assert "[b]x[/b]" in notes[0].message
    app.service.close()


# -- issue 17 item 10: a long article paints at once -----------------------------------


async def test_ten_thousand_sections_paint_before_the_list_is_full(tmp_path: Path) -> None:
    n = 10_000
    article = Article(
        title="Many",
        sections=tuple(Section(i, f"Heading {i}", (f"Text {i}.",)) for i in range(n)),
    )
    painted: list[float] = []
    original = ReaderScreen._after_first_paint

    def mark(self: ReaderScreen) -> None:
        painted.append(time.perf_counter())
        original(self)

    started = time.perf_counter()
    app = make_app(tmp_path, article=article)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ReaderScreen, "_after_first_paint", mark)
        async with app.run_test(size=(120, 40)) as pilot:
            sections = reader(app).query_one(SectionList)
            await wait_for(pilot, lambda: bool(painted))
            assert painted[0] - started < 3.0, painted[0] - started  # 4.6 s before
            await wait_for(pilot, lambda: sections.sections_loaded == n, timeout=60)
            assert n > FIRST_PAINT_SECTIONS
            await pilot.press("k", "k")  # wraps nowhere: stays at the Brief, above the lead
            assert reader(app).brief and reader(app).section == 0
            view = reader(app).query_one(OriginalView)
            await wait_for(pilot, lambda: view.settled)
            lines = [str(s.content) for s in view.query(".paragraph").results(Static)]
            assert lines[0] == "1. Heading 0" and lines[-1] == "… and 9700 more sections"
    app.service.close()


async def test_a_missing_model_failure_says_each_thing_once(tmp_path: Path) -> None:
    """Issue 13 item 10: the hub's message named the model twice and told the user to
    run `precis models pull` while the reader offers `d`."""
    from models.service.events import Failure
    from tui.messages import OutputFailed

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = reader(app)
        model = "sshleifer/distilbart-cnn-12-6"
        message = (
            f"{model}: model {model} (~1.2 GB) is not downloaded: run `precis models pull "
            f"{model}`, or pass a local folder with --summarizer/--translator"
        )
        screen.post_message(
            OutputFailed(Failure(screen.summary_key, message, model, 1_200_000_000))
        )
        await wait_for(pilot, lambda: pane(app).state == "failure")
        text = str(screen.query_one("#output-failure", Static).content)
        assert text.count(model) == 1 and text.count("1.2 GB") == 1
        assert "precis models pull" not in text and "Press d to download it" in text
    app.service.close()


async def test_article_escapes_never_reach_the_screen(tmp_path: Path) -> None:
    article = Article(
        title="\x1b]0;pwned\x07Title \x1b[31mred",
        sections=(
            Section(
                0,
                "",
                ("Lead \x1b[2J text. \x1b]52;c;aGk=\x07More text here.",),
                captions=("cap\x1b[1m",),
            ),
            Section(1, "Head\x1b[5m", ("Body text.",)),
        ),
        dateline="\x1b[7mdate",
    )
    app = make_app(tmp_path, article=article)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "Title red" in text and "Lead  text. More text here." in text
        shown = [str(s.content) for s in reader(app).query_one(OriginalView).query(Static)]
        assert not any("\x1b" in line for line in shown)
    app.service.close()


async def test_status_line_shows_the_resolved_device_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13 item 11: the status line said "auto" until a model loaded, then "cpu"."""
    from models.inference.device import predict_device
    from models.service.provider import ModelProvider

    infos: list[str] = []
    original = ReaderScreen._set_model_info

    def record(self: ReaderScreen, info: str) -> None:
        infos.append(info)
        original(self, info)

    monkeypatch.setattr(ReaderScreen, "_set_model_info", record)
    settings = Settings(summarizer="extractive", device="auto", offline=True)
    app = build_app(tmp_path, ModelProvider(settings), settings, prefetch=True)
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await wait_for(pilot, lambda: bool(infos))
    service.close()
    device = predict_device("auto")
    assert device != "auto"
    assert all("auto" not in info and info.endswith(device) for info in infos), infos


async def test_a_search_query_is_shown_as_typed_not_as_markup(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("slash", *"[b]zzqq[/b]", "enter")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: any("no matches" in n.message for n in app._notifications))
        note = next(n for n in app._notifications if "no matches" in n.message)
        assert note.message == "[b]zzqq[/b]: no matches" and not note.markup
    app.service.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (50, 24)])
async def test_toasts_never_cover_the_summary(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path, settings=Settings(summarizer="extractive", lang="fr"))
    async with app.run_test(size=size, notifications=True) as pilot:
        await settled(pilot, app)
        app.notify("A long enough message to take a few lines of the toast. " * 2)
        await wait_for(pilot, lambda: any(t.region.area for t in app.screen.query("Toast")))
        output = reader(app).query_one(OutputPane).region
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(output), (toast.region, output)
    app.service.close()
