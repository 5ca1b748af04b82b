"""Names in a summary or translation, and whether the source names them too.

A name is a capitalised word that does not open a sentence (or a run of them), in
any cased script: Latin, Cyrillic, Greek. Matching forgives what changes a name
without changing whom it names: case, accents, inflection ("Merkels", "Berlins"),
transliteration ("Путин" is "Putin") and the small spelling shifts between
languages ("München"/"Munich"). German capitalises every noun, so there runs of
two or more capitalised words count as names, and a single word only with evidence:
a title or a word such as "Konzern" before it ("Kanzler Scholz", "Stadt Köln"), or,
with no article before it, about as common in English text as in German (`lexicons`:
"Merkel", "Siemens", "Google"; "Streik" and "Regierung" are German only). Names in
Chinese and Japanese, which have no case, come from `cjk_names`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

from models.fidelity import lexicons
from models.fidelity.cjk_names import find_cjk_names, in_places, reading, sounds_alike
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
# German words after which a capitalised word is a noun, not a name: articles,
# determiners, and prepositions merged with an article ("im", "zum").
_GERMAN_DETERMINERS = frozenset(
    {
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
        "kein", "keine", "keinen", "keinem", "keiner", "keines", "dieser", "diese", "dieses",
        "diesen", "diesem", "jeder", "jede", "jedes", "jeden", "jedem", "alle", "allen", "aller",
        "mein", "meine", "meinen", "meinem", "meiner", "sein", "seine", "seinen", "seinem",
        "seiner", "ihr", "ihre", "ihren", "ihrem", "ihrer", "unser", "unsere", "unseren", "unserem",
        "im", "am", "zum", "zur", "vom", "beim", "ins", "ans", "aufs", "ums", "durchs", "furs",
        "pro", "je", "viele", "mehrere", "einige", "wenige", "beide", "welche", "welcher"
    }
)
# Words before a name that say what it names ("Kanzler Scholz", "Konzern Siemens").
_GERMAN_CUES = frozenset(
    {
        "herr", "frau", "kanzler", "kanzlerin", "bundeskanzler", "bundeskanzlerin", "minister",
        "ministerin", "prasident", "prasidentin", "bundesprasident", "bundesprasidentin",
        "burgermeister", "burgermeisterin", "oberburgermeister", "oberburgermeisterin", "konzern",
        "unternehmen", "firma", "hersteller", "autobauer", "stadt", "gemeinde", "partei",
        "gewerkschaft", "verein", "klub", "club", "sender", "zeitung", "airline",
        "fluggesellschaft", "landkreis", "kreis", "bundesland"
    }
)
_GERMAN_CUE_ENDINGS = ("minister", "ministerin", "chef", "chefin", "sprecher", "sprecherin",
                       "prasident", "prasidentin", "kanzler", "kanzlerin")
# Nouns German shares with English, about as common in both: not names on their own.
_GERMAN_SHARED_NOUNS = frozenset(
    {
        "euro", "dollar", "cent", "franken", "pfund", "yen", "yuan", "rubel", "computer",
        "software", "internet", "online", "film", "sport", "team", "job", "show", "manager",
        "service", "hotel", "radio", "video", "bus", "taxi", "test", "start", "chance", "problem",
        "system", "person", "moment", "partner", "plan", "park", "bank", "gas", "hand", "land",
        "tag", "name", "material", "import", "export", "winter", "sommer", "wind", "ball", "gold",
        "post", "zone", "auto", "kilo", "app", "smartphone", "handy", "e-mail", "email",
        "interview", "party", "star", "fan", "fans", "training", "event", "festival", "trend",
        "update", "marketing", "design", "club", "golf", "tennis", "hockey", "boom", "deal",
        "crash", "hit"
    }
)

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


def find_names(text: str, lang: str = "en", *, lexical: bool = True) -> list[Name]:
    """The capitalised words in `text` that look like names, one `Name` per word, and in
    Chinese and Japanese text the names `cjk_names` finds. `lexical` False leaves out
    what needs a word list (German single words, CJK names): a source's index does not."""
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
        elif (
            lexical
            and start_of_sentence
            and base not in _NOUNS_CAPITALISED
            and lexicons.common_word(cased[0].group(), base)
        ):
            run_names = cased[1:]  # "Selon Merkel", "Also Siemens": not part of the name
        if base in _NOUNS_CAPITALISED:
            # "Laut Merkel", "Auch Siemens": a word opening the sentence is no part of a
            # name unless it looks like one itself ("Olaf Scholz").
            if (
                lexical
                and start_of_sentence
                and len(run_names) >= 2
                and not _german_by_frequency(run_names[0].group())
            ):
                run_names = run_names[1:]
            run_names = _german_names(run_names, text, lexical)
        for m in run_names:
            if fold(m.group()) not in _NOT_NAMES:
                names.append(Name(m.group(), m.start(), m.end(), number))
    if lexical and base in ("zh", "ja"):
        for i, (name, start, end) in enumerate(find_cjk_names(text, base)):
            names.append(Name(name, start, end, len(runs) + i))
    return names


def _german_names(run: list[re.Match[str]], text: str, lexical: bool) -> list[re.Match[str]]:
    """German capitalises nouns: keep acronyms, runs of two or more words that do not
    end like common nouns ("Olaf Scholz", not "Berliner Krankenhaus"), and single words
    with the evidence of `_german_single_name`. A title or a word such as "Konzern"
    before a name is no part of it ("Konzernchef Faury", "Stadt Köln")."""
    while lexical and len(run) >= 2 and _german_cue(fold(run[0].group())):
        run = run[1:]
    acronyms = [m for m in run if m.group().isupper() and len(m.group()) > 1]
    nouns = [m for m in run if fold(m.group()).endswith(_GERMAN_NOUN_ENDINGS)]
    if len(run) >= 2 and not nouns:
        if not lexical or any(_unknown_or_name_like(m.group()) for m in run):
            return run
        return acronyms  # common German words only: "Team Personal"
    if not lexical:
        return acronyms
    # Each word on its own: "Angaben von Wirtschaftsminister Habeck" holds one name.
    return [m for m in run if m in acronyms or _german_single_name(m, text)]


def _german_cue(folded: str) -> bool:
    """A title or a word that says what the name after it names ("Kanzler", "Konzern")."""
    return folded in _GERMAN_CUES or folded.endswith(_GERMAN_CUE_ENDINGS)


def _unknown_or_name_like(word: str) -> bool:
    return not lexicons.german_zipf(word) or _german_by_frequency(word)


def _german_single_name(match: re.Match[str], text: str) -> bool:
    """Whether one capitalised German word, not at a sentence's start, is a name."""
    word = match.group()
    key = fold(word)
    if key in _NOT_NAMES or key in _GERMAN_SHARED_NOUNS or "-" in word or len(word) < 3:
        return False
    before = _WORD.findall(text[max(0, match.start() - 60) : match.start()])
    gap = text[max(0, match.start() - 3) : match.start()]
    if any(c.isdigit() for c in gap):
        return False  # "8000 Lokführer": a counted noun
    if before and _german_cue(fold(before[-1])):
        return True  # "Kanzler Scholz", "Konzern Siemens", "Wirtschaftsminister Habeck"
    for previous in reversed(before[-3:]):
        if fold(previous) in _GERMAN_DETERMINERS:
            return False  # "die neue Regierung"
        if _cased(previous):
            break  # only lowercase words (adjectives) between an article and its noun
    return _german_by_frequency(word)


def _german_by_frequency(word: str) -> bool:
    """Whether a capitalised German word is as common in English text as a name is."""
    if fold(word) in _GERMAN_SHARED_NOUNS:
        return False
    german, english = lexicons.german_zipf(word), lexicons.english_zipf(word)
    if not german:
        # Rarer than the German list reaches: a name if English text knows it well and
        # it is no compound of a German noun ("Heizungsgesetz").
        return english >= 2.5 and not lexicons.german_compound(word)
    # A name is about as common in English text as in German; a German noun is not, and
    # an English loanword ("Team", "Job") is more common in English.
    return english >= 2.0 and german - english <= 1.8 and english - german <= 0.4


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
        self.text = text
        self.lang = (lang or "en").split("-")[0].lower()
        self._folded_text: str | None = None
        self._spoken: frozenset[str] | None = None
        words = {m.group() for m in _WORD.finditer(_blank_cjk(text))}
        self.folded = frozenset(fold(w).replace(".", "") for w in words)
        runs: dict[int, list[str]] = {}
        for name in find_names(text, lang, lexical=False):
            runs.setdefault(name.run, []).append(name.text)
        self.acronyms = frozenset(initials(r) for r in runs.values() if len(r) >= 2)
        self.latin = frozenset(transliterate(w) for w in words)
        self._by_prefix: dict[str, set[str]] = {}
        for word in self.latin | self.folded:
            self._by_prefix.setdefault(word[:2], set()).add(word)

    def has(self, name: str, lang: str = "en") -> bool:
        """Whether the source names `name`, found in text in `lang` (ignoring case,
        accents, inflection, script)."""
        if CJK_CHAR.search(name):
            return self._has_cjk(name, (lang or "en").split("-")[0].lower())
        name = _POSSESSIVE.sub("", name)  # "ESA's" is ESA
        key = fold(name).replace(".", "")
        if key in self.folded or (name.isupper() and key in self.acronyms):
            return True
        if any(place in self.folded for place in DEMONYMS.get(key, ())):
            return True
        latin = transliterate(name)
        if latin in self.latin:
            return True
        if any(_same_name(latin, known) for known in self._candidates(latin)):
            return True
        # A country or city under its name in another language ("Allemagne" / "Germany").
        base = (lang or "en").split("-")[0].lower()
        if key not in lexicons.place_names(base):
            return False
        return bool(in_places(name, base, self.lang, self._folded(), DEMONYMS))

    def _folded(self) -> str:
        if self._folded_text is None:
            self._folded_text = fold(self.text)
        return self._folded_text

    def _has_cjk(self, name: str, lang: str) -> bool:
        """A Chinese or Japanese name: in the source as written, as the same country or
        city in the source's language, or, in a Latin-script source, by its sound."""
        folded = self._folded()
        if fold(name) in folded:
            return True
        place = in_places(name, lang, self.lang, folded, DEMONYMS)
        if place is not None:
            return place
        if CJK_CHAR.search(self.text):
            return False  # a source in Chinese or Japanese would have it as written
        spoken = reading(name, lang)
        return any(sounds_alike(spoken, known) for known in self._spoken_words())

    def _spoken_words(self) -> frozenset[str]:
        """The source's capitalised words, and pairs and triples of adjacent ones, in
        folded Latin letters: "Xi Jinping" is also "xijinping", "Fumio Kishida" also
        "kishidafumio"."""
        if self._spoken is None:
            # Capitalised words only, and only adjacent ones joined: "March on" is no name.
            runs: list[list[str]] = [[]]
            for m in _WORD.finditer(self.text):
                if _cased(m.group()):
                    runs[-1].append(transliterate(m.group()))
                elif runs[-1]:
                    runs.append([])
            joined: set[str] = set()
            for words in runs:
                joined.update(words)
                for size in (2, 3):
                    joined.update("".join(words[i : i + size]) for i in range(len(words) - 1))
                # Family name first in Chinese and Japanese: "Fumio Kishida" is 岸田文雄.
                joined.update(b + a for a, b in pairwise(words))
            self._spoken = frozenset(w for w in joined if w)
        return self._spoken

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
