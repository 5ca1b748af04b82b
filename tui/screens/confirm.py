"""Asks once before a model download, saying how big it is."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from models.sanitize import safe_line
from models.text import format_size


class ConfirmDownload(ModalScreen[bool]):
    """Download `model_id`? Dismisses with True (download) or False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "dismiss(False)", "Cancel", id="confirm-no"),
        Binding("y", "dismiss(True)", "Download", id="confirm-yes"),
    ]

    def __init__(self, model_id: str, size_bytes: int | None) -> None:
        super().__init__()
        self.model_id = model_id
        self.size_bytes = size_bytes

    def compose(self) -> ComposeResult:
        size = format_size(self.size_bytes)
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(
                Content(f"Download {safe_line(self.model_id)} ({size})?"), id="confirm-question"
            )
            yield Static(
                Content("It is stored in the Hugging Face cache and used offline afterwards."),
                classes="dim",
            )
            with Horizontal(id="confirm-buttons"):
                yield Button("Download (y)", variant="primary", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
