"""The precis reader: a small Textual App that wires the service to the reader screen.

The service, settings and state path are injected (tests hand in tiny models);
this module imports neither torch nor transformers, so the first screen paints
before any model is loaded. Service events arrive on the service's worker
thread and are posted to the reader screen as typed messages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

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
from tui.messages import (
    ComputeProgress,
    DownloadUpdate,
    OutputFailed,
    OutputReady,
    OutputStreaming,
)
from tui.screens.help import HelpScreen
from tui.screens.reader import ReaderScreen
from tui.state import ReaderState, load_state, save_state

if TYPE_CHECKING:
    from models.service.scheduler import PrecisService

# Reader actions offered in the command palette: (title, help, action on the reader).
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Next section", "Show the next section", "next_section"),
    ("Previous section", "Show the previous section", "previous_section"),
    ("Summary length", "Cycle the summary length: short, medium, long", "cycle_length"),
    ("Language…", "Pick the target language", "pick_language"),
    ("Previous language", "Return to the language used before", "previous_language"),
    ("Full translation", "The translation beside the original", "toggle_translation"),
    ("Recompute", "Compute the output on screen again, bypassing the cache", "recompute"),
    ("Export", "Export the article as Markdown with the current settings", "export"),
    ("Search…", "Search the text, summaries and translations of every section", "search"),
    ("Brief", "The whole article summarized from its section summaries", "brief"),
    ("Sources of a summary sentence", "Highlight what the next one is based on", "next_sentence"),
    ("Help", "Show every key", "help"),
)


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
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit (the language and length are kept)"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Show every key"),
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
        state = load_state(self.state_path)
        self.reader_state = ReaderState(
            lang=settings.lang or state.lang or service.source_lang,
            previous_lang=state.previous_lang,
            length=self._initial_length(settings, state),
        )
        self._reader = ReaderScreen(
            service,
            lang=self.reader_state.lang or service.source_lang,
            length=self.reader_state.length or Length.SHORT,
            previous_lang=state.previous_lang,
            on_change=self._remember,
            keys_for=self.keys_for,
            export_path=export_path,
        )
        if settings.keymap:
            self.set_keymap(dict(settings.keymap))

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
                    f"unknown theme {self.settings.theme!r}; try one of: {known}",
                    severity="warning",
                )
        self.service.set_listener(self._on_service_event)

    def on_unmount(self) -> None:
        self.service.set_listener(None)
        self._save()

    # -- service events (called on the service's worker thread) --------------------

    def _on_service_event(self, event: ServiceEvent) -> None:
        message = to_message(event)
        if message is None or not self._reader.is_running:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed while the app exited
            self._reader.post_message(message)

    # -- state ----------------------------------------------------------------------

    def _remember(self, state: ReaderState) -> None:
        self.reader_state = state
        self._save()

    def _save(self) -> None:
        try:
            save_state(self.state_path, self.reader_state)
        except OSError as exc:
            if self.is_running:
                self.notify(f"cannot remember settings: {exc}", severity="warning")

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
        keys = self.settings.keymap.get(binding.id or "", binding.key)
        return " ".join(
            self.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(",")
        )

    def help_rows(self) -> list[tuple[str, str]]:
        rows = [(self._display_keys(b), b.tooltip or b.description) for b in self._all_bindings()]
        rows.append(("up down", "Move between sections in the list, or scroll the text"))
        rows.append(("ctrl+p", "Command palette"))
        return rows

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_rows()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if screen is self._reader:
            for title, help_text, action in PALETTE:
                target = self if action == "help" else self._reader
                yield SystemCommand(title, help_text, getattr(target, f"action_{action}"))
        yield from super().get_system_commands(screen)
