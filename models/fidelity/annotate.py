"""Flags and support links for one output of the service, computed once and cached.

The service calls `annotate` for every summary and translation it makes and stores
the result with the output, so the reader and the export get the checks without
running them again. Results are also memoised here: the service annotates an
output once when it stores it and once when it hands it out.
"""

from __future__ import annotations

from functools import lru_cache

from models.fidelity.flagger import check_summary, check_translation
from models.fidelity.flags import Flag
from models.fidelity.support import sentence_spans, support_links

Support = tuple[tuple[int, ...], ...]


@lru_cache(maxsize=256)
def annotate(
    paragraphs: tuple[str, ...],
    source_paragraphs: tuple[str, ...],
    *,
    translation: bool,
    lang: str,
    source_lang: str,
    aligned: tuple[str, ...] | None = None,
) -> tuple[tuple[Flag, ...], Support]:
    """(flags, support) for an output in `lang` of a section in `source_lang`.

    `translation` is True for a translation (or a section given whole, translated):
    it is checked both ways and gets no support links, since it follows the section
    sentence by sentence. Flag offsets are into the paragraphs joined by blank lines.
    `aligned` is the summary before its translation, in `source_lang`: when it has as
    many sentences, support is computed from it, in the section's own language.
    """
    text = "\n\n".join(paragraphs)
    source = "\n\n".join(source_paragraphs)
    if translation:
        if lang == source_lang:
            return (), ()
        flags = check_translation(text, source, lang=lang, source_lang=source_lang)
        return tuple(flags), ()
    flags = check_summary(text, source, lang=lang, source_lang=source_lang)
    summary = [s.text for s in sentence_spans(paragraphs, lang)]
    summary_lang = lang
    if aligned is not None:
        before = [s.text for s in sentence_spans(aligned, source_lang)]
        if len(before) == len(summary):
            summary, summary_lang = before, source_lang
    sources = [s.text for s in sentence_spans(source_paragraphs, source_lang)]
    links = support_links(summary, sources, lang=summary_lang, source_lang=source_lang)
    return tuple(flags), tuple(tuple(link) for link in links)
