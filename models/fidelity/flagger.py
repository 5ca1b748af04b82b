"""Flags: the numbers, dates, times and names an output states that its source does not.

A summary or translation is checked against the section it came from; a
translation is also checked the other way, for numbers and dates of the source it
dropped. Each flag carries its span in the output text, so the reader can style
it and the export can report it (`models.fidelity.flags`).
"""

from __future__ import annotations

from collections.abc import Sequence

from models.fidelity.entities import NameIndex, find_names
from models.fidelity.flags import (
    DATE_FLAG,
    MISSING_FLAG,
    NAME_FLAG,
    NUMBER_FLAG,
    TIME_FLAG,
    Flag,
)
from models.fidelity.inventory import Inventory
from models.fidelity.quantities import DATE, TIME, Mention, extract


def check_summary(
    summary: str, source: str, *, lang: str = "en", source_lang: str | None = None
) -> list[Flag]:
    """Flags for what `summary` (in `lang`) states that `source` does not."""
    inventory = Inventory.of(source, source_lang or lang)
    names = NameIndex(source, source_lang or lang)
    mentions = extract(summary, lang)
    flags = _added(mentions, inventory)
    taken = bytearray(len(summary) + 1)  # "März" in a date is not a name
    for mention in mentions:
        taken[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
    found = find_names(summary, lang)
    runs: dict[int, list[str]] = {}
    for name in found:
        runs.setdefault(name.run, []).append(name.text)
    for name in found:
        if taken.find(1, name.start, name.end) >= 0:
            continue
        if not names.has(name.text, lang) and not names.has_run(runs[name.run]):
            flags.append(Flag(name.text, NAME_FLAG, name.start, name.end))
    return _merged(sorted(flags, key=lambda f: (f.start or 0, f.end or 0)), summary)


def check_translation(translation: str, source: str, *, lang: str, source_lang: str) -> list[Flag]:
    """Flags for numbers and dates a translation changed, added or dropped.

    Names are not checked in translations: a translator may rightly render them
    differently (exonyms, other scripts), and a dropped name is rare.
    """
    inventory = Inventory.of(source, source_lang)
    flags = _added(extract(translation, lang), inventory)
    back = Inventory.of(translation, lang)
    for mention in inventory.mentions:
        if mention.word or not mention.flaggable:
            continue
        if not back.has(mention):
            flags.append(Flag(mention.text, MISSING_FLAG, None, None))
    return flags


def _added(mentions: Sequence[Mention], inventory: Inventory) -> list[Flag]:
    flags = []
    for mention in mentions:
        if mention.flaggable and not inventory.has(mention):
            flags.append(Flag(mention.text, _kind(mention), mention.start, mention.end))
    return flags


def _kind(mention: Mention) -> str:
    if mention.kind == DATE:
        return DATE_FLAG
    if mention.kind == TIME:
        return TIME_FLAG
    years = [v for v in mention.values if v.is_integer() and 1800 <= v <= 2100]
    if years and mention.text.strip().isdigit():
        return DATE_FLAG  # a year on its own
    return NUMBER_FLAG


def _merged(flags: list[Flag], text: str) -> list[Flag]:
    """Adjacent name flags joined: "John Smith" is one flag, not two."""
    out: list[Flag] = []
    for flag in flags:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == NAME_FLAG == flag.kind
            and prev.end is not None
            and flag.start is not None
            and not text[prev.end : flag.start].strip()
        ):
            out[-1] = Flag(text[prev.start : flag.end], NAME_FLAG, prev.start, flag.end)
        else:
            out.append(flag)
    return out
