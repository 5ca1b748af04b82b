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
from models.inference.extractive import (
    ExtractiveSummarizer,
    covers_whole,
    pick_sentences,
    rank_sentences,
    requested_sentences,
    section_sentences,
)
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
    assert "v2" in keys[Length.SHORT]


@pytest.mark.parametrize(
    ("n", "length", "expected"),
    [
        (12, Length.SHORT, 1),
        (12, Length.MEDIUM, 3),
        (12, Length.LONG, 4),
        (30, Length.LONG, 10),
        (31, Length.LONG, 11),
        (5, Length.LONG, 3),  # never shorter than medium
        (2, Length.MEDIUM, 2),  # never longer than the section
        (1, Length.LONG, 1),
        (0, Length.SHORT, 0),
    ],
)
def test_requested_sentences(n: int, length: Length, expected: int) -> None:
    assert requested_sentences(n, length) == expected


def test_lengths_pick_the_requested_number_of_sentences(
    summarizer: ExtractiveSummarizer,
) -> None:
    text = _numbered(12)
    assert len(section_sentences(text)) == 12
    counts = {length: len(pick_sentences(text, length)) for length in (Length.SHORT, Length.MEDIUM)}
    assert counts == {Length.SHORT: 1, Length.MEDIUM: 3}
    assert len(pick_sentences(text, Length.LONG)) == 4
    long_summary = summarizer.summarize([text], Length.LONG)[0]
    assert len(split_sentences(long_summary)) == 4
    assert len(long_summary) < len(text)


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
    assert not covers_whole(_numbered(12), Length.LONG)


def test_empty_text_gives_empty_summary(summarizer: ExtractiveSummarizer) -> None:
    assert summarizer.summarize(["", "   \n\n  "], Length.SHORT) == ["", ""]
    assert summarizer.summarize([], Length.SHORT) == []


def test_centrality_beats_an_off_topic_opening() -> None:
    text = (
        "The bakery on Main Street sold out of croissants early. "
        "Flood waters rose quickly on Monday. "
        "Rescue teams used boats overnight. "
        "Families left their homes in the valley. "
        "Rescue teams used boats as flood waters rose and families left their homes."
    )
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
    )
    sentences = section_sentences(text, "zh")
    assert len(sentences) == 6
    summary = summarizer.summarize([text], Length.MEDIUM, lang="zh")[0]
    assert " " not in summary
    picked = pick_sentences(text, Length.MEDIUM, lang="zh")
    assert summary == "".join(picked)
    assert len(picked) == 3
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
    summary = summarizer.summarize([text], Length.LONG)[0]
    assert len(split_sentences(summary)) == math.ceil(n / 3)
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
