"""The help screen on `?`: every key of the reader, as the keymap binds it now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "precis shows an article section by section, with a summary in the language you "
    "choose. Outputs are cached; ● marks sections whose summary is ready. The names "
    "on the right remap keys in the [keys] table of the config file."
)


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss(None)", "Close", id="help-close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str]], ids: Sequence[str] = ()) -> None:
        super().__init__()
        self.rows = list(rows)
        self.ids = list(ids)  # each row's binding id, for the [keys] table of the config

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static("Keys", classes="dialog-title")
            yield Static(Content(INTRO), id="help-intro")
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(ratio=1)
            grid.add_column(style="dim", no_wrap=True)
            ids = self.ids + [""] * (len(self.rows) - len(self.ids))
            for (keys, description), binding_id in zip(self.rows, ids, strict=True):
                grid.add_row(Text(keys), Text(description), Text(binding_id))
            yield Static(grid, id="help-keys")
