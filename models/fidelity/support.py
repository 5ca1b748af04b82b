"""Support links: for each summary sentence, the source sentences it came from.

Similarity is character n-gram TF-IDF over folded, transliterated text, with the
values of numbers and dates as extra features. Character n-grams match across
inflection and across languages that share names, numbers and cognates, so the
method works on a summary translated from the pivot; when the summary before
translation is at hand and has as many sentences, it is compared instead.

Written by hand (some thirty lines) rather than with scikit-learn: its import
costs more than a second and a hundred megabytes for one cosine per sentence pair.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from models.fidelity.fold import transliterate
from models.fidelity.quantities import extract
from models.text import split_sentences

NGRAMS = (3, 4, 5)
MAX_LINKS = 3
MIN_SCORE = 0.06  # below this a "support" is noise; the sentence gets none
RELATIVE = 0.6  # a second or third link must score at least this share of the best
_NUMBER_WEIGHT = 3  # a shared number says more than a shared n-gram


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence and where it is: paragraph index and offsets inside that paragraph."""

    text: str
    paragraph: int
    start: int
    end: int


def sentence_spans(paragraphs: Sequence[str], lang: str) -> list[SentenceSpan]:
    """The sentences of `paragraphs` in order, numbered across paragraphs."""
    spans = []
    for index, paragraph in enumerate(paragraphs):
        cursor = 0
        for sentence in split_sentences(paragraph, lang):
            start = paragraph.find(sentence, cursor)
            if start < 0:  # the splitter normalised something: fall back to the cursor
                start = cursor
            end = min(start + len(sentence), len(paragraph))
            spans.append(SentenceSpan(sentence, index, start, end))
            cursor = end
    return spans


def _features(text: str, lang: str) -> Counter[str]:
    latin = " ".join(transliterate(text).split())
    padded = f" {latin} "
    grams: Counter[str] = Counter()
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if gram.strip():
                grams[gram] += 1
    for mention in extract(text, lang):
        for value in mention.values | mention.parts:
            grams[f"#{value:g}"] += _NUMBER_WEIGHT
        for date in mention.dates:
            grams[f"@{date[1]}-{date[2]}"] += _NUMBER_WEIGHT
    return grams


def _vector(grams: Counter[str], idf: dict[str, float], unseen: float) -> dict[str, float]:
    # A gram the source never has still weighs in the norm: what a sentence says that
    # the source does not makes it less similar, not neutral.
    weights = {g: (1 + math.log(c)) * idf.get(g, unseen) for g, c in grams.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {g: w / norm for g, w in weights.items()}


def support_links(
    summary: Sequence[str],
    source: Sequence[str],
    *,
    lang: str = "en",
    source_lang: str | None = None,
) -> list[list[int]]:
    """For each summary sentence, the indexes of one to three supporting source
    sentences, best first; an empty list when nothing in the source is close."""
    if not summary or not source:
        return [[] for _ in summary]
    source_grams = [_features(s, source_lang or lang) for s in source]
    summary_grams = [_features(s, lang) for s in summary]
    df: Counter[str] = Counter()
    for grams in source_grams:
        df.update(grams.keys())
    n = len(source_grams)
    idf = {g: math.log((1 + n) / (1 + count)) + 1.0 for g, count in df.items()}
    unseen = math.log(1 + n) + 1.0
    source_vectors = [_vector(g, idf, unseen) for g in source_grams]
    links = []
    for grams in summary_grams:
        vector = _vector(grams, idf, unseen)
        scores = [
            (sum(w * other.get(g, 0.0) for g, w in vector.items()), index)
            for index, other in enumerate(source_vectors)
        ]
        scores.sort(key=lambda item: (-item[0], item[1]))
        best = scores[0][0]
        chosen = [
            index
            for score, index in scores[:MAX_LINKS]
            if score >= MIN_SCORE and score >= RELATIVE * best
        ]
        links.append(chosen)
    return links
