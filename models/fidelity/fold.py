"""Text folding for matching: case, accents and scripts ignored, offsets kept.

Search ("Sao Paulo" finds "São Paulo") and the fidelity checks ("Merkels" is
"Merkel", "Путин" is "Putin") compare folded text. `fold_with_map` keeps, for each
folded character, the offset of the original character it came from, so a match
in folded text can be highlighted in the original.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Ligatures and letters that NFKD does not decompose into a base letter.
_EXTRA = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th"}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    lowered = char.casefold()
    out = []
    for c in lowered:
        if c in _EXTRA:
            out.append(_EXTRA[c])
            continue
        if "\uac00" <= c <= "\ud7a3":
            out.append(c)  # a Hangul syllable: NFKD would split it into its letters
            continue
        for d in unicodedata.normalize("NFKD", c):
            if not unicodedata.combining(d):
                out.append(d)
    return "".join(out)


def fold(text: str) -> str:
    """`text` casefolded with diacritics removed ("São Paulo" -> "sao paulo")."""
    return "".join(_fold_char(c) for c in text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, per folded character, the index of its source character."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        chars.append(folded)
        origin.extend([index] * len(folded))
    return "".join(chars), origin


def find_all(needle: str, haystack: str) -> list[tuple[int, int]]:
    """(start, end) offsets in `haystack` of every folded match of `needle`.

    Matches do not overlap; an empty needle matches nothing. CJK text needs no
    word boundaries: it is searched character by character like any other.
    """
    query = fold(needle).strip()
    if not query:
        return []
    folded, origin = fold_with_map(haystack)
    spans = []
    start = folded.find(query)
    while start >= 0:
        end = start + len(query)
        spans.append((origin[start], origin[end - 1] + 1))
        start = folded.find(query, end)
    return spans


def transliterate(text: str) -> str:
    """`text` in folded Latin letters ("Путин" -> "putin", "Αθήνα" -> "athina")."""
    # anyascii is a table lookup per character (a few ms to import its first block).
    from anyascii import anyascii

    return fold(anyascii(text))
