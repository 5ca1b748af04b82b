"""Sentence splitting: an ordinal written "15." does not end a sentence where languages use it."""

from __future__ import annotations

import pytest

from models.text import split_sentences


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Die Kirche wurde im 15. Jahrhundert gebaut. Sie steht noch.",
            "de",
            ["Die Kirche wurde im 15. Jahrhundert gebaut.", "Sie steht noch."],
        ),
        (
            "Der 18. Spieltag war spannend. Bayern gewann.",
            "de",
            ["Der 18. Spieltag war spannend.", "Bayern gewann."],
        ),
        (
            "Am 3. Mai kam er zurück. Dann ging er.",
            "de",
            ["Am 3. Mai kam er zurück.", "Dann ging er."],
        ),
        (
            "Zum 70. Geburtstages wegen kamen alle. Gut.",
            "de",
            ["Zum 70. Geburtstages wegen kamen alle.", "Gut."],
        ),
        (
            "Sie belegte den 2. Platz. Danach kam nichts.",
            "de-AT",
            ["Sie belegte den 2. Platz.", "Danach kam nichts."],
        ),
        ("Det skete den 3. maj. Ok.", "da", ["Det skete den 3. maj.", "Ok."]),
        (
            "Stało się to w 15. wieku. Tak.",
            "pl",
            ["Stało się to w 15. wieku.", "Tak."],
        ),
    ],
)
def test_ordinals_stay_inside_their_sentence(text: str, lang: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # A count or a year at a sentence end is not an ordinal.
        ("Es kamen 300. Die Halle war voll.", "de", ["Es kamen 300.", "Die Halle war voll."]),
        (
            "Das gilt seit 2019. Die Regierung will das ändern.",
            "de",
            ["Das gilt seit 2019.", "Die Regierung will das ändern."],
        ),
        # A noun that merely starts like an ordinal noun ("Mal") is a new sentence.
        ("Es gab 12. Malaysia gewann.", "de", ["Es gab 12.", "Malaysia gewann."]),
        # English writes no ordinals with a full stop: nothing is joined.
        (
            "The vote was 15. Century-old rules applied.",
            "en",
            ["The vote was 15.", "Century-old rules applied."],
        ),
    ],
)
def test_numbers_that_end_a_sentence_still_end_it(
    text: str, lang: str, expected: list[str]
) -> None:
    assert split_sentences(text, lang) == expected


def test_empty_and_unknown_language() -> None:
    assert split_sentences("   ", "de") == []
    assert split_sentences("One. Two.", "xx") == ["One.", "Two."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The money arrives in May. Critics were not convinced.",
            ["The money arrives in May.", "Critics were not convinced."],
        ),
        (
            'Talks ended in May. "We failed," he said.',
            ["Talks ended in May.", '"We failed," he said.'],
        ),
        ("In May 2020 the firm left. Then more.", ["In May 2020 the firm left.", "Then more."]),
        ("Prices rose in Jan. and Feb. this year.", ["Prices rose in Jan. and Feb. this year."]),
    ],
)
def test_may_ends_a_sentence_unlike_the_abbreviated_months(text: str, expected: list[str]) -> None:
    # sentencex lists "May." with the month abbreviations; the full name ends a sentence.
    assert split_sentences(text, "en") == expected
