"""The precis reader: a small Textual App that wires the service to the reader screen.

The service, settings and state path are injected (tests hand in tiny models);
this module imports neither torch nor transformers, so the first screen paints
before any model is loaded. Service events arrive on the service's worker
thread and are posted to the reader screen as typed messages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

from models.sanitize import safe_line, safe_message
from models.service.events import (
    DownloadProgress,
    Failure,
    Output,
    Partial,
    Progress,
    ServiceEvent,
)
from models.settings import Settings, default_state_path
from models.types import Length
from tui.keymap import check_keymap
from tui.messages import (
    ComputeProgress,
    DownloadUpdate,
    OutputFailed,
    OutputReady,
    OutputStreaming,
)
from tui.screens.help import HelpScreen
from tui.screens.reader import ReaderScreen
from tui.state import ReaderState, article_key, load_state_checked, save_state

if TYPE_CHECKING:
    from models.service.scheduler import PrecisService

# Palette titles of reader actions. Every binding of the reader is in the palette,
# under its title here or else its footer label, with its help text and keys.
PALETTE_TITLES: dict[str, str] = {
    "next-section": "Next section",
    "previous-section": "Previous section",
    "cycle-length": "Summary length",
    "pick-language": "Language…",
    "previous-language": "Previous language",
    "toggle-translation": "Full translation",
    "recompute": "Recompute",
    "export": "Export",
    "download": "Download the missing model",
    "focus-text": "Read the section text",
    "focus-summary": "Scroll the summary",
    "cancel": "Cancel download / back to the list",
    "search": "Search…",
    "brief": "Brief",
    "next-sentence": "Sources of a summary sentence",
    "previous-sentence": "Sources of the previous summary sentence",
    "help": "Help",
}
NOT_IN_PALETTE = {"download-why", "quit"}  # a fallback of `d`; quit is the app's own


def to_message(event: ServiceEvent) -> Message | None:
    """The UI message for a service event (None for an event the reader ignores)."""
    if isinstance(event, Output):
        return OutputReady(event)
    if isinstance(event, Failure):
        return OutputFailed(event)
    if isinstance(event, Progress):
        return ComputeProgress(event)
    if isinstance(event, DownloadProgress):
        return DownloadUpdate(event)
    if isinstance(event, Partial):
        return OutputStreaming(event)
    return None


class PrecisApp(App[None]):
    """Reads one article with summaries and translations from `service`."""

    CSS_PATH = "app.tcss"
    TITLE = "precis"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [  # type: ignore[misc]
        (0, "-narrow"),
        (60, "-medium"),
        (120, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Show every key"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit (the language and length are kept)"),
    ]

    def __init__(
        self,
        service: PrecisService,
        settings: Settings,
        *,
        state_path: Path | None = None,
        export_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.state_path = state_path or default_state_path()
        state, self._state_warning = load_state_checked(self.state_path)
        self.reader_state = ReaderState(
            lang=settings.lang or state.lang or service.source_lang,
            previous_lang=state.previous_lang,
            length=self._initial_length(settings, state),
            sections=state.sections,
        )
        self._article_key = article_key(service.article)
        self._reader = ReaderScreen(
            service,
            lang=self.reader_state.lang or service.source_lang,
            length=self.reader_state.length or Length.SHORT,
            section=state.section_for(self._article_key) or 0,
            previous_lang=state.previous_lang,
            on_change=self._remember,
            keys_for=self.keys_for,
            export_path=export_path,
            export_dir=Path(settings.export_dir).expanduser() if settings.export_dir else None,
        )
        self.keymap = check_keymap(settings.keymap, self._all_bindings())
        if self.keymap.keys:
            self.set_keymap(dict(self.keymap.keys))

    @staticmethod
    def _initial_length(settings: Settings, state: ReaderState) -> Length:
        # A length asked for by flag or config wins over the remembered one.
        return settings.length or state.length or Length.SHORT

    def get_default_screen(self) -> Screen[None]:
        return self._reader

    def on_mount(self) -> None:
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                known = ", ".join(sorted(BUILTIN_THEMES))
                self.notify(
                    f"unknown theme {safe_line(self.settings.theme)!r}; try one of: {known}",
                    severity="warning",
                    markup=False,
                )
        warnings = [*self.keymap.problems, *self._new_cache_warnings()]
        if self._state_warning:
            warnings.append(self._state_warning)
        self._warn(warnings)
        self.service.set_listener(self._on_service_event)

    def on_unmount(self) -> None:
        self.service.set_listener(None)
        # The section read last (never the Brief: the reader's section is an article's).
        section = self._reader.section
        self.reader_state = self.reader_state.with_section(self._article_key, section)
        self._save()

    # -- service events (called on the service's worker thread) --------------------

    def _new_cache_warnings(self) -> list[str]:
        """Cache warnings not shown yet (a disk that filled, a file moved aside)."""
        shown = getattr(self, "_cache_warnings_shown", 0)
        warnings = list(self.service.cache.warnings[shown:])
        self._cache_warnings_shown = shown + len(warnings)
        return warnings

    def _warn(self, warnings: Sequence[str]) -> None:
        for warning in warnings:
            self.notify(safe_line(warning), severity="warning", timeout=12, markup=False)

    def _on_service_event(self, event: ServiceEvent) -> None:
        new_warnings = self._new_cache_warnings()
        if new_warnings and self._reader.is_running:
            if threading.get_ident() == self._thread_id:
                self._warn(new_warnings)
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed as the app exited
                    self.call_from_thread(self._warn, new_warnings)
        message = to_message(event)
        if message is None or not self._reader.is_running:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed while the app exited
            self._reader.post_message(message)

    # -- state ----------------------------------------------------------------------

    def _remember(self, state: ReaderState) -> None:
        self.reader_state = dataclasses.replace(state, sections=self.reader_state.sections)
        self._save()

    def _save(self) -> None:
        try:
            save_state(self.state_path, self.reader_state)
        except OSError as exc:
            if self.is_running:
                self.notify(
                    f"cannot remember settings: {safe_message(exc)}",
                    severity="warning",
                    markup=False,
                )

    # -- keys, help and the command palette -------------------------------------------

    def keys_for(self, binding_id: str) -> str:
        """How the key(s) of `binding_id` display now, the keymap applied."""
        for binding in self._all_bindings():
            if binding.id == binding_id:
                return self._display_keys(binding)
        return ""

    def _all_bindings(self) -> Iterable[Binding]:
        for binding in [*ReaderScreen.BINDINGS, *PrecisApp.BINDINGS]:
            if isinstance(binding, Binding):
                yield binding

    def _display_keys(self, binding: Binding) -> str:
        keys = self.keymap.keys.get(binding.id or "", binding.key)
        return " ".join(
            self.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(",")
        )

    def help_ids(self) -> list[str]:
        """The binding id of each help row (what the [keys] table names)."""
        ids = [b.id or "" for b in self._all_bindings() if b.id != "download-why"]
        return [*ids, "", ""]

    def help_rows(self) -> list[tuple[str, str]]:
        rows = [
            (self._display_keys(b), b.tooltip or b.description)
            for b in self._all_bindings()
            if b.id != "download-why"
        ]
        rows.append(("up down", "Move between sections in the list, or scroll the text"))
        rows.append(("ctrl+p", "Command palette"))
        return rows

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_rows(), self.help_ids()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if screen is self._reader:
            for binding in self._all_bindings():
                if binding.id in NOT_IN_PALETTE:
                    continue
                title = PALETTE_TITLES.get(binding.id or "", binding.description)
                target = self if binding.action == "help" else self._reader
                callback = getattr(target, f"action_{binding.action}", None)
                if callback is not None:
                    about = (
                        f"{binding.tooltip or binding.description} ({self._display_keys(binding)})"
                    )
                    yield SystemCommand(title, about, callback)
        yield from super().get_system_commands(screen)
