"""HTML to an Article: the page's main text, its headings as section starts.

A web page is mostly navigation, scripts, footers and ads around one article.
trafilatura is a maintained extractor built for exactly this; we parse the page once
(lxml), read what the page declares about itself (html_meta: headline, author, figure
captions), and walk trafilatura's extracted tree, which keeps headings (`<head>`),
paragraphs (`<p>`), lists, line breaks (`<lb>`), bold runs (`<hi rend="#b">`), links
(`<ref>`) and images in order. Structure the flat text would lose decides here:
a paragraph that is all bold and short is a subhead, one that is all link and no
sentence is a link to another page, a `<br>` is a space, a code block keeps its lines.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from models.errors import InputError, one_line
from models.ingest.article import Article, Block, assemble_article
from models.ingest.boilerplate import (
    ends_sentence,
    is_body,
    is_byline,
    is_dateline,
    is_title_like,
    strip_boilerplate,
    take_front_matter,
)
from models.ingest.encoding import clean_text
from models.ingest.formats.html_meta import choose_title, read_meta, strip_site_name
from models.ingest.page_kind import refuse_if_not_article
from models.ingest.phrases import is_furniture_heading, is_real_author
from models.text import CJK_CHAR

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAGS = frozenset({"p", "quote", "code", "item", "cell", "row"})
# A numeric reference to a control character ("&#27;"): lxml refuses the whole
# document for one, and trafilatura then finds no article on a page that has one.
_CONTROL_REF = re.compile(r"&#(?:x0*([0-9a-f]{1,6})|0*([0-9]{1,7}));?", re.IGNORECASE)
# Share of a paragraph's characters inside links/bold above which it is "all link"/"all bold".
_WHOLE = 0.9
_SUBHEAD_WORDS = 15


def parse_html(
    html: str, *, source: str = "", url: str | None = None, read_anyway: bool = False
) -> Article:
    """Extract the article from an HTML page; InputError when the page holds none.

    A page that is a list of links, an FAQ or a shop's products raises NotAnArticle
    (an InputError) unless `read_anyway`.
    """
    # trafilatura pulls in lxml, htmldate, courlan (~0.3 s): only load it for HTML.
    import htmldate
    import trafilatura
    from trafilatura.utils import load_html

    html = _CONTROL_REF.sub(_drop_control_ref, clean_text(html))
    name = source or "the page"
    try:
        tree = load_html(html)
        if tree is None:
            raise InputError(f"{name} is an HTML page with no article text")
        meta = read_meta(tree, url)
        _drop_hidden(tree)
        subheads = _subheads(tree)
        # The page's own declarations (html_meta) replace trafilatura's metadata pass,
        # which took about half of the extraction time.
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            output_format="xml",
            include_formatting=True,
            favor_recall=True,
            include_comments=False,
            include_tables=True,
            include_images=True,
            include_links=True,
            with_metadata=False,
        )
        # Without extensive_search htmldate does not guess from "Copyright 2024" lines.
        date = htmldate.find_date(tree, extensive_search=False, original_date=True)
    except InputError:
        raise
    except Exception as error:  # lxml and trafilatura raise many types on broken markup
        raise InputError(f"cannot read the HTML of {name}: {one_line(error)}") from None
    body = getattr(document, "body", None)
    if document is None or body is None:
        raise InputError(f"{name} is an HTML page with no article text")
    title = choose_title(meta)
    # The page's first h1 is usually the headline again: shown once, as the title.
    shown = {_key(title), *(_key(h) for h in meta.h1[:1] if _similar(h, title))}
    blocks = _restore_subheads(_blocks(body, shown, meta.captions), subheads)
    dateline, byline, blocks = take_front_matter(blocks)
    if byline is None:
        author = meta.authors[0] if meta.authors else _guessed_author(tree, meta.sites)
        byline = f"By {author}" if author else None
    if dateline is None and date:
        dateline = date
    blocks, notes = strip_boilerplate(blocks)
    if not _has_prose([b.text for b in blocks if b.kind == "paragraph"]):
        raise InputError(f"{name} is an HTML page with no article text")
    refuse_if_not_article(blocks, name, link_share=_link_share(body), read_anyway=read_anyway)
    return assemble_article(
        title,
        blocks,
        dateline=dateline,
        byline=byline,
        notes=notes,
        source=source,
        stack_headings=True,  # h2 "Part One" over h3 "Chapter 1": both shown
    )


_SUBHEAD_TAGS = ("h2", "h3", "h4")
_LEAD_CHARS = 40  # how much of the text after a subhead identifies it
_MAX_SUBHEADS = 300


def _subheads(tree: Any) -> list[tuple[str, str]]:
    """The page's h2-h4 headings, each with the start of the text that follows it."""
    found: list[tuple[str, str]] = []
    for heading in tree.iter(*_SUBHEAD_TAGS):
        text = _text(heading.text_content())
        if not text or len(text) > 200:
            continue
        for sibling in list(heading.itersiblings())[:3]:
            if not isinstance(sibling.tag, str):
                continue
            after = _text(sibling.text_content())
            if len(after) >= _LEAD_CHARS:
                found.append((text, after[:_LEAD_CHARS]))
                break
        if len(found) >= _MAX_SUBHEADS:
            break
    return found


def _restore_subheads(blocks: list[Block], subheads: list[tuple[str, str]]) -> list[Block]:
    """Put back subheads trafilatura dropped, where the text under them was kept.

    A heading comes back only above the paragraph that follows it on the page, so
    one over a dropped link list ("Related stories") stays dropped.
    """
    have = {_key(b.text) for b in blocks if b.kind == "heading"}
    starts = {b.text[:_LEAD_CHARS]: i for i, b in reversed(list(enumerate(blocks)))}
    inserts: dict[int, str] = {}
    for text, lead in subheads:
        index = starts.get(lead)
        if index is None or _key(text) in have or is_furniture_heading(text):
            continue
        if not (is_title_like(text, max_words=15, max_chars=120) or ends_sentence(text, "?")):
            continue  # a standfirst or a teaser set in a heading's type
        if text[0].isalpha() and text[0].islower():
            continue  # a section label ("business") over teasers, not a subhead
        if blocks[index].kind != "paragraph" or (index and blocks[index - 1].kind == "heading"):
            continue
        inserts.setdefault(index, text)
        have.add(_key(text))
    if not inserts:
        return blocks
    out: list[Block] = []
    for i, block in enumerate(blocks):
        if i in inserts:
            out.append(Block("heading", inserts[i]))
        out.append(block)
    return out


# Elements a browser does not show: the `hidden` attribute, aria-hidden, inline styles.
_HIDDEN = (
    "//*[@hidden or @aria-hidden='true'"
    " or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)


def _drop_hidden(tree: Any) -> None:
    """Remove what the page hides from its readers (Readability does the same).

    Hidden text is a second copy of a teaser, a screen-reader label or a template;
    the tail text after a hidden element stays.
    """
    for element in tree.xpath(_HIDDEN):
        if element.tag in ("html", "body"):
            continue
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()


def _link_share(body: Any) -> float:
    """The share of the extracted text's characters that sit inside links."""
    total = len("".join("".join(body.itertext()).split()))
    links = sum(
        len("".join(_inline_text(ref).split()))
        for ref in body.iter("ref")
        if not _has_ancestor(ref, "ref", body)
    )
    return links / total if total else 0.0


def _guessed_author(tree: Any, sites: list[str]) -> str | None:
    """trafilatura's guess from the page's layout, for pages that declare no author.

    It makes "Facebook Com; Vegolosi" of a link to facebook.com/vegolosi: one part
    that names no person discredits the whole guess.
    """
    from trafilatura.metadata import extract_author

    try:
        guess = extract_author(tree)
    except Exception:  # a guess is optional; a failing one must not lose the article
        return None
    parts = [_text(p) for p in (guess or "").split(";") if p.strip()]
    site = sites[0] if sites else ""
    if not parts or not all(is_real_author(p, site) for p in parts):
        return None
    return "; ".join(parts)


def page_title(html: str) -> str:
    """The page's <title>, without a trailing " | Site name"."""
    match = _TITLE.search(html[:200_000])
    if not match:
        return ""
    title = _text(html_lib.unescape(re.sub(r"<[^>]*>", "", match.group(1))))
    return strip_site_name(title, [])


def _blocks(body: Any, titles: set[str], captions: dict[str, str]) -> list[Block]:
    """The extracted tree as blocks, in order; links to other pages left out."""
    blocks: list[Block] = []
    _walk(body, titles, captions, blocks)
    return blocks


def _walk(parent: Any, titles: set[str], captions: dict[str, str], out: list[Block]) -> None:
    # Text and inline elements (links, emphasis) between blocks form paragraphs of their
    # own: "<item>Congratulations to ... <list>...</list></item>" keeps its first line.
    run: list[str] = [parent.text or ""]
    for element in parent:
        tag = element.tag
        if tag in _INLINE or tag == "lb":
            run.extend((_inline_text(element), element.tail or ""))
            continue
        _flush(run, out)
        if tag == "head":
            text = _text(_inline_text(element))
            if not text or _key(text) in titles:
                pass
            elif len(text) <= 200 and len(text.split()) <= 25:
                out.append(Block("heading", text))
            else:  # a caption or a lead set in a heading's type is text, not a heading
                out.append(Block("paragraph", text))
        elif tag == "row" and _is_simple_row(element):
            cells = [_text(_inline_text(cell)) for cell in element]
            text = " | ".join(c for c in cells if c)
            if text:
                out.append(Block("paragraph", text))
        elif tag in _BLOCK_TAGS and not (tag != "p" and _has_blocks(element)):
            out.extend(_block(element))
            out.extend(_captions(element, captions, nested=True))
        elif tag == "graphic":
            out.extend(_captions(element, captions))
        else:  # list, table, a cell or item holding paragraphs: look inside
            _walk(element, titles, captions, out)
        run.append(element.tail or "")
    _flush(run, out)


def _flush(run: list[str], out: list[Block]) -> None:
    text = _text("".join(run))
    if text:
        out.append(Block("paragraph", text))
    run.clear()


def _captions(element: Any, captions: dict[str, str], *, nested: bool = False) -> list[Block]:
    """Captions of an image, or of the images inside a paragraph (`nested`)."""
    found: list[Block] = []
    for graphic in element.iter("graphic") if nested else [element]:
        # An image's alt text describes it for the blind; it is not a caption.
        caption = captions.get(graphic.get("src") or "") or _text(graphic.get("title") or "")
        if caption:
            found.append(Block("caption", caption))
    return found


_CONTAINERS = ("p", "list", "head", "code", "quote", "table")
_INLINE = frozenset({"ref", "hi", "del", "span", "label"})


def _has_blocks(element: Any) -> bool:
    return any(
        child.tag in _CONTAINERS for child in element.iter(*_CONTAINERS) if child is not element
    )


def _is_simple_row(row: Any) -> bool:
    """A table row of short cells, read as one line; a layout table's cells are not."""
    if any(_has_blocks(cell) for cell in row):
        return False
    return len("".join(row.itertext())) <= 300


def _block(element: Any) -> list[Block]:
    if element.tag == "code":
        code = "\n".join(line.rstrip() for line in _inline_text(element, "\n").splitlines())
        code = code.strip("\n")
        return [Block("paragraph", code)] if code.strip() else []
    text = _text(_inline_text(element))
    if not text:
        return []
    if element.tag == "p" and _share(element, "ref", text) >= _WHOLE and not is_body(text):
        return []  # a link to another page, not part of this one
    if element.tag == "p" and _is_subhead(element, text):
        return [Block("heading", text)]
    return [Block("paragraph", text)]


def _is_subhead(element: Any, text: str) -> bool:
    """A short paragraph set all in bold, not ending like a sentence: a subhead."""
    if len(text.split()) > _SUBHEAD_WORDS or len(text) > 120:
        return False
    if ends_sentence(text, ".!;,。！；，…") or text.endswith(":"):
        return False
    if is_byline(text) or is_dateline(text):
        return False
    return _share(element, "hi", text, rend="#b") >= _WHOLE


def _share(element: Any, tag: str, text: str, rend: str | None = None) -> float:
    """The share of `text`'s non-space characters inside descendant `tag` elements."""
    inside = 0
    for child in element.iter(tag):
        if child is element or (rend is not None and rend not in (child.get("rend") or "")):
            continue
        if _has_ancestor(child, tag, element):
            continue  # counted with its outer element
        inside += len("".join(_inline_text(child).split()))
    total = len("".join(text.split()))
    return inside / total if total else 0.0


def _has_ancestor(child: Any, tag: str, stop: Any) -> bool:
    parent = child.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


def _inline_text(element: Any, line_break: str = " ") -> str:
    """The element's text with `<lb/>` as a space: "Satz eins.<lb/>Satz zwei" keeps a gap.

    trafilatura drops whitespace-only text between two inline elements, so
    `<em>on</em> <a>Netflix</a>` arrives as `<hi>on</hi><hi>Netflix</hi>`: where two
    inline elements touch with nothing between them and words on both sides, the
    space is put back ("onNetflix" would be no word at all).
    """
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    previous_touches = False  # the last child ended with no tail text after it
    for child in element:
        if child.tag == "lb":
            parts.append(line_break)
            previous_touches = False
        else:
            text = _inline_text(child, line_break)
            if previous_touches and parts and _glued(parts[-1], text):
                parts.append(" ")
            parts.append(text)
            previous_touches = not child.tail
        if child.tail:
            parts.append(child.tail)
    return "".join(parts)


def _glued(before: str, after: str) -> bool:
    if not before or not after:
        return False
    last, first = before[-1], after[0]
    return (
        (last.isalnum() or last in ",.;:!?")
        and first.isalnum()
        and not (CJK_CHAR.match(last) or CJK_CHAR.match(first))
    )


def _drop_control_ref(match: re.Match[str]) -> str:
    hexa, decimal = match.groups()
    code = int(hexa, 16) if hexa else int(decimal)
    return "" if (code < 32 and code not in (9, 10, 13)) or code == 127 else match.group(0)


def _text(text: str) -> str:
    return " ".join(text.split())


def _similar(a: str, b: str) -> bool:
    """Whether two headlines share most of their words ("X hands-on: Y" and "X is Y")."""
    wa, wb = set(_key(a).split()), set(_key(b).split())
    return bool(wa and wb) and len(wa & wb) >= 0.6 * max(len(wa), len(wb))


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


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
