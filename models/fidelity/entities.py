"""Names in a summary or translation, and whether the source names them too.

A name is a capitalised word that does not open a sentence (or a run of them), in
any cased script: Latin, Cyrillic, Greek. Matching forgives what changes a name
without changing whom it names: case, accents, inflection ("Merkels", "Berlins"),
transliteration ("Путин" is "Putin") and the small spelling shifts between
languages ("München"/"Munich"). German capitalises every noun, so there only runs
of two or more capitalised words count as names. Text in scripts without case
(CJK) has no names this module can see; Latin names inside it still count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from models.fidelity.fold import fold, transliterate
from models.text import CJK_CHAR

# A word in a cased script; apostrophes and hyphens inside it ("O'Brien", "Jean-Luc").
_POSSESSIVE = re.compile(r"['’]s?$")
# Dotted acronyms ("U.S.", "D.C.") are one word.
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_](?:[\w'’-]*[^\W_])?")
_SENTENCE_END = frozenset('.!?。！？:;…"“”«»()[]\n')
# Languages that capitalise common nouns: a lone capitalised word is no evidence.
_NOUNS_CAPITALISED = frozenset({"de", "lb", "gsw", "bar"})
# fmt: off
# Capitalised words that are not names in any of the languages precis summarizes.
_NOT_NAMES = frozenset(
    {
        "i", "mr", "mrs", "ms", "dr", "prof", "st", "the", "der", "die", "das", "le", "la",
        "les", "el", "los", "las", "il", "lo", "de", "du", "des", "von", "van", "of", "and",
        "und", "et", "y", "e", "da", "do", "dos", "al", "a", "on", "in", "at", "ok", "tv",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        # Titles: a summary says "President Xi" where the article said "Xi".
        "president", "prime", "minister", "chancellor", "mayor", "governor", "king", "queen",
        "prince", "princess", "pope", "senator", "secretary", "general", "sir", "lady", "lord",
        "chairman", "chairwoman", "chief", "ceo", "director", "judge", "justice", "premier",
        "prasident", "prasidentin", "kanzler", "kanzlerin", "ministerin", "burgermeister",
        "burgermeisterin", "ministre", "maire", "presidente", "presidenta", "ministro",
        "ministra", "alcalde", "alcaldesa", "sindaco", "herr", "frau", "monsieur", "madame",
    }
)
# English adjectives of places whose stem differs from the name ("French" / "France").
DEMONYMS: dict[str, tuple[str, ...]] = {
    "french": ("france", "paris"), "spanish": ("spain", "madrid"), "dutch": ("netherlands",
    "holland", "amsterdam"), "british": ("britain", "uk", "london", "england"),
    "english": ("england", "britain"), "swiss": ("switzerland",), "greek": ("greece",),
    "turkish": ("turkey", "turkiye"), "polish": ("poland",), "swedish": ("sweden",),
    "danish": ("denmark",), "irish": ("ireland",), "finnish": ("finland",),
    "norwegian": ("norway",), "american": ("america", "us", "usa", "united"),
    "filipino": ("philippines",), "thai": ("thailand",), "welsh": ("wales",),
    "scottish": ("scotland",), "belgian": ("belgium",), "portuguese": ("portugal",),
    "austrian": ("austria",), "czech": ("czechia",), "saudi": ("saudi", "arabia"),
    "emirati": ("emirates", "uae"), "peruvian": ("peru",), "chilean": ("chile",),
}
_GERMAN_NOUN_ENDINGS = (
    "ung", "ungen", "heit", "keit", "schaft", "haus", "hauser", "tion", "tionen", "itat",
    "ismus", "ment", "nis", "nisse", "tum", "chen", "lein", "ei", "ik", "ie", "ien", "en",
    "e", "um", "ur", "rat", "amt", "werk", "zeit", "jahr", "land", "stadt",
)
_PARTICLES = frozenset({"de", "van", "von", "der", "den", "du", "da", "di", "del", "la", "le",
                        "al", "bin", "ibn"})

# fmt: on


@dataclass(frozen=True)
class Name:
    """A name found in a text, with its offsets there."""

    text: str
    start: int
    end: int
    run: int = 0  # words of one name ("Angela Merkel") share a run number


def _cased(word: str) -> bool:
    return word[:1].isupper() and word.lower() != word


def find_names(text: str, lang: str = "en") -> list[Name]:
    """The capitalised words in `text` that look like names, one `Name` per word."""
    base = (lang or "en").split("-")[0].lower()
    words = list(_WORD.finditer(_blank_cjk(text)))
    names: list[Name] = []
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for i, m in enumerate(words):
        word = m.group()
        gap = text[words[i - 1].end() : m.start()] if i else ""
        joined = bool(current) and re.fullmatch(r"[ \u00a0]+", gap) is not None
        if _cased(word):
            if not joined and current:
                runs.append(current)
                current = []
            current.append(m)
        elif word.lower() in _PARTICLES and current and joined:
            current.append(m)  # "Ursula von der Leyen"
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    for number, run in enumerate(runs):
        while run and not _cased(run[-1].group()):
            run = run[:-1]  # a particle cannot end a name
        if not run:
            continue
        start_of_sentence = _opens_sentence(text, run[0].start())
        cased = [m for m in run if _cased(m.group())]
        run_names = cased
        if start_of_sentence and (len(cased) < 2 or fold(cased[0].group()) in _NOT_NAMES):
            run_names = cased[1:]  # a lone first word is capitalised anyway
        if base in _NOUNS_CAPITALISED:
            run_names = _german_names(run_names)
        for m in run_names:
            if fold(m.group()) not in _NOT_NAMES:
                names.append(Name(m.group(), m.start(), m.end(), number))
    return names


def _german_names(run: list[re.Match[str]]) -> list[re.Match[str]]:
    """German capitalises nouns: keep acronyms, and runs of two or more words that
    do not end like common nouns ("Olaf Scholz", not "Berliner Krankenhaus")."""
    acronyms = [m for m in run if m.group().isupper() and len(m.group()) > 1]
    nouns = [m for m in run if fold(m.group()).endswith(_GERMAN_NOUN_ENDINGS)]
    if len(run) >= 2 and not nouns:
        return run
    return acronyms


def _blank_cjk(text: str) -> str:
    # Han and kana have no case and no spaces: "市长Rachida" must not read as one word.
    return CJK_CHAR.sub(" ", text)


def initials(words: Iterable[str]) -> str:
    """The acronym of a name's words, folded: "World Health Organization" -> "who"."""
    return "".join(fold(w)[:1] for w in words if fold(w) not in _PARTICLES)


def _opens_sentence(text: str, start: int) -> bool:
    # Walk back over the spaces only: reading all the text before would be quadratic.
    i = start - 1
    while i >= 0 and text[i].isspace():
        if text[i] == "\n":
            return True
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


class NameIndex:
    """The words of a source text, folded and transliterated, for name lookups."""

    def __init__(self, text: str, lang: str = "en") -> None:
        words = {m.group() for m in _WORD.finditer(_blank_cjk(text))}
        self.folded = frozenset(fold(w).replace(".", "") for w in words)
        runs: dict[int, list[str]] = {}
        for name in find_names(text, lang):
            runs.setdefault(name.run, []).append(name.text)
        self.acronyms = frozenset(initials(r) for r in runs.values() if len(r) >= 2)
        self.latin = frozenset(transliterate(w) for w in words)
        self._by_prefix: dict[str, set[str]] = {}
        for word in self.latin | self.folded:
            self._by_prefix.setdefault(word[:2], set()).add(word)

    def has(self, name: str) -> bool:
        """Whether the source names `name` (ignoring case, accents, inflection, script)."""
        name = _POSSESSIVE.sub("", name)  # "ESA's" is ESA
        key = fold(name).replace(".", "")
        if key in self.folded or (name.isupper() and key in self.acronyms):
            return True
        if any(place in self.folded for place in DEMONYMS.get(key, ())):
            return True
        latin = transliterate(name)
        if latin in self.latin:
            return True
        return any(_same_name(latin, known) for known in self._candidates(latin))

    def has_run(self, words: list[str]) -> bool:
        """Whether a multi-word name is the source's acronym ("United Nations" for "UN")."""
        return len(words) >= 2 and initials(words) in self.folded

    def _candidates(self, latin: str) -> Iterable[str]:
        # Names shift letters but rarely their first one ("Munich"/"München").
        for prefix, words in self._by_prefix.items():
            if prefix[:1] == latin[:1]:
                yield from words


@lru_cache(maxsize=8192)
def _same_name(a: str, b: str) -> bool:
    """Inflected or transliterated forms of one name ("merkels"/"merkel")."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3:
        return True  # an inflection: Berlins, Merkels, Moskaus, Putina
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    if common >= 4 and common >= len(short) - 2:
        return True  # a changed ending: Moskva/Moskau, Europa/Europe
    if len(short) >= 5:
        return SequenceMatcher(None, a, b).ratio() >= 0.75  # München / Munich ("munchen")
    return False
