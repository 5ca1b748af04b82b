"""Article and Section: the immutable result of reading any input.

Every input kind (plain text, Markdown, HTML, URL, stdin) ends as one `Article`
whose sections are what the reader shows and what the models summarize. The
format parsers (models/parse_*.py) produce `Block`s; `assemble_article` is the one
place that turns blocks into sections, so every format is sectioned alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.errors import InputError
from models.text import CJK_CHAR


@dataclass(frozen=True)
class Section:
    """One section of an article: a title (empty for the lead) and its body."""

    index: int
    title: str
    paragraphs: tuple[str, ...]
    captions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Article:
    """A parsed article. `notes` hold trailing notes such as "(With input from ...)"."""

    title: str
    sections: tuple[Section, ...]
    dateline: str | None = None
    byline: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""  # a path, a URL, "-" for stdin, or "sample"


@dataclass(frozen=True)
class Block:
    """One unit of an input on its way to sections: "heading", "paragraph", "caption", "note"."""

    kind: str
    text: str


# Articles without headings are cut into sections of about this many words, at
# paragraph boundaries: long enough to summarize, short enough to read on one screen.
SECTION_WORDS = 350
MAX_SECTION_WORDS = 450


def word_count(text: str) -> int:
    """Words in `text`; CJK text, written without spaces, counts two characters a word."""
    head = text[:4000]
    cjk = len(CJK_CHAR.findall(head))
    if not cjk:
        return len(text.split())
    ratio = len(text) / len(head)
    return int((len(head.split()) + cjk / 2) * ratio)


def assemble_article(
    title: str,
    blocks: Sequence[Block],
    *,
    dateline: str | None = None,
    byline: str | None = None,
    notes: Sequence[str] = (),
    source: str = "",
    stack_headings: bool = False,
) -> Article:
    """Group blocks into sections; raise InputError when no paragraph is left.

    Headings start sections and the paragraphs before the first one form the lead
    (title ""). Without any heading the paragraphs are cut by size instead. A
    heading with no paragraph under it is dropped, its captions kept; with
    `stack_headings`, one straight over another joins its title ("Part One — Chapter 1").
    `Section.index` is the section's 0-based position in `Article.sections`.
    """
    notes = [*notes, *(b.text for b in blocks if b.kind == "note")]
    blocks = [b for b in blocks if b.kind != "note"]
    if any(b.kind == "heading" for b in blocks):
        sections = _sections_by_heading(blocks, stack_headings=stack_headings)
    else:
        sections = _sections_by_size(blocks)
    if not sections:
        raise InputError(f"{source or 'the input'} holds no article text")
    return Article(
        title=title,
        sections=tuple(sections),
        dateline=dateline,
        byline=byline,
        notes=tuple(notes),
        source=source,
    )


def _sections_by_heading(blocks: Sequence[Block], *, stack_headings: bool) -> list[Section]:
    sections: list[Section] = []
    title = ""
    paragraphs: list[str] = []
    captions: list[str] = []
    pending = False  # a heading seen and no paragraph under it yet
    for block in blocks:
        if block.kind == "heading":
            if paragraphs:
                sections.append(_section(len(sections), title, paragraphs, captions))
                paragraphs, captions = [], []
                pending = False
            # A part heading straight over a chapter heading is kept in the title:
            # "Part One — Chapter 1", rather than lost (web pages; `stack_headings`).
            stack = stack_headings and pending and title
            title = f"{title} — {block.text}" if stack else block.text
            pending = True
        elif block.kind == "caption":
            captions.append(block.text)
        else:
            paragraphs.append(block.text)
    if paragraphs:
        sections.append(_section(len(sections), title, paragraphs, captions))
    elif captions and sections:
        last = sections[-1]
        sections[-1] = _section(
            last.index, last.title, last.paragraphs, [*last.captions, *captions]
        )
    return sections


def _sections_by_size(blocks: Sequence[Block]) -> list[Section]:
    pieces: list[tuple[str, str, int]] = []  # (kind, text, words)
    for block in blocks:
        words = word_count(block.text)
        if block.kind == "paragraph" and words > MAX_SECTION_WORDS:
            pieces.extend(("paragraph", p, word_count(p)) for p in _split_paragraph(block.text))
        else:
            pieces.append((block.kind, block.text, words))
    total = sum(words for kind, _, words in pieces if kind == "paragraph")
    if total == 0:
        return []
    count = -(-total // MAX_SECTION_WORDS)
    limit = max(total / count * 1.15, SECTION_WORDS)
    groups: list[tuple[list[str], list[str]]] = []
    paragraphs: list[str] = []
    captions: list[str] = []
    size = 0
    for kind, text, words in pieces:
        if kind == "caption":
            captions.append(text)
            continue
        if paragraphs and size + words > limit:
            groups.append((paragraphs, captions))
            paragraphs, captions, size = [], [], 0
        paragraphs.append(text)
        size += words
    if paragraphs:
        groups.append((paragraphs, captions))
    elif captions:
        groups[-1][1].extend(captions)
    return [
        _section(i, "" if i == 0 else f"Part {i + 1}", paras, caps)
        for i, (paras, caps) in enumerate(groups)
    ]


def _split_paragraph(text: str) -> list[str]:
    """Cut one long paragraph into pieces of about SECTION_WORDS words, at sentences
    (a sentence longer than that, e.g. a page with no sentence ends, at words)."""
    from models.text import chunk_sentences, split_sentences

    lang = "zh" if CJK_CHAR.search(text[:2000]) else "en"
    return chunk_sentences(split_sentences(text, lang), word_count, SECTION_WORDS, lang=lang)


def _section(index: int, title: str, paragraphs: Sequence[str], captions: Sequence[str]) -> Section:
    # A caption printed under a photo and again in the text is kept once.
    return Section(index, title, tuple(paragraphs), tuple(dict.fromkeys(captions)))
