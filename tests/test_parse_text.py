"""Plain-text parsing: paragraphs, titles, headings by shape, sections by size, limits."""

from __future__ import annotations

import textwrap
import time

import pytest

from models.errors import InputError
from models.ingest.article import MAX_SECTION_WORDS, word_count
from models.ingest.formats.plain import parse_text, split_paragraphs

SENTENCES = [
    "The harbour authority opened a new ferry terminal on the north shore this week.",
    "Engineers spent two winters driving piles into the soft clay of the old quay.",
    "Commuters say the crossing now takes twelve minutes instead of twenty-five.",
    "Local shops near the terminal report more customers in the early morning.",
    "Critics argue the project went far over its original budget of four million.",
    "The mayor replied that the extra cost bought a terminal built to last a century.",
]


def body(n: int, start: int = 0) -> str:
    """A paragraph of n distinct sentences."""
    return " ".join(f"{SENTENCES[(start + i) % len(SENTENCES)]}" for i in range(n))


def test_title_dateline_byline_lead_and_headed_sections() -> None:
    text = (
        "A ferry terminal opens on the north shore\n"
        "Updated 09:15, 2-May-2024\n"
        "By Ines Moreau\n\n"
        f"{body(2)}\n\n{body(2, 2)}\n\n"
        "Two winters of piling\n\n"
        f"{body(3, 1)}\n\n"
        "What commuters think\n\n"
        f"{body(2, 3)}\n"
    )
    article = parse_text(text, source="ferry.txt")
    assert article.title == "A ferry terminal opens on the north shore"
    assert article.dateline == "Updated 09:15, 2-May-2024"
    assert article.byline == "By Ines Moreau"
    assert article.source == "ferry.txt"
    assert [s.title for s in article.sections] == [
        "",
        "Two winters of piling",
        "What commuters think",
    ]
    assert [s.index for s in article.sections] == [0, 1, 2]
    assert article.sections[0].paragraphs == (body(2), body(2, 2))


def test_without_a_lead_the_first_section_is_the_first_heading() -> None:
    article = parse_text(
        f"Title of the piece\n\nFirst part\n\n{body(2)}\n\nSecond part\n\n{body(2)}"
    )
    assert [s.title for s in article.sections] == ["First part", "Second part"]


def test_short_lines_that_are_sentences_are_not_headings() -> None:
    text = f"Title\n\n{body(2)}\n\nIt rained.\n\n{body(2, 1)}\n\nWhy now?\n\n{body(1, 4)}"
    article = parse_text(text)
    assert len(article.sections) == 1
    assert "It rained." in article.sections[0].paragraphs
    assert "Why now?" in article.sections[0].paragraphs


def test_a_title_like_line_followed_by_another_is_not_a_heading() -> None:
    text = f"Title\n\n{body(2)}\n\nApples\n\nPears\n\n{body(2)}"
    article = parse_text(text)
    assert [s.title for s in article.sections] == ["", "Pears"]
    assert article.sections[0].paragraphs[-1] == "Apples"


def test_a_single_paragraph_is_not_taken_as_title() -> None:
    article = parse_text("Just one short line")
    assert article.title == ""
    assert article.sections[0].paragraphs == ("Just one short line",)


def test_no_headings_gives_sections_by_size_at_paragraph_boundaries() -> None:
    paragraphs = [body(5, i) for i in range(14)]  # ~70 words each, ~1000 words
    article = parse_text("\n\n".join(paragraphs))
    titles = [s.title for s in article.sections]
    assert titles[0] == "" and titles[1:] == [f"Part {i}" for i in range(2, len(titles) + 1)]
    assert 2 <= len(article.sections) <= 4
    assert [p for s in article.sections for p in s.paragraphs] == paragraphs
    for section in article.sections:
        assert word_count(section.text) <= MAX_SECTION_WORDS * 1.2


def test_one_giant_paragraph_is_split_at_sentence_boundaries() -> None:
    giant = body(120)  # ~1600 words, no paragraph breaks
    article = parse_text(giant)
    assert len(article.sections) >= 4
    for section in article.sections:
        assert section.text.endswith(".")
        assert word_count(section.text) <= MAX_SECTION_WORDS
    assert " ".join(s.text for s in article.sections) == giant


def test_giant_text_without_any_punctuation_is_cut_by_words() -> None:
    article = parse_text("word " * 5000)
    assert len(article.sections) >= 11
    assert sum(word_count(s.text) for s in article.sections) == 5000


def test_hard_wrapped_paragraphs_are_joined_and_headings_kept() -> None:
    paras = [body(3), body(4, 2)]
    text = "Ferry news\n\n" + "\n\n".join(
        [textwrap.fill(paras[0], 72), "The crossing", textwrap.fill(paras[1], 72)]
    )
    article = parse_text(text)
    assert article.title == "Ferry news"
    assert [s.paragraphs for s in article.sections] == [(paras[0],), (paras[1],)]
    assert article.sections[1].title == "The crossing"


def test_heading_directly_above_wrapped_body_is_split_off() -> None:
    para = body(4)
    text = (
        "Ferry news\n\n"
        + textwrap.fill(para, 70)
        + "\n\nThe crossing\n"
        + textwrap.fill(body(3, 1), 70)
    )
    article = parse_text(text)
    assert [s.title for s in article.sections] == ["", "The crossing"]
    assert article.sections[1].paragraphs == (body(3, 1),)


def test_one_paragraph_per_line_without_blank_lines() -> None:
    lines = [body(3, i) for i in range(4)]
    article = parse_text("\n".join(lines))
    assert article.sections[0].paragraphs == tuple(lines)


def test_wrapped_chinese_lines_join_without_spaces() -> None:
    assert split_paragraphs("今年以来，本市新建\n和改造绿道一百二十公里。\n\n第二段。") == [
        "今年以来，本市新建和改造绿道一百二十公里。",
        "第二段。",
    ]


def test_line_endings_whitespace_and_separator_lines() -> None:
    text = (
        "Title\r\n\r\nFirst   paragraph\twith  gaps, and more words.\r\n\r\n* * *\r\n\rSecond one."
    )
    article = parse_text(text)
    assert article.sections[0].paragraphs == (
        "First paragraph with gaps, and more words.",
        "Second one.",
    )


def test_markup_is_literal_and_terminal_controls_are_stripped() -> None:
    text = (
        "Title\n\n[bold red]Not markup[/bold red] and [@click=app.quit] stay.\x1b[31m red\x1b[0m"
        " \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 bell\x07 nul\x00 c1\x9b done.\n"
    )
    article = parse_text(text)
    (paragraph,) = article.sections[0].paragraphs
    assert paragraph == (
        "[bold red]Not markup[/bold red] and [@click=app.quit] stay. red link bell nul c1 done."
    )


def test_nothing_but_boilerplate_is_an_input_error() -> None:
    with pytest.raises(InputError) as error:
        parse_text("Title\n\nRead more:\n\nSome link\n\n(With input from AFP)", source="x.txt")
    assert str(error.value) == "x.txt holds no article text"


def test_fifteen_megabytes_parse_in_bounded_time() -> None:
    paragraph = body(6)
    text = "Report\n\n" + "\n\n".join(f"{i}. {paragraph}" for i in range(15_000_000 // 500))
    started = time.perf_counter()
    article = parse_text(text)
    assert time.perf_counter() - started < 10
    assert len(article.sections) > 1000


def test_five_thousand_tiny_sections() -> None:
    text = "Title\n\n" + "".join(
        f"Heading number {i}\n\nBody text number {i} is here, and it ends.\n\n" for i in range(5000)
    )
    started = time.perf_counter()
    article = parse_text(text)
    assert time.perf_counter() - started < 3
    assert len(article.sections) == 5000
    assert article.sections[-1].title == "Heading number 4999"


def test_lines_of_a_hundred_thousand_characters() -> None:
    long_line = ("abcdefghij " * 10_000).strip() + "."
    article = parse_text(f"Title\n\n{long_line}\n\nHeading\n\n{body(2)}")
    assert [s.title for s in article.sections] == ["", "Heading"]
    assert "".join(p for s in article.sections[:-1] for p in s.paragraphs).count("abcdefghij") == (
        10_000
    )


# Defect classes of text pasted from web pages, in several languages.


def test_timestamps_read_times_and_code_lines_are_not_headings() -> None:
    text = (
        "A ferry terminal opens on the north shore\n\n"
        f"{body(2)}\n\n"
        "November 14, 2022 10:42 AM GMT+1 Updated 3 hours ago\n\n"
        f"{body(2, 1)}\n\n"
        "4 MIN READ\n\n"
        f"{body(2, 2)}\n\n"
        "return total + fee\n\n"
        f"{body(2, 3)}\n"
    )
    article = parse_text(text)
    assert [s.title for s in article.sections][:1] == [""]
    titles = [s.title for s in article.sections]
    for line in ("November 14, 2022", "4 MIN READ", "return total + fee"):
        assert not any(line in t for t in titles)
    assert not any("4 MIN READ" in p for s in article.sections for p in s.paragraphs)


def test_list_items_and_wrapped_fragments_are_not_headings() -> None:
    text = (
        "Neue Busse für die Stadt\n\n"
        f"{body(2)}\n\n"
        "- Linie 4 zum Bahnhof\n\n"
        f"{body(2, 1)}\n\n"
        "Seit\n\n"
        "dem Frühjahr fahren die ersten Busse elektrisch durch die Innenstadt.\n\n"
        '"Was\n\n'
        f"{body(2, 2)}\n"
    )
    titles = [s.title for s in parse_text(text).sections]
    assert "- Linie 4 zum Bahnhof" not in titles
    assert "Seit" not in titles
    assert '"Was' not in titles


def test_a_question_is_a_heading_where_the_article_has_headings() -> None:
    text = (
        "Neue Busse für die Stadt\n\n"
        f"{body(2)}\n\n"
        "Die Kosten\n\n"
        f"{body(2, 1)}\n\n"
        "Was bedeutet das für Pendler?\n\n"
        f"{body(2, 2)}\n"
    )
    titles = [s.title for s in parse_text(text).sections]
    assert titles == ["", "Die Kosten", "Was bedeutet das für Pendler?"]


@pytest.mark.parametrize(
    ("opening", "dateline"),
    [
        ("GENEVA (Reuters) - ", "GENEVA (Reuters)"),
        ("FRANKFURT, Jan 25 (Reuters) - ", "FRANKFURT, Jan 25 (Reuters)"),
        ("PARIS (AFP) – ", "PARIS (AFP)"),
    ],
)
def test_wire_dateline_is_the_dateline(opening: str, dateline: str) -> None:
    article = parse_text(f"Ferry terminal opens\n\n{opening}{body(2)}\n\n{body(2, 2)}")
    assert article.dateline == dateline
    assert article.sections[0].paragraphs[0] == body(2)


def test_byline_lines_in_german_and_chinese_are_bylines() -> None:
    de = parse_text(f"Neue Busse\n\nVon Anna Schmidt, Jan Meier und Eva Roth, NDR\n\n{body(3)}")
    assert de.byline == "Von Anna Schmidt, Jan Meier und Eva Roth, NDR"
    zh_body = (
        "记者近日从市交通局获悉，今年全市将新增公交专用道五十公里，进一步缓解早晚高峰的拥堵状况。"
    )
    zh = parse_text(f"公交专用道\n\n半月谈记者 史卫燕\n\n{zh_body}")
    assert zh.byline == "半月谈记者 史卫燕"
    assert zh.sections[0].paragraphs == (zh_body,)
