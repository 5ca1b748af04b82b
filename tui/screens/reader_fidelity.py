"""Where a summary comes from, search, and the brief: the reader's `]`/`[`, `/`, `n`,
`N` and `b` keys, and the Brief entry of the section list.

`]` and `[` step through the sentences of the summary on screen; the sentences of
the original that support the current one (`Output.support`, from
models.fidelity) are highlighted and scrolled to. `/` searches the original text
and the cached summaries and translations of every section; `n` and `N` jump
between the matches across sections. The Brief, the first entry of the section
list (`b` jumps to it and back), shows a summary of the whole article made from the
section summaries (models.service.brief) in the output pane, and the article's
contents, one line per section, where the original text goes; `]`/`[` on the brief
highlight the sections its sentences come from. This mixin holds these flows so the
reader screen keeps to what is on screen; it only reads the screen's state and sets
it through its reactives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from models.errors import Cancelled, PrecisError
from models.fidelity.support import SentenceSpan, sentence_spans
from models.ingest.article import Section
from models.language_names import language_name
from models.sanitize import safe_message
from models.service.brief import BRIEF_TITLE, brief_sources, make_brief, peek_brief
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
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
from tui.widgets import OriginalView, OutputPane, SectionList
from tui.widgets.search_bar import SearchBar
from tui.widgets.section_list import section_label

if TYPE_CHECKING:
    from textual.screen import Screen

    from models.ingest.article import Article
    from models.service.scheduler import PrecisService
    from models.types import Length
    from tui.screens.reader_downloads import ModelDownloads

    _Base = Screen[None]
else:
    _Base = object


# The Brief's contents pane lists this many sections at most: each line is a widget,
# and 10,000 of them took seconds to mount.
CONTENTS_LINES = 500


@dataclass
class BriefReady(Message, bubble=False):
    """The brief for `lang` and `length` was made (or could not be); `sources` are the
    section summaries it was made from, one per section."""

    lang: str
    length: Length
    result: Output | Failure
    sources: tuple[str, ...] | None = None


@dataclass
class BriefProgress(Message, bubble=False):
    """How far the brief for `lang` and `length` has come, in a few words."""

    lang: str
    length: Length
    label: str


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
        downloads: ModelDownloads

        def _request_outputs(self) -> None: ...

        def _notice_for(self, output: Output) -> str: ...

    _sentence: tuple[OutputKey, int] | None = None  # the summary sentence shown, and whose
    _matches: list[SearchMatch] | None = None
    _searched: tuple[str, str, Length] | None = None  # the query, language and length
    _match: int | None = None
    _brief_on_pane: tuple[str, Length] | None = None  # the brief the pane shows: lang, length
    _brief_sources: tuple[str, ...] | None = None  # the section summaries behind it

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

    # -- the brief ---------------------------------------------------------------------

    def action_brief(self) -> None:
        """`b`: to the Brief, and back to the section read last."""
        self.brief = not self.brief

    def _show_contents(self) -> None:
        """Where the original text goes, for the Brief: the article's title and one
        line per section (each a paragraph, so that `]` can mark a brief sentence's
        sections)."""
        sections = self.article.sections
        lines = tuple(f"{s.index + 1}. {section_label(s)}" for s in sections[:CONTENTS_LINES])
        if len(sections) > CONTENTS_LINES:
            lines += (f"… and {len(sections) - CONTENTS_LINES} more sections",)
        meta = " · ".join(x for x in (self.article.dateline, self.article.byline) if x)
        self.query_one(OriginalView).show_section(
            Section(
                0, f"{BRIEF_TITLE}: the whole article, from its {len(sections)} sections", lines
            ),
            heading=(self.article.title, meta),
            source_lang=self.source_lang,
        )

    def _brief_title(self, progress: str = "") -> str:
        name = language_name(self.lang) if self.lang != self.source_lang else "original"
        title = f"{BRIEF_TITLE} · the whole article · {self.length.value} · {name}"
        return f"{title} · {progress}" if progress else title

    def _request_brief(self) -> None:
        """Show the brief for the view: it is looked up, or made, in a worker."""
        pane = self.query_one(OutputPane)
        pane.set_title(self._brief_title())
        if self._brief_on_pane != (self.lang, self.length) or pane.state != "output":
            self._brief_on_pane = None
            pane.show_loading()
        self._make_brief(self.lang, self.length)

    def _leave_brief(self) -> None:
        """A section is on screen: the brief's work stops (finished section summaries
        stay cached) and its output is no longer the pane's."""
        self._brief_on_pane = None
        if self._sentence is not None and self._sentence[0].section == 0:
            self._sentence = None  # the brief's key is section 0's: start that one afresh
        self.workers.cancel_group(self, "brief")

    @work(thread=True, exclusive=True, group="brief", exit_on_error=False)
    def _make_brief(self, lang: str, length: Length) -> None:
        # Off the UI thread: every section summary is read from the cache, and those
        # that are not there are computed.
        worker = get_current_worker()

        def progress(label: str) -> None:
            self.post_message(BriefProgress(lang, length, label))

        try:
            result: Output | Failure | None = peek_brief(self.service, lang, length)
            if result is None:
                result = make_brief(self.service, lang, length, worker.cancelled_event, progress)
            sources = brief_sources(self.service, length)
        except Cancelled:
            return  # the reader left the brief
        except PrecisError as exc:
            result, sources = Failure(OutputKey(0, lang, SUMMARY, length), str(exc)), None
        if not worker.is_cancelled:
            self.post_message(BriefReady(lang, length, result, sources))

    def _mark_brief_if_cached(self, lang: str, length: Length) -> None:
        """Called on the marks worker: mark the Brief entry when its brief is cached."""
        if peek_brief(self.service, lang, length) is not None:
            self.app.call_from_thread(self._set_brief_ready, lang, length)

    def _set_brief_ready(self, lang: str, length: Length) -> None:
        if (lang, length) == (self.lang, self.length):
            self.query_one(SectionList).brief_ready = True

    def on_brief_progress(self, message: BriefProgress) -> None:
        pane = self.query_one(OutputPane)
        wanted = self.brief and (message.lang, message.length) == (self.lang, self.length)
        if wanted and pane.state == "loading":
            pane.set_title(self._brief_title(message.label))

    def on_brief_ready(self, message: BriefReady) -> None:
        if not self.brief or (message.lang, message.length) != (self.lang, self.length):
            return  # the reader moved on
        pane = self.query_one(OutputPane)
        pane.set_title(self._brief_title())
        result = message.result
        if isinstance(result, Failure):
            self._brief_on_pane = None
            if result.model_id:
                self.downloads.offer(result)
            message = f"No brief: {safe_message(result.message, 1000)}"
            pane.show_failure(message, self.downloads.hint(result))
            return
        self._brief_on_pane = (message.lang, message.length)
        self._brief_sources = message.sources
        self._sentence = None
        self.query_one(SectionList).brief_ready = True
        if result.shown_lang:
            shown = language_name(result.shown_lang)
            pane.set_title(f"{BRIEF_TITLE} · the whole article · {self.length.value} · {shown}")
        pane.show_output(result, self._notice_for(result))
        if result.missing_model:
            failure = Failure(
                result.key, result.note or "", result.missing_model, result.missing_size
            )
            self.downloads.offer(failure, toast=False)

    def _brief_summary_changed(self, output: Output) -> None:
        """A section summary arrived while the brief is on screen: a new one of the
        brief's own length (a section recomputed, a model downloaded) makes it stale."""
        key = output.key
        if (
            not output.from_cache
            and key.kind == SUMMARY
            and (key.lang, key.length) == (self.source_lang, self.length)
            and self._brief_on_pane == (self.lang, self.length)
        ):
            self._request_brief()

    def _show_brief_support(
        self, output: Output, sentences: list[SentenceSpan], index: int
    ) -> None:
        """The sections a brief sentence comes from: the brief's source sentences are
        the section summaries', one paragraph per section."""
        offsets = paragraph_offsets(output.paragraphs)
        current = sentences[index]
        start = offsets[current.paragraph] + current.start
        self.query_one(OutputPane).mark([(start, start + len(current.text), SENTENCE_STYLE)])
        links = output.support[index] if index < len(output.support) else ()
        source = sentence_spans(self._brief_sources or (), self.source_lang)
        sections = sorted({source[link].paragraph for link in links if 0 <= link < len(source)})
        lines = {
            s: ((0, len(f"{s + 1}. {section_label(self.article.sections[s])}"), SUPPORT_STYLE),)
            for s in sections
            if s < CONTENTS_LINES
        }
        self.query_one(OriginalView).mark(lines, scroll_to=min(lines) if lines else None)
        where = (
            "from the summary of section " + ", ".join(str(s + 1) for s in sections)
            if sections
            else "no section summary is close to it"
        )
        self.notify(
            f"Brief sentence {index + 1} of {len(sentences)}: {where}", timeout=4, markup=False
        )
