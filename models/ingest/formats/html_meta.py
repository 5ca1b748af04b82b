"""A web page's title, author and site name, from what the page declares about itself.

Pages state their headline and author for search engines and social sites (JSON-LD,
Open Graph, Dublin Core, `<meta name="author">`), more reliably than any guess from
the visible layout; and their `<title>` carries the site's name (" | DW | 19.01.2020",
"-新华网"), which a reader does not want as the headline. This module reads those
declarations from the parsed page, in the order Mozilla Readability uses, and cleans
them: site names cut off titles, and "authors" that are a site, a URL, a role or a
placeholder rejected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from models.ingest.phrases import byline_name, is_real_author
from models.text import CJK_CHAR

_TITLE_META = (
    "dc:title",
    "dcterm:title",
    "dc.title",
    "og:title",
    "weibo:article:title",
    "weibo:webpage:title",
    "title",
    "twitter:title",
    "parsely-title",
    "sailthru.title",
)
_AUTHOR_META = (
    "dc:creator",
    "dcterm:creator",
    "dc.creator",
    "author",
    "parsely-author",
    "sailthru.author",
    "article:author",
    "byl",
)
_SITE_META = ("og:site_name", "application-name", "twitter:site", "publisher", "dc.publisher")
# Separators between a headline and a site name: spaced dashes, bars, bullets,
# underscores and guillemets; an unspaced hyphen only before CJK text ("标题-新华网").
_SEPARATOR = re.compile(r"\s+[|–—·•:»/-]{1,2}\s+|\s*[|_·•]\s*|-(?=[\u4e00-\u9fff])")
_BRACKETED_END = re.compile(r"\s+[\[【][^\]】]{1,40}[\]】]\s*$")
_TRAILING_SEPARATOR = re.compile(r"[\s|–—·•:»/_-]+$")
_DATE_PART = re.compile(r"[\d./ -]{6,12}|\d{4}年\d{1,2}月\d{1,2}日")
_SPACE = re.compile(r"\s+")
# Wikipedia wraps its JSON-LD in "/*<![CDATA[*/ ... /*]]>*/".
_CDATA = re.compile(r"^\s*(?:/\*\s*)?<!\[CDATA\[(?:\s*\*/)?|(?:/\*\s*)?\]\]>(?:\s*\*/)?\s*$")
# Elements that hold a byline by their class or id, the names Readability looks for.
_BYLINE_CLASS = re.compile(r"byline|author|writtenby|p-author", re.IGNORECASE)
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")


@dataclass
class PageMeta:
    """What a page says about itself; empty strings where it says nothing."""

    title: str = ""
    title_tag: str = ""
    h1: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)  # image src -> its figcaption


def read_meta(tree: Any, url: str | None = None) -> PageMeta:
    """Title, authors, site names and figure captions declared by a parsed page (lxml)."""
    meta = PageMeta()
    values: dict[str, str] = {}
    for element in tree.iterfind(".//meta"):
        content = _clean(element.get("content") or "")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            for key in (element.get(attribute) or "").lower().split():
                values.setdefault(key, content)
    title_element = tree.find(".//title")
    if title_element is not None:
        meta.title_tag = _clean(title_element.text_content())
    ld_title, ld_authors, ld_site = _json_ld(tree, meta.title_tag)
    titles = [ld_title, *(values.get(k, "") for k in _TITLE_META)]
    meta.h1 = [t for t in (_clean(h.text_content()) for h in tree.iterfind(".//h1")) if t]
    meta.sites = [s for s in [ld_site, *(values.get(k, "") for k in _SITE_META)] if s]
    canonical = tree.find(".//link[@rel='canonical']")
    for address in (
        url,
        values.get("og:url"),
        canonical.get("href") if canonical is not None else None,
    ):
        host = urlsplit(address or "").hostname or ""
        if host:
            meta.sites.append(host.removeprefix("www."))
    # A declared "title" that is the site's name ("Aktuálně.cz") is no headline.
    meta.title = next((t for t in titles if t and not _is_site(t, meta.sites, exact=True)), "")
    authors = [*ld_authors, *(values.get(k, "") for k in _AUTHOR_META)]
    meta.authors = [a for a in authors if _usable_author(a, meta.sites)]
    if not meta.authors:  # the layout's byline elements: an XPath over the whole page
        meta.authors = [a for a in _dom_bylines(tree) if _usable_author(a, meta.sites)]
    for figure in tree.iterfind(".//figure"):
        caption = figure.find(".//figcaption")
        if caption is None:
            continue
        text = _clean(caption.text_content())
        for image in figure.iterfind(".//img"):
            for attribute in ("src", "data-src", "data-original"):
                src = image.get(attribute)
                if src and text:
                    meta.captions.setdefault(src, text)
    return meta


def _usable_author(author: str, sites: list[str]) -> bool:
    if not author or author.startswith(("http://", "https://", "/")):
        return False
    return is_real_author(author) and not any(_same(author, s) for s in sites)


def _dom_bylines(tree: Any) -> list[str]:
    """Names in elements marked as the author or byline ("<span class=byline>By X</span>")."""
    found: list[str] = []
    candidates = tree.xpath(
        "//*[@rel='author' or @itemprop='author' or contains(@class, 'yline')"
        " or contains(@class, 'uthor') or contains(@id, 'yline')][position() <= 20]"
    )
    for element in candidates:
        marker = " ".join([element.get("class") or "", element.get("id") or ""])
        if not (element.get("rel") or element.get("itemprop") or _BYLINE_CLASS.search(marker)):
            continue
        text = _clean(element.text_content())
        if not text or len(text) > 100:
            continue
        name = byline_name(text) or text
        words = name.replace(",", " ").split()
        if (
            1 < len(words) <= 6
            and all(_NAME_WORD.match(w) for w in words)
            and all(w[:1].isupper() for w in words if len(w) > 3)
            and sum(len(w) > 2 for w in words) >= 2
        ):
            found.append(name)
    return found


def choose_title(meta: PageMeta, fallback: str = "") -> str:
    """The headline: declared title, else `<title>`, else `fallback`; site names cut off.

    When the page's h1 is the first part of the `<title>` ("Museum reopens" in
    "Museum reopens | City Paper"), the rest is the site's name, whatever its length.
    """
    title = meta.title or meta.title_tag or fallback or (meta.h1[0] if meta.h1 else "")
    parts = [p.strip() for p in _SEPARATOR.split(title)]
    if len(parts) > 1 and parts[0] in meta.h1[:2]:
        return parts[0]
    return strip_site_name(title, meta.sites)


def strip_site_name(title: str, sites: list[str]) -> str:
    """ "Headline | DW | 19.01.2020" -> "Headline"; "标题-新华网" -> "标题"; else unchanged."""
    # "Weekly Edition [LWN.net]", "Chapter 1 [Archive of Our Own]": a bracketed site name.
    title = _BRACKETED_END.sub("", title) or title
    parts = [p for p in _SEPARATOR.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    # Cut known site names and dates from either end.
    while len(parts) > 1 and (_is_site(parts[-1], sites) or _DATE_PART.fullmatch(parts[-1])):
        parts.pop()
    while len(parts) > 1 and _is_site(parts[0], sites):
        parts.pop(0)
    start = title.find(parts[0])
    title = title[start : title.rfind(parts[-1]) + len(parts[-1])].strip()
    if len(parts) == 1:
        return title
    # An unknown trailing part: cut it when it is short and what is left is a headline
    # on its own ("Headline - Vegolosi.it", "Title — Some Blog", "Post - Jane Doe").
    for _ in range(2):  # "标题_科技_腾讯网": a section and the site
        last = parts[-1]
        rest = _TRAILING_SEPARATOR.sub("", title[: title.rfind(last)])
        if len(parts) < 2 or not (_words(last) <= 4 and _words(rest) >= 3):
            break
        if _words(last) >= _words(rest):
            break
        title = rest.strip()
        parts.pop()
    return title


def _is_site(part: str, sites: list[str], *, exact: bool = False) -> bool:
    part = part.strip()
    return bool(part) and any(_same(part, site, exact=exact) for site in sites)


def _same(a: str, b: str, *, exact: bool = False) -> bool:
    """Whether two names denote the same site ("DW" ~ "dw.com", "Vegolosi.it" ~ "vegolosi")."""

    def key(s: str) -> str:
        s = s.lower().removeprefix("@").removeprefix("www.")
        s = re.sub(r"\.(?:com|org|net|co|de|it|fr|es|uk|cn|ru|nl|ch|at|be|info|news|tv)\b", "", s)
        return re.sub(r"\W+", "", s)

    ka, kb = key(a), key(b)
    if not ka or not kb:
        return False
    if ka == kb or exact:
        return ka == kb
    return min(len(ka), len(kb)) >= 4 and (ka in kb or kb in ka)


def _words(text: str) -> int:
    cjk = len(CJK_CHAR.findall(text))
    return len(text.split()) + cjk // 2


def _json_ld(tree: Any, title_tag: str) -> tuple[str, list[str], str]:
    """(headline, author names, publisher name) from the page's JSON-LD article, if any."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(_CDATA.sub("", script.text or ""))
        except ValueError:
            continue
        for item in _items(data):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(isinstance(k, str) and k.endswith(("Article", "Posting")) for k in kinds):
                continue
            headline = _clean(str(item.get("headline") or ""))
            name = _clean(str(item.get("name") or ""))
            # Wikipedia's headline is "Wikimedia list article" and its name the title:
            # where the two differ, the one the <title> repeats wins.
            if not headline or (name and headline not in title_tag and name in title_tag):
                headline = name
            authors = [_clean(n) for n in _names(item.get("author"))]
            publisher = item.get("publisher")
            site = _clean(str(publisher.get("name") or "")) if isinstance(publisher, dict) else ""
            return headline, [a for a in authors if a], site
    return "", [], ""


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [i for d in data for i in _items(d)]
    if isinstance(data, dict):
        graph = data.get("@graph")
        return [data, *(_items(graph) if graph else [])]
    return []


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
