"""The search field under the reader: a query in, `Submitted` and `Closed` out.

Display only: the reader screen runs the search and tells the bar what to say
about it ("7 matches in 4 sections").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static


class SearchBar(Horizontal):
    """A one-line search field with a count of the matches beside it."""

    DEFAULT_CSS = """
    SearchBar {
        display: none;
        height: 1;
        background: $panel;
    }
    SearchBar.-open {
        display: block;
    }
    SearchBar > #search-prompt {
        width: 2;
        color: $text-accent;
    }
    SearchBar > Input {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0;
        background: $panel;
    }
    SearchBar > #search-count {
        width: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False, id="close-search"),
    ]

    @dataclass
    class Submitted(Message):
        """The person asked to search for `query`."""

        query: str

    @dataclass
    class Closed(Message):
        """The search field was closed (escape)."""

    def compose(self) -> ComposeResult:
        yield Static("/", id="search-prompt")
        yield Input(placeholder="search the article, its summaries and translations")
        yield Static(id="search-count")

    def open(self) -> None:
        """Show the field and put the cursor in it."""
        self.add_class("-open")
        self.query_one(Input).focus()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def set_count(self, text: str) -> None:
        self.query_one("#search-count", Static).update(Content(text))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Submitted(event.value))

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed())
