"""Sentence splitting and token-aware chunking: pure functions over strings.

Sentences are the unit of both summarizers (extractive picks them, abstractive
chunks at their boundaries) and of translation (a model window is never cut in the
middle of a sentence). Splitting uses `sentencex`, a maintained rule-based
segmenter that knows abbreviations, decimals, quotes and CJK punctuation. Languages
that write ordinals as a number and a full stop ("im 15. Jahrhundert", "am 3. Mai")
get one repair on top: a split after such a number is undone when the words around
it say it is an ordinal (word lists in models/data/page_phrases.json, "ordinals").
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from importlib import resources

import sentencex

# Scripts written without spaces between words or sentences (Korean uses spaces).
_CJK_LANGS = frozenset({"zh", "ja", "yue", "wuu", "th", "lo", "km", "my"})
_SPACE_RUN = re.compile(r"\s+")
# Han, kana, hangul and CJK compatibility letters: one character is one word.
CJK_CHAR = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
MB = 1_000_000


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of `text`, stripped, in order; empty text gives []."""
    return list(_split_sentences(text, lang))


@functools.lru_cache(maxsize=2048)
def _split_sentences(text: str, lang: str) -> tuple[str, ...]:
    # Cached: the summarizer, the fidelity checks and the reader split the same
    # paragraphs one after the other.
    text = text.strip()
    if not text:
        return ()
    base = (lang or "en").split("-")[0].lower()
    try:
        pieces = sentencex.segment(base, text)
    except Exception:  # an unknown language code: fall back to the generic rules
        pieces = sentencex.segment("en", text)
    sentences = [p.strip() for p in pieces if p.strip()]
    if base == "en":
        sentences = [part for s in sentences for part in _MAY_END.split(s)]
    words = _ordinal_words(base)
    if words is None or len(sentences) < 2:
        return tuple(sentences)
    return tuple(_join_ordinals(sentences, *words))


# sentencex takes "May." for an abbreviation, as it is in its list of month
# abbreviations, so "arrives in May. Critics say" stayed one sentence. The month's
# whole name abbreviates nothing: a capital after it starts a new sentence.
_MAY_END = re.compile(r"(?<=\bMay\.)\s+(?=[A-Z\"“‘(])")
_ORDINAL_END = re.compile(r"(?:^|\s)(?:([^\W\d]+)\s+)?\(?(\d{1,4})\.$")
# Endings of inflected nouns after an ordinal: "Jahrhunderts", "Geburtstages", "Spieltagen".
_INFLECTIONS = ("es", "en", "er", "em", "s", "e", "n")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


def _join_ordinals(
    sentences: list[str], before: frozenset[str], after: frozenset[str]
) -> list[str]:
    """Undo splits after an ordinal: "im 15." + "Jahrhundert gebaut." is one sentence."""
    out = [sentences[0]]
    for sentence in sentences[1:]:
        match = _ORDINAL_END.search(out[-1][-40:])
        if match is not None:
            previous = (match.group(1) or "").lower()
            first = _FIRST_WORD.match(sentence)
            following = first.group(0).lower() if first else ""
            # "bis 2020. Die ..." ends a sentence: a year is no ordinal, so only short
            # numbers count after a preposition or article.
            short = len(match.group(2)) <= 3
            if (short and previous in before) or _is_ordinal_noun(following, after):
                out[-1] = f"{out[-1]} {sentence}"
                continue
        out.append(sentence)
    return out


def _is_ordinal_noun(word: str, nouns: frozenset[str]) -> bool:
    if word in nouns:
        return True
    return any(word.endswith(end) and word[: -len(end)] in nouns for end in _INFLECTIONS)


@functools.cache
def _ordinal_words(lang: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(words before, nouns after) an ordinal "15." in `lang`; None if it writes none."""
    raw = resources.files("models.data").joinpath("page_phrases.json").read_text("utf-8")
    rules = json.loads(raw)["ordinals"].get(lang)
    if rules is None:
        return None
    return frozenset(rules["before"]), frozenset(w.lower() for w in rules["after"])


def is_cjk(lang: str) -> bool:
    """Whether `lang` is written without spaces between sentences or words."""
    return (lang or "").split("-")[0].lower() in _CJK_LANGS


def join_sentences(sentences: Iterable[str], lang: str = "en") -> str:
    """Join sentences the way the language writes them (no spaces for CJK)."""
    sep = "" if is_cjk(lang) else " "
    return sep.join(s.strip() for s in sentences if s.strip())


def normalize(text: str) -> str:
    """Collapse whitespace inside paragraphs, keep paragraph breaks; used for keys."""
    paragraphs = [_SPACE_RUN.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def chunk_sentences(
    sentences: Sequence[str],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    *,
    lang: str = "en",
) -> list[str]:
    """Group consecutive sentences into chunks of at most `max_tokens` tokens each.

    A single sentence longer than the window is cut at word (or, for CJK,
    character) boundaries so that no chunk ever exceeds `max_tokens`.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for sentence in sentences:
        n = count_tokens(sentence)
        if n > max_tokens:
            if current:
                chunks.append(join_sentences(current, lang))
                current, current_tokens = [], 0
            chunks.extend(_split_long(sentence, count_tokens, max_tokens, lang))
            continue
        if current and current_tokens + n > max_tokens:
            chunks.append(join_sentences(current, lang))
            current, current_tokens = [], 0
        current.append(sentence)
        current_tokens += n
    if current:
        chunks.append(join_sentences(current, lang))
    return chunks


def _split_long(
    sentence: str, count_tokens: Callable[[str], int], max_tokens: int, lang: str
) -> list[str]:
    units = list(sentence) if is_cjk(lang) else sentence.split()
    sep = "" if is_cjk(lang) else " "
    out: list[str] = []
    current: list[str] = []
    for unit in units:
        candidate = sep.join([*current, unit])
        if current and count_tokens(candidate) > max_tokens:
            out.append(sep.join(current))
            current = [unit]
        else:
            current.append(unit)
    if current:
        out.append(sep.join(current))
    return out


def format_size(size: int | None) -> str:
    """ "~1.2 GB" / "~300 MB"; "size unknown" when there is no estimate."""
    if size is None:
        return "size unknown"
    if size >= 1_000 * MB:
        return f"~{size / (1_000 * MB):.1f} GB"
    if size >= MB:
        return f"~{round(size / MB)} MB"
    if size >= 1_000:
        return f"~{round(size / 1_000)} kB"
    return f"~{size} bytes"
