"""Numbers, amounts, percentages, dates and times found in text, as comparable values.

"3 million", "3.000.000", "3,000,000", "300万" and "drei Millionen" all read as
3e6; "March 19", "19. März" and "3月19日" all read as month 3, day 19. Text is
folded first (`fold`), so patterns see one form of every accent and width, and the
spans found are mapped back to the original text. The language-specific words come
from the tables in `rules`; this module only builds patterns from them and reads
what they match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from models.fidelity import rules
from models.fidelity.fold import fold, fold_with_map

NUMBER = "number"
DATE = "date"
TIME = "time"

# A digit run with optional grouping (1,000 / 1.000 / 1 000 / 1'000) and decimals.
_DIGITS = r"\d+(?:[ ,.'’](?:\d{3}))*(?:[.,]\d+)?"
# Not inside a word or a longer number ("G20", "MP3", "1.2.3" stay out).
_BEFORE = r"(?<![0-9a-z\u0400-\u04ff_/-])(?<!\d[.,])"
_AFTER = r"(?![0-9])"
_CJK_NUM = "".join(rules.CJK_DIGITS) + "".join(rules.CJK_SMALL_UNITS)
_CJK_BIG = "".join(rules.CJK_BIG_UNITS)
_ARTICLE_ONES = frozenset(
    {"a", "an", "ein", "eine", "einen", "un", "une", "uno", "una", "um", "uma", "een"}
)


@dataclass(frozen=True)
class Mention:
    """One quantity in a text: where it is and what it may mean.

    `values` holds every reading of an ambiguous number ("3.000" is 3000 in German
    and 3 in English); `date` is (year, month, day) with None for a part not given.
    """

    text: str
    kind: str  # NUMBER | DATE | TIME
    start: int
    end: int
    values: frozenset[float] = frozenset()
    dates: tuple[tuple[int | None, int | None, int | None], ...] = ()
    # Written with a scale word ("3.2 million"): a rounding of 3,150,000-3,250,000.
    rounded: bool = False
    # Per reading, the place of the last digit written: "2.200 millones" -> 1e6.
    places: tuple[tuple[float, float], ...] = ()
    word: bool = False  # written in words ("drei"), not digits
    # "more than 200": which side of the number the source value may lie on.
    approx: str | None = None  # rules.MORE | NEARLY | ABOUT | LESS
    parts: frozenset[float] = field(default=frozenset())  # numbers inside a date or time
    weekdays: frozenset[int] = frozenset()  # 0 Monday .. 6 Sunday, for "on Thursday"

    @property
    def flaggable(self) -> bool:
        """Whether a summary's use of it is worth a flag when the source lacks it."""
        if self.word:
            return fold(self.text).strip() not in rules.IDIOMATIC_WORDS
        return True


# -- number readings -----------------------------------------------------------------


def digit_values(token: str, group: str = "") -> set[float]:
    """Every plausible value of a digit token with separators, e.g. "3.000" -> {3000, 3}.

    `group` is the text language's thousands separator: "3,000" in English text is
    only 3000, while in German text it may be 3.0 or an English-style 3000.
    """
    token = token.replace("’", "'")
    seps = [c for c in token if not c.isdigit()]
    if not seps:
        return {float(token)}
    out: set[float] = set()
    kinds = set(seps)
    last = seps[-1]
    head, _, tail = token.rpartition(last)
    digits_only = re.sub(r"\D", "", head)
    if len(kinds) > 1 and last in ".,":
        # Two kinds of separator: the last one marks decimals (1.234,5 / 1,234.5).
        out.add(float(f"{digits_only}.{tail}"))
        return out
    if seps.count(last) > 1 or last in " '":
        out.add(float(re.sub(r"\D", "", token)))  # grouping only: 3.000.000, 3 000
        return out
    if len(tail) == 3:
        out.add(float(re.sub(r"\D", "", token)))  # 3,000 (en) or 3.000 (de) as thousands
        if last == group:
            return out
    out.add(float(f"{digits_only}.{tail}"))  # 3,5 (de) or 3.5 (en) as decimals
    return out


def cjk_value(text: str) -> float | None:
    """The value of a Chinese/Japanese numeral ("三百万" -> 3e6, "十九" -> 19)."""
    total = 0.0
    section = 0.0
    digit: float | None = None
    for char in text:
        if char in rules.CJK_DIGITS:
            digit = float(rules.CJK_DIGITS[char])
        elif char in rules.CJK_SMALL_UNITS:
            section += (digit if digit is not None else 1.0) * rules.CJK_SMALL_UNITS[char]
            digit = None
        elif char in rules.CJK_BIG_UNITS:
            section += digit or 0.0
            total += (section or 1.0) * rules.CJK_BIG_UNITS[char]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0.0)


# -- patterns built from the tables -------------------------------------------------


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class _Patterns:
    number: re.Pattern[str]
    word_number: re.Pattern[str]
    cjk_number: re.Pattern[str]
    dates: tuple[re.Pattern[str], ...]
    month_alone: re.Pattern[str]
    weekday: re.Pattern[str]
    weekday_names: dict[str, int]
    approximator: re.Pattern[str]
    times: tuple[re.Pattern[str], ...]
    scales: dict[str, float]
    words: dict[str, float]
    months: dict[str, int]
    group: str  # the thousands separator of the language ("," in English)
    wide: frozenset[str]  # full month names, folded


@lru_cache(maxsize=32)
def _patterns(lang: str) -> _Patterns:
    scales = rules.scales_for(lang)
    compound = rules.COMPOUND_SCALES.get(lang.split("-")[0], {})
    all_scales = {**scales, **compound}
    words = rules.number_words_for(lang)
    months = rules.month_names(lang)
    wide = rules.wide_month_names(lang)
    scale_alt = _alternation(all_scales)
    currency = _alternation(rules.CURRENCY_SIGNS).lower()
    percent = _alternation([*rules.PERCENT_WORDS, *rules.PERCENT_SIGNS])
    cur_words = _alternation(rules.CURRENCY_WORDS)
    scale_part = rf"(?:\s?(?P<scale>{scale_alt})(?![a-z\u0400-\u04ff])(?P<dot>\.)?)?"
    tail = (
        rf"(?:\s?(?P<percent>{percent}))?"
        rf"(?:\s?(?:{currency}|{cur_words})(?![a-z]))?"
    )
    number = re.compile(
        rf"(?:(?P<cur>{currency})\s?)?{_BEFORE}(?P<num>{_DIGITS}){_AFTER}"
        rf"(?:(?P<ord>{_alternation(rules.ORDINAL_SUFFIXES)})(?![a-z0-9]))?"
        rf"(?:\s?(?P<big>[{_CJK_BIG}]+))?{scale_part}{tail}"
    )
    word_alt = _alternation([*words, *_ARTICLE_ONES])
    word_number = re.compile(
        rf"(?<![\w-])(?P<word>{word_alt})(?![\w-])"
        rf"(?:\s(?P<scale>{scale_alt})(?![\w-]))?{tail}"
    )
    cjk_number = re.compile(
        rf"(?P<pct>{rules.CJK_PERCENT_PREFIX})?(?P<cjk>[{_CJK_NUM}{_CJK_BIG}]+)"
    )
    month_alt = _alternation(months)
    day = r"(?P<day>\d{1,2})"
    year = r"(?P<year>\d{4})"
    dates = (
        re.compile(rf"{_BEFORE}{year}-(?P<month>\d{{1,2}})-{day}{_AFTER}"),
        re.compile(
            rf"(?:(?P<year>\d{{4}}|[{_CJK_NUM}]{{4}})\s?[年년]\s?)?"
            rf"(?P<month>\d{{1,2}}|[{_CJK_NUM}]{{1,3}})\s?[月월]"
            rf"(?:\s?(?P<day>\d{{1,2}}|[{_CJK_NUM}]{{1,3}})\s?[日号號일])?"
        ),
        re.compile(rf"{_BEFORE}(?P<year>\d{{4}})\s?[年년]"),
        re.compile(rf"{_BEFORE}(?P<a>\d{{1,2}})[./](?P<b>\d{{1,2}})[./](?P<year>\d{{4}}){_AFTER}"),
        re.compile(
            rf"{_BEFORE}{day}(?:\.|st|nd|rd|th|er|e|º)?\s(?:de\s|of\s(?:the\s)?)?"
            rf"(?P<mname>{month_alt})(?![a-z])\.?(?:,?\s(?:de\s|del\s)?{year}{_AFTER})?"
        ),
        re.compile(
            rf"(?<![a-z])(?P<mname>{month_alt})\.?\s(?:the\s)?{day}(?:st|nd|rd|th)?{_AFTER}"
            rf"(?![.,]\d)(?:,?\s{year}{_AFTER})?"
        ),
        re.compile(rf"(?<![a-z])(?P<mname>{month_alt})\.?\s(?:de\s)?{year}{_AFTER}"),
    )
    month_alone = re.compile(rf"(?<![a-z])(?P<mname>{_alternation(wide)})(?![a-z])")
    pm = _alternation([*rules.PM_WORDS, *rules.AM_WORDS])
    hours = _alternation(rules.HOUR_WORDS)
    times = (
        re.compile(rf"{_BEFORE}(?P<h>\d{{1,2}})[:h](?P<m>\d{{2}}){_AFTER}(?:\s?(?P<pm>{pm}))?"),
        re.compile(rf"{_BEFORE}(?P<h>\d{{1,2}})\s?(?P<pm>{pm})(?![a-z])"),
        re.compile(rf"{_BEFORE}(?P<h>\d{{1,2}})\s?(?:{hours})(?![a-z])"),
    )
    return _Patterns(
        number,
        word_number,
        cjk_number,
        dates,
        month_alone,
        re.compile(rf"(?<![\w-])(?P<day>{_alternation(rules.weekday_names(lang))})(?![\w-])"),
        rules.weekday_names(lang),
        re.compile(rf"(?<![\w])(?P<approx>{_alternation(rules.APPROXIMATORS)})\s?$"),
        times,
        all_scales,
        words,
        months,
        rules.group_symbol(lang),
        wide,
    )


# -- extraction -------------------------------------------------------------------


def _small(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    value = cjk_value(text)
    return int(value) if value is not None else None


def extract(text: str, lang: str = "en") -> list[Mention]:
    """Every number, amount, percentage, date and time in `text`, in order."""
    folded, origin = fold_with_map(text)
    patterns = _patterns((lang or "en").lower())
    taken = bytearray(len(folded) + 1)  # 1 where a mention was found: O(span) checks
    mentions: list[Mention] = []

    def free(start: int, end: int) -> bool:
        return taken.find(1, start, end) < 0

    def add(start: int, end: int, **fields: Any) -> None:
        taken[start:end] = b"\x01" * (end - start)
        # 0.07 * 1e4 is 700.0000000000001: twelve digits make equal values equal.
        if "values" in fields:
            fields["values"] = frozenset(_clean(v) for v in fields["values"])
        if "places" in fields:
            fields["places"] = tuple((_clean(v), p) for v, p in fields["places"])
        if fields.get("kind") == NUMBER:
            before = patterns.approximator.search(folded, max(0, start - 24), start)
            if before is not None:
                fields["approx"] = rules.APPROXIMATORS[before.group("approx")]
        o_start, o_end = origin[start], origin[end - 1] + 1
        mentions.append(Mention(text[o_start:o_end], start=o_start, end=o_end, **fields))

    for pattern in patterns.dates:
        for m in pattern.finditer(folded):
            if not free(*m.span()):
                continue
            found = _read_date(m, patterns.months)
            if found:
                parts = frozenset(float(x) for d in found for x in d if x is not None)
                end = m.end()
                if folded[end - 1] == "." and m.groupdict().get("mname") in patterns.wide:
                    end -= 1  # "14 de abril." ends a sentence; "Jan. 5" keeps its dot
                add(m.start(), end, kind=DATE, dates=tuple(found), parts=parts)
    for m in patterns.month_alone.finditer(folded):
        if not free(*m.span()):
            continue
        if lang.startswith("en") and not text[origin[m.start()]].isupper():
            continue  # "may", "march" as verbs
        add(*m.span(), kind=DATE, dates=((None, patterns.months[m.group("mname")], None),))
    for m in patterns.weekday.finditer(folded):
        if free(*m.span()):
            day = patterns.weekday_names[m.group("day")]
            add(*m.span(), kind=DATE, weekdays=frozenset({day}))
    for pattern in patterns.times:
        for m in pattern.finditer(folded):
            if not free(*m.span()):
                continue
            hour = int(m.group("h"))
            minute = int(m.groupdict().get("m") or 0)
            if hour > 24 or minute > 59:
                continue
            pm = (m.groupdict().get("pm") or "").startswith("p")
            if pm and hour < 12:
                hour += 12
            add(
                *m.span(),
                kind=TIME,
                values=frozenset({hour * 60.0 + minute}),
                parts=frozenset({float(hour), float(hour % 12), float(minute)}),
            )
    for m in patterns.number.finditer(folded):
        if not free(*m.span()):
            continue
        end = m.end()
        if m.group("dot") and len(m.group("scale")) > 4 and end == m.end("dot"):
            end -= 1  # "3 Millionen." ends a sentence; "3 Mio." is an abbreviation
        add(m.start(), end, kind=NUMBER, **_read_number(m, patterns.scales, patterns.group))
    for m in patterns.cjk_number.finditer(folded):
        if not free(*m.span()):
            continue
        value = cjk_value(m.group("cjk"))
        if value is None or (value < 10 and len(m.group("cjk")) == 1 and not m.group("pct")):
            continue  # a lone "一" is as often "a"/"one" as a quantity
        big = [rules.CJK_BIG_UNITS[c] for c in m.group("cjk") if c in rules.CJK_BIG_UNITS]
        add(
            *m.span(),
            kind=NUMBER,
            values=frozenset({value}),
            rounded=bool(big),
            places=((value, min(big)),) if big else (),
        )
    for m in patterns.word_number.finditer(folded):
        if not free(*m.span()):
            continue
        word, scale = m.group("word"), m.group("scale")
        if word in _ARTICLE_ONES and not scale:
            continue
        value = patterns.words.get(word, 1.0)
        factor = patterns.scales.get(scale, 1.0) if scale else 1.0
        add(
            *m.span(),
            kind=NUMBER,
            values=frozenset({value * factor}),
            rounded=bool(scale),
            word=not scale,
            places=((value * factor, factor),),
        )
    mentions.sort(key=lambda x: x.start)
    return mentions


def _clean(value: float) -> float:
    return float(f"{value:.12g}")


def _read_date(
    m: re.Match[str], months: dict[str, int]
) -> list[tuple[int | None, int | None, int | None]]:
    groups = m.groupdict()
    year = _small(groups["year"]) if groups.get("year") else None
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        options = [(year, b, a), (year, a, b)]  # day.month.year, then month/day/year
        return [o for o in dict.fromkeys(options) if _valid(o)]
    month: int | None = None
    if groups.get("mname"):
        month = months.get(groups["mname"])
    elif groups.get("month"):
        month = _small(groups["month"])
    day = _small(groups["day"]) if groups.get("day") else None
    found = (year, month, day)
    return [found] if _valid(found) else []


def _valid(date: tuple[int | None, int | None, int | None]) -> bool:
    year, month, day = date
    if month is not None and not 1 <= month <= 12:
        return False
    if day is not None and not 1 <= day <= 31:
        return False
    return year is None or 1000 <= year <= 2999


def _read_number(m: re.Match[str], scales: dict[str, float], group: str) -> dict[str, object]:
    token = m.group("num")
    values = digit_values(token, group)
    factor = 1.0
    rounded = False
    scale = m.group("scale")
    big = m.group("big")
    for char in big or "":
        factor *= rules.CJK_BIG_UNITS[char]  # 万亿 is 10^4 * 10^8
    if scale:
        factor *= scales.get(scale.rstrip("."), 1.0)
    places: list[tuple[float, float]] = []
    if factor != 1.0:
        scaled = {v * factor for v in values}
        places = [(v * factor, _written_place(token, v) * factor) for v in values]
        if scale in ("m", "b", "k") and not m.group("cur"):
            scaled |= values  # "5 m" may be metres, not millions
        rounded = True
        values = scaled
    return {"values": frozenset(values), "rounded": rounded, "places": tuple(places)}


def _written_place(token: str, value: float) -> float:
    # "2.200" read as 2200 ends in the ones; read as 2.2 it ends in the thousandths.
    tail = re.search(r"[.,](\d+)$", token)
    if tail and not float(value).is_integer():
        return 10.0 ** -len(tail.group(1))
    return 1.0
