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
