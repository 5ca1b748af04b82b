"""HTML to an Article: the page's main text, its headings as section starts.

A web page is mostly navigation, scripts, footers and ads around one article.
trafilatura is a maintained extractor built for exactly this; we ask it for its
XML output, which keeps headings (`<head>`), paragraphs (`<p>`), lists and image
alt text in order, and walk that instead of guessing structure from flat text.
"""

from __future__ import annotations

import html as html_lib
import re

from models.errors import InputError, one_line
from models.ingest.article import Article, Block, assemble_article
from models.ingest.boilerplate import strip_boilerplate, take_front_matter
from models.ingest.encoding import clean_text

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")
_BLOCK_TAGS = frozenset({"p", "quote", "code", "item", "cell"})
# A numeric reference to a control character ("&#27;"): lxml refuses the whole
# document for one, and trafilatura then finds no article on a page that has one.
_CONTROL_REF = re.compile(r"&#(?:x0*([0-9a-f]{1,6})|0*([0-9]{1,7}));?", re.IGNORECASE)


def parse_html(html: str, *, source: str = "", url: str | None = None) -> Article:
    """Extract the article from an HTML page; InputError when the page holds none."""
    # trafilatura pulls in lxml, htmldate, courlan (~0.3 s): only load it for HTML.
    import trafilatura
    from lxml import etree

    html = _CONTROL_REF.sub(_drop_control_ref, clean_text(html))
    name = source or "the page"
    try:
        xml = trafilatura.extract(
            html,
            url=url,
            output_format="xml",
            include_formatting=True,
            favor_recall=True,
            include_comments=False,
            include_tables=False,
            include_images=True,
            include_links=False,
            with_metadata=True,
            # Without this htmldate guesses from "Copyright 2024" lines: a wrong dateline.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as error:  # lxml and trafilatura raise many types on broken markup
        raise InputError(f"cannot read the HTML of {name}: {one_line(error)}") from None
    if not xml:
        raise InputError(f"{name} is an HTML page with no article text")
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(huge_tree=True))
    title = _text(root.get("title") or "") or page_title(html)
    blocks = _blocks(root, title)
    dateline, byline, blocks = take_front_matter(blocks)
    author = _text(root.get("author") or "")
    if byline is None and author:
        byline = f"By {author}"
    if dateline is None and root.get("date"):
        dateline = root.get("date")
    blocks, notes = strip_boilerplate(blocks)
    if not _has_prose([b.text for b in blocks if b.kind == "paragraph"]):
        raise InputError(f"{name} is an HTML page with no article text")
    return assemble_article(
        title, blocks, dateline=dateline, byline=byline, notes=notes, source=source
    )


def page_title(html: str) -> str:
    """The page's <title>, without a trailing " | Site name"."""
    match = _TITLE.search(html[:200_000])
    if not match:
        return ""
    title = _text(html_lib.unescape(re.sub(r"<[^>]*>", "", match.group(1))))
    return _TITLE_SUFFIX.sub("", title)


def _blocks(root: object, title: str) -> list[Block]:
    main = root.find("main")  # type: ignore[attr-defined]
    if main is None:
        return []
    blocks: list[Block] = []
    for element in main.iter():
        tag = element.tag
        if tag == "head":
            text = _text("".join(element.itertext()))
            if text and text != title:
                blocks.append(Block("heading", text))
        elif tag in _BLOCK_TAGS and not _inside_block(element):
            text = _text("".join(element.itertext()))
            if text:
                blocks.append(Block("paragraph", text))
        elif tag == "graphic":
            caption = _text(element.get("title") or element.get("alt") or "")
            if len(caption.split()) >= 3:  # "image", "photo 1" are not captions
                blocks.append(Block("caption", caption))
    return blocks


def _inside_block(element: object) -> bool:
    parent = element.getparent()  # type: ignore[attr-defined]
    while parent is not None:
        if parent.tag in _BLOCK_TAGS or parent.tag == "head":
            return True
        parent = parent.getparent()
    return False


def _drop_control_ref(match: re.Match[str]) -> str:
    hexa, decimal = match.groups()
    code = int(hexa, 16) if hexa else int(decimal)
    return "" if (code < 32 and code not in (9, 10, 13)) or code == 127 else match.group(0)


def _text(text: str) -> str:
    return " ".join(text.split())


_WORD = re.compile(r"[^\W\d_]{2,}")
MIN_PROSE_LETTERS = 40  # a navigation bar or a table of numbers is not an article


def _has_prose(paragraphs: list[str]) -> bool:
    """Whether the extracted paragraphs hold words, not just links, digits and cells."""
    letters = 0
    for paragraph in paragraphs:
        letters += sum(len(word) for word in _WORD.findall(paragraph))
        if letters >= MIN_PROSE_LETTERS:
            return True
    return False
