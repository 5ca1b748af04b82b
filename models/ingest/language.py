"""Which language an article is written in, and what that language is called.

The source language decides the sentence splitter, the summarizer and which
translation models are needed, so it is detected once per article. Detection uses
py3langid (a maintained fork of langid.py: a naive Bayes model over byte n-grams,
fast, offline, 140 languages). Its model is loaded on first use and kept.

Script checks come first for the languages a script alone decides: kana means
Japanese and Hangul Korean, while text written in Han characters alone is Chinese
(the model's Cantonese and Wu labels mostly fire on short Mandarin text).
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

SAMPLE_CHARS = 5000  # the opening of an article decides; the rest only costs time
MIN_CONFIDENCE = 0.5  # below this (normalized probability) the guess is a coin toss
FALLBACK = "en"

# Labels of py3langid that have an ISO 639-1 code, or a macrolanguage precis treats as one.
_ALIASES = {
    "yue": "zh",  # Cantonese
    "wuu": "zh",  # Wu
    "arz": "ar",  # Egyptian Arabic
    "ary": "ar",  # Moroccan Arabic
    "hbo": "he",  # Ancient Hebrew: almost always modern Hebrew in practice
    "grc": "el",  # Ancient Greek: likewise
    "uzs": "uz",  # Southern Uzbek
    "sdh": "ku",  # Southern Kurdish
    "gug": "gn",  # Paraguayan Guarani
    "nn": "no",  # Nynorsk: Norwegian models cover both
    "pcm": "en",  # Nigerian Pidgin: its label mostly fires on short English text
}
_UNDECIDED = frozenset({"zxx", "und"})  # "no linguistic content", "undetermined"


_lock = threading.Lock()
_identifier: list[Any] = []  # filled once with a py3langid LanguageIdentifier


def detect_language(text: str) -> str:
    """The ISO 639-1 code of `text`'s language ("en" when empty or undecidable).

    Where a language has no two-letter code, py3langid's ISO 639-3 label is returned.
    """
    sample = text[:SAMPLE_CHARS].strip()
    if not any(ch.isalpha() for ch in sample):
        return FALLBACK
    by_script = _by_script(sample)
    if by_script is not None:
        return by_script
    # Sum the probabilities of labels that mean the same language here (zh, yue
    # and wuu; ar, arz and ary), so that dialect labels do not split the vote.
    try:
        identifier = _get_identifier()
    except OSError:
        # py3langid unpacks its model into a temporary file: with no room on disk,
        # guessing English beats failing to open the article at all.
        return FALLBACK
    votes: dict[str, float] = {}
    for label, probability in identifier.rank(sample):
        code = _ALIASES.get(label, label)
        votes[code] = votes.get(code, 0.0) + probability
    code, confidence = max(votes.items(), key=lambda item: item[1])
    if code in _UNDECIDED or confidence < MIN_CONFIDENCE:
        return FALLBACK
    return code


def _by_script(sample: str) -> str | None:
    """ja, ko or zh when the letters' script decides alone; None otherwise."""
    han = kana = hangul = other = 0
    for ch in sample:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CJK UNIFIED IDEOGRAPH") or name.startswith("CJK COMPATIBILITY"):
            han += 1
        elif name.startswith(("HIRAGANA", "KATAKANA")):
            kana += 1
        elif name.startswith("HANGUL"):
            hangul += 1
        else:
            other += 1
    letters = han + kana + hangul + other
    if han + kana + hangul < 0.5 * letters:
        return None  # mostly another script: let the model decide
    if kana >= max(1, 0.05 * letters):
        return "ja"
    if hangul > han:
        return "ko"
    if han and kana == 0:
        return "zh"
    return None


def _get_identifier() -> Any:
    with _lock:
        if not _identifier:
            # py3langid unpacks a ~2 MB compressed model and imports numpy (~0.3 s).
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        return _identifier[0]
