"""The reader screen: the mediator between the service and the widgets.

It holds what is on screen (section, target language, length, bilingual view),
asks the service for everything that belongs there in one call, and drops results
that arrive for anything else. Widgets only display; every decision is made here.
Text precis did not write (model outputs, model ids, error messages) is sanitized
before it is shown, and every notification is plain text, never markup.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen

from models.errors import PrecisError
from models.language_names import language_name
from models.sanitize import safe_line, safe_message, safe_text
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
from models.text import format_size
from models.types import Length
from tui.messages import (
    ComputeProgress,
    DownloadUpdate,
    ExportFinished,
    MarksComputed,
    OutputFailed,
    OutputReady,
    OutputStreaming,
)
from tui.screens.language_picker import LanguagePicker
from tui.screens.reader_bindings import READER_BINDINGS
from tui.screens.reader_brief import BriefEntry
from tui.screens.reader_downloads import ModelDownloads
from tui.screens.reader_fidelity import SupportAndSearch
from tui.state import ReaderState
from tui.widgets import OriginalView, OutputPane, SectionList, StatusBar, Translation
from tui.widgets.key_footer import KeyFooter
from tui.widgets.search_bar import SearchBar
from tui.widgets.section_list import BRIEF

if TYPE_CHECKING:
    from models.service.scheduler import PrecisService

KeysFor = Callable[[str], str]
MARKS_EVERY_S = 0.1  # ready marks are applied at most this often (see _mark_ready)


def default_export_dir() -> Path:
    """Where `e` writes when no folder is configured: Documents/precis."""
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "precis"


def sanitized(output: Output) -> Output:
    """`output` with its text safe to show. The service cleans every model output before
    it checks and caches it (models.service.pipeline), so this changes nothing there and
    the flags stay; only text cleaned here (none the service makes) loses its flags."""
    paragraphs = tuple(safe_text(p) for p in output.paragraphs)
    if paragraphs == output.paragraphs:
        return output
    return dataclasses.replace(output, paragraphs=paragraphs, flags=(), support=())


class ReaderScreen(BriefEntry, SupportAndSearch, Screen[None]):
    """Sections on the left, the original text, and the summary in the target language."""

    BINDINGS: ClassVar[list[BindingType]] = READER_BINDINGS

    section: reactive[int] = reactive(0, init=False, always_update=True)
    """Index of the section on screen, or last on screen while the Brief is. Setting it,
    even to the same index, shows that section (and leaves the Brief)."""

    brief: reactive[bool] = reactive(False, init=False)
    """Whether the Brief, the first entry of the section list, is on screen."""

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
        section: int = 0,
        previous_lang: str | None = None,
        on_change: Callable[[ReaderState], None] | None = None,
        keys_for: KeysFor | None = None,
        export_path: Path | None = None,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.article = service.article
        self.source_lang = service.source_lang
        self.set_reactive(ReaderScreen.lang, lang)
        self.set_reactive(ReaderScreen.length, length)
        if 0 <= section < len(self.article.sections):  # a remembered one may be gone
            self.set_reactive(ReaderScreen.section, section)
        self.previous_lang = previous_lang
        self._on_change = on_change
        self._keys_for = keys_for or (lambda _binding_id: "")
        self._export_path = export_path  # a fixed file (tests), else a dated one in:
        self._export_dir = export_dir
        self._model_info = ""
        self._notice = ""  # the last download's outcome, kept in the status line
        self._requested = False  # outputs asked for since mount
        self._following_list = False  # a section change that came from the list
        self._ready_pending: set[int] = set()  # ready marks not applied yet
        self._ready_flush_due = False
        self._ready_flushed_at = 0.0
        self.downloads = ModelDownloads(
            self,
            service,
            self._keys_for,
            on_downloaded=self._model_downloaded,
            on_status=self._set_notice,
        )

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panes"):
            yield SectionList(self.article.sections, id="sections")
            with Vertical(id="reading"):
                yield OriginalView(id="original")
                yield OutputPane(id="output")
        yield SearchBar(id="search")
        yield KeyFooter(id="footer")

    def on_mount(self) -> None:
        self._show_original()
        self._update_status()
        sections = self.query_one(SectionList)
        sections.move_to(BRIEF if self.brief else self.section)
        sections.focus()
        # Paint the text first; asking the service may touch the cache and models.
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.query_one(SectionList).load_rest()  # a long article's other sections
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
        if not self.bilingual or self.brief:
            return None
        return OutputKey(self.section, self.lang, TRANSLATION)

    def _on_screen(self, key: OutputKey) -> bool:
        """Whether `key`'s output belongs on screen now (a section's, not the Brief)."""
        return not self.brief and key in (self.summary_key, self.translation_key)

    def lang_label(self, code: str) -> str:
        if code == self.source_lang:
            return f"{code} (original)"
        return code

    def _show_original(self) -> None:
        if self.brief:
            self._show_contents()
            return
        section = self.article.sections[self.section]
        heading: tuple[str, ...] = ()
        if self.section == 0:
            meta = " · ".join(x for x in (self.article.dateline, self.article.byline) if x)
            heading = (self.article.title, meta)
        last = self.section == len(self.article.sections) - 1
        self.query_one(OriginalView).show_section(
            section,
            heading=heading,
            source_lang=self.source_lang,
            notes=self.article.notes if last else (),
        )

    def _update_status(self) -> None:
        # Most important first: a narrow status line leaves out the last parts whole.
        parts = [
            f"{self.source_lang} → {self.lang_label(self.lang)}",
            self.length.value,
        ]
        if self._notice:
            parts.append(self._notice)
        if self._model_info:
            # "summarizer · int8 | translator | cpu": each piece is a part that the
            # status line keeps or leaves out whole.
            parts.extend(p.strip() for p in re.split(r"[|·]", self._model_info) if p.strip())
        self.query_one(StatusBar).parts = tuple(parts)

    def _set_notice(self, notice: str) -> None:
        self._notice = notice
        self._update_status()

    def _request_outputs(self, *, force: bool = False) -> None:
        """Ask the service for everything on screen in one call; show what is ready.

        The service computes the summary first, then (in the bilingual view) the
        translation; anything else on-screen work it was doing is superseded.
        """
        self._requested = True
        self.downloads.offer(None)
        if self.brief:
            self._request_brief()
            self.refresh_bindings()
            return
        self._leave_brief()
        pane = self.query_one(OutputPane)
        name = language_name(self.lang) if self.lang != self.source_lang else "original"
        pane.set_title(f"Summary · {self.length.value} · {name}")
        outputs = self.service.show_view(self.summary_key, self.translation_key, force=force)
        for key, output in outputs.items():
            self._apply(output, key)
        self.refresh_bindings()

    def _apply(self, output: Output | None, key: OutputKey) -> None:
        if output is not None:
            self._show_output(output)
        elif key.kind == SUMMARY and self.query_one(OutputPane).state == "output":
            # Keep the last text readable while its replacement computes only if it is
            # this view's (a recompute); another section's summary must not linger.
            pane = self.query_one(OutputPane)
            if pane.output is not None and pane.output.key == key:
                return
            pane.show_loading()
        elif key.kind == SUMMARY:
            self.query_one(OutputPane).show_loading()
        else:
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(key.lang), status=f"translating into {key.lang} …")
            )

    def _show_output(self, output: Output) -> None:
        output = sanitized(output)
        if output.key.kind == SUMMARY:
            pane = self.query_one(OutputPane)
            if output.shown_lang:
                # Say in the title which language the text is in.
                shown = language_name(output.shown_lang)
                pane.set_title(f"Summary · {self.length.value} · {shown}")
            pane.show_output(output, self._notice_for(output))
        else:
            self.query_one(OriginalView).show_translation(
                Translation(self.lang_label(output.key.lang), output.paragraphs, flags=output.flags)
            )

    def _notice_for(self, output: Output) -> str:
        """One line above a summary that is not what was asked for: what it lacks and
        how to get it (the output's own note is longer; the export prints that)."""
        if not output.missing_model:
            return output.note or ""
        model = safe_line(output.missing_model)
        short = model.rsplit("/", 1)[-1]
        size = format_size(output.missing_size)
        if self.service.offline:
            how = f"offline: `precis models pull {model}` on a connected machine"
        else:
            how = f"{self._keys_for('download') or 'd'} downloads it"
        if output.shown_lang:
            wanted = language_name(output.key.lang)
            return f"{wanted} needs {short} ({size}); {how}"
        return f"Sentences picked: the summarizer {short} ({size}) is not on disk; {how}"

    def _refresh_marks(self) -> None:
        """Start over for a new language or length: marks come from the cache and events."""
        sections = self.query_one(SectionList)
        self._ready_pending.clear()  # any not applied yet were for the view before
        sections.ready = frozenset()
        sections.brief_ready = False
        self._compute_marks(self.lang, self.length)

    def _mark_ready(self, section: int) -> None:
        """Mark `section` ready. Outputs arrive one by one, thousands of them when the
        brief or an export computes every section of a long article (applying each
        alone took 15 s of the UI thread for 10,000 sections): the first is applied at
        once, the ones after it together, at most every `MARKS_EVERY_S`."""
        self._ready_pending.add(section)
        if self._ready_flush_due:
            return
        wait = self._ready_flushed_at + MARKS_EVERY_S - time.monotonic()
        if wait <= 0:
            self._flush_ready()
        else:
            self._ready_flush_due = True
            self.set_timer(wait, self._flush_ready)

    def _flush_ready(self) -> None:
        self._ready_flush_due = False
        self._ready_flushed_at = time.monotonic()
        sections = self.query_one(SectionList)
        new = self._ready_pending - sections.ready
        self._ready_pending = set()
        if new:
            sections.ready = sections.ready | new

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False)
    def _compute_marks(self, lang: str, length: Length) -> None:
        ready = frozenset(
            index
            for index in range(len(self.article.sections))
            if self.service.peek(OutputKey(index, lang, SUMMARY, length)) is not None
        )
        self.post_message(MarksComputed(lang, length, ready))
        self._mark_brief_if_cached(lang, length)

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
        self.set_reactive(ReaderScreen.brief, False)  # a section is shown, not the Brief
        if not self._following_list:  # the list is already there, maybe further on
            self.query_one(SectionList).move_to(section)
        self._show_original()
        self._request_outputs()

    def watch_brief(self, brief: bool) -> None:
        if not self._following_list:
            self.query_one(SectionList).move_to(BRIEF if brief else self.section)
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
            self.query_one(OriginalView).show_translation(None)
        self._request_outputs()

    # -- messages from the service (already on the UI thread) ---------------------

    def on_output_ready(self, message: OutputReady) -> None:
        output = message.output
        key = output.key
        if key.kind == SUMMARY and (key.lang, key.length) == (self.lang, self.length):
            self._mark_ready(key.section)
        if self.brief:
            self._brief_summary_changed(output)
        elif key == self.summary_key:
            self._show_output(output)
            if output.missing_model:
                # A stand-in (extractive, or the summary untranslated): `d` fetches the
                # model that was asked for; the offer is made once in a toast too.
                failure = Failure(key, output.note or "", output.missing_model, output.missing_size)
                self.downloads.offer(failure, toast=not self.service.offline)
            elif self.downloads.missing is not None and self.downloads.missing.key == key:
                self.downloads.offer(None)
            if not output.from_cache:
                self._load_model_info()  # a model may have loaded: device, precision
        elif key == self.translation_key:
            self._show_output(output)

    def on_output_failed(self, message: OutputFailed) -> None:
        failure = dataclasses.replace(
            message.failure, message=safe_message(message.failure.message, 1000)
        )
        if not self._on_screen(failure.key):
            return
        if failure.key == self.summary_key:
            self.downloads.offer(failure)
            text, hint = failure.message, self.downloads.hint(failure)
            if failure.model_id and "is not downloaded" in text:
                # The hub's message names the model and a command; the hint says what
                # to do here: each thing once.
                size = format_size(failure.size_bytes)
                text = f"{safe_line(failure.model_id)} ({size}) is not downloaded."
                hint = self.downloads.hint(failure, named=True)
            self.query_one(OutputPane).show_failure(text, hint)
        elif failure.key == self.translation_key:
            if failure.model_id:
                # No translator: say why in one line and keep the original alone,
                # rather than beside an empty column.
                self.set_reactive(ReaderScreen.bilingual, False)
                self.query_one(OriginalView).show_translation(None)
                if self.downloads.missing is None:
                    self.downloads.offer(failure)
                hint = self.downloads.hint(failure) or ""
                name = language_name(self.lang)
                self.notify(
                    f"No full translation into {name}: {safe_line(failure.model_id)} is not "
                    f"on disk. {hint}".strip(),
                    severity="warning",
                    timeout=8,
                    markup=False,
                )
            else:
                self.query_one(OriginalView).show_translation(
                    Translation(self.lang_label(self.lang), status=failure.message)
                )

    def on_download_update(self, message: DownloadUpdate) -> None:
        self.downloads.update(message.progress)

    def _model_downloaded(self, model_id: str) -> None:
        self._refresh_marks()
        self._load_model_info()
        self._request_outputs()

    def on_output_streaming(self, message: OutputStreaming) -> None:
        """An LLM's text so far for what is on screen; the finished output replaces it."""
        partial = message.partial
        pane = self.query_one(OutputPane)
        if not self._on_screen(partial.key):
            return
        if partial.key == self.summary_key and pane.state in ("loading", "streaming"):
            pane.show_partial(safe_text(partial.text))
        elif partial.key == self.translation_key:
            paragraphs = tuple(p for p in safe_text(partial.text).split("\n\n") if p.strip())
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
            self.notify(
                safe_message(message.error, 1000),
                title="Export failed",
                severity="error",
                markup=False,
            )
        else:
            # The full path on a line of its own, so that it wraps whole when it can.
            self.notify(
                f"Written to\n{safe_line(str(message.path))}", title="Exported", markup=False
            )

    # -- messages from the widgets -----------------------------------------------

    @on(SectionList.Moved)
    def _section_moved(self, message: SectionList.Moved) -> None:
        self._follow_list(message.index)

    @on(SectionList.Opened)
    def _section_opened(self, message: SectionList.Opened) -> None:
        self._follow_list(message.index)
        self.action_focus_text()

    def _follow_list(self, index: int | None) -> None:
        """Show the section (or the Brief) the list moved to, without moving the list
        back: later presses of a burst may already have moved it further."""
        self._following_list = True
        try:
            if index is BRIEF:
                self.brief = True
            else:
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

    def action_focus_summary(self) -> None:
        """Focus the summary pane, so that the arrow keys scroll it."""
        self.query_one(OutputPane).focus()

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
            key = self._keys_for("pick-language") or "l"
            self.notify(f"No other language used yet; press {key} to pick one.", markup=False)
            return
        self.lang = target

    def action_toggle_translation(self) -> None:
        if self.brief:
            key = self._keys_for("toggle-translation") or "t"
            self.notify(
                f"The brief has no text of its own to show a translation beside: {key} "
                "shows a section's translation next to it.",
                markup=False,
            )
            return
        if not self.bilingual and self.lang == self.source_lang:
            key = self._keys_for("pick-language") or "l"
            self.notify(
                f"The article is already in this language; press {key} to pick another.",
                markup=False,
            )
            return
        self.bilingual = not self.bilingual

    def action_recompute(self) -> None:
        """Compute what is on screen again, bypassing the cache."""
        if self.brief and self.query_one(OutputPane).state == "failure":
            self._request_outputs()  # try the brief again
            return
        if self.brief:
            # It follows its section summaries: it is made again when one of them is.
            key = self._keys_for("recompute") or "r"
            self.notify(
                f"The brief is remade when a section summary changes: {key} on a section "
                "recomputes that section.",
                markup=False,
            )
            return
        shown = self.query_one(OutputPane).output
        if (
            shown is not None
            and shown.key == self.summary_key
            and shown.extractive
            and len(shown.models) == 1
            and not shown.missing_model
            and not self.bilingual
        ):
            self.notify(
                "Nothing to recompute: the extractive summarizer picks the same "
                "sentences every time.",
                markup=False,
            )
            return
        self._request_outputs(force=True)

    def action_export(self) -> None:
        path = self._export_target(self.lang, self.length)
        self.notify(f"Exporting ({self.lang}, {self.length.value}) …", markup=False)
        self._export(path, self.lang, self.length)

    def _export_target(self, lang: str, length: Length) -> Path:
        if self._export_path is not None:
            return self._export_path
        folder = self._export_dir or default_export_dir()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return folder.expanduser() / f"precis-{stamp}-{lang}-{length.value}.md"

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, path: Path, lang: str, length: Length) -> None:
        from models.service.export import export_to_file

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            written = export_to_file(self.service, path, lang=lang, length=length)
        except PrecisError as exc:
            self.post_message(ExportFinished(None, str(exc)))
        except OSError as exc:
            shown = safe_line(str(path.parent))
            self.post_message(
                ExportFinished(None, f"cannot write to {shown}: {exc.strerror or exc}")
            )
        else:
            self.post_message(ExportFinished(written.resolve()))

    def action_download(self) -> None:
        self.downloads.start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "download":
            # Shown in the footer only when it would do something.
            return self.downloads.available
        return True

    def action_why_no_download(self) -> None:
        """`d` when there is nothing to download: say why rather than nothing."""
        self.notify(self.downloads.why_not(), markup=False)

    def action_escape(self) -> None:
        if self.downloads.cancel():
            return
        if self.focused is not self.query_one(SectionList):
            self.query_one(SectionList).focus()
