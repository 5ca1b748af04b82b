"""Where a summary comes from, and search: the reader's `]`/`[`, `/`, `n` and `N` keys.

`]` and `[` step through the sentences of the summary on screen; the sentences of
the original that support the current one (`Output.support`, from
models.fidelity) are highlighted and scrolled to (on the Brief, the sections it
came from: tui/screens/reader_brief.py). `/` searches the original text and the
cached summaries and translations of every section; `n` and `N` jump between the
matches across sections. This mixin holds these flows so the reader screen keeps to
what is on screen; it only reads the screen's state and sets it through its
reactives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from models.fidelity.support import SentenceSpan, sentence_spans
from models.service.events import SUMMARY, TRANSLATION, Output, OutputKey
from tui.marks import (
    MATCH_STYLE,
    OTHER_MATCH_STYLE,
    SENTENCE_STYLE,
    SUPPORT_STYLE,
    Mark,
    paragraph_offsets,
)
from tui.search import (
    ORIGINAL,
    SectionTexts,
    describe_matches,
    first_from,
    next_index,
    search,
)
from tui.search import SUMMARY as IN_SUMMARY
from tui.search import TRANSLATION as IN_TRANSLATION
from tui.search import Match as SearchMatch
from tui.widgets import OriginalView, OutputPane
from tui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from textual.screen import Screen

    from models.ingest.article import Article
    from models.service.scheduler import PrecisService
    from models.types import Length

    _Base = Screen[None]
else:
    _Base = object


@dataclass
class SearchDone(Message, bubble=False):
    """The matches of `query` in the article and its outputs for `lang` and `length`."""

    query: str
    lang: str
    length: Length
    matches: list[SearchMatch]


class SupportAndSearch(_Base):
    """Summary-sentence support and article search, mixed into `ReaderScreen`."""

    if TYPE_CHECKING:
        service: PrecisService
        article: Article
        source_lang: str
        section: int
        brief: bool
        lang: str
        length: Length
        bilingual: bool
        _brief_on_pane: tuple[str, Length] | None

        def _show_brief_support(
            self, output: Output, sentences: list[SentenceSpan], index: int
        ) -> None: ...

    _sentence: tuple[OutputKey, int] | None = None  # the summary sentence shown, and whose
    _matches: list[SearchMatch] | None = None
    _searched: tuple[str, str, Length] | None = None  # the query, language and length
    _match: int | None = None

    # -- support of summary sentences ---------------------------------------------------

    def action_next_sentence(self) -> None:
        self._step_sentence(+1)

    def action_previous_sentence(self) -> None:
        self._step_sentence(-1)

    def _summary_on_screen(self) -> Output | None:
        pane = self.query_one(OutputPane)
        output = pane.output
        if pane.state != "output" or output is None or output.key.kind != SUMMARY:
            return None
        if self.brief:
            return output if self._brief_on_pane == (self.lang, self.length) else None
        return output if output.key.section == self.section else None

    def _step_sentence(self, step: int) -> None:
        output = self._summary_on_screen()
        if output is None:
            self.notify("No summary on screen yet.", timeout=3)
            return
        sentences = sentence_spans(output.paragraphs, output.key.lang)
        if not sentences:
            return
        index = 0 if step > 0 else len(sentences) - 1
        if self._sentence is not None and self._sentence[0] == output.key:
            index = (self._sentence[1] + step) % len(sentences)
        self._sentence = (output.key, index)
        if self.brief:
            self._show_brief_support(output, sentences, index)
        else:
            self._show_support(output, sentences, index)

    def _show_support(self, output: Output, sentences: list[SentenceSpan], index: int) -> None:
        offsets = paragraph_offsets(output.paragraphs)
        current = sentences[index]
        start = offsets[current.paragraph] + current.start
        self.query_one(OutputPane).mark([(start, start + len(current.text), SENTENCE_STYLE)])
        links = output.support[index] if index < len(output.support) else ()
        source = sentence_spans(self.article.sections[self.section].paragraphs, self.source_lang)
        marks: dict[int, list[Mark]] = {}
        for link in links:
            if 0 <= link < len(source):
                span = source[link]
                marks.setdefault(span.paragraph, []).append((span.start, span.end, SUPPORT_STYLE))
        first = min(marks) if marks else None
        self.query_one(OriginalView).mark(
            {p: tuple(m) for p, m in marks.items()},
            scroll_to=first,
        )
        where = (
            "supported by sentence " + ", ".join(str(i + 1) for i in links) + " of the section"
            if links
            else "no sentence of the section is close to it"
        )
        self.notify(
            f"Summary sentence {index + 1} of {len(sentences)}: {where}", timeout=4, markup=False
        )

    # -- search ----------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(SearchBar).open()

    def action_next_match(self) -> None:
        self._step_match(+1)

    def action_previous_match(self) -> None:
        self._step_match(-1)

    # Named handlers, not @on: the decorator's handlers are collected only from classes
    # that Textual builds (this mixin is a plain class at runtime).
    def on_search_bar_submitted(self, message: SearchBar.Submitted) -> None:
        self.query_one(SearchBar).set_count("searching …")
        self._search(message.query, self.lang, self.length)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str, lang: str, length: Length) -> None:
        # Off the UI thread: every section's outputs are read from the cache.
        matches = search(query, self._searchable(lang, length))
        self.post_message(SearchDone(query, lang, length, matches))

    def on_search_done(self, message: SearchDone) -> None:
        if (message.lang, message.length) != (self.lang, self.length):
            return  # the view changed while searching: its outputs are others
        self._matches = message.matches
        self._searched = (message.query, message.lang, message.length)
        self._match = None
        self.query_one(SearchBar).set_count(describe_matches(self._matches))
        if not self._matches:
            # The query is the user's text: shown as typed, never as markup.
            self.notify(f"{message.query}: no matches", timeout=3, markup=False)
            return
        self._match = first_from(self._matches, self.section)
        self.query_one(OriginalView).focus()  # so that n and N move between the matches
        self._show_match()

    def on_search_bar_closed(self, _message: SearchBar.Closed) -> None:
        self._matches, self._match = None, None
        self.query_one(OriginalView).mark({})
        self.query_one(OutputPane).mark()
        self.query_one(OriginalView).focus()

    def _searchable(self, lang: str, length: Length) -> list[SectionTexts]:
        """Every section's original, and its outputs for the view if they are cached."""
        texts = []
        for section in self.article.sections:
            summary = self.service.peek(OutputKey(section.index, lang, SUMMARY, length))
            translation = None
            if lang != self.source_lang:
                translation = self.service.peek(OutputKey(section.index, lang, TRANSLATION))
            texts.append(
                SectionTexts(
                    section.index,
                    section.paragraphs,
                    summary.paragraphs if summary else (),
                    translation.paragraphs if translation else (),
                )
            )
        return texts

    def _step_match(self, step: int) -> None:
        if not self._matches or self._searched is None:
            self.notify("No search yet: press / to search.", timeout=3)
            return
        query, lang, length = self._searched
        if (lang, length) != (self.lang, self.length):
            # The matches in summaries and translations were for other outputs: again.
            self.query_one(SearchBar).set_count("searching …")
            self._search(query, self.lang, self.length)
            return
        self._match = next_index(self._matches, self._match, step)
        self._show_match()

    def _show_match(self) -> None:
        matches, current = self._matches, self._match
        if not matches or current is None:
            return
        match = matches[current]
        if match.section != self.section or self.brief:
            self.section = match.section  # shows the section and its cached outputs
        if match.where == IN_TRANSLATION and not self.bilingual:
            self.bilingual = True
        here = [m for m in matches if m.section == match.section]
        original: dict[int, list[Mark]] = {}
        translated: dict[int, list[Mark]] = {}
        summary: list[Mark] = []
        for m in here:
            style = MATCH_STYLE if m == match else OTHER_MATCH_STYLE
            if m.where == ORIGINAL:
                original.setdefault(m.paragraph, []).append((m.start, m.end, style))
            elif m.where == IN_TRANSLATION:
                translated.setdefault(m.paragraph, []).append((m.start, m.end, style))
            elif m.where == IN_SUMMARY:
                summary.append((m.start, m.end, style))
        scroll = match.paragraph if match.where != IN_SUMMARY else None
        self.query_one(OriginalView).mark(
            {p: tuple(v) for p, v in original.items()},
            {p: tuple(v) for p, v in translated.items()},
            scroll_to=scroll,
        )
        if self._summary_on_screen() is not None:
            self.query_one(OutputPane).mark(summary)
        self.query_one(SearchBar).set_count(
            f"{current + 1}/{len(matches)} · {describe_matches(matches)}"
        )
