"""Search across an article: the original text, summaries and translations.

Matching folds case and diacritics ("Sao Paulo" finds "São Paulo") and needs no
word boundaries, so CJK text is found like any other. Only outputs already in the
cache are searched: a search never starts a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.fidelity.fold import find_all

ORIGINAL = "original"
SUMMARY = "summary"
TRANSLATION = "translation"


@dataclass(frozen=True)
class SectionTexts:
    """What can be searched in one section: its paragraphs and its cached outputs."""

    section: int
    original: tuple[str, ...]
    summary: tuple[str, ...] = ()
    translation: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One match: in which section, which text, which paragraph, and where in it.

    For a summary, `paragraph` is 0 and the offsets are into the whole summary
    (paragraphs joined by blank lines), as the output pane shows it.
    """

    section: int
    where: str  # ORIGINAL | SUMMARY | TRANSLATION
    paragraph: int
    start: int
    end: int


def search(query: str, texts: Sequence[SectionTexts]) -> list[Match]:
    """Every match of `query`, in reading order: section by section, original first."""
    matches: list[Match] = []
    for entry in texts:
        for index, paragraph in enumerate(entry.original):
            for start, end in find_all(query, paragraph):
                matches.append(Match(entry.section, ORIGINAL, index, start, end))
        if entry.summary:
            for start, end in find_all(query, "\n\n".join(entry.summary)):
                matches.append(Match(entry.section, SUMMARY, 0, start, end))
        for index, paragraph in enumerate(entry.translation):
            for start, end in find_all(query, paragraph):
                matches.append(Match(entry.section, TRANSLATION, index, start, end))
    return matches


def describe_matches(matches: Sequence[Match]) -> str:
    """ "7 matches in 4 sections", "1 match in 1 section", "no matches"."""
    if not matches:
        return "no matches"
    sections = len({m.section for m in matches})
    noun = "match" if len(matches) == 1 else "matches"
    where = "section" if sections == 1 else "sections"
    return f"{len(matches)} {noun} in {sections} {where}"


def next_index(matches: Sequence[Match], current: int | None, step: int) -> int | None:
    """The index of the match `step` (+1 or -1) from `current`, wrapping around."""
    if not matches:
        return None
    if current is None:
        return 0 if step > 0 else len(matches) - 1
    return (current + step) % len(matches)


def first_from(matches: Sequence[Match], section: int) -> int | None:
    """The first match in `section` or after it (wrapping), for a new search."""
    for index, match in enumerate(matches):
        if match.section >= section:
            return index
    return 0 if matches else None
