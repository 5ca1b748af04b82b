"""A modal to choose the target language: type to filter, enter to choose.

The choices come from `models.hub.catalog`; the article's own language is the entry
marked "original", which shows summaries without any translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from models.hub import catalog
from models.language_names import language_name


@dataclass(frozen=True)
class Choice:
    """One language in the picker."""

    code: str  # the code the reader uses: the source language for "original"
    label: str
    search: str  # what typing matches against, casefolded


def language_choices(source_lang: str) -> list[Choice]:
    """The catalog's languages, with the article's own language first as "original"."""
    choices: list[Choice] = []
    for entry in catalog.languages():
        if entry.code == catalog.ORIGINAL:
            name = language_name(source_lang)
            label = (
                f"{source_lang:<3} {name} · original"
                if name != source_lang
                else (f"{source_lang:<3} original")
            )
            search = f"{source_lang} {name} original"
            choices.append(Choice(source_lang, label, search.casefold()))
        elif entry.code != source_lang:
            search = f"{entry.code} {entry.english} {entry.native}"
            choices.append(Choice(entry.code, f"{entry.code:<3} {entry.label}", search.casefold()))
    return choices


class LanguagePicker(ModalScreen[str | None]):
    """Dismisses with the chosen language code, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="picker-cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker-down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker-up"),
    ]

    def __init__(self, source_lang: str, current: str) -> None:
        super().__init__()
        self.choices = language_choices(source_lang)
        self.current = current
        self._shown: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Static("Target language", classes="dialog-title")
            yield Input(placeholder="type to filter, enter to choose", id="picker-filter")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._filter("")
        codes = [choice.code for choice in self._shown]
        if self.current in codes:
            self.query_one(OptionList).highlighted = codes.index(self.current)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self._shown = [c for c in self.choices if not needle or needle in c.search]
        options = self.query_one(OptionList)
        options.set_options(Option(Content(c.label), id=c.code) for c in self._shown)
        if self._shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None and self._shown:
            self.dismiss(self._shown[options.highlighted].code)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._shown[event.option_index].code)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()
