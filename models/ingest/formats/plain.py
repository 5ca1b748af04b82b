"""Plain text to an Article: paragraphs, a title, a dateline, headings by shape.

Plain text has no markup, so structure is read from the shape of lines: a short
line without end punctuation that is followed by body text is a heading, the first
such line of the file is the title. Text pasted from a web page and text
hard-wrapped by an editor at ~72 columns are both common, and are told apart by
their line lengths before paragraphs are formed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from models.ingest.article import Article, Block, assemble_article
from models.ingest.boilerplate import (
    ends_sentence,
    is_byline,
    is_dateline,
    is_title_like,
    strip_boilerplate,
    take_front_matter,
)
from models.ingest.encoding import clean_text
from models.text import CJK_CHAR

_LIST_ITEM = re.compile(r"(?:[-*•+]|\d{1,3}[.)])\s")
# Lines of wrapped text cluster just under the wrap width; wider than this is not wrapping.
_MAX_WRAP_WIDTH = 120


def parse_text(text: str, *, source: str = "") -> Article:
    """Parse plain text into an Article; raise InputError when nothing readable is left."""
    paragraphs = split_paragraphs(clean_text(text))
    title = ""
    if len(paragraphs) > 1 and _is_title(paragraphs[0]):
        title = paragraphs.pop(0)
    blocks = [Block("paragraph", p) for p in paragraphs]
    dateline, byline, blocks = take_front_matter(blocks)
    blocks, notes = strip_boilerplate(blocks)
    blocks = mark_headings(blocks)
    return assemble_article(
        title, blocks, dateline=dateline, byline=byline, notes=notes, source=source
    )


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of `text`, whitespace collapsed; lines without letters or digits dropped.

    Blank lines always separate paragraphs. In hard-wrapped text the lines of a
    paragraph are joined, but a line that would have fitted on the previous one
    starts a new paragraph (a heading above its body, a list item). Otherwise
    every line is a paragraph of its own.
    """
    lines = [line.strip() for line in text.split("\n")]
    width = _wrap_width(lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            _flush(current, paragraphs)
            continue
        if width is None:
            paragraphs.append(line)
            continue
        if current and _intended_break(current[-1], line, width):
            _flush(current, paragraphs)
        current.append(line)
    _flush(current, paragraphs)
    return [" ".join(p.split()) for p in paragraphs if _has_word(p)]


def mark_headings(blocks: Sequence[Block]) -> list[Block]:
    """Turn heading-like paragraphs that are followed by body text into headings."""
    out = list(blocks)
    questions: list[int] = []
    following: str | None = None  # the next paragraph's text, looking backwards
    for i in range(len(out) - 1, -1, -1):
        block = out[i]
        if block.kind != "paragraph":
            continue
        if (
            following is not None
            and not is_title_like(following)
            and not _continues(following)
            and is_heading_line(block.text)
        ):
            if ends_sentence(block.text, "?"):
                questions.append(i)
            else:
                out[i] = Block("heading", block.text)
        following = block.text
    # A short question is a heading in an article that has headings ("Was bedeutet das?"),
    # and a one-line paragraph in one that has none ("Why now?").
    if any(b.kind == "heading" for b in out):
        for i in questions:
            out[i] = Block("heading", out[i].text)
    return out


# A line of code: assignments, calls, braces, statement ends, comment markers.
_CODE = re.compile(r"[={}<>]|;\s*$|\w\(|\)\s*$|^\s*(?:#|//|/\*|\$ )|::|->|=>")
# A date with a time, or a relative time: "November 14, 2022 10:42 AM GMT+1", "3 hours ago".
_TIMESTAMP = re.compile(
    r"\b\d{1,2}:\d{2}\b|\b\d+ (?:min(?:ute)?s?|hours?|days?|weeks?) ago\b"
    r"|\b(?:updated|published|posted|aktualisiert|veröffentlicht)\b",
    re.IGNORECASE,
)
_OPENING_MARK = "\"'“‘„«‚‹(["


def is_heading_line(text: str) -> bool:
    """A line shaped like a heading: short, no sentence end (a question is fine), not
    a byline, dateline, timestamp, list item, line of code or wrapped fragment."""
    if len(text) > 200:  # no heading is longer; the checks below stay cheap
        return False
    if is_byline(text) or is_dateline(text) or _TIMESTAMP.search(text):
        return False
    if _LIST_ITEM.match(text) or _CODE.search(text) or text[:1] in _OPENING_MARK:
        return False
    first = text[:1]
    if first.isalpha() and first.islower():
        return False  # the tail of a sentence broken over lines
    if ends_sentence(text, "?") and not ends_sentence(text, ".!"):
        return len(text.split()) <= 12 and len(text) <= 100
    return is_title_like(text)


def _continues(text: str) -> bool:
    """Whether a paragraph starts mid-sentence (lower case): the line above is no heading."""
    first = text.lstrip()[:1]
    return first.isalpha() and first.islower()


def _is_title(text: str) -> bool:
    if ends_sentence(text, ".:;,。：；，") or is_dateline(text) or is_byline(text):
        return False
    if CJK_CHAR.search(text[:50]):
        return len(text) <= 60
    return len(text) <= 200 and len(text.split()) <= 25


def _wrap_width(lines: list[str]) -> int | None:
    """The width text was wrapped at, or None when each line is a paragraph."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 3:
        return max(lengths, default=0) if len(lengths) == 2 else None
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if width > _MAX_WRAP_WIDTH:
        return None
    near = sum(1 for n in lengths if n >= 0.7 * width)
    return width if near >= 0.4 * len(lengths) else None


def _intended_break(previous: str, line: str, width: int) -> bool:
    """Whether a line break inside wrapped text is the author's, not the wrapper's.

    The wrapper would have put the next word on this line had it fitted; and an
    author breaks after a heading, a finished sentence, or before a list item.
    """
    if _LIST_ITEM.match(line):
        return True
    first = 1 if CJK_CHAR.match(line) else len(line.split(" ", 1)[0])
    if len(previous) + 1 + first > width:
        return False
    return ends_sentence(previous) or is_title_like(previous) or is_dateline(previous)


def _flush(current: list[str], paragraphs: list[str]) -> None:
    if not current:
        return
    parts = [current[0]]
    for previous, line in itertools.pairwise(current):
        # CJK is written without spaces: a wrap between two CJK characters adds none;
        # nor does a wrap after a hyphen ("twenty-" / "five").
        cjk = CJK_CHAR.match(previous[-1]) and CJK_CHAR.match(line[0])
        hyphen = len(previous) > 1 and previous[-1] == "-" and previous[-2].isalpha()
        if not (cjk or hyphen):
            parts.append(" ")
        parts.append(line)
    paragraphs.append("".join(parts))
    current.clear()


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
