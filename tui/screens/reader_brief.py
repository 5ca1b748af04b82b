"""The Brief: the first entry of the reader's section list, and the `b` key.

The Brief is a summary of the whole article made from the section summaries
(models.service.brief), shown in the output pane in the view's language and length;
where the original text goes, the article's contents, one line per section. It is
looked up or made in a worker (the section summaries it needs first, each batch
counted in the pane title), dropped when it arrives for a view no longer on screen,
and made again when a section summary of its length changes while it is shown.
`]`/`[` on the brief highlight the sections a sentence of it came from. `b` jumps
to the Brief and back. The screen's `section` stays the article section read last
while the Brief is shown, so nothing else needs to know that the list has one more
entry than the article has sections.
"""

from __future__ import annotations

import time
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
from models.service.events import SUMMARY, Failure, Output, OutputKey
from tui.marks import SENTENCE_STYLE, SUPPORT_STYLE, Mark, paragraph_offsets
from tui.widgets import OriginalView, OutputPane, SectionList
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
CONTENTS_LINES = 300
PROGRESS_EVERY_S = 0.2  # the brief's progress in the pane title, at most this often


def contents_line(section: Section) -> str:
    """A section's line in the contents shown beside the brief: "2. Transport"."""
    return f"{section.index + 1}. {section_label(section)}"


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


class BriefEntry(_Base):
    """The Brief entry's flows, mixed into `ReaderScreen`."""

    if TYPE_CHECKING:
        service: PrecisService
        article: Article
        source_lang: str
        brief: bool
        lang: str
        length: Length
        downloads: ModelDownloads
        _sentence: tuple[OutputKey, int] | None

        def _notice_for(self, output: Output) -> str: ...

    _brief_on_pane: tuple[str, Length] | None = None  # the brief the pane shows: lang, length
    _brief_sources: tuple[str, ...] | None = None  # the section summaries behind it

    def action_brief(self) -> None:
        """`b`: to the Brief, and back to the section read last."""
        self.brief = not self.brief

    def _show_contents(self) -> None:
        """Where the original text goes, for the Brief: the article's title and one
        line per section (each a paragraph, so that `]` can mark a brief sentence's
        sections)."""
        sections = self.article.sections
        lines = tuple(contents_line(s) for s in sections[:CONTENTS_LINES])
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

        last = [0.0]

        def progress(label: str) -> None:
            # A batch of section summaries can take a millisecond (extractive): tell the
            # UI at most every PROGRESS_EVERY_S, and always the last step.
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or not label.startswith("section"):
                last[0] = now
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
            text = f"No brief: {safe_message(result.message, 1000)}"
            pane.show_failure(text, self.downloads.hint(result))
            return
        # Shown as every output is (the module that defines it imports this one).
        from tui.screens.reader import sanitized

        result = sanitized(result)
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
        lines: dict[int, tuple[Mark, ...]] = {
            s: ((0, len(contents_line(self.article.sections[s])), SUPPORT_STYLE),)
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
