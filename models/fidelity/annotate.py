"""Flags and support links for one output of the service, computed once and cached.

The service calls `annotate` for every summary and translation it makes and stores
the result with the output, so the reader and the export get the checks without
running them again. Results are also memoised here: the service annotates an
output once when it stores it and once when it hands it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models.fidelity.flagger import check_summary, check_translation
from models.fidelity.flags import Flag
from models.fidelity.support import sentence_spans, support_links

Support = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Aligned:
    """The summary before its translation, in `lang`, and, when that is not the section's
    language (a summary made from the pivot translation), the section in `lang` too."""

    summary: tuple[str, ...]
    lang: str
    source: tuple[str, ...] | None = None


@lru_cache(maxsize=256)
def annotate(
    paragraphs: tuple[str, ...],
    source_paragraphs: tuple[str, ...],
    *,
    translation: bool,
    lang: str,
    source_lang: str,
    aligned: Aligned | None = None,
) -> tuple[tuple[Flag, ...], Support]:
    """(flags, support) for an output in `lang` of a section in `source_lang`.

    `translation` is True for a translation (or a section given whole, translated):
    it is checked both ways and gets no support links, since it follows the section
    sentence by sentence. Flag offsets are into the paragraphs joined by blank lines.
    `aligned` is the summary before its translation: when it has as many sentences,
    support is computed from it, against the section in the same language (the pivot
    translation's sentences stand for the section's when they correspond one to one).
    """
    text = "\n\n".join(paragraphs)
    source = "\n\n".join(source_paragraphs)
    if translation:
        if lang == source_lang:
            return (), ()
        flags = check_translation(text, source, lang=lang, source_lang=source_lang)
        return tuple(flags), ()
    summary = [s.text for s in sentence_spans(paragraphs, lang)]
    sources = [s.text for s in sentence_spans(source_paragraphs, source_lang)]
    if lang == source_lang and aligned is None:
        copied = verbatim_links(summary, sources)
        if copied is not None:
            # Every sentence is the section's own: nothing in it can be new, and where
            # it came from is known exactly (an extractive summary, or a model copying).
            return (), copied
    flags = check_summary(text, source, lang=lang, source_lang=source_lang)
    if aligned is not None:
        before = [s.text for s in sentence_spans(aligned.summary, aligned.lang)]
        if len(before) == len(summary):
            found = _aligned_links(before, aligned, source_paragraphs, source_lang)
            if found is not None:
                return tuple(flags), found
    links = support_links(summary, sources, lang=lang, source_lang=source_lang)
    return tuple(flags), tuple(tuple(link) for link in links)


def verbatim_links(summary: Sequence[str], sources: Sequence[str]) -> Support | None:
    """Each summary sentence's place in `sources` when every one of them is a source
    sentence word for word (whitespace aside); None as soon as one is not."""
    where: dict[str, int] = {}
    for index, sentence in enumerate(sources):
        where.setdefault(" ".join(sentence.split()), index)
    links = []
    for sentence in summary:
        found = where.get(" ".join(sentence.split()))
        if found is None:
            return None
        links.append((found,))
    return tuple(links)


def _aligned_links(
    before: Sequence[str], aligned: Aligned, source_paragraphs: tuple[str, ...], source_lang: str
) -> Support | None:
    if aligned.source is None:  # the summary before translation is in the section's language
        sources = [s.text for s in sentence_spans(source_paragraphs, source_lang)]
        copied = verbatim_links(before, sources)
        if copied is not None:
            return copied
        links = support_links(before, sources, lang=source_lang, source_lang=source_lang)
        return tuple(tuple(link) for link in links)
    pivot = sentence_spans(aligned.source, aligned.lang)
    original = sentence_spans(source_paragraphs, source_lang)
    # Pivot sentence i stands for section sentence i only if every paragraph kept its
    # number of sentences in translation; otherwise there is no telling which is which.
    if len(aligned.source) != len(source_paragraphs) or [s.paragraph for s in pivot] != [
        s.paragraph for s in original
    ]:
        return None
    texts = [s.text for s in pivot]
    links = support_links(before, texts, lang=aligned.lang, source_lang=aligned.lang)
    return tuple(tuple(link) for link in links)
