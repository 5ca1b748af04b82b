"""The per-language phrase lists of page furniture, credits and bylines, compiled once.

Which lines of a page are furniture ("Advertisement", "Print this page", "Top 5"),
photo credits ("REUTERS/Kai Pfaffenbach", "李尕 摄") or bylines ("Von X, NDR") is
language data, not code: it lives in one file, models/data/page_phrases.json, so a
language is added by editing lists, and every rule is a whole-line match that a
sentence of the article cannot trigger by starting alike.

A page's language is not known when its blocks are cleaned, so the lists of all
languages are applied together; whole-line matching keeps that safe.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

# Paragraphs longer than this are never furniture, credits or bylines: the checks
# stay cheap on a 100,000-character paragraph, and real prose is never dropped.
MAX_PHRASE_CHARS = 240


@dataclass(frozen=True)
class Phrases:
    """Compiled whole-line patterns, and the ordinal word lists per language."""

    furniture: re.Pattern[str]
    furniture_headings: re.Pattern[str]
    credit_lines: re.Pattern[str]
    contributed: re.Pattern[str]
    byline_prefix: re.Pattern[str]
    byline_cjk: re.Pattern[str]
    not_author: re.Pattern[str]
    agencies: frozenset[str]


def _entries(section: dict[str, Any]) -> list[str]:
    return [entry for key, items in section.items() if key != "_about" for entry in items]


def _whole(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\Z", re.IGNORECASE)


@functools.cache
def phrases() -> Phrases:
    """The phrase lists, read and compiled on first use (~5 ms)."""
    raw = resources.files("models.data").joinpath("page_phrases.json").read_text("utf-8")
    data = json.loads(raw)
    agencies = _entries(data["credit_agencies"])
    agency = "|".join(re.escape(a) for a in sorted(agencies, key=len, reverse=True))
    credits = [p.replace("{agency}", agency) for p in _entries(data["credit_lines"])]
    prefixes = sorted(_entries(data["byline_prefixes"]), key=len, reverse=True)
    return Phrases(
        furniture=_whole(_entries(data["furniture"])),
        furniture_headings=_whole(_entries(data["furniture_headings"])),
        credit_lines=_whole(credits),
        contributed=_whole(_entries(data["contributed"])),
        byline_prefix=re.compile(
            "(?:" + "|".join(re.escape(p) for p in prefixes) + r")\b\s*[:：]?\s*(?=\S)",
            re.IGNORECASE,
        ),
        byline_cjk=_whole(_entries(data["byline_cjk"])),
        not_author=_whole(_entries(data["not_author"])),
        agencies=frozenset(a.lower() for a in agencies),
    )


def _line(text: str) -> str | None:
    if len(text) > MAX_PHRASE_CHARS:
        return None
    return " ".join(text.split()).strip()


def is_furniture(text: str) -> bool:
    """A line that is page furniture: "Advertisement", "Print this page", "4 MIN READ"."""
    line = _line(text)
    return bool(line) and phrases().furniture.match(line) is not None  # type: ignore[arg-type]


def is_furniture_heading(text: str) -> bool:
    """A heading over links or teasers: "Top 5", "Most read", "Mehr zum Thema"."""
    line = _line(text)
    if not line:
        return False
    return phrases().furniture_headings.match(line.rstrip(":：")) is not None


def is_credit(text: str) -> bool:
    """A photo or video credit on its own: "REUTERS/Kai Pfaffenbach", "Getty", "李尕 摄"."""
    line = _line(text)
    return bool(line) and phrases().credit_lines.match(line) is not None  # type: ignore[arg-type]


def is_contributed(text: str) -> bool:
    """A closing credit: "Associated Press writer Jane Doe contributed to this report."."""
    line = _line(text)
    return bool(line) and phrases().contributed.match(line) is not None  # type: ignore[arg-type]


def byline_name(text: str) -> str | None:
    """The names of a byline line ("By Jane Doe, BBC News" -> "Jane Doe, BBC News"), or None."""
    line = _line(text)
    if not line or len(line) > 120:
        return None
    p = phrases()
    if p.byline_cjk.match(line):
        return line
    match = p.byline_prefix.match(line)
    if match is None:
        return None
    rest = line[match.end() :]
    words = rest.split()
    # A name is a few capitalised words; "by the river" or "von der Leyen sagte" is prose.
    if not words or len(words) > 12 or not words[0][:1].isupper():
        return None
    # A byline does not end like a sentence, unless with an initial ("Jane Q.").
    if rest[-1] in ".!?" and re.search(r"\b[A-Z]\.$", rest) is None:
        return None
    return rest


def is_real_author(name: str, site: str = "") -> bool:
    """Whether author metadata names a person or a newsroom, not a site, role or placeholder."""
    line = _line(name)
    if not line or len(line) < 2:
        return False
    if phrases().not_author.match(line):
        return False
    return not (site and _same_name(line, site))


def _same_name(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return re.sub(r"\W+", "", s.lower()).removeprefix("www")

    ka, kb = key(a), key(b)
    return bool(ka) and (ka == kb or ka in kb or kb in ka)
