"""The one-line status: languages, length, models and what the service computes.

The line is built from parts, most important first; on a narrow terminal the parts
that do not fit are left out whole (never cut mid-word). The parts may name models
and devices that precis did not write, so each is a single safe line. A loading
indicator appears only while something computes, so a quiet reader shows a still
line (and snapshot tests stay deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Label, LoadingIndicator

from models.sanitize import safe_line

SEPARATOR = " · "
SPINNER_WIDTH = 6
PADDING = 2  # each label's padding, left and right


def fit_parts(parts: Sequence[str], width: int) -> str:
    """As many of `parts` as fit in `width` cells, in order, joined; the first one is
    always kept (cut with an ellipsis only when even it does not fit)."""
    shown = ""
    for part in parts:
        candidate = part if not shown else shown + SEPARATOR + part
        if shown and cell_len(candidate) > width:
            break
        shown = candidate
    return shown


class StatusBar(Horizontal):
    """Source and target language, summary length, model info and activity."""

    parts: reactive[tuple[str, ...]] = reactive((), init=False)
    """What the status says, most important first, e.g. ("en → de", "short", "cpu")."""

    activity: reactive[str] = reactive("", init=False)
    """What computes now, e.g. "summarizing 3/6 (de, short)"; "" when idle."""

    @property
    def info(self) -> str:
        """All the parts, as one line (what fits is shown)."""
        return SEPARATOR.join(self.parts)

    @info.setter
    def info(self, text: str) -> None:
        self.parts = tuple(text.split(SEPARATOR)) if text else ()

    def compose(self) -> ComposeResult:
        yield Label(id="status-info")
        yield LoadingIndicator(id="status-spinner")
        yield Label(id="status-activity")

    def on_mount(self) -> None:
        self.query_one("#status-spinner").display = False

    def watch_parts(self) -> None:
        self._fit()

    def watch_activity(self, activity: str) -> None:
        self.query_one("#status-activity", Label).update(Content(safe_line(activity)))
        self.query_one("#status-spinner").display = bool(activity)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.size.width - PADDING
        if self.activity:
            # The activity label is at most half the line (see app.tcss).
            busy = min(cell_len(self.activity) + PADDING, self.size.width // 2)
            width -= busy + SPINNER_WIDTH
        parts = [safe_line(p) for p in self.parts]
        text = fit_parts(parts, width) if self.size.width else SEPARATOR.join(parts)
        self.query_one("#status-info", Label).update(Content(text))
