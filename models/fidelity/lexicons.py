"""Word lists and analysers for the name checks that capital letters cannot do.

German capitalises every noun, and Chinese and Japanese have no case at all, so
`entities` and `cjk_names` ask here instead:

- how common a word is in German and in English text (`wordfreq`): a name such as
  "Merkel" or "Siemens" is about as common in English as in German, while a noun
  such as "Streik" or "Regierung" is common in German only;
- which words of a Chinese text jieba's dictionary tags as person or place names;
- which words of a Japanese text MeCab (IPAdic) tags as proper nouns, or does not
  know at all (a new foreign name in katakana: "ゼレンスキー");
- the names of countries and of CLDR's exemplar cities in any language (`babel`), so
  that "东京" in a summary is found as "Tokyo" in an English section.

Each is loaded on first use, once per process, in the worker that checks an output,
never on the reader's first paint: wordfreq's lists ~0.3 s, jieba's dictionary
~1 s (its import alone ~0.8 s), MeCab ~0.01 s, a language's place names ~0.05 s.
An analyser that cannot be loaded is logged once and its checks are skipped: a
summary is never lost because a name could not be checked.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models.fidelity.fold import fold
from models.logs import log

# jieba's lazy initialisation and a MeCab tagger are not safe to share between threads
# (the service and the brief each check outputs on a worker thread of their own).
_LOCK = threading.Lock()


def _german() -> dict[str, float]:
    # wordfreq's "small" German list: ~39,000 words down to Zipf 3, 0.06 s to load.
    return _small("de")


@lru_cache(maxsize=1)
def _english() -> dict[str, float]:
    # The "large" English list reaches rarer names ("Scholz" is Zipf 2.3); only the
    # words at Zipf >= 1.5 are kept, which halves its ~37 MB in memory.
    try:
        from wordfreq import get_frequency_dict
    except ImportError as exc:
        _unavailable("wordfreq", exc)
        return {}
    words = get_frequency_dict("en", "large")
    return {word: z for word, freq in words.items() if (z := _zipf(freq)) >= 1.5}


@lru_cache(maxsize=8)
def _small(lang: str) -> dict[str, float]:
    # wordfreq's "small" list of a language (Zipf >= ~3), {} for one it lacks.
    try:
        from wordfreq import available_languages, get_frequency_dict
    except ImportError as exc:
        _unavailable("wordfreq", exc)
        return {}
    if lang not in available_languages("small"):
        return {}
    return {word: _zipf(freq) for word, freq in get_frequency_dict(lang, "small").items()}


def common_word(word: str, lang: str) -> bool:
    """Whether `word` is among the most common words of `lang` (Zipf >= 4.5: "Selon",
    "Also"), as a word opening a sentence before a name often is."""
    return _small(lang).get(word.lower(), 0.0) >= 4.5


def _zipf(frequency: float) -> float:
    return math.log10(frequency) + 9 if frequency > 0 else 0.0


def german_zipf(word: str) -> float:
    """How common `word` is in German text, on the Zipf scale (0: below ~3)."""
    return _german().get(word.lower(), 0.0)


def english_zipf(word: str) -> float:
    """How common `word` is in English text, on the Zipf scale (0: below 1.5)."""
    return _english().get(word.lower(), 0.0)


def german_compound(word: str) -> bool:
    """Whether `word` ends in a common German noun ("Heizungsgesetz", "Bahnstreik"):
    a compound noun, not a name."""
    lower = word.lower()
    words = _german()
    return any(words.get(lower[i:], 0.0) >= 3.3 for i in range(3, len(lower) - 3))


@dataclass(frozen=True)
class Token:
    """A word of a CJK text: its span, its analyser's tag, its reading when known."""

    text: str
    start: int
    end: int
    tag: str
    reading: str = ""
    known: bool = True


def chinese_tokens(text: str) -> list[Token]:
    """The words of a Chinese text with jieba's part-of-speech tags ("nr" person,
    "ns" place, "nt" organisation, ...), with their offsets in `text`."""
    tokenizer = _jieba()
    if tokenizer is None:
        return []
    tokens: list[Token] = []
    position = 0
    # No HMM for words the dictionary lacks: its guesses there are mostly wrong
    # ("小池百合子" -> "子和岸"), and it makes a summary's tagging ~30x slower.
    with _LOCK:
        pairs = list(tokenizer.cut(text, HMM=False))
    for pair in pairs:
        word, tag = pair.word, pair.flag
        start = text.find(word, position)
        if start < 0:
            continue
        position = start + len(word)
        tokens.append(Token(word, start, position, tag))
    return tokens


@lru_cache(maxsize=1)
def _jieba() -> Any:
    # jieba logs "Building prefix dict ..." to stderr: that would draw over the reader.
    try:
        import jieba
        import jieba.posseg
    except ImportError as exc:
        _unavailable("jieba", exc)
        return None
    jieba.setLogLevel(logging.CRITICAL)
    with _LOCK:
        jieba.initialize()
        return jieba.posseg.POSTokenizer(jieba.dt)


def japanese_tokens(text: str) -> list[Token]:
    """The words of a Japanese text with MeCab's IPAdic tags ("名詞,固有名詞,人名"),
    their katakana readings, and whether the dictionary knows them."""
    tagger = _mecab()
    if tagger is None:
        return []
    tokens: list[Token] = []
    position = 0
    with _LOCK:
        nodes = [(node.surface, list(node.feature)) for node in tagger(text)]
    for word, features in nodes:
        start = text.find(word, position)
        if start < 0:
            continue
        position = start + len(word)
        # IPAdic gives 9 fields for a known word, 7 for one it guessed (no reading).
        known = len(features) > 7
        reading = features[7] if known and features[7] != "*" else word
        tokens.append(Token(word, start, position, ",".join(features[:3]), reading, known))
    return tokens


@lru_cache(maxsize=1)
def _mecab() -> Any:
    try:
        import fugashi
        import ipadic

        with _LOCK:
            return fugashi.GenericTagger(ipadic.MECAB_ARGS)
    except (ImportError, RuntimeError) as exc:  # RuntimeError: MeCab found no dictionary
        _unavailable("MeCab (fugashi, ipadic)", exc)
        return None


def _unavailable(what: str, exc: BaseException) -> None:
    # Each loader is cached, so this is said once per process and analyser.
    log.warning("fidelity: %s unavailable, its name checks are skipped: %s", what, exc)


@lru_cache(maxsize=16)
def place_names(lang: str) -> dict[str, frozenset[str]]:
    """Folded names of countries and exemplar cities in `lang`, each to its CLDR codes
    ("东京" -> {"Asia/Tokyo"}), from babel's locale data."""
    import zoneinfo

    from babel import Locale, UnknownLocaleError
    from babel.dates import get_timezone_location

    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return {}
    names: dict[str, set[str]] = {}
    for code, name in locale.territories.items():
        if code.isalpha():  # "001" is the world, "150" Europe
            names.setdefault(fold(name), set()).add(code)
    for zone in zoneinfo.available_timezones():
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        try:
            city = get_timezone_location(zone, locale=locale, return_city=True)
        except (LookupError, ValueError):
            continue
        if city and not city.isdigit():
            names.setdefault(fold(city), set()).add(zone)
    return {name: frozenset(codes) for name, codes in names.items() if len(name) >= 2}


@lru_cache(maxsize=64)
def place_forms(codes: frozenset[str], lang: str) -> frozenset[str]:
    """The folded names in `lang` of the places with CLDR `codes` (see `place_names`)."""
    names = place_names(lang)
    return frozenset(name for name, its in names.items() if its & codes)
