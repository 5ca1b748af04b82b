"""Markdown to an Article: `#`..`###` headings start sections, inline markup goes.

Markdown is what people save notes, READMEs and many blog posts in. The summarizer
wants prose, not `**`, `[text](url)` or image syntax, so inline markup is reduced
to its text (an image to its alt text, kept as a caption). Code blocks stay as
literal text. This is a line-based reader of the common subset of CommonMark, not
a full implementation: enough structure for sections, linear in the input size.
"""

from __future__ import annotations

import re

from models.ingest.article import Article, Block, assemble_article
from models.ingest.boilerplate import strip_boilerplate, take_front_matter
from models.ingest.encoding import clean_text

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r" {0,3}>[ \t]?")
_REF_DEF = re.compile(r" {0,3}\[([^\]]{1,200})\]:[ \t]*\S+")
_TABLE_RULE = re.compile(r"\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_URL_PART = r"\(\s*<?(?:[^()\s>]|\([^()\s]*\))*>?"
_IMAGE = re.compile(r"!\[([^\]]*)\]" + _URL_PART + r"(?:\s+[\"'(]([^\"')]*)[\"')])?\s*\)")
_LINK = re.compile(r"\[([^\]]*)\]" + _URL_PART + r"(?:\s+[\"'(][^\"')]*[\"')])?\s*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[([^\]]*)\]")
_SHORTCUT = re.compile(r"\[([^\]]+)\](?![(\[:])")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_TAG = re.compile(
    r"</?(?:a|abbr|b|br|code|del|div|em|i|img|ins|kbd|mark|p|s|small|span|strong|sub|sup|u)"
    r"\b[^<>]{0,500}>",
    re.IGNORECASE,
)
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"),
    re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"),
    # Single stars only at word edges: "2*3*4" is arithmetic, not emphasis.
    re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"),
)
# Escaped punctuation is parked in a private-use plane while emphasis is matched.
_PARK = 0xF0000
# Characters of the input already in the parking range would be "unparked" into
# ASCII (U+F001B into ESC): they are replaced first.
_PARKING = re.compile("[\U000f0000-\U000f007f]")


def parse_markdown(text: str, *, source: str = "") -> Article:
    """Parse Markdown into an Article; raise InputError when nothing readable is left."""
    text = _COMMENT.sub("", clean_text(text))
    raw, refs = _read_blocks(text.split("\n"))
    blocks: list[Block] = []
    for kind, level, body in raw:
        if kind == "code":
            blocks.append(Block("paragraph", body))
        elif kind == "heading" and level <= 3:
            blocks.append(Block("heading", strip_inline(body, refs)[0]))
        else:
            plain, captions = strip_inline(body, refs)
            if plain:
                blocks.append(Block("paragraph", plain))
            blocks.extend(Block("caption", c) for c in captions)
    title = ""
    top = [i for i, (kind, level, _) in enumerate(raw) if kind == "heading" and level == 1]
    if top == [0] and blocks and blocks[0].kind == "heading":
        title = blocks.pop(0).text
    dateline, byline, blocks = take_front_matter(blocks)
    blocks, notes = strip_boilerplate(blocks)
    blocks = [b for b in blocks if b.kind != "heading" or b.text]
    return assemble_article(
        title, blocks, dateline=dateline, byline=byline, notes=notes, source=source
    )


def strip_inline(text: str, refs: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """Reduce inline Markdown to plain text; returns (text, image captions).

    Links become their text, images are removed and their alt text (or title)
    returned as captions, emphasis and code markers go; anything else, including
    `[bold red]`, stays literally.
    """
    text = _PARKING.sub("\ufffd", text)
    text = _ESCAPE.sub(lambda m: chr(_PARK + ord(m.group(1))), text)
    captions = [
        " ".join((m.group(1) or m.group(2) or "").split())
        for m in _IMAGE.finditer(text)
        if (m.group(1) or m.group(2) or "").strip()
    ]
    text = _IMAGE.sub(" ", text)
    pieces = _CODE_SPAN.split(text)
    # split() with one group pair gives [text, ticks, code, text, ticks, code, ...].
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i % 3 == 0:
            out.append(_strip_spans(piece, refs))
        elif i % 3 == 2:
            out.append(piece.strip())
    plain = " ".join("".join(out).split())
    captions = [_unpark(c) for c in captions]
    return _unpark(plain), captions


def _strip_spans(text: str, refs: frozenset[str]) -> str:
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(lambda m: m.group(1) if _ref_known(m, refs) else m.group(0), text)
    if refs:
        text = _SHORTCUT.sub(
            lambda m: m.group(1) if m.group(1).lower() in refs else m.group(0), text
        )
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return text


def _ref_known(match: re.Match[str], refs: frozenset[str]) -> bool:
    return (match.group(2) or match.group(1)).lower() in refs


def _unpark(text: str) -> str:
    if not _PARKING.search(text):
        return text
    return _PARKING.sub(lambda m: chr(ord(m.group(0)) - _PARK), text)


def _read_blocks(lines: list[str]) -> tuple[list[tuple[str, int, str]], frozenset[str]]:
    """Block structure: ("heading", level, text) / ("paragraph", 0, text) / ("code", 0, text)."""
    blocks: list[tuple[str, int, str]] = []
    refs: set[str] = set()
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(("paragraph", 0, " ".join(current)))
            current.clear()

    start = _front_matter_end(lines)
    fence: str | None = None
    code: list[str] = []
    for line in lines[start:]:
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                blocks.append(("code", 0, "\n".join(code)))
                fence, code = None, []
            elif line.strip():
                code.append(line.rstrip())
            continue
        quote = _QUOTE.match(line)
        while quote:  # a block quote reads like its content
            line = line[quote.end() :]
            quote = _QUOTE.match(line)
        if not line.strip():
            flush()
            continue
        if match := _FENCE.match(line):
            flush()
            fence = match.group(1)
            continue
        if current and (match := _SETEXT.match(line)) and not _LIST_ITEM.match(current[0]):
            text = " ".join(current)
            current.clear()
            blocks.append(("heading", 1 if match.group(1)[0] == "=" else 2, text))
            continue
        if match := _ATX.match(line):
            flush()
            blocks.append(("heading", len(match.group(1)), (match.group(2) or "").strip()))
            continue
        if _RULE.match(line) or _TABLE_RULE.match(line.strip()):
            flush()
            continue
        if match := _REF_DEF.match(line):
            refs.add(match.group(1).lower())
            continue
        if match := _LIST_ITEM.match(line):
            flush()
            current.append(line[match.end() :].strip())
            continue
        current.append(line.strip())
    flush()
    if fence is not None and code:
        blocks.append(("code", 0, "\n".join(code)))
    return blocks, frozenset(refs)


def _front_matter_end(lines: list[str]) -> int:
    """Skip a YAML front-matter block ("---" ... "---") at the very start."""
    if not lines or lines[0].strip() != "---":
        return 0
    for i, line in enumerate(lines[1:200], start=1):
        if line.strip() in ("---", "..."):
            return i + 1
    return 0
