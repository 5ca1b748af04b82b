"""Boilerplate detection: related links, captions, credits, notes, datelines, bylines."""

from __future__ import annotations

import pytest

from models.ingest.article import Block
from models.ingest.boilerplate import (
    is_body,
    is_byline,
    is_caption,
    is_dateline,
    is_note,
    is_read_more,
    is_title_like,
    strip_boilerplate,
    take_front_matter,
)
from models.ingest.phrases import (
    is_credit,
    is_furniture,
    is_furniture_heading,
    is_real_author,
)

BODY = "The council approved the plan on Monday after a long debate about its cost."
BODY2 = "Residents will be able to comment on the proposal until the end of the month."


def paragraphs(*texts: str) -> list[Block]:
    return [Block("paragraph", t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "Read more:",
        "Read more",
        "READ MORE:",
        "Related:",
        "Related stories",
        "See also:",
        "Lesen Sie auch:",
        "相关阅读：",
        "Read more: Why the river flooded",
    ],
)
def test_read_more_lines(text: str) -> None:
    assert is_read_more(text)


@pytest.mark.parametrize(
    "text", ["Read more books, the minister urged.", "Related stories are hard to find.", BODY]
)
def test_sentences_starting_like_read_more_are_body(text: str) -> None:
    assert not is_read_more(text)


def test_read_more_drops_the_link_titles_up_to_the_next_real_paragraph() -> None:
    blocks = paragraphs(
        BODY,
        "Read more:",
        "Flood defences: what went wrong in 2021",
        "Five towns that rebuilt their rivers",
        "For example, the town of Ashford removed its concrete channel.",
        BODY2,
    )
    kept, notes = strip_boilerplate(blocks)
    assert [b.text for b in kept] == [
        BODY,
        "For example, the town of Ashford removed its concrete channel.",
        BODY2,
    ]
    assert notes == []


def test_read_more_stops_at_a_heading() -> None:
    blocks = [
        *paragraphs(BODY, "Read more:", "A linked story"),
        Block("heading", "Next part"),
        *paragraphs(BODY2),
    ]
    kept, _ = strip_boilerplate(blocks)
    assert [(b.kind, b.text) for b in kept] == [
        ("paragraph", BODY),
        ("heading", "Next part"),
        ("paragraph", BODY2),
    ]


def test_a_long_question_after_read_more_is_body() -> None:
    question = (
        "But what happens when the next storm arrives, and the new meadow is already "
        "soaked from a wet spring and can hold no more water?"
    )
    kept, _ = strip_boilerplate(paragraphs("Read more:", "Some headline", question))
    assert [b.text for b in kept] == [question]


def test_inline_read_more_line_is_dropped_alone() -> None:
    kept, _ = strip_boilerplate(paragraphs(BODY, "Read more: A story elsewhere", "Short line"))
    assert [b.text for b in kept] == [BODY, "Short line"]


def test_repeated_caption_is_kept_once_as_a_caption() -> None:
    caption = "Workers repair the dam near the village, May 3, 2024."
    kept, _ = strip_boilerplate(paragraphs(BODY, caption, caption, BODY2))
    assert [(b.kind, b.text) for b in kept] == [
        ("paragraph", BODY),
        ("caption", caption),
        ("paragraph", BODY2),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "UN Secretary-General gives a speech in Geneva, February 24, 2020. /Xinhua",
        "Firefighters at work in the hills above the city. /AP",
        "A protester holds a sign outside parliament. /Reuters",
        "Fans celebrate in the main square. / Getty Images",
        "The new bridge at dawn (Photo: City Council)",
        "Photo: Rail Press Agency",
        "Photo credit: Jane Smith",
        "File photo: the harbour in winter",
        "市民在公园里散步。（新华社记者 王明 摄）",
    ],
)
def test_captions_and_credits(text: str) -> None:
    assert is_caption(text)


@pytest.mark.parametrize(
    "text",
    [BODY, "Prices rose 5 km/h faster and/or slower, he said.", "He lives at 10/12 Main Street."],
)
def test_body_is_not_a_caption(text: str) -> None:
    assert not is_caption(text)


@pytest.mark.parametrize(
    "text",
    [
        "(Cover: Members of the team visit a hospital, April 10, 2020. /Xinhua)",
        "(With input from Xinhua)",
        "(Reporting by Anna Lee; Editing by Tom Hart)",
        "With input from agencies",
        "Source: Ministry of Health",
        "Editor: Wang Ming",
        "Copyright 2024 Mountain Times. All rights reserved.",
        "（来源：本市园林局）",
    ],
)
def test_notes(text: str) -> None:
    assert is_note(text)


@pytest.mark.parametrize(
    "text",
    [BODY, "Sources say the minister will resign before the summer.", "Cover the pot and wait."],
)
def test_body_is_not_a_note(text: str) -> None:
    assert not is_note(text)


def test_notes_go_to_notes_in_document_order_and_trailing_remarks_too() -> None:
    blocks = paragraphs(
        BODY,
        "(Cover: a bridge at dusk /Xinhua)",
        BODY2,
        "(Translated from the Spanish)",
        "(With input from AFP)",
    )
    kept, notes = strip_boilerplate(blocks)
    assert [b.text for b in kept] == [BODY, BODY2]
    assert notes == [
        "(Cover: a bridge at dusk /Xinhua)",
        "(Translated from the Spanish)",
        "(With input from AFP)",
    ]


def test_a_parenthesised_paragraph_inside_the_body_stays() -> None:
    aside = "(The ministry did not reply to a request for comment.)"
    kept, notes = strip_boilerplate(paragraphs(BODY, aside, BODY2))
    assert [b.text for b in kept] == [BODY, aside, BODY2]
    assert notes == []


@pytest.mark.parametrize(
    "text",
    [
        "Updated 08:45, 16-Apr-2020",
        "Published: 12 March 2024, 06:30",
        "2024-05-03 10:00",
        "May 3, 2024",
        "2024年5月20日 10:30",
        "Aktualisiert am 3. Mai 2024",
    ],
)
def test_datelines(text: str) -> None:
    assert is_dateline(text)


@pytest.mark.parametrize("text", [BODY, "Updated rules for the new season", "Section 12"])
def test_not_datelines(text: str) -> None:
    assert not is_dateline(text)


@pytest.mark.parametrize("text", ["By Jane Doe", "By Claire Dubois, Paris", "Von Jonas Becker"])
def test_bylines(text: str) -> None:
    assert is_byline(text)


def test_by_starting_a_sentence_is_not_a_byline() -> None:
    assert not is_byline("By the end of the year, the town had rebuilt the bridge.")


def test_front_matter_takes_dateline_and_byline_only_from_the_start() -> None:
    blocks = paragraphs("Updated 08:45, 16-Apr-2020", "By Jane Doe", BODY, "By John Roe")
    dateline, byline, rest = take_front_matter(blocks)
    assert (dateline, byline) == ("Updated 08:45, 16-Apr-2020", "By Jane Doe")
    assert [b.text for b in rest] == [BODY, "By John Roe"]


def test_title_like_and_body_shapes() -> None:
    assert is_title_like("Viruses respect no borders; solidarity is the most powerful weapon")
    assert not is_title_like("This ends with a full stop.")
    assert not is_title_like("Twelve words are fine but thirteen words are one word too many here")
    assert not is_title_like("12:30 — 14:00")
    assert is_title_like("规划先行，连点成网")
    assert is_body(BODY)
    assert not is_body("How a small town brought its river back")
    assert is_body("word " * 30)


def test_long_lines_are_cheap_to_classify() -> None:
    line = "x" * 100_000
    kept, notes = strip_boilerplate(paragraphs(line, line + " /AP"))
    assert [b.kind for b in kept] == ["paragraph", "paragraph"]
    assert notes == []


# The phrase lists in models/data/page_phrases.json, per language.


@pytest.mark.parametrize(
    "text",
    [
        "Advertisement",
        "Print Print this page",
        "Watch video 02:17",
        "Sign up here.",
        "4 MIN READ",
        "Feedback: Send us your feedback.",
        "© 2020 Reuters. All rights reserved.",
        "Anzeige",
        "| mehr",
        "Lesezeit: 4 Minuten",
        "Publicité",
        "3 min de lecture",
        "Publicidad",
        "广告",
        "责任编辑：张三",
        "【纠错】",
    ],
)
def test_furniture_lines(text: str) -> None:
    assert is_furniture(text)


@pytest.mark.parametrize(
    "text",
    [
        "Advertisement revenue fell sharply in the third quarter of the year.",
        "Print is not dead, the editor said.",
        "Copyright holders disagree with the court ruling.",
        "Mehr als die Hälfte der Befragten lehnt den Plan ab.",
        "Anzeigen gegen den Bürgermeister wurden eingestellt.",
        "广告商表示，今年的投放预算将减少两成。",
        BODY,
    ],
)
def test_sentences_that_start_like_furniture_are_body(text: str) -> None:
    assert not is_furniture(text)
    assert not is_credit(text)


@pytest.mark.parametrize(
    "text",
    [
        "REUTERS/Kai Pfaffenbach",
        "Kai Pfaffenbach/Reuters",
        "(AP Photo/David J. Phillip, File)",
        "Getty",
        "Getty Images",
        "FILE PHOTO:",
        "Foto: Stuttgart Marketing",
        "Bild: picture alliance/dpa",
        "李尕 摄",
        "（新华社记者 王晔 摄）",
        "图片来源：视觉中国",
    ],
)
def test_bare_credits(text: str) -> None:
    assert is_credit(text)


@pytest.mark.parametrize(
    "text", ["Top 5", "Most read", "Mehr zum Thema", "À lire aussi", "相关新闻", "Related stories"]
)
def test_furniture_headings(text: str) -> None:
    assert is_furniture_heading(text)


@pytest.mark.parametrize(
    "text", ["Top 10 tips for a greener garden", "Why the river flooded", "Die Folgen für Anwohner"]
)
def test_real_headings_are_not_furniture_headings(text: str) -> None:
    assert not is_furniture_heading(text)


def test_furniture_and_credits_are_dropped_and_contributed_lines_are_notes() -> None:
    contributed = "Associated Press writer Jane Doe contributed to this report."
    blocks = paragraphs(BODY, "Advertisement", "REUTERS/Kai Pfaffenbach", BODY2, contributed)
    kept, notes = strip_boilerplate(blocks)
    assert [b.text for b in kept] == [BODY, BODY2]
    assert notes == [contributed]


def test_furniture_heading_takes_its_teasers_with_it() -> None:
    blocks = [
        *paragraphs(BODY),
        Block("heading", "Most read"),
        *paragraphs("Mayor resigns after vote", "Storm closes the harbour"),
        Block("heading", "What comes next"),
        *paragraphs(BODY2),
    ]
    kept, _ = strip_boilerplate(blocks)
    assert [(b.kind, b.text) for b in kept] == [
        ("paragraph", BODY),
        ("heading", "What comes next"),
        ("paragraph", BODY2),
    ]


def test_embedded_tweet_is_dropped() -> None:
    tweet = (
        "The harbour is closed until further notice. pic.twitter.com/abc123 "
        "— Port Authority (@port_news) January 19, 2020"
    )
    kept, _ = strip_boilerplate(paragraphs(BODY, tweet, BODY2))
    assert [b.text for b in kept] == [BODY, BODY2]


@pytest.mark.parametrize(
    ("first", "dateline", "rest"),
    [
        ("GENEVA (Reuters) - " + BODY, "GENEVA (Reuters)", BODY),
        ("FRANKFURT, Jan 25 (Reuters) - " + BODY, "FRANKFURT, Jan 25 (Reuters)", BODY),
        ("BERLIN (dpa) – " + BODY, "BERLIN (dpa)", BODY),
    ],
)
def test_wire_datelines_are_split_off(first: str, dateline: str, rest: str) -> None:
    found, _, blocks = take_front_matter(paragraphs(first, BODY2))
    assert found == dateline
    assert blocks[0].text == rest


def test_byline_after_a_caption_and_furniture_is_found() -> None:
    blocks = [Block("caption", "The harbour at dawn."), *paragraphs("4 MIN READ", "By Jane Doe")]
    _, byline, rest = take_front_matter([*blocks, *paragraphs(BODY)])
    assert byline == "By Jane Doe"
    assert [b.text for b in rest] == ["The harbour at dawn.", BODY]


@pytest.mark.parametrize(
    "text",
    ["半月谈记者 史卫燕", "记者：王明", "文/李华", "Von Anna Schmidt, NDR", "Par Marie Dupont"],
)
def test_bylines_in_several_languages(text: str) -> None:
    assert is_byline(text)


@pytest.mark.parametrize(
    ("name", "site", "real"),
    [
        ("Lea Brandt", "DW", True),
        ("Deutsche Welle", "Deutsche Welle", False),
        ("DW", "dw.com", False),
        ("tagesschau.de", "", False),
        ("Facebook Com", "", False),
        ("责任编辑：王明", "", False),
        ("Username", "", False),
    ],
)
def test_author_metadata_vetting(name: str, site: str, real: bool) -> None:
    assert is_real_author(name, site) is real
