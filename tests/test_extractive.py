"""Tests for the extractive (LexRank + lead prior) summarizer."""

from __future__ import annotations

import itertools
import math
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from models.data import SAMPLE_ARTICLE
from models.errors import Cancelled
from models.inference.credits import is_credit
from models.inference.extractive import (
    LONG_MIN_WORDS,
    MEDIUM_WORDS,
    Budget,
    ExtractiveSummarizer,
    covers_whole,
    pick_sentences,
    rank_sentences,
    section_sentences,
    sentence_words,
    word_budget,
)
from models.ingest.sources import read_article
from models.text import split_sentences
from models.types import Length, Summarizer

TOWNS = ["Ashford", "Brigham", "Carlton", "Dunmore", "Elmsley", "Fairview", "Glenrock"]


def _numbered(n: int) -> str:
    """n distinct sentences on one topic, so every one is a candidate."""
    sentences = []
    for i in range(n):
        town = TOWNS[i % len(TOWNS)]
        if i % 2:
            sentences.append(f"Inspectors in {town} counted {i + 2} bridges after storm {i + 1}.")
        else:
            sentences.append(f"The storm number {i + 1} closed {i + 3} roads near {town}.")
    return " ".join(sentences)


def _long_text(words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(3000)] + ["the", "of", "and", "to", "in", "a"] * 200
    sentences: list[str] = []
    count = 0
    while count < words:
        size = rng.randint(8, 28)
        body = " ".join(rng.choice(vocab) for _ in range(size))
        sentences.append(body.capitalize() + ".")
        count += size
    return " ".join(sentences)


@pytest.fixture
def summarizer() -> ExtractiveSummarizer:
    return ExtractiveSummarizer()


def test_fits_the_summarizer_protocol(summarizer: ExtractiveSummarizer) -> None:
    assert isinstance(summarizer, Summarizer)
    assert summarizer.name == "extractive"
    assert summarizer.revision is None
    assert summarizer.extractive is True
    assert summarizer.languages is None


def test_settings_key_is_stable_and_differs_by_length(summarizer: ExtractiveSummarizer) -> None:
    keys = {length: summarizer.settings_key(length) for length in Length}
    assert len(set(keys.values())) == 3
    assert keys[Length.SHORT] == ExtractiveSummarizer().settings_key(Length.SHORT)
    assert "v3" in keys[Length.SHORT]


def test_word_budgets() -> None:
    assert word_budget(Length.SHORT, 500) is None  # one sentence, whatever its length
    assert word_budget(Length.MEDIUM, 500) == Budget(60, 80)
    assert word_budget(Length.MEDIUM, 5000) == Budget(60, 80)
    # Long is a third of the section...
    third = word_budget(Length.LONG, 900)
    assert third is not None and third.at_least < 300 < third.at_most
    assert third.at_least == pytest.approx(255) and third.at_most == pytest.approx(345)
    # ...but never so little that it reads no more than medium.
    small = word_budget(Length.LONG, 150)
    assert small is not None and small.at_least > MEDIUM_WORDS[1]
    assert small.at_least == pytest.approx(LONG_MIN_WORDS * 0.85)


def test_lengths_are_budgeted_in_words(summarizer: ExtractiveSummarizer) -> None:
    text = _numbered(60)
    total = sum(sentence_words(s) for s in section_sentences(text))
    assert total > 500
    short, medium, long = (summarizer.summarize([text], x)[0] for x in Length)
    assert len(split_sentences(short)) == 1
    assert MEDIUM_WORDS[0] <= len(medium.split()) <= MEDIUM_WORDS[1]
    assert total / 3 * 0.85 <= len(long.split()) <= total / 3 * 1.15


def test_each_length_reads_more_than_the_one_before(summarizer: ExtractiveSummarizer) -> None:
    for n in (8, 12, 20, 40, 90):
        text = _numbered(n)
        picks = [pick_sentences(text, x) for x in Length]
        words = [sum(sentence_words(s) for s in p) for p in picks]
        assert words[0] < words[1] < words[2] or covers_whole(text, Length.MEDIUM), (n, words)
        # Each length keeps what the shorter one said.
        assert set(picks[0]) <= set(picks[1]) <= set(picks[2])


def test_sentences_are_verbatim_and_in_source_order() -> None:
    text = _numbered(20)
    sentences = section_sentences(text)
    for length in Length:
        picked = pick_sentences(text, length)
        positions = [sentences.index(s) for s in picked]  # ValueError if not verbatim
        assert positions == sorted(positions)
        assert all(s in text for s in picked)


def test_summary_is_the_picked_sentences_joined(summarizer: ExtractiveSummarizer) -> None:
    text = _numbered(9)
    summary = summarizer.summarize([text], Length.MEDIUM)[0]
    assert summary == " ".join(pick_sentences(text, Length.MEDIUM))


def test_short_input_is_returned_whole(summarizer: ExtractiveSummarizer) -> None:
    text = "The bridge reopened on Monday. Traffic returned to normal by noon."
    assert summarizer.summarize([text], Length.MEDIUM) == [text]
    assert covers_whole(text, Length.MEDIUM)
    assert covers_whole(text, Length.LONG)
    assert not covers_whole(text, Length.SHORT)
    assert covers_whole(_numbered(12), Length.LONG)  # ~110 words: less than long asks
    assert not covers_whole(_numbered(12), Length.MEDIUM)
    assert not covers_whole(_numbered(40), Length.LONG)


def test_empty_text_gives_empty_summary(summarizer: ExtractiveSummarizer) -> None:
    assert summarizer.summarize(["", "   \n\n  "], Length.SHORT) == ["", ""]
    assert summarizer.summarize([], Length.SHORT) == []


def test_centrality_beats_an_off_topic_opening() -> None:
    text = (
        "The bakery on Main Street sold out of croissants early. "
        "Flood waters rose quickly on Monday. "
        "Rescue teams used boats overnight. "
        "Families left their homes in the valley. "
        "Rescue teams used boats as flood waters rose and families left their homes. "
        "The flood waters crested on Tuesday, and more families in the valley left by boat. "
        "Rescue teams said the valley road stayed under water until the flood eased. "
        "Schools in the valley will stay closed until the flood waters fall. "
        "Volunteers helped rescue teams move families from homes near the flood line. "
        "Insurers said claims for flooded homes in the valley would be paid quickly."
    )
    assert not covers_whole(text, Length.MEDIUM)
    assert pick_sentences(text, Length.SHORT) == [
        "Rescue teams used boats as flood waters rose and families left their homes."
    ]
    medium = pick_sentences(text, Length.MEDIUM)
    assert "The bakery on Main Street sold out of croissants early." not in medium


def test_lead_prior_favours_earlier_sentences_when_content_is_alike() -> None:
    sentences = [f"The storm hit the coast near {town} and damaged houses." for town in TOWNS]
    scores = rank_sentences(sentences)
    assert math.isclose(sum(scores), 1.0, rel_tol=1e-6)
    assert all(a > b for a, b in itertools.pairwise(scores))
    # The prior follows position, not content: reversed, the new first one wins.
    reversed_text = " ".join(reversed(sentences))
    assert pick_sentences(reversed_text, Length.SHORT) == [sentences[-1]]
    assert pick_sentences(" ".join(sentences), Length.SHORT) == [sentences[0]]


def test_chinese_is_summarized_without_spaces(summarizer: ExtractiveSummarizer) -> None:
    text = (
        "今年春天，南方多地遭遇持续暴雨。"
        "暴雨导致河水上涨，部分村庄被洪水包围！"
        "救援队乘船进入被洪水包围的村庄，转移了数百名村民。"
        "当地一家面包店推出了新口味的月饼。"
        "气象部门预计暴雨将在周末减弱，河水也会逐渐回落？"
        "政府表示将为受灾村民提供临时住所。"
        "暴雨过后，救援队继续在村庄周边搜寻被困村民，并向灾民发放食品和饮用水。"
        "专家提醒，河水回落后仍需警惕山体滑坡和泥石流等次生灾害。"
        "多所学校因洪水停课，教育部门表示将尽快安排复课。"
        "电力公司连夜抢修受损线路，大部分村庄已恢复供电。"
    )
    sentences = section_sentences(text, "zh")
    assert len(sentences) == 10
    # Two characters count a word: ~110 words, so medium chooses.
    assert not covers_whole(text, Length.MEDIUM, "zh")
    summary = summarizer.summarize([text], Length.MEDIUM, lang="zh")[0]
    assert " " not in summary
    picked = pick_sentences(text, Length.MEDIUM, lang="zh")
    assert summary == "".join(picked)
    assert 2 <= len(picked) < len(sentences)
    assert sum(sentence_words(s) for s in picked) <= MEDIUM_WORDS[1]
    assert all(s in sentences for s in picked)
    assert "当地一家面包店推出了新口味的月饼。" not in picked
    assert pick_sentences(text, Length.SHORT, lang="zh")[0] in sentences


def test_abbreviations_and_decimals_do_not_split() -> None:
    text = "Dr. Smith paid $3.50 for the ticket. The U.S. team lost 2.5 points. It rained."
    assert section_sentences(text) == [
        "Dr. Smith paid $3.50 for the ticket.",
        "The U.S. team lost 2.5 points.",
        "It rained.",
    ]


def test_paragraph_breaks_end_sentences_and_line_wraps_do_not() -> None:
    text = "A heading without a stop\n\nThe first line wraps\nonto a second. Then more.\n"
    assert section_sentences(text) == [
        "A heading without a stop",
        "The first line wraps onto a second.",
        "Then more.",
    ]


def test_sample_article_short_summary_is_one_sentence_of_it(
    summarizer: ExtractiveSummarizer,
) -> None:
    raw = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", raw) if p.strip()]
    block = "\n\n".join(paragraphs[1:8])  # the lead, past the headline line
    sentences = section_sentences(block)
    assert len(sentences) > 3
    summary = summarizer.summarize([block], Length.SHORT)[0]
    assert summary in sentences
    assert summary in block
    medium = summarizer.summarize([block], Length.MEDIUM)[0]
    assert summary in medium


def test_twenty_thousand_words_complete(summarizer: ExtractiveSummarizer) -> None:
    text = _long_text(20_000)
    n = len(section_sentences(text))
    assert n > 500
    total = sum(sentence_words(s) for s in section_sentences(text))
    summary = summarizer.summarize([text], Length.LONG)[0]
    assert total / 3 * 0.85 <= len(summary.split()) <= total / 3 * 1.15
    assert len(summarizer.summarize([text], Length.SHORT)[0].split()) <= 28


def test_cancel_before_and_during(summarizer: ExtractiveSummarizer) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        summarizer.summarize(["One. Two. Three. Four."], Length.SHORT, cancel=cancel)
    with pytest.raises(Cancelled):
        rank_sentences(section_sentences(_long_text(2_000)), cancel=cancel)


def test_cancel_from_another_thread_stops_a_batch(summarizer: ExtractiveSummarizer) -> None:
    cancel = threading.Event()
    texts = [_long_text(3_000, seed=s) for s in range(200)]
    timer = threading.Timer(0.05, cancel.set)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            summarizer.summarize(texts, Length.MEDIUM, cancel=cancel)
    finally:
        timer.cancel()


def test_deterministic(summarizer: ExtractiveSummarizer) -> None:
    texts = [_numbered(15), _long_text(3_000, seed=3)]
    first = summarizer.summarize(texts, Length.MEDIUM)
    assert ExtractiveSummarizer().summarize(texts, Length.MEDIUM) == first
    assert summarizer.summarize(texts, Length.MEDIUM) == first


def test_import_loads_neither_torch_nor_langid() -> None:
    code = (
        "import sys, models.inference.extractive, models.ingest.language; "
        "print(sorted(m for m in ('torch', 'transformers', 'py3langid', 'numpy') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    assert out.strip() == "[]"


def test_line_wraps_join_without_space_in_chinese_but_with_one_in_korean() -> None:
    assert section_sentences("河水上涨，\n村庄被包围。", "zh") == ["河水上涨，村庄被包围。"]
    assert section_sentences("강물이 불어나\n마을이 고립됐다.", "ko") == [
        "강물이 불어나 마을이 고립됐다."
    ]


LEAD = (
    "Floods forced 3,000 people from their homes in the Arno valley on Monday after two days "
    "of rain, the regional government said."
)
STORY = [
    "Rescue teams in boats reached villages cut off since Sunday night.",
    "The river rose four metres in twelve hours, the highest level since 1966.",
    "Schools and two hospitals were closed, and trains between Florence and Pisa stopped.",
    "Forecasters expect the rain to ease on Wednesday, but warned of landslides in the hills.",
    "The mayor of Pontedera said the town's levees had held but asked residents to stay upstairs.",
    "Farmers said the harvest of late vegetables in the lower valley was lost.",
    "The national civil protection agency sent pumps, generators and 200 volunteers.",
    "Insurers estimated the damage at several hundred million euros.",
]


@pytest.mark.parametrize(
    "caption",
    [
        "Photo: Residents of the Arno valley leave their flooded homes in boats on Monday.",
        "Residents of the Arno valley leave their flooded homes in boats, Monday. /Xinhua",
        "Residents of the Arno valley leave flooded homes in boats (AP Photo/Antonio Calanni)",
        "Pictured: floods forced people from their homes in the Arno valley on Monday.",
        "Reporting by Maria Rossi; editing by John Smith and the floods desk in Rome.",
        "Scroll down for video of the floods in the Arno valley on Monday.",
    ],
)
def test_captions_and_credits_are_never_picked(caption: str) -> None:
    assert is_credit(caption)
    # The caption restates the lead, so centrality alone would rank it high.
    text = " ".join([LEAD, caption, *STORY])
    for length in Length:
        assert caption not in pick_sentences(text, length), length


@pytest.mark.parametrize(
    "sentence",
    [
        "PUBLISHED: . 12:34 EST, 1 March 2013 .",
        "By . Daily Mail Reporter .",
        "Follow @jsmith on Twitter.",
        "(With input from Xinhua)",
        "Additional reporting by Li Wei in Beijing.",
        "Copyright 2024 The Times. All rights reserved.",
        "Editor's note: this story has been updated.",
    ],
)
def test_credit_lines(sentence: str) -> None:
    assert is_credit(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        LEAD,
        "By Monday, the river had fallen to its usual level.",
        "Updated figures show the damage was smaller than feared.",
        "Sources said the photo was taken on Monday.",
        "The credit union reopened its branch after the floods.",
        "LONDON (Reuters) - The Bank of England held rates on Thursday.",
        "Watchdogs said the image of the city had suffered.",
    ],
)
def test_ordinary_sentences_are_not_credits(sentence: str) -> None:
    assert not is_credit(sentence)


def test_a_restatement_of_a_picked_sentence_is_not_picked_too() -> None:
    restated = (
        "On Monday floods forced 3,000 people from their homes in the Arno valley after "
        "two days of rain, said the regional government."
    )
    text = " ".join([LEAD, STORY[0], restated, *STORY[1:]])
    for length in (Length.MEDIUM, Length.LONG):
        picked = pick_sentences(text, length)
        assert not (LEAD in picked and restated in picked), length
        assert LEAD in picked or restated in picked


def test_headings_and_fragments_are_not_picked() -> None:
    text = "\n\n".join(["Floods in the valley", LEAD, "Read on", " ".join(STORY)])
    for length in Length:
        picked = pick_sentences(text, length)
        assert "Floods in the valley" not in picked and "Read on" not in picked


def test_a_section_of_nothing_but_credits_still_gets_a_summary() -> None:
    text = "Photo: Reuters. Photo: AFP. Photo: Getty Images and the AP."
    assert ExtractiveSummarizer().summarize([text], Length.SHORT)[0]


def test_sample_lengths_differ_and_grow() -> None:
    """The issue's report: long equalled medium in every section of the sample."""
    summarizer = ExtractiveSummarizer()
    for section in read_article(None).sections:
        out = {x: summarizer.summarize([section.text], x)[0] for x in Length}
        words = {x: len(out[x].split()) for x in Length}
        if covers_whole(section.text, Length.MEDIUM):
            continue
        assert out[Length.LONG] != out[Length.MEDIUM], section.index
        assert words[Length.SHORT] < words[Length.MEDIUM] < words[Length.LONG], section.index
        assert words[Length.MEDIUM] <= MEDIUM_WORDS[1], section.index
