"""The one-line status: languages, length, models and what the service computes.

A loading indicator appears only while something computes, so a quiet reader
shows a still line (and snapshot tests stay deterministic).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Label, LoadingIndicator


class StatusBar(Horizontal):
    """Source and target language, summary length, model info and activity."""

    info: reactive[str] = reactive("", init=False)
    """Languages, length and models, e.g. "en → de · short · extractive · cpu"."""

    activity: reactive[str] = reactive("", init=False)
    """What computes now, e.g. "summarizing 3/6 (de, short)"; "" when idle."""

    def compose(self) -> ComposeResult:
        yield Label(id="status-info")
        yield LoadingIndicator(id="status-spinner")
        yield Label(id="status-activity")

    def on_mount(self) -> None:
        self.query_one("#status-spinner").display = False

    def watch_info(self, info: str) -> None:
        self.query_one("#status-info", Label).update(Content(info))

    def watch_activity(self, activity: str) -> None:
        self.query_one("#status-activity", Label).update(Content(activity))
        self.query_one("#status-spinner").display = bool(activity)
