"""Tell an article's body from the furniture around it: links, captions, credits, notes.

News pages pasted or extracted as text carry "Read more:" link lists, photo
captions repeated verbatim, photo credits and editorial notes. Summarizing those
wastes the model's window and puts headlines of other stories into a summary, so
they are taken out here before sectioning: captions are kept (once) beside their
section, notes beside the article, related links dropped.

Every check looks at a bounded slice of a paragraph, so a 100,000-character line
costs no more than a short one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.ingest.article import Block
from models.ingest.phrases import (
    is_contributed,
    is_credit,
    is_furniture,
    is_furniture_heading,
    phrases,
)
from models.text import CJK_CHAR

_MAX_CAPTION = 800  # characters; longer text is never a caption
_CLOSERS = "\"'”’»)]）」』"
# A sentence ends here (a question mark too, but see `is_body`).
_TERMINAL = ".!?。！？…"
# A heading never ends like this.
_NOT_HEADING_END = ".!?:;,。！？：；，、…"

_READ_MORE = re.compile(
    r"(?:read more|related(?: stories| articles| news| reading| coverage| content| links)?"
    r"|see also|also read|read also|more on this(?: story| topic)?|recommended(?: reading)?"
    r"|further reading|more stories|you may also like|lesen sie auch|mehr zum thema"
    r"|lire aussi|à lire aussi|voir aussi|leer más|lea también|lee también|leia mais|leggi anche"
    r"|相关阅读|延伸阅读|相关新闻|推荐阅读|相關閱讀|延伸閱讀|関連記事)"
    r"\s*[:：]?",
    re.IGNORECASE,
)
_NOTE = re.compile(
    r"[(（]?\s*(?:cover(?: image| photo| picture)?|with input from|with inputs from"
    r"|reporting by|additional reporting|editing by|writing by|compiled by|translated by"
    r"|source|sources|editor|editors|reporter|the views expressed|the author is|the author was"
    r"|this article (?:was|first)|mit material von|责任编辑|来源|编辑)\b\s*[:：]?",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"(?:©|copyright\b|all rights reserved)", re.IGNORECASE)
# "... 2020. /Xinhua", "/AP Photo", "/ Getty Images", "(Photo: ...)", "（新华社记者 王晔 摄）".
_CREDIT_END = re.compile(
    r"(?:(?:^|[\s.,)\]])/\s?(?-i:[A-Z])[\w.&'-]*(?:\s[\w.&'-]+){0,3}\)?"
    r"|\((?:file )?(?:photos?|images?|pictures?|credit|foto|bild|video)\b[^()]*\)"
    r"|摄[)）]"
    r")\s*$",
    re.IGNORECASE,
)
_CREDIT_START = re.compile(
    r"(?:(?:file |top |main )?(?:photos?|images?|pictures?|credits?|foto|bild|illustration"
    r"|graphic|video)(?: credit| by| courtesy of)?\s*[:：]|photo taken on\b|file photo\b)",
    re.IGNORECASE,
)
_DATELINE_START = re.compile(
    r"(?:updated|published|posted|last updated|last modified|modified|date|aktualisiert"
    r"|veröffentlicht|stand|mis à jour|publié le|actualizado|publicado|更新|发布|發布|更新时间)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\d{1,2}[-/. ](?:\d{1,2}|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-zä]*\.?[-/. ,]+\d{2,4}"
    r"|\b\d{4}-\d{2}-\d{2}\b|\d{4}\s*年|\b\d{1,2}:\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    # Whole words only: "Paris attacks" and "Diplomats meet" are headlines, not bylines.
    r"(?:(?:by|von|par|por|di|door|av|af)\b|作者|记者|記者)\s*[:：]?\s*\S",
    re.IGNORECASE,
)


def ends_sentence(text: str, marks: str = _TERMINAL) -> bool:
    """Whether `text` ends with one of `marks`, allowing closing quotes or brackets after it."""
    tail = text.rstrip().rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in marks


def is_title_like(text: str, *, max_words: int = 12, max_chars: int = 100) -> bool:
    """A short line without end punctuation: a heading, a link title, a headline."""
    if len(text) > max_chars * 2 or ends_sentence(text, _NOT_HEADING_END):
        return False
    if not any(ch.isalpha() for ch in text):
        return False
    if CJK_CHAR.search(text):
        return len(text) <= max(30, max_chars // 3)
    return len(text) <= max_chars and len(text.split()) <= max_words


def is_body(text: str) -> bool:
    """A real paragraph: long, or ending like a sentence."""
    if CJK_CHAR.search(text[:200]):
        return len(text) > 60 or ends_sentence(text, ".!。！…")
    return len(text) > 160 or len(text.split()) > 20 or ends_sentence(text, ".!。！…")


def is_read_more(text: str) -> bool:
    """A "Read more:" / "Related:" line that introduces links to other stories."""
    match = _READ_MORE.match(text[:60])
    return match is not None and (match.end() == len(text) or text[match.end() - 1] in ":：")


def is_note(text: str) -> bool:
    """An editorial note: "(Cover: ...)", "(With input from Xinhua)", "Editor: ..."."""
    if len(text) > 600:
        return False
    match = _NOTE.match(text[:60])
    if match is not None:
        whole_paren = _parenthesised(text)
        labelled = text[match.end() - 1 : match.end()] in ":："
        with_phrase = not labelled and match.group(0).lower().lstrip("(（ ").startswith(
            (
                "with input",
                "reporting",
                "additional",
                "editing",
                "writing",
                "compiled",
                "translated",
                "the views",
                "the author",
                "this article",
                "mit material",
            )
        )
        if whole_paren or ((labelled or with_phrase) and len(text.split()) <= 30):
            return True
    return len(text) <= 200 and _COPYRIGHT.search(text) is not None and not is_body_sentence(text)


def is_body_sentence(text: str) -> bool:
    """A paragraph of several words ending like a sentence (not a "© 2024 Site" line)."""
    return len(text.split()) > 12 and ends_sentence(text)


def is_caption(text: str) -> bool:
    """A photo caption or credit: ends with "/Xinhua", "(Photo: ...)", starts "Photo:"."""
    if len(text) > _MAX_CAPTION:
        return False
    if _CREDIT_START.match(text[:40]) and len(text.split()) <= 60:
        return True
    return _CREDIT_END.search(text[-80:]) is not None


def is_dateline(text: str) -> bool:
    """ "Updated 08:45, 16-Apr-2020", "Published: 3 May 2024", "2024-05-03 10:00"."""
    if len(text) > 80 or ends_sentence(text, ".!?。"):
        return False
    if _DATELINE_START.match(text) and any(ch.isdigit() for ch in text):
        return True
    return _DATE.search(text) is not None and len(text.split()) <= 6


def is_byline(text: str) -> bool:
    """ "By Jane Doe", "Von Anna Schmidt, NDR", "记者：王明", "半月谈记者 史卫燕"."""
    if len(text) > 100:
        return False
    if phrases().byline_cjk.match(" ".join(text.split())):
        return True
    if ends_sentence(text, ".!?。"):
        return False
    return _BYLINE.match(text) is not None and len(text.split()) <= 10


# How far into an article a byline or dateline is looked for: after a caption, a
# standfirst or a "4 MIN READ" line, but before the story is under way.
_FRONT_BLOCKS = 8
# "GENEVA (Reuters) - ", "FRANKFURT, Jan 25 (Reuters) - ", "BERLIN (dpa) – ": a wire dateline.
_WIRE_DATELINE = re.compile(
    r"((?:[A-ZÄÖÜÉ][\w'’.-]*[ ,/]{0,2}){1,4}(?:,? [A-Z][a-z]{2,8}\.? \d{1,2})?"
    r" \((?:Reuters|AP|AFP|dpa|Xinhua|Bloomberg|UPI|ANSA|EFE|Kyodo|Yonhap|PAP|APA|sda|KNA|epd"
    r"|Associated Press|CNN|BBC)\))\s+[-–—]+\s+(?=\S)"
)


def take_front_matter(
    blocks: Sequence[Block],
) -> tuple[str | None, str | None, list[Block]]:
    """Split a dateline and a byline off the start: (dateline, byline, remaining blocks).

    Looks at the opening blocks up to the first real paragraph, skipping captions and
    furniture ("4 MIN READ"); a wire dateline ("GENEVA (Reuters) -") that opens the
    first paragraph is split off it.
    """
    dateline: str | None = None
    byline: str | None = None
    kept: list[Block] = []
    index = 0
    for index, block in enumerate(blocks[:_FRONT_BLOCKS]):  # noqa: B007
        text = block.text
        if block.kind == "caption":
            kept.append(block)
            continue
        if block.kind != "paragraph":
            break
        if dateline is None and is_dateline(text):
            dateline = text
        elif byline is None and is_byline(text):
            byline = text
        elif is_furniture(text) or is_credit(text):
            continue  # strip_boilerplate would drop it; here it must not end the search
        else:
            break
    else:
        index = min(len(blocks), _FRONT_BLOCKS)
    rest = [*kept, *blocks[index:]]
    if dateline is None:
        for i, block in enumerate(rest[:3]):
            match = _WIRE_DATELINE.match(block.text) if block.kind == "paragraph" else None
            if match is not None:
                dateline = match.group(1).strip()
                rest[i] = Block("paragraph", block.text[match.end() :])
                break
    return dateline, byline, rest


def strip_boilerplate(blocks: Sequence[Block]) -> tuple[list[Block], list[str]]:
    """Drop related links, turn captions into caption blocks, take notes out.

    Returns the kept blocks (headings, paragraphs, captions in order) and the
    notes in document order. Linear in the number of blocks.
    """
    out: list[Block] = []
    out_pos: list[int] = []
    notes: list[tuple[int, str]] = []
    i, n = 0, len(blocks)
    while i < n:
        block = blocks[i]
        text = block.text
        i += 1
        if block.kind == "heading" and is_furniture_heading(text):
            # "Top 5", "Most read", "Mehr zum Thema": the heading and the links under it.
            while i < n and blocks[i].kind != "heading" and not _is_story(blocks[i]):
                i += 1
            continue
        if block.kind != "paragraph":
            out.append(block)
            out_pos.append(i)
            continue
        if is_furniture(text) or _is_embedded_post(text):
            continue
        if is_credit(text) and (len(text.split()) <= 2 or not is_caption(text)):
            continue  # "Getty", "REUTERS/Kai Pfaffenbach"; "Photo: Rail Press Agency" stays

        if is_contributed(text):
            notes.append((i, text))
            continue
        if is_read_more(text):
            opening = _READ_MORE.match(text[:60])
            if opening is not None and len(opening.group(0)) >= len(text.rstrip()):
                # A bare "Read more:": the titles that follow are links, up to real text.
                while i < n and blocks[i].kind == "paragraph" and _is_link(blocks[i].text):
                    i += 1
            continue
        if is_note(text):
            notes.append((i, text))
            continue
        if (
            out
            and out[-1].kind in ("paragraph", "caption")
            and out[-1].text == text
            and not is_body_sentence(text)
            and len(text) <= _MAX_CAPTION
        ):
            # A caption printed twice (under and beside a photo) is a caption, once; a
            # paragraph printed twice is body, as the page has it.
            out[-1] = Block("caption", text)
            continue
        if is_caption(text):
            out.append(Block("caption", text))
        else:
            out.append(block)
        out_pos.append(i)
    # Parenthesised remarks after the last paragraph are notes too.
    while out and out[-1].kind == "paragraph" and _parenthesised(out[-1].text):
        notes.append((out_pos.pop(), out.pop().text))
    notes.sort(key=lambda item: item[0])
    return out, [text for _, text in notes]


# The signature line of an embedded tweet or post: "— Jane Doe (@jdoe) January 19, 2020".
_POST_SIGNATURE = re.compile(
    r"(?:[—–-]\s*[^()\n]{1,60}\(@\w{1,30}\)\s*\w+\.? \d{1,2},? \d{4}\s*$|pic\.twitter\.com/\w+)"
)


def _is_embedded_post(text: str) -> bool:
    """An embedded tweet or post: its text ends with the author's handle and the date."""
    return len(text) <= 600 and _POST_SIGNATURE.search(text[-120:]) is not None


def _is_story(block: Block) -> bool:
    """A paragraph that reads as the article going on, not a teaser or link title."""
    return block.kind == "paragraph" and (len(block.text) > 200 or is_body_sentence(block.text))


def _is_link(text: str) -> bool:
    return not is_body(text) and not is_note(text) and not is_caption(text)


def _parenthesised(text: str) -> bool:
    return text.startswith(("(", "（")) and text.endswith((")", "）")) and len(text) <= 400
