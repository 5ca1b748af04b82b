"""The original text of one section, alone or beside its translation.

Every string here comes from the article or a model, so each is wrapped in a
plain `Content`: a "[bold]" in an article is shown as it is, never as markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from models.fidelity.flags import Flag, describe
from models.ingest.article import Section
from models.sanitize import safe_line, safe_text
from tui.marks import FLAG_STYLE, Mark, flag_marks, marked, paragraph_offsets


@dataclass(frozen=True)
class Translation:
    """What the right-hand column of the bilingual view shows."""

    lang: str
    paragraphs: tuple[str, ...] = ()
    status: str | None = None  # "translating…" or a failure message while no paragraphs
    flags: tuple[Flag, ...] = ()  # what the translation changed or dropped (models.fidelity)


def plain(text: str) -> Content:
    """Text from an article or a model, shown literally."""
    return Content(text)


class OriginalView(VerticalScroll, can_focus=True):
    """The current section's text; with a translation, one row per paragraph pair."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._section: Section | None = None
        self._heading: tuple[str, ...] = ()
        self._notes: tuple[str, ...] = ()
        self._source_lang = ""
        self._translation: Translation | None = None
        self._dirty = False
        self._rebuilding = False
        self._scroll_home = False
        # Marks (search matches, support of a summary sentence) by paragraph index.
        self._marks: dict[int, tuple[Mark, ...]] = {}
        self._translated_marks: dict[int, tuple[Mark, ...]] = {}
        self._scroll_target: int | None = None

    def show_section(
        self,
        section: Section,
        *,
        heading: Sequence[str] = (),
        source_lang: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        """Show `section` from the top; `heading` (title, dateline) precedes the lead,
        `notes` (the article's, e.g. "(With input from Xinhua)") follow the text."""
        self._section = _safe_section(section)
        self._heading = tuple(safe_line(line) for line in heading if line)
        self._notes = tuple(safe_text(note) for note in notes if note.strip())
        self._source_lang = source_lang
        self._translation = None
        self._marks, self._translated_marks, self._scroll_target = {}, {}, None
        self._rebuild(scroll_home=True)

    def mark(
        self,
        marks: dict[int, tuple[Mark, ...]],
        translated: dict[int, tuple[Mark, ...]] | None = None,
        *,
        scroll_to: int | None = None,
    ) -> None:
        """Style spans of paragraphs (and of their translations); scroll to a paragraph."""
        self._marks, self._translated_marks = dict(marks), dict(translated or {})
        self._scroll_target = scroll_to
        self._rebuild()

    def show_translation(self, translation: Translation | None) -> None:
        """Show the section beside `translation`, or alone when it is None."""
        if translation == self._translation:
            return
        self._translation = translation
        self._rebuild()

    @property
    def translation(self) -> Translation | None:
        return self._translation

    def _rebuild(self, *, scroll_home: bool = False) -> None:
        """Replace the children with the current state, one rebuild at a time.

        Rebuilds run in order in one async worker: removing children that are
        still mounting (two quick changes) would leave a mount waiting forever.
        """
        self._dirty = True
        self._scroll_home = self._scroll_home or scroll_home
        if self.is_mounted and not self._rebuilding:
            self._rebuilding = True
            self.run_worker(self._drain(), group="rebuild", exit_on_error=True)

    async def _drain(self) -> None:
        try:
            while self._dirty:
                self._dirty = False
                async with self.batch():
                    await self.remove_children()
                    await self.mount_all(list(self._blocks()))
                if self._scroll_home:
                    self._scroll_home = False
                    self.scroll_home(animate=False)
                if self._scroll_target is not None:
                    rows = [
                        w for w in self.query(".paragraph, .pair") if "pair-title" not in w.classes
                    ]
                    if 0 <= self._scroll_target < len(rows):
                        row = rows[self._scroll_target]
                        self.call_after_refresh(self.scroll_to_widget, row, animate=False, top=True)
                    self._scroll_target = None
        finally:
            self._rebuilding = False

    @property
    def settled(self) -> bool:
        """Whether the children show the current state (no rebuild pending)."""
        return not self._dirty and not self._rebuilding

    def compose(self) -> ComposeResult:
        self._dirty = False
        return self._blocks()

    def _blocks(self) -> ComposeResult:
        section = self._section
        if section is None:
            return
        if self._heading:
            yield Static(plain(self._heading[0]), classes="article-title")
            for line in self._heading[1:]:
                yield Static(plain(line), classes="dateline")
        if section.title:
            yield Static(plain(section.title), classes="section-title")
        translation = self._translation
        if translation is None:
            for index, paragraph in enumerate(section.paragraphs):
                yield Static(marked(paragraph, self._marks.get(index, ())), classes="paragraph")
        else:
            yield from self._bilingual(section, translation)
        for caption in section.captions:
            yield Static(plain(caption), classes="caption")
        for note in self._notes:
            yield Static(plain(note), classes="article-note")

    def _bilingual(self, section: Section, translation: Translation) -> ComposeResult:
        yield ParagraphPair(
            f"original ({self._source_lang})", translation.lang, classes="pair-title"
        )
        if not translation.paragraphs:
            yield Static(plain(translation.status or ""), classes="notice")
        if translation.flags:  # "check: 3 million not in the section"
            yield Static(plain(describe(translation.flags)), classes="check")
        flagged = _per_paragraph(translation)
        pairs = zip_longest(section.paragraphs, translation.paragraphs, fillvalue="")
        for index, (paragraph, translated) in enumerate(pairs):
            own = self._translated_marks.get(index, ())
            yield ParagraphPair(
                paragraph,
                translated,
                marks=(self._marks.get(index, ()), flagged.get(index, ()) + own),
            )


def _per_paragraph(translation: Translation) -> dict[int, tuple[Mark, ...]]:
    """The translation's flags as marks per paragraph (flag offsets are into the text)."""
    marks: dict[int, tuple[Mark, ...]] = {}
    offsets = paragraph_offsets(translation.paragraphs)
    for start, end, style in flag_marks(translation.flags):
        for index, (offset, paragraph) in enumerate(
            zip(offsets, translation.paragraphs, strict=True)
        ):
            if offset <= start < offset + len(paragraph):
                marks[index] = (*marks.get(index, ()), (start - offset, end - offset, style))
    return marks


def _safe_section(section: Section) -> Section:
    """`section` with terminal escapes and control characters removed (an article may
    carry them; a terminal would obey them); the title is a single safe line."""
    paragraphs = tuple(safe_text(p) for p in section.paragraphs)
    captions = tuple(safe_text(c) for c in section.captions)
    title = safe_line(section.title)
    if (title, paragraphs, captions) == (section.title, section.paragraphs, section.captions):
        return section
    return dataclasses.replace(section, title=title, paragraphs=paragraphs, captions=captions)


class ParagraphPair(Static):
    """One row of the bilingual view: a paragraph and its translation side by side.

    A single widget holding a two-column grid, rather than a container of two:
    rows are rebuilt often, and leaf widgets mount and unmount cheaply.
    """

    def __init__(
        self,
        original: str,
        translated: str,
        *,
        classes: str = "",
        marks: tuple[tuple[Mark, ...], tuple[Mark, ...]] = ((), ()),
    ) -> None:
        self.original = original
        self.translated = translated
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        # Plain `Text`: article and model text is never markup. Marks show reversed: a
        # Rich style cannot name the theme's colours.
        cells = []
        for text, spans in zip((original, translated), marks, strict=True):
            cell = Text(text)
            for start, end, style in spans:
                cell.stylize("underline" if style == FLAG_STYLE else "reverse", start, end)
            cells.append(cell)
        grid.add_row(*cells)
        super().__init__(grid, classes=f"pair {classes}".strip())
