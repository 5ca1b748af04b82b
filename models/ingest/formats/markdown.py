"""Markdown to an Article: `#`..`###` headings start sections, inline markup goes.

Markdown is what people save notes, READMEs and many blog posts in. The summarizer
wants prose, not `**`, `[text](url)` or image syntax, so inline markup is reduced
to its text (an image to its alt text, kept as a caption). Code blocks stay as
literal text. Blocks are read line by line (the common subset of CommonMark: enough
structure for sections, linear in the input size); inline markup is parsed by
markdown-it-py, a maintained CommonMark implementation that is linear in time where
lazy regular expressions were quadratic (450 KB of unclosed `**a` took 83 s).
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from models.ingest.article import Article, Block, assemble_article
from models.ingest.boilerplate import strip_boilerplate, take_front_matter
from models.ingest.encoding import clean_text

# The opening of an ATX heading; its text is cut in `_atx` (a lazy `(.*?)` before an
# optional closing `#`s run backtracked quadratically over a long line of spaces).
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r" {0,3}>[ \t]?")
_REF_DEF = re.compile(r" {0,3}\[([^\]]{1,200})\]:[ \t]*\S+")
_TABLE_RULE = re.compile(r"\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")

# HTML tags dropped from inline text (their content stays); any other tag-like text
# (`<foo>`) is kept literally, as the article wrote it.
_DROPPED_TAGS = frozenset(
    {"a", "abbr", "b", "br", "code", "del", "div", "em", "i", "img", "ins", "kbd", "mark"}
    | {"p", "s", "small", "span", "strong", "sub", "sup", "u"}
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_WORD_END = re.compile(r"\w$")
_WORD_START = re.compile(r"^\w")


@functools.cache
def _inline_parser() -> MarkdownIt:
    # CommonMark inline rules (linear time: delimiter runs are balanced with the
    # spec's openers-bottom bounds), plus ~~strikethrough~~ as GitHub writes it.
    return MarkdownIt("commonmark").enable("strikethrough")


def parse_markdown(text: str, *, source: str = "") -> Article:
    """Parse Markdown into an Article; raise InputError when nothing readable is left."""
    text = _drop_comments(clean_text(text))
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


def _drop_comments(text: str) -> str:
    """`text` without HTML comments, in one pass: a lazy `<!--.*?-->` regex rescans to
    the end of the text from every unclosed `<!--` (quadratic)."""
    pieces: list[str] = []
    at = 0
    while (start := text.find("<!--", at)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break  # no comment after this one can close either
        pieces.append(text[at:start])
        at = end + 3
    pieces.append(text[at:])
    return "".join(pieces)


# Every character that can start inline Markdown (emphasis, code, links, images, raw
# HTML, autolinks, entities, escapes, strikethrough), and NUL, which the parser
# replaces: a text without any is its own plain text.
_INLINE_SYNTAX = re.compile(r"[*_`\[\]!<>&\\~\x00]")


def strip_inline(text: str, refs: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """Reduce inline Markdown to plain text; returns (text, image captions).

    Links become their text, images are removed and their alt text (or title)
    returned as captions, emphasis and code markers go; anything else, including
    `[bold red]`, stays literally. Parsed by markdown-it-py (CommonMark), so the time
    taken grows linearly with the text, whatever its delimiters.
    """
    if _INLINE_SYNTAX.search(text) is None:  # plain prose: nothing for the parser to do
        return clean_text(" ".join(text.split())), []
    return parse_inline(text, refs)


def parse_inline(text: str, refs: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """`strip_inline` through the parser always (strip_inline skips it for plain prose)."""
    env = {"references": {normalizeReference(ref): {"href": "", "title": ""} for ref in refs}}
    tokens = _inline_parser().parseInline(text, env)
    children = tokens[0].children or [] if tokens else []
    out: list[str] = []
    captions: list[str] = []
    literal_em: set[int] = _intraword_stars(children)
    for i, token in enumerate(children):
        kind = token.type
        if kind in ("text", "code_inline"):
            out.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "image":
            caption = " ".join((token.content or str(token.attrs.get("title") or "")).split())
            if caption:
                captions.append(caption)
            out.append(" ")
        elif kind == "html_inline":
            name = _TAG_NAME.match(token.content)
            out.append(" " if name and name.group(1).lower() in _DROPPED_TAGS else token.content)
        elif i in literal_em:
            out.append(token.markup)
    plain = clean_text(" ".join("".join(out).split()))
    return plain, [clean_text(c) for c in captions]


def _intraword_stars(children: list[Token]) -> set[int]:
    """Indexes of `*` emphasis markers inside a word on both sides ("2*3*4"): CommonMark
    reads them as emphasis, a reader of news means arithmetic, so they stay literal."""
    literal: set[int] = set()
    opened: list[int] = []
    for i, token in enumerate(children):
        if token.type == "em_open" and token.markup == "*":
            opened.append(i)
        elif token.type == "em_close" and token.markup == "*" and opened:
            start = opened.pop()
            before = children[start - 1].content if start > 0 else ""
            after = children[i + 1].content if i + 1 < len(children) else ""
            if _WORD_END.search(before) and _WORD_START.search(after):
                literal.update((start, i))
    return literal


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
        if heading := _atx(line):
            flush()
            blocks.append(("heading", *heading))
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


def _atx(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line ("## Title ##"), or None."""
    match = _ATX.match(line)
    if match is None:
        return None
    text = line[match.end() :].strip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):
        text = unclosed.rstrip(" \t")  # a closing sequence of #s goes
    return len(match.group(1)), text.strip()


def _front_matter_end(lines: list[str]) -> int:
    """Skip a YAML front-matter block ("---" ... "---") at the very start."""
    if not lines or lines[0].strip() != "---":
        return 0
    for i, line in enumerate(lines[1:200], start=1):
        if line.strip() in ("---", "..."):
            return i + 1
    return 0
