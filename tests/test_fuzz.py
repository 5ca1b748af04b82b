"""Property tests: parsers and decoding on arbitrary input, and cache keys.

Two kinds of property. Safety: on any bytes or text, ingestion returns an Article
or raises `InputError` (the documented error), and nothing it returns carries a
control character. Fidelity: on generated articles made of units whose role is
known (body, heading, caption, note, "Read more:" links, title), the sections
partition the body: every body paragraph appears exactly once, in order, and
nothing appears that was not in the input, apart from what the parsers declare
as boilerplate and put in its own place (title, dateline, byline, notes, captions).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter

import corpus
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from models.cache.keys import make_key
from models.errors import InputError
from models.ingest.article import Article
from models.ingest.boilerplate import is_body, is_read_more
from models.ingest.encoding import decode_bytes
from models.ingest.formats.html import parse_html
from models.ingest.formats.markdown import parse_markdown
from models.ingest.formats.plain import parse_text
from models.ingest.sources import parse_bytes, parse_text_as, read_article
from models.text import normalize
from models.types import Length, Task

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_GENERATED_TITLE = re.compile(r"Part \d+")


def article_strings(article: Article) -> list[str]:
    out = [article.title, article.dateline or "", article.byline or "", *article.notes]
    for section in article.sections:
        out += [section.title, *section.paragraphs, *section.captions]
    return out


def check_article(article: Article) -> None:
    """What every parsed article guarantees, whatever the input was."""
    assert article.sections
    for i, section in enumerate(article.sections):
        assert section.index == i
        assert section.paragraphs and all(p.strip() for p in section.paragraphs)
    for text in article_strings(article):
        assert not corpus.CONTROL.search(text), repr(text)


def parse_or_refuse(parse, *args, **kwargs) -> Article | None:  # type: ignore[no-untyped-def]
    """The article, or None when refused; any exception but InputError fails the test."""
    try:
        article = parse(*args, **kwargs)
    except InputError as error:
        corpus.check_refusal(str(error))
        return None
    check_article(article)
    return article


# -- safety: arbitrary bytes and text --------------------------------------------------------

# Text that stresses the parsers: markup characters, controls, escapes, CJK, RTL, and
# characters from the private-use plane Markdown parsing borrows internally.
ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from([*"#*_`[]()!<>&;/\\-=|~\n\n\n \t\r.:,\"'", "\x1b", "\x9b", "\x00"]),
    st.sampled_from(["\U000f001b", "\U000f0041", "\u202e", "\u2028", "中", "ש", "ع"]),
)
# A list of characters, not st.text(ALPHABET): text() flattened the one_of and never drew
# from the last sampled_from (hypothesis 6.170).
TEXT = st.lists(ALPHABET, max_size=600).map("".join)
PIECES = st.lists(
    st.one_of(
        TEXT,
        st.sampled_from(
            [
                "\n\n# Title\n\n",
                "\n## Heading\n",
                "\n\nRead more:\n\n",
                "\n\n(With input from Xinhua)\n\n",
                "![a photo of the river bank](x.png)",
                "[link](http://x)",
                "**bold**",
                "```\ncode\n",
                "<p>",
                "</p>",
                "<h2>",
                "<script>alert(1)</script>",
                "&#27;",
                "&#x9b;",
                "&amp;",
                "---\n",
                "\x1b]52;c;ZXZpbA==\x07",
                *corpus.MARKUP,
                *corpus.ENGLISH,
            ]
        ),
    ),
    max_size=25,
).map("".join)


@FUZZ
@given(st.binary(max_size=2000))
def test_decode_bytes_only_raises_input_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, name="fuzz")
    except InputError as error:
        corpus.check_refusal(str(error))
    else:
        assert isinstance(text, str)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2000),
        PIECES.map(lambda t: t.encode("utf-8")),
        st.tuples(PIECES, st.sampled_from(["cp1252", "gb18030", "shift_jis", "utf-16"])).map(
            lambda pair: pair[0].encode(pair[1], errors="replace")
        ),
    ),
    st.sampled_from([None, "text/html", "text/markdown"]),
    st.sampled_from(["", "a.md", "a.html", "a.txt"]),
)
def test_parse_bytes_only_raises_input_error(
    data: bytes, content_type: str | None, filename: str
) -> None:
    parse_or_refuse(parse_bytes, data, name="fuzz", filename=filename, content_type=content_type)


@FUZZ
@given(PIECES)
def test_parse_text_only_raises_input_error(text: str) -> None:
    parse_or_refuse(parse_text, text)


@FUZZ
@given(PIECES)
def test_parse_markdown_only_raises_input_error(text: str) -> None:
    parse_or_refuse(parse_markdown, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PIECES)
def test_parse_html_only_raises_input_error(text: str) -> None:
    article = parse_or_refuse(parse_html, f"<html><body><article>{text}</article></body></html>")
    if article is not None:
        assert "alert(1)" not in "\n".join(article_strings(article))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from([".txt", ".md", ".html", ""]))
def test_read_article_on_files_only_raises_input_error(
    tmp_path_factory, data: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    parse_or_refuse(read_article, str(path))


# -- fidelity: generated articles whose every unit has a known role --------------------------

# Ordinary words that no boilerplate rule keys on (no "photo", "source", "by", "related").
WORDS = [
    "the",
    "council",
    "river",
    "school",
    "budget",
    "water",
    "morning",
    "city",
    "people",
    "market",
    "bridge",
    "winter",
    "report",
    "plan",
    "road",
    "teachers",
    "parents",
    "museum",
    "garden",
    "doctors",
    "workers",
    "farmers",
    "train",
    "station",
    "village",
    "price",
    "energy",
    "families",
    "children",
    "summer",
    "weather",
    "new",
    "old",
    "long",
    "small",
    "open",
    "closed",
    "quiet",
    "early",
    "late",
    "green",
    "local",
    "public",
    "many",
    "several",
    "three",
    "four",
    # Words that begin like a byline ("par", "di", "av", "af", "por", "by") but are not one.
    "parliament",
    "diplomats",
    "avenue",
    "africa",
    "portugal",
    "bystanders",
]
word = st.sampled_from(WORDS)


@st.composite
def body(draw: st.DrawFn) -> str:
    words = draw(st.lists(word, min_size=9, max_size=40))
    return " ".join([words[0].capitalize(), *words[1:]]) + "."


@st.composite
def heading(draw: st.DrawFn) -> str:
    words = draw(st.lists(word, min_size=1, max_size=6))
    return " ".join(w.capitalize() for w in words)


caption = st.builds(lambda ws: " ".join(ws).capitalize() + " /Xinhua", st.lists(word, min_size=3))
note = st.sampled_from(["(With input from Xinhua)", "(Cover image via VCG)", "Editor: Li Jing"])
read_more = st.lists(heading(), min_size=1, max_size=3).map(lambda links: ["Read more:", *links])


@st.composite
def units(draw: st.DrawFn) -> list[tuple[str, str]]:
    """(role, text) pairs, all texts distinct: a repeated text would be ambiguous."""
    groups: list[list[tuple[str, str]]] = []
    if draw(st.booleans()):
        groups.append([("title", draw(heading()))])
    kinds = draw(
        st.lists(
            st.sampled_from(["body"] * 6 + ["heading"] * 2 + ["caption", "note", "more"]),
            min_size=1,
            max_size=30,
        )
    )
    for kind in kinds:
        if kind == "body":
            groups.append([("body", draw(body()))])
        elif kind == "heading":
            groups.append([("heading", draw(heading()))])
        elif kind == "caption":
            groups.append([("caption", draw(caption))])
        elif kind == "note":
            groups.append([("note", draw(note))])
        else:  # "Read more:" and its link titles stay together or go together
            groups.append([("more", text) for text in draw(read_more)])
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for group in groups:
        texts = [text for _, text in group]
        if len(set(texts)) == len(texts) and not seen & set(texts):
            out += group
            seen.update(texts)
    assume(any(kind == "body" for kind, _ in out))
    return out


def check_partition(
    article: Article, pieces: list[tuple[str, str]], may_vanish: frozenset[str] = frozenset()
) -> None:
    """Body paragraphs in order, each once; everything else in a declared place.

    `may_vanish`: units a parser documents as dropped (a heading with no body under it).
    """
    body_out = [p for s in article.sections for p in s.paragraphs]
    declared = Counter(
        [
            article.title,
            article.dateline,
            article.byline,
            *article.notes,
            *(c for s in article.sections for c in s.captions),
            *(s.title for s in article.sections),
        ]
    )
    j = 0
    in_links = False
    for kind, text in pieces:
        if j < len(body_out) and body_out[j] == text:
            j += 1
            in_links = False
            continue
        if kind == "body":
            raise AssertionError(f"body paragraph lost or out of order: {text!r}")
        if declared[text] > 0:
            declared[text] -= 1
            continue
        if is_read_more(text):
            in_links = True
            continue
        if in_links and not is_body(text):
            continue  # a link title under "Read more:"
        if text in may_vanish:
            continue
        raise AssertionError(f"{kind} unit vanished: {text!r}")
    assert j == len(body_out), f"sections hold text that is not in the input: {body_out[j:]}"
    invented = [
        text
        for text, n in declared.items()
        if n > 0 and text and not _GENERATED_TITLE.fullmatch(text)
    ]
    assert not invented, invented


@FUZZ
@given(units())
def test_plain_text_sections_partition_the_body(pieces: list[tuple[str, str]]) -> None:
    article = parse_text("\n\n".join(text for _, text in pieces))
    check_article(article)
    check_partition(article, pieces)
    # A body unit is body, never boilerplate: it reaches a section's paragraphs.
    paragraphs = {p for s in article.sections for p in s.paragraphs}
    assert {text for kind, text in pieces if kind == "body"} <= paragraphs
    # A heading right above body text titles a section (or the article), unless it is
    # among the link titles under "Read more:". Never a byline or a dateline.
    titles = {article.title, *(s.title for s in article.sections)}
    under_links = False
    for (kind, text), (next_kind, _) in itertools.pairwise(pieces):
        under_links = kind == "more" or (under_links and kind == "heading")
        if kind == "heading" and next_kind == "body" and not under_links:
            assert text in titles, (text, article.byline, article.dateline)


@FUZZ
@given(units(), st.data())
def test_markdown_sections_follow_the_headings(
    pieces: list[tuple[str, str]], data: st.DataObject
) -> None:
    lines: list[str] = []
    expected: list[tuple[str, list[str]]] = [("", [])]
    title = ""
    for kind, text in pieces:
        if kind == "title":
            lines.append(f"# {text}")
            title = text
        elif kind == "heading":
            lines.append(f"## {text}")
            expected.append((text, []))
        elif kind == "body":
            # Emphasis on one word: the parser must reduce it to the word.
            words = text.split(" ")
            k = data.draw(st.integers(0, len(words) - 2))
            words[k] = f"**{words[k]}**"
            lines.append(" ".join(words))
            expected[-1][1].append(text)
        else:
            lines.append(text)
    article = parse_markdown("\n\n".join(lines))
    check_article(article)
    assert article.title == title
    # Sections are the headings with body under them, holding exactly their body units:
    # captions, notes and "Read more:" link titles are never body.
    got = [(s.title, list(s.paragraphs)) for s in article.sections]
    assert got == [(t, ps) for t, ps in expected if ps]
    check_partition(article, pieces, frozenset(t for t, ps in expected if not ps))


# -- cache keys ------------------------------------------------------------------------------

FIELDS = {
    "text": st.text(max_size=200),
    "task": st.sampled_from(list(Task)),
    "source_lang": st.text(max_size=5),
    "target_lang": st.text(max_size=5),
    "length": st.sampled_from([None, *Length]),
    "model": st.text(max_size=30),
    "revision": st.one_of(st.none(), st.text(max_size=40)),
    "settings": st.text(max_size=60),
}


@dataclasses.dataclass(frozen=True)
class KeyFields:
    text: str
    task: Task
    source_lang: str
    target_lang: str
    length: Length | None
    model: str
    revision: str | None
    settings: str


key_fields = st.builds(KeyFields, **FIELDS)


def same_meaning(name: str, a: object, b: object) -> bool:
    """Values a key may not tell apart: whitespace in the text, no revision vs ""."""
    if name == "text":
        return normalize(a) == normalize(b)  # type: ignore[arg-type]
    if name == "revision":
        return (a or "") == (b or "")
    return a == b


@FUZZ
@given(key_fields)
def test_equal_inputs_give_equal_keys(fields: KeyFields) -> None:
    copy = KeyFields(**{k: (v[:] if isinstance(v, str) else v) for k, v in vars(fields).items()})
    first, second = make_key(**vars(fields)), make_key(**vars(copy))
    assert first == second and re.fullmatch(r"[0-9a-f]{64}", first)


@FUZZ
@given(key_fields, st.sampled_from(list(FIELDS)), st.data())
def test_any_changed_field_changes_the_key(
    fields: KeyFields, name: str, data: st.DataObject
) -> None:
    other = data.draw(FIELDS[name])
    changed = dataclasses.replace(fields, **{name: other})
    if same_meaning(name, getattr(fields, name), other):
        assert make_key(**vars(changed)) == make_key(**vars(fields))
    else:
        assert make_key(**vars(changed)) != make_key(**vars(fields))


@FUZZ
@given(key_fields, st.text(" \t\n", max_size=5))
def test_whitespace_around_the_text_keeps_the_key(fields: KeyFields, space: str) -> None:
    spaced = dataclasses.replace(fields, text=space + fields.text.replace(" ", "  ") + space)
    assert make_key(**vars(spaced)) == make_key(**vars(fields))


def test_fields_do_not_bleed_into_each_other() -> None:
    # Moving characters across a field boundary must not give the same key.
    base = {
        "text": "x",
        "task": Task.SUMMARY,
        "length": None,
        "revision": None,
        "settings": "",
    }
    a = make_key(source_lang="en", target_lang="de", model="m", **base)
    b = make_key(source_lang="end", target_lang="e", model="m", **base)
    c = make_key(source_lang="en", target_lang="dem", model="", **base)
    assert len({a, b, c}) == 3


def test_parse_text_as_routes_every_kind_through_the_same_guarantees() -> None:
    lines = ["Title here", *corpus.ENGLISH, "\x1b[2J[bold]kept[/] and more words."]
    texts = {
        "a.md": "\n\n".join(lines),
        "a.txt": "\n\n".join(lines),
        "a.html": "<html><body><article>" + "".join(f"<p>{x}</p>" for x in lines) + "</article>",
    }
    for name, text in texts.items():
        article = parse_text_as(text, name="t", filename=name)
        check_article(article)
        assert "[bold]kept[/] and more words." in "\n".join(article_strings(article)), name
