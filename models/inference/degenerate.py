"""Telling output that is not a summary or a translation at all.

Small models sometimes loop ("the the the"), return nothing but punctuation, or
copy their input untranslated. `models.inference.generate` asks `degeneracy` about every
output, retries once with safer settings and never shows or caches such text.
The checks are pure functions of the text, so they live apart from generation.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter

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


def degeneracy(
    output: str,
    source: str,
    *,
    task: Task | str,
    source_lang: str | None = None,
    target_lang: str | None = None,
) -> str | None:
    """Why `output` is not a usable summary/translation of `source`, or None."""
    text = output.strip()
    if not any(ch.isalnum() for ch in text):
        return "empty output"
    if _is_loop(text):
        return "a repetition loop"
    if task == Task.TRANSLATION and _is_untranslated(text, source, target_lang):
        return "an untranslated copy of its input"
    return None


def is_degenerate(
    output: str,
    source: str,
    *,
    task: Task | str,
    source_lang: str | None = None,
    target_lang: str | None = None,
) -> bool:
    """Whether `output` is empty, a loop, or (translation) the input copied."""
    reason = degeneracy(output, source, task=task, source_lang=source_lang, target_lang=target_lang)
    return reason is not None


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


def _is_untranslated(output: str, source: str, target_lang: str | None) -> bool:
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
