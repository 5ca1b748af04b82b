"""What a source states, and whether a quantity found elsewhere is among it.

An `Inventory` holds the values, dates, times and weekdays of a source text; its
`has` answers for one `Mention` of a summary or translation, forgiving what a
faithful rewrite changes: rounding with a scale word ("3.2 million" for
3,187,000), approximations ("more than 200" for 225), partial dates ("in March"
for "March 19, 2020"), and 12- or 24-hour clocks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from models.fidelity import rules
from models.fidelity.quantities import DATE, TIME, Mention, extract


@dataclass(frozen=True)
class Inventory:
    """What a source text states, ready for lookups: its values, dates and times."""

    values: frozenset[float]
    dates: tuple[tuple[int | None, int | None, int | None], ...]
    times: frozenset[float]
    mentions: tuple[Mention, ...]
    weekdays: frozenset[int] = frozenset()
    _sorted: list[float] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, text: str, lang: str) -> Inventory:
        mentions = tuple(extract(text, lang))
        values: set[float] = set()
        dates: list[tuple[int | None, int | None, int | None]] = []
        times: set[float] = set()
        weekdays: set[int] = set()
        for mention in mentions:
            weekdays |= mention.weekdays
            values |= mention.values | mention.parts
            dates.extend(mention.dates)
            if mention.kind == TIME:
                times |= mention.values
        return cls(frozenset(values), tuple(dates), frozenset(times), mentions, frozenset(weekdays))

    def has_number(self, mention: Mention) -> bool:
        if mention.values & self.values:
            return True
        if not mention.rounded and mention.approx is None:
            return False
        # Only source values within a unit or so of the number can match: a window of
        # the sorted values, not all of them.
        ordered = self._ordered()
        for value in mention.values:
            reach = max([last_place(value), *(p for v, p in mention.places if v == value)])
            low = bisect_left(ordered, value - 2 * reach)
            high = bisect_right(ordered, value + 2 * reach)
            if any(_close(value, known, mention) for known in ordered[low:high]):
                return True
        return False

    def _ordered(self) -> list[float]:
        if self._sorted is None:
            object.__setattr__(self, "_sorted", sorted(self.values))
        assert self._sorted is not None
        return self._sorted

    def has_date(self, mention: Mention) -> bool:
        if mention.weekdays:
            return bool(mention.weekdays & self.weekdays)
        return any(
            any(_compatible(date, known) for known in self.dates)
            or _parts_stated(date, self.values)
            for date in mention.dates
        )

    def has_time(self, mention: Mention) -> bool:
        return bool(mention.values & self.times) or any(
            (v // 60) % 12 == (t // 60) % 12 and v % 60 == t % 60
            for v in mention.values
            for t in self.times
        )

    def has(self, mention: Mention) -> bool:
        if mention.kind == DATE:
            return self.has_date(mention)
        if mention.kind == TIME:
            return self.has_time(mention) or self.has_number(mention)
        return self.has_number(mention)


def last_place(value: float) -> float:
    """The place of the last significant digit: 3e6 -> 1e6, 2.7e6 -> 1e5, 225 -> 1."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return 10.0**exponent if isinstance(exponent, int) else 1.0


def _close(value: float, known: float, mention: Mention) -> bool:
    """Whether a source value `known` is what `value` (as written in `mention`) states."""
    if abs(value - known) <= 1e-9 * max(abs(known), 1.0):
        return True
    unit = last_place(value)
    if mention.rounded:
        written = dict(mention.places).get(value, unit)
        if abs(value - known) <= written / 2 + 1e-9 * written:
            return True
    if mention.approx == rules.ABOUT:
        return abs(value - known) <= unit / 2 + 1e-9 * unit
    if mention.approx == rules.MORE:
        return value <= known <= value + unit
    if mention.approx in (rules.NEARLY, rules.LESS):
        return value - unit <= known <= value
    return False


def _compatible(
    a: tuple[int | None, int | None, int | None], b: tuple[int | None, int | None, int | None]
) -> bool:
    shared = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    return bool(shared) and all(x == y for x, y in shared)


def _parts_stated(
    date: tuple[int | None, int | None, int | None], values: frozenset[float]
) -> bool:
    # A bare year ("in 2020") is stated when the number 2020 is.
    year, month, day = date
    return month is None and day is None and year is not None and float(year) in values
