"""Normalisation rules of the fidelity checks: one test per rule and language."""

from __future__ import annotations

import pytest

from models.fidelity.fold import find_all, fold, transliterate
from models.fidelity.quantities import DATE, NUMBER, TIME, cjk_value, digit_values, extract


def _numbers(text: str, lang: str) -> list[set[float]]:
    return [set(m.values) for m in extract(text, lang) if m.kind == NUMBER]


def _dates(text: str, lang: str) -> list[tuple[int | None, int | None, int | None]]:
    return [d for m in extract(text, lang) if m.kind == DATE for d in m.dates]


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("3 million", "en", 3e6),
        ("3,000,000", "en", 3e6),
        ("3.000.000", "de", 3e6),
        ("3 000 000", "fr", 3e6),
        ("3\u202f000\u202f000", "fr", 3e6),
        ("300万", "zh", 3e6),
        ("三百万", "zh", 3e6),
        ("drei Millionen", "de", 3e6),
        ("3 Mio.", "de", 3e6),
        ("3 millions", "fr", 3e6),
        ("3 millones", "es", 3e6),
        ("3 млн", "ru", 3e6),
        ("$3m", "en", 3e6),
        ("2.200 millones", "es", 2.2e9),
        ("3 mil millones", "es", 3e9),
        ("4,72万亿", "zh", 4.72e12),
        ("1.234,5", "de", 1234.5),
        ("1,234.5", "en", 1234.5),
        ("thirteen", "en", 13),
    ],
)
def test_numbers_in_every_format_read_as_one_value(text: str, lang: str, value: float) -> None:
    found = _numbers(text, lang)
    assert len(found) == 1, found
    assert any(abs(v - value) < 1e-6 * value for v in found[0])


def test_a_grouping_separator_of_the_language_is_not_read_as_decimals() -> None:
    assert digit_values("3,000", ",") == {3000.0}  # English text: only thousands
    assert digit_values("3,000", ".") == {3000.0, 3.0}  # German text: either
    assert digit_values("3,5", ".") == {3.5}


def test_billion_follows_the_language() -> None:
    assert _numbers("2 billion", "en") == [{2e9}]
    assert _numbers("2 Billionen", "de") == [{2e12}]
    assert _numbers("2 Milliarden", "de") == [{2e9}]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("45%", "en"),
        ("45 %", "fr"),
        ("45 percent", "en"),
        ("45 Prozent", "de"),
        ("45 por ciento", "es"),
        ("45 процентов", "ru"),
        ("45％", "ja"),
        ("百分之四十五", "zh"),
    ],
)
def test_percentages(text: str, lang: str) -> None:
    found = extract(text, lang)
    assert [m.text for m in found] == [text]
    assert found[0].values == frozenset({45.0})


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("March 19", "en", (None, 3, 19)),
        ("March 19th, 2020", "en", (2020, 3, 19)),
        ("19 March 2020", "en", (2020, 3, 19)),
        ("the 19th of March", "en", (None, 3, 19)),
        ("19. März 2020", "de", (2020, 3, 19)),
        ("19 mars 2020", "fr", (2020, 3, 19)),
        ("19 de marzo de 2020", "es", (2020, 3, 19)),
        ("19 марта 2020", "ru", (2020, 3, 19)),
        ("3月19日", "ja", (None, 3, 19)),
        ("2020年3月19日", "zh", (2020, 3, 19)),
        ("2020-03-19", "en", (2020, 3, 19)),
        ("Jan. 5", "en", (None, 1, 5)),
        ("in January 2024", "de", (2024, 1, None)),
        ("3월 19일", "ko", (None, 3, 19)),
        ("2024년 3월 19일", "ko", (2024, 3, 19)),
        ("4 de abril de 2024", "pt", (2024, 4, 4)),
    ],
)
def test_dates_in_every_language_read_as_one_date(text: str, lang: str, date: tuple) -> None:
    assert _dates(text, lang) == [date]


def test_numeric_dates_keep_both_day_month_orders() -> None:
    assert set(_dates("on 03/04/2020", "en")) == {(2020, 4, 3), (2020, 3, 4)}


def test_may_as_a_verb_is_no_date() -> None:
    assert _dates("Officials may act", "en") == []
    assert _dates("In May officials act", "en") == [(None, 5, None)]


@pytest.mark.parametrize(
    ("text", "lang", "minutes"),
    [("3 p.m.", "en", 900), ("15:30", "en", 930), ("15 Uhr", "de", 900), ("15h30", "fr", 930)],
)
def test_times(text: str, lang: str, minutes: float) -> None:
    found = extract(text, lang)
    assert [m.kind for m in found] == [TIME]
    assert found[0].values == frozenset({minutes})


def test_ordinals_keep_their_number() -> None:
    assert _numbers("the 3rd attempt", "en") == [{3.0}]
    assert _numbers("le 2e tour", "fr") == [{2.0}]


def test_numbers_inside_words_are_not_quantities() -> None:
    assert _numbers("the G20 summit and an MP3 file", "en") == []


def test_spans_point_into_the_original_text() -> None:
    text = "Die Straße kostete 3,5 Mio. Euro."
    (mention,) = extract(text, "de")
    assert text[mention.start : mention.end] == mention.text == "3,5 Mio. Euro"


def test_sentence_end_after_a_scale_word_is_not_part_of_it() -> None:
    (mention,) = extract("Sie kostete drei Millionen.", "de")
    assert mention.text == "drei Millionen"


def test_cjk_numerals() -> None:
    assert cjk_value("十九") == 19
    assert cjk_value("两千") == 2000
    assert cjk_value("一亿二千万") == 120_000_000


def test_fold_ignores_case_accents_and_width() -> None:
    assert fold("São Paulo") == "sao paulo"
    assert fold("STRASSE") == fold("Straße")
    assert fold("３") == "3"
    assert transliterate("Путин") == "putin"


def test_find_all_maps_folded_matches_back_to_the_original() -> None:
    text = "In São Paulo and SAO PAULO; 東京 and 東京都"
    spans = find_all("sao paulo", text)
    assert [text[a:b] for a, b in spans] == ["São Paulo", "SAO PAULO"]
    assert [text[a:b] for a, b in find_all("東京", text)] == ["東京", "東京"]
    assert find_all("  ", text) == []


def test_a_sentence_end_after_a_month_is_not_part_of_the_date() -> None:
    (date,) = extract("Aprovou em 14 de abril.", "pt")
    assert date.text == "14 de abril"
    (date,) = extract("On Jan. 5 it rained.", "en")
    assert date.text == "Jan. 5"


def test_korean_scales_and_hangul_survive_folding() -> None:
    assert fold("서울") == "서울"
    assert _numbers("45조 원", "ko") == [{45e12}]
    assert _numbers("300만 원", "ko") == [{3e6}]


def test_products_of_scales_compare_equal_to_the_digits() -> None:
    from models.fidelity.flagger import check_summary

    source = "They spent 0.07万 yuan, 0.07亿 yuan, 1.1 million dollars and 2.2 million euros."
    summary = "They spent 700 yuan, 7,000,000 yuan, 1,100,000 dollars and 2,200,000 euros."
    assert check_summary(summary, source) == []
