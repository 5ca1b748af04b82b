"""The reader screen: the mediator between the service and the widgets.

It holds what is on screen (section, target language, length, bilingual view),
asks the service for the outputs that belong there, and drops results that
arrive for anything else. Widgets only display; every decision is made here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from models.errors import PrecisError
from models.language_names import language_name
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
from models.types import Length
from tui.messages import (
    ComputeProgress,
    ExportFinished,
    MarksComputed,
    OutputFailed,
    OutputReady,
    OutputStreaming,
)
from tui.screens.language_picker import LanguagePicker
from tui.screens.reader_bindings import READER_BINDINGS
from tui.screens.reader_downloads import ModelDownloads
from tui.screens.reader_fidelity import SupportAndSearch
from tui.state import ReaderState
from tui.widgets import OriginalView, OutputPane, SectionList, StatusBar, Translation
from tui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from models.service.scheduler import PrecisService

KeysFor = Callable[[str], str]


class ReaderScreen(ModelDownloads, SupportAndSearch, Screen[None]):
    """Sections on the left, the original text, and the summary in the target language."""

    BINDINGS: ClassVar[list[BindingType]] = READER_BINDINGS

    section: reactive[int] = reactive(0, init=False)
    """Index of the section on screen."""

    lang: reactive[str] = reactive("", init=False)
    """Target language code; the service's source language means "original"."""

    length: reactive[Length] = reactive(Length.SHORT, init=False)
    """Length of the summary in the output pane."""

    bilingual: reactive[bool] = reactive(False, init=False)
    """Whether the full translation is shown beside the original, paragraph by paragraph."""

    def __init__(
        self,
        service: PrecisService,
        *,
        lang: str,
        length: Length,
        previous_lang: str | None = None,
        on_change: Callable[[ReaderState], None] | None = None,
        keys_for: KeysFor | None = None,
        export_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.article = service.article
        self.source_lang = service.source_lang
        self.set_reactive(ReaderScreen.lang, lang)
        self.set_reactive(ReaderScreen.length, length)
        self.previous_lang = previous_lang
        self._on_change = on_change
        self._keys_for = keys_for or (lambda _binding_id: "")
        self._export_path = export_path
        self._model_info = ""
        self._failure: Failure | None = None  # the failure on screen, for `d`
        self._downloading: str | None = None
        self._confirmed_downloads: set[str] = set()
        self._offered: set[str] = set()  # models whose download was offered in a toast
        self._translation_asked: OutputKey | None = None
        self._requested = False  # outputs asked for since mount
        self._force_translation = False  # recompute it once the summary has settled
        self._following_list = False  # a section change that came from the list

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panes"):
            yield SectionList(self.article.sections, id="sections")
            with Vertical(id="reading"):
                yield OriginalView(id="original")
                yield OutputPane(id="output")
        yield SearchBar(id="search")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_original()
        self._update_status()
        sections = self.query_one(SectionList)
        sections.move_to(self.section)
        sections.focus()
        # Paint the text first; asking the service may touch the cache and models.
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        # A key pressed before the first paint has already asked for its outputs.
        if not self._requested:
            self._request_outputs()
        self._refresh_marks()
        self._load_model_info()

    # -- what is on screen --------------------------------------------------------

    @property
    def summary_key(self) -> OutputKey:
        return OutputKey(self.section, self.lang, SUMMARY, self.length)

    @property
    def translation_key(self) -> OutputKey | None:
        if not self.bilingual:
            return None
        return OutputKey(self.section, self.lang, TRANSLATION)

    def lang_label(self, code: str) -> str:
        if code == self.source_lang:
            return f"{code} (original)"
        return code

    def _show_original(self) -> None:
        section = self.article.sections[self.section]
        heading: tuple[str, ...] = ()
        if self.section == 0:
            meta = " · ".join(x for x in (self.article.dateline, self.article.byline) if x)
            heading = (self.article.title, meta)
        self.query_one(OriginalView).show_section(
            section, heading=heading, source_lang=self.source_lang
        )

    def _update_status(self) -> None:
        parts = [
            f"{self.source_lang} → {self.lang_label(self.lang)}",
            self.length.value,
        ]
        if self._model_info:
            parts.append(self._model_info)
        self.query_one(StatusBar).info = " · ".join(parts)

    def _request_outputs(self) -> None:
        """Ask the service for everything on screen; show what is ready at once.

        The service computes one on-screen output at a time (a newer request
        supersedes an older one), so the translation is asked for only once the
        summary has settled.
        """
        self._requested = True
        self._failure = None
        self._translation_asked = None
        self._force_translation = False
        pane = self.query_one(OutputPane)
        name = language_name(self.lang) if self.lang != self.source_lang else "original"
        pane.set_title(f"Summary · {self.length.value} · {name}")
        if self.translation_key is not None:
            self._apply(None, self.translation_key)
        self._apply(self.service.show(self.summary_key), self.summary_key)
        self.refresh_bindings()
        if pane.state != "loading":
            self._request_translation()

    def _request_translation(self) -> None:
        key = self.translation_key
        if key is None or key == self._translation_asked:
            return
        self._translation_asked = key
        if self._force_translation:
            self._force_translation = False
            self.service.recompute(key)
            self._apply(None, key)
        else:
            self._apply(self.service.show(key), key)

    def _apply(self, output: Output | None, key: OutputKey) -> None:
        if output is not None:
            self._show_output(output)
        elif key.kind == SUMMARY:
            self.query_one(OutputPane).show_loading()
        else:
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(key.lang), status=f"translating into {key.lang} …")
            )

    def _show_output(self, output: Output) -> None:
        if output.key.kind == SUMMARY:
            self.query_one(OutputPane).show_output(output)
        else:
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(output.key.lang), output.paragraphs, flags=output.flags)
            )

    def _refresh_marks(self) -> None:
        """Start over for a new language or length: marks come from the cache and events."""
        self.query_one(SectionList).ready = frozenset()
        self._compute_marks(self.lang, self.length)

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False)
    def _compute_marks(self, lang: str, length: Length) -> None:
        ready = frozenset(
            index
            for index in range(len(self.article.sections))
            if self.service.peek(OutputKey(index, lang, SUMMARY, length)) is not None
        )
        self.post_message(MarksComputed(lang, length, ready))

    @work(thread=True, exclusive=True, group="model-info", exit_on_error=False)
    def _load_model_info(self) -> None:
        # Off the UI thread: describing the device may import torch (~1 s).
        info = self.service.model_info()
        self.app.call_from_thread(self._set_model_info, info)

    def _set_model_info(self, info: str) -> None:
        self._model_info = info
        self._update_status()

    def _remember(self) -> None:
        if self._on_change is not None:
            self._on_change(ReaderState(self.lang, self.previous_lang, self.length))

    # -- watchers: every change of view goes through here -----------------------

    def watch_section(self, section: int) -> None:
        if not self._following_list:  # the list is already there, maybe further on
            self.query_one(SectionList).move_to(section)
        self._show_original()
        self._request_outputs()

    def watch_lang(self, old: str, new: str) -> None:
        self.previous_lang = old
        if new == self.source_lang and self.bilingual:
            self.set_reactive(ReaderScreen.bilingual, False)
            self.query_one(OriginalView).show_translation(None)
        self._update_status()
        self._remember()
        self._refresh_marks()
        self._load_model_info()
        self._request_outputs()

    def watch_length(self) -> None:
        self._update_status()
        self._remember()
        self._refresh_marks()
        self._request_outputs()

    def watch_bilingual(self, bilingual: bool) -> None:
        if not bilingual:
            self._translation_asked = None
            self.query_one(OriginalView).show_translation(None)
        elif self.query_one(OutputPane).state == "loading":
            self._apply(None, OutputKey(self.section, self.lang, TRANSLATION))
        else:
            self._request_translation()

    # -- messages from the service (already on the UI thread) ---------------------

    def on_output_ready(self, message: OutputReady) -> None:
        output = message.output
        key = output.key
        if key.kind == SUMMARY and (key.lang, key.length) == (self.lang, self.length):
            sections = self.query_one(SectionList)
            sections.ready = sections.ready | {key.section}
        if key == self.summary_key:
            self._show_output(output)
            self._failure = None
            if output.missing_model and not self.service.offline:
                # An extractive stand-in: offer the abstractive model's download.
                self._failure = Failure(
                    key, output.note or "", output.missing_model, output.missing_size
                )
                if output.missing_model not in self._offered:
                    self._offered.add(output.missing_model)
                    self.notify(self._failure_hint(self._failure) or "", timeout=8)
            self.refresh_bindings()
            self._request_translation()
            if not output.from_cache:
                self._load_model_info()  # a model may have loaded: device, precision
        elif key == self.translation_key:
            self._show_output(output)

    def on_output_failed(self, message: OutputFailed) -> None:
        failure = message.failure
        if failure.key == self.summary_key:
            self._failure = failure
            self.query_one(OutputPane).show_failure(failure.message, self._failure_hint(failure))
            self.refresh_bindings()
            self._request_translation()
        elif failure.key == self.translation_key:
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(self.lang), status=failure.message)
            )
            if failure.model_id and self._failure is None:
                self._failure = failure
                self.refresh_bindings()

    def on_output_streaming(self, message: OutputStreaming) -> None:
        """An LLM's text so far for what is on screen; the finished output replaces it."""
        partial = message.partial
        pane = self.query_one(OutputPane)
        if partial.key == self.summary_key and pane.state in ("loading", "streaming"):
            pane.show_partial(partial.text)
        elif partial.key == self.translation_key:
            paragraphs = tuple(p for p in partial.text.split("\n\n") if p.strip())
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(partial.key.lang), paragraphs)
            )

    def on_compute_progress(self, message: ComputeProgress) -> None:
        self.query_one(StatusBar).activity = message.progress.label

    def on_marks_computed(self, message: MarksComputed) -> None:
        if (message.lang, message.length) == (self.lang, self.length):
            # A union: an output that arrived while the cache was read stays marked.
            sections = self.query_one(SectionList)
            sections.ready = sections.ready | message.ready

    def on_export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.notify(message.error, title="Export failed", severity="error")
        else:
            self.notify(str(message.path), title="Exported")

    # -- messages from the widgets -----------------------------------------------

    @on(SectionList.Moved)
    def _section_moved(self, message: SectionList.Moved) -> None:
        self._follow_list(message.index)

    @on(SectionList.Opened)
    def _section_opened(self, message: SectionList.Opened) -> None:
        self._follow_list(message.index)
        self.action_focus_text()

    def _follow_list(self, index: int) -> None:
        """Show the section the list moved to, without moving the list back: later
        presses of a burst may already have moved it further."""
        self._following_list = True
        try:
            self.section = index
        finally:
            self._following_list = False

    # -- actions ------------------------------------------------------------------

    def action_next_section(self) -> None:
        self.query_one(SectionList).step(1)

    def action_previous_section(self) -> None:
        self.query_one(SectionList).step(-1)

    def action_focus_text(self) -> None:
        self.query_one(OriginalView).focus()

    def action_cycle_length(self) -> None:
        self.length = self.length.next()

    def action_pick_language(self) -> None:
        def chosen(code: str | None) -> None:
            if code:
                self.lang = code

        self.app.push_screen(LanguagePicker(self.source_lang, self.lang), chosen)

    def action_previous_language(self) -> None:
        target = self.previous_lang
        if target is None and self.lang != self.source_lang:
            target = self.source_lang
        if target is None or target == self.lang:
            self.notify("No other language used yet; press l to pick one.")
            return
        self.lang = target

    def action_toggle_translation(self) -> None:
        if not self.bilingual and self.lang == self.source_lang:
            self.notify("The article is already in this language; press l to pick another.")
            return
        self.bilingual = not self.bilingual

    def action_recompute(self) -> None:
        """Compute what is on screen again, bypassing the cache."""
        self._failure = None
        self.refresh_bindings()
        self.service.recompute(self.summary_key)
        self._apply(None, self.summary_key)
        if self.translation_key is not None:
            self._translation_asked = None
            self._force_translation = True
            self._apply(None, self.translation_key)

    def action_export(self) -> None:
        self.notify(f"Exporting ({self.lang}, {self.length.value}) …")
        self._export(self.lang, self.length)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, lang: str, length: Length) -> None:
        from models.service.export import export_to_file

        try:
            path = export_to_file(self.service, self._export_path, lang=lang, length=length)
        except PrecisError as exc:
            self.post_message(ExportFinished(None, str(exc)))
        except OSError as exc:
            self.post_message(ExportFinished(None, f"cannot write the export: {exc}"))
        else:
            self.post_message(ExportFinished(path))

    def action_escape(self) -> None:
        if self._downloading:
            self.service.cancel_download()
            self.notify(f"Cancelling the download of {self._downloading} …")
        elif self.focused is not self.query_one(SectionList):
            self.query_one(SectionList).focus()
