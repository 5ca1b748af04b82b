"""The numbered list of an article's sections, marking those whose output is ready.

Display only: the reader screen tells it which sections are ready and listens for
`SectionList.Moved` (the highlight moved) and `SectionList.Opened` (enter). The list
is the one place the position lives: `j`/`k` step it like the arrow keys do, so a
burst of presses is applied in order and a move the screen makes is never echoed back.
The first entry is the Brief (the whole article summarized); it is the one place
that knows the options are one ahead of the sections: everything it takes and
reports is a section index, or `BRIEF` (None) for that entry.
Titles are single lines the article wrote: bidi overrides, zero-width characters and
control characters are removed so that they cannot shift the borders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from models.ingest.article import Section
from models.sanitize import safe_line

READY_MARK = "●"
LEAD_TITLE = "Lead"
BRIEF_LABEL = "Brief"
BRIEF = None
"""What the list reports for its Brief entry, where it reports a section index."""
COMPACT_BELOW = 28  # columns; narrower lists show one line per title
# Longer articles get one line per title: a wrapped grid per option made measuring
# 10,000 sections take seconds before the first paint.
COMPACT_ABOVE_SECTIONS = 200
# Options measured before the first paint; the rest are added right after it (the
# option list measures every option it holds: 10,000 of them took seconds).
FIRST_PAINT_SECTIONS = 300
LOAD_CHUNK = 500


def section_label(section: Section) -> str:
    """The title a person sees for a section; the untitled lead is "Lead"."""
    return safe_line(section.title).strip() or LEAD_TITLE


class SectionList(OptionList):
    """Numbered section titles with a mark for sections whose output is ready."""

    @dataclass
    class Moved(Message):
        """The highlight moved to the section at `index` (`BRIEF`: to the Brief)."""

        index: int | None

    @dataclass
    class Opened(Message):
        """The person chose to read the section at `index` (`BRIEF`: the Brief)."""

        index: int | None

    ready: reactive[frozenset[int]] = reactive(frozenset(), init=False)
    """Indexes of sections whose output for the current language and length is ready."""

    brief_ready: reactive[bool] = reactive(False, init=False)
    """Whether the Brief for the current language and length is ready."""

    def __init__(
        self, sections: Sequence[Section], *, brief: bool = True, id: str | None = None
    ) -> None:
        self._sections = tuple(sections)
        self._offset = 1 if brief else 0  # options before the first section's
        self._always_compact = len(self._sections) > COMPACT_ABOVE_SECTIONS
        self._compact = self._always_compact
        self._pending: int | None = None  # an option to highlight once it is loaded
        super().__init__(id=id)
        if brief:
            self.add_option(Option(self._brief_prompt(), id="brief"))
        self.add_options(self._section_options(0, FIRST_PAINT_SECTIONS))

    # -- sections and options: the offset lives here only ---------------------------

    def _option_of(self, section: int | None) -> int:
        return 0 if section is BRIEF else section + self._offset

    def _section_of(self, option: int) -> int | None:
        return BRIEF if option < self._offset else option - self._offset

    @property
    def sections_loaded(self) -> int:
        """How many sections the list holds yet (a long article's fill in after paint)."""
        return self.option_count - self._offset

    @property
    def highlighted_section(self) -> int | None:
        """The section highlighted, `BRIEF` for the Brief (or when nothing is)."""
        option = self.highlighted
        return BRIEF if option is None else self._section_of(option)

    def load_rest(self) -> None:
        """Add the sections left out of the first paint, a chunk at a time, so that the
        keys keep working while a long article's list fills in."""
        if self.sections_loaded < len(self._sections):
            start = self.sections_loaded
            self.add_options(self._section_options(start, start + LOAD_CHUNK))
            if self._pending is not None and self._pending < self.option_count:
                self.move_to(self._section_of(self._pending))
            self.set_timer(0.01, self.load_rest)

    def _section_options(self, start: int, stop: int) -> list[Option]:
        return [
            Option(self._section_prompt(position), id=f"section-{position}")
            for position in range(start, min(stop, len(self._sections)))
        ]

    def _prompt_at(self, option: int) -> Table | Text:
        section = self._section_of(option)
        return self._brief_prompt() if section is BRIEF else self._section_prompt(section)

    def _brief_prompt(self) -> Table | Text:
        mark = Text(READY_MARK if self.brief_ready else " ", style="green")
        return self._prompt(mark, Text("   "), Text(BRIEF_LABEL, style="bold"))

    def _section_prompt(self, position: int) -> Table | Text:
        # Titles come from the article, so they are plain `Text`, never markup.
        mark = Text(READY_MARK if position in self.ready else " ", style="green")
        number = Text(f"{position + 1:>2} ", style="dim")
        return self._prompt(mark, number, Text(section_label(self._sections[position])))

    def _prompt(self, mark: Text, number: Text, title: Text) -> Table | Text:
        if self._always_compact:
            # Cut at render time (no_wrap + ellipsis): nothing to redo on a resize.
            return Text.assemble(mark, number, title, no_wrap=True, overflow="ellipsis")
        if self._compact:
            room = max(self.scrollable_content_region.width - len(mark) - len(number), 4)
            title.truncate(room, overflow="ellipsis")
            return Text.assemble(mark, number, title)
        # A grid gives long titles a hanging indent.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=4, no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(mark + number, title)
        return grid

    def on_resize(self) -> None:
        # In a narrow column wrapped titles would push most sections off screen.
        if self._always_compact:
            return
        compact = self.size.width < COMPACT_BELOW
        if compact or compact != self._compact:
            self._compact = compact
            for option in range(self.option_count):
                self.replace_option_prompt_at_index(option, self._prompt_at(option))

    def watch_ready(self, old: frozenset[int], new: frozenset[int]) -> None:
        for position in old ^ new:
            if 0 <= position < self.sections_loaded:
                option = self._option_of(position)
                self.replace_option_prompt_at_index(option, self._section_prompt(position))

    def watch_brief_ready(self) -> None:
        if self._offset:
            self.replace_option_prompt_at_index(self._option_of(BRIEF), self._brief_prompt())

    def move_to(self, index: int | None) -> None:
        """Highlight the section `index` (`BRIEF`: the Brief) without reporting it back
        as a move (no Moved message)."""
        if index is BRIEF and not self._offset:
            return
        option = self._option_of(index)
        self._pending = option if option >= self.option_count else None
        if self.highlighted != option and option < self.option_count:
            with self.prevent(OptionList.OptionHighlighted):
                self.highlighted = option

    def step(self, delta: int) -> None:
        """Move the highlight by `delta` entries, as the arrow keys do (reported by Moved).

        Reading the position from the list itself, which every key updates at once,
        makes each press of a burst count even before the screen has caught up.
        """
        if not self.option_count:
            return
        current = self.highlighted if self.highlighted is not None else 0
        target = max(0, min(current + delta, self.option_count - 1))
        if target != current:
            self.highlighted = target

    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Moved(self._section_of(event.option_index)))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Opened(self._section_of(event.option_index)))
