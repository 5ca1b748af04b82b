"""Telling output that is not a summary or a translation at all.

Small models sometimes loop ("the the the"), return nothing but punctuation, or
copy their input untranslated. `models.inference.generate` asks `degeneracy` about every
output, retries once with safer settings and never shows or caches such text.
The checks are pure functions of the text, so they live apart from generation.

A copy is not always wrong: the right translation of a sports line-up ("Castres:
Caminati; Martial, Vialelle"), a URL, code, or a quote already in the target language
is the text itself. A copy stands when its input has no word the source language would
translate (only names, numbers, codes), or when a language detector (passed in by the
caller, `detect`) says the input is in the target language already.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from models.types import Task

_LATIN_LANGS = frozenset(
    {"en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "nb", "nn", "fi", "pl", "cs"}
    | {"sk", "sl", "hr", "bs", "ro", "hu", "tr", "id", "ms", "vi", "et", "lv", "lt", "ca"}
    | {"eu", "gl", "af", "sq", "sw", "tl", "is", "ga", "cy", "mt", "lb", "eo"}
)
_SCRIPTS_OF_LANG: dict[str, frozenset[str]] = {
    **{lang: frozenset({"LATIN"}) for lang in _LATIN_LANGS},
    "zh": frozenset({"CJK"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}),
    "ko": frozenset({"HANGUL"}),
    **{
        lang: frozenset({"CYRILLIC"})
        for lang in ("ru", "uk", "bg", "be", "mk", "kk", "ky", "mn", "sr")
    },
    **{lang: frozenset({"ARABIC"}) for lang in ("ar", "fa", "ur", "ps")},
    "he": frozenset({"HEBREW"}),
    "el": frozenset({"GREEK"}),
    **{lang: frozenset({"DEVANAGARI"}) for lang in ("hi", "mr", "ne")},
    "th": frozenset({"THAI"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
    "bn": frozenset({"BENGALI"}),
    "ta": frozenset({"TAMIL"}),
}
_LETTER_RUN = re.compile(r"([^\W\d_])\1{11,}")  # one letter 12+ times: "aaaaaaaaaaaa"
# A word as a language would translate it: letters, perhaps joined by ' or -. Tokens with
# digits, slashes, dots, @ or brackets inside (URLs, code, ids) are not words.
_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_EDGE_PUNCT = "\"'“”‘’«»„()[]{}.,;:!?…"
_CODE_CHARS = frozenset("=(){}[];<>_/\\|&*+$#@")


def degeneracy(
    output: str,
    source: str,
    *,
    task: Task | str,
    source_lang: str | None = None,
    target_lang: str | None = None,
    detect: Callable[[str], str] | None = None,
) -> str | None:
    """Why `output` is not a usable summary/translation of `source`, or None."""
    text = output.strip()
    if not any(ch.isalnum() for ch in text):
        return "empty output"
    if _is_loop(text):
        return "a repetition loop"
    if (
        task == Task.TRANSLATION
        and _is_copy(text, source, target_lang)
        and not copy_is_faithful(source, target_lang, detect)
    ):
        return "an untranslated copy of its input"
    return None


def is_kept_copy(
    output: str,
    source: str,
    *,
    task: Task | str = Task.TRANSLATION,
    source_lang: str | None = None,
    target_lang: str | None = None,
    detect: Callable[[str], str] | None = None,
) -> bool:
    """Whether a translation `output` copies `source` and the copy stands (names,
    numbers, text already in the target language): worth telling the reader."""
    same = " ".join(output.split()) == " ".join(source.split())
    return (
        task == Task.TRANSLATION
        and (same or _is_copy(output.strip(), source, target_lang))
        and copy_is_faithful(source, target_lang, detect)
    )


def copy_is_faithful(
    source: str, target_lang: str | None, detect: Callable[[str], str] | None = None
) -> bool:
    """Whether `source` copied unchanged is a right translation into `target_lang`:
    it has no word that would be translated (names, numbers, URLs, code), or `detect`
    finds it already in the target language."""
    if not translatable_words(source):
        return True
    if detect is None or not target_lang:
        return False
    try:
        found = detect(source)
    except Exception:  # a detector fault must not fail a translation
        return False
    return found.split("-")[0].lower() == target_lang.split("-")[0].lower()


def translatable_words(text: str) -> list[str]:
    """The words of `text` that a translation would change: not names (capitalized
    words in scripts with case), numbers, URLs or code tokens, and none in a text that
    is mostly code (half its tokens or more carry code characters). Caseless scripts
    (CJK, Arabic...) count every word."""
    tokens = text.split()
    if sum(any(ch in _CODE_CHARS for ch in t) for t in tokens) * 2 >= len(tokens):
        return []  # a line of code, a URL or a path: its identifiers are not translated
    words = []
    for token in tokens:
        word = token.strip(_EDGE_PUNCT)
        if len(word) < 2 or not _WORD.match(word):
            continue
        first = word[0]
        if first.isupper() or first.istitle():
            continue  # a name (or a sentence's first word: its sentence has others)
        words.append(word)
    return words


def _is_loop(text: str) -> bool:
    if _LETTER_RUN.search(text):
        return True
    words = text.split()
    # Scripts without spaces (CJK) loop in characters, not words.
    spaced = sum(ch.isspace() for ch in text) * 15 >= len(text)
    units = words if spaced else [c for c in text if not c.isspace()]
    same_run = 5 if units is words else 8
    run = 1
    for a, b in itertools.pairwise(units):
        run = run + 1 if a == b else 1
        if run >= same_run:
            return True
    n = 3 if units is words else 4
    grams = [tuple(units[k : k + n]) for k in range(len(units) - n + 1)]
    # A loop of period p repeated k times has about p distinct n-grams out of p*k.
    return len(grams) >= 12 and len(set(grams)) / len(grams) < 0.5


def _is_copy(output: str, source: str, target_lang: str | None) -> bool:
    """Whether `output` is `source` (nearly) unchanged, or lacks the target's script."""
    src = " ".join(source.split()).lower()
    out = " ".join(output.split()).lower()
    if sum(ch.isalpha() for ch in src) < 12:
        return False  # names, numbers, codes: copying them is the right translation
    wanted = _SCRIPTS_OF_LANG.get((target_lang or "").split("-")[0].lower())
    if wanted and _dominant_script(src) not in wanted:
        # en -> zh: a translation without a single Chinese character is a copy.
        return not any(_script(ch) in wanted for ch in output[:2000])
    if out == src:
        return len(src.split()) >= 3
    if len(src.split()) < 6:
        return False
    matcher = difflib.SequenceMatcher(None, out[:2000], src[:2000], autojunk=False)
    return matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9


def _script(ch: str) -> str:
    return unicodedata.name(ch, "?").split(" ")[0] if ch.isalpha() else ""


def _dominant_script(text: str) -> str:
    counts = Counter(_script(ch) for ch in text[:2000] if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else ""
