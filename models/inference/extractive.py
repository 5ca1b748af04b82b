"""The extractive summarizer: whole sentences picked by centrality, no model needed.

It is the summarizer that always works: for any language, offline, in a fraction of
a second, and as the fallback when no abstractive model covers a language. It never
writes a word of its own, so it cannot hallucinate; it only chooses sentences.

The method is LexRank (Erkan & Radev, 2004) with a news prior: sentences are TF-IDF
vectors (word tokens, or character bigrams for CJK scripts, which have no spaces),
edges are cosine similarities, and a personalized PageRank whose teleport vector
favours earlier sentences ranks them. In news the lede usually states the story, so
the prior breaks near-ties towards the top without letting an off-topic opening
sentence beat a clearly central one.

Long sections stay fast in pure Python: similarities are accumulated through an
inverted index (never all pairs), the most frequent, stopword-like terms are left
out once the index would cost more than a fixed budget, and each sentence keeps only
its strongest neighbours, so power iteration runs over a sparse graph.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence

from models.errors import Cancelled
from models.text import CJK_CHAR, is_cjk, join_sentences, split_sentences
from models.types import Length

ALGORITHM_VERSION = 2
POSITION_EXPONENT = 0.6  # news puts the point first: score *= 1 / (i + 1) ** this
DAMPING = 0.85  # the usual PageRank damping; the walk teleports uniformly
MAX_NEIGHBOURS = 24  # edges kept per sentence; bounds the cost of each iteration
MIN_SIMILARITY = 0.02  # weaker edges are noise from shared common words
PAIR_BUDGET = 1_500_000  # most postings-pair products spent on similarities
MAX_ITERATIONS = 100
TOLERANCE = 1e-9
_SCORE_DIGITS = 12  # scores equal to this many digits count as tied: position decides

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_BREAK = re.compile(r"[ \t\r\f\v]*\n\s*")
_WORD = re.compile(r"\w+")
# Han, kana, Hangul (syllables and jamo) and CJK punctuation-free letter ranges.
CJK_RUN = re.compile(CJK_CHAR.pattern + "+")


def requested_sentences(n_sentences: int, length: Length) -> int:
    """How many of `n_sentences` a summary of `length` keeps (never more than there are).

    Short is one sentence and medium three; long is a third of the section but never
    fewer than medium, so that each step of short -> medium -> long reads more.
    """
    length = Length(length)
    if n_sentences <= 0:
        return 0
    if length is Length.SHORT:
        wanted = 1
    elif length is Length.MEDIUM:
        wanted = 3
    else:
        wanted = max(3, math.ceil(n_sentences / 3))
    return min(wanted, n_sentences)


def section_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of `text` as the summarizer sees them, in order.

    Blank lines end a sentence even without punctuation (a heading, a list item);
    single line breaks are hard wraps inside a sentence and become a space (nothing
    for Chinese and Japanese, which write no spaces).
    """
    # Korean is "CJK" to models.text but puts spaces between words.
    wrap = "" if is_cjk(lang) and not lang.lower().startswith("ko") else " "
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        paragraph = _LINE_BREAK.sub(wrap, paragraph.strip())
        if paragraph:
            sentences.extend(split_sentences(paragraph, lang))
    return sentences


def covers_whole(text: str, length: Length, lang: str = "en") -> bool:
    """True when a summary of `length` would be the whole of `text`."""
    n = len(section_sentences(text, lang))
    return requested_sentences(n, length) >= n


def pick_sentences(
    text: str,
    length: Length,
    *,
    lang: str = "en",
    cancel: threading.Event | None = None,
) -> list[str]:
    """The sentences of `text` chosen for a `length` summary, in source order."""
    sentences = section_sentences(text, lang)
    wanted = requested_sentences(len(sentences), length)
    if wanted >= len(sentences):
        return sentences
    scores = rank_sentences(sentences, lang=lang, cancel=cancel)
    best = sorted(range(len(sentences)), key=lambda i: (-round(scores[i], _SCORE_DIGITS), i))
    return [sentences[i] for i in sorted(best[:wanted])]


def rank_sentences(
    sentences: Sequence[str],
    *,
    lang: str = "en",
    cancel: threading.Event | None = None,
) -> list[float]:
    """A centrality score per sentence (they sum to 1); higher is more central."""
    n = len(sentences)
    if n == 0:
        return []
    vectors = _tfidf_vectors([_terms(s, lang) for s in sentences])
    graph = _similarity_graph(vectors, cancel)
    prior = [1.0 / n] * n
    ranks = _pagerank(graph, prior, cancel)
    # The lead bias of news: centrality decides what is on topic, position breaks
    # near-ties toward the opening. (Putting the bias in the teleport instead let an
    # off-topic first sentence win on teleport mass alone.)
    weighted = [r / (i + 1) ** POSITION_EXPONENT for i, r in enumerate(ranks)]
    total = sum(weighted) or 1.0
    return [w / total for w in weighted]


class ExtractiveSummarizer:
    """Picks the most central whole sentences of each text; works for any language."""

    name = "extractive"
    revision: str | None = None
    extractive = True
    languages: frozenset[str] | None = None

    def settings_key(self, length: Length) -> str:
        """The algorithm and its parameters, so a change of method misses the cache."""
        return (
            f"lexrank-v{ALGORITHM_VERSION};d={DAMPING};pos={POSITION_EXPONENT};"
            f"k={MAX_NEIGHBOURS};min={MIN_SIMILARITY};budget={PAIR_BUDGET};"
            f"length={Length(length).value}"
        )

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        cancel: threading.Event | None = None,
    ) -> list[str]:
        """One summary per text: its chosen sentences joined as one paragraph."""
        length = Length(length)
        out: list[str] = []
        for text in texts:
            _check(cancel)
            out.append(join_sentences(pick_sentences(text, length, lang=lang, cancel=cancel), lang))
        return out


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def _terms(sentence: str, lang: str) -> list[str]:
    """Word tokens; CJK runs become overlapping character bigrams (single chars alone)."""
    lowered = sentence.lower()
    if not is_cjk(lang) and not CJK_RUN.search(lowered):
        return _WORD.findall(lowered)
    terms: list[str] = []
    pos = 0
    for match in CJK_RUN.finditer(lowered):
        terms.extend(_WORD.findall(lowered[pos : match.start()]))
        run = match.group()
        if len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        pos = match.end()
    terms.extend(_WORD.findall(lowered[pos:]))
    return terms


def _tfidf_vectors(documents: list[list[str]]) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors over the terms that fit the pair budget."""
    n = len(documents)
    counts = [Counter(doc) for doc in documents]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    # Every pair of sentences sharing a term costs one product; drop the most
    # frequent terms (the language's function words, idf near zero) until the
    # whole index fits the budget. Short texts keep every term.
    cost = sum(d * d for d in df.values())
    dropped: set[str] = set()
    for term, d in sorted(df.items(), key=lambda item: (-item[1], item[0])):
        if cost <= PAIR_BUDGET or d <= 2:
            break
        dropped.add(term)
        cost -= d * d
    vectors: list[dict[str, float]] = []
    for c in counts:
        vec = {
            term: (1.0 + math.log(tf)) * math.log((n + 1) / df[term])
            for term, tf in c.items()
            if term not in dropped
        }
        norm = math.sqrt(sum(w * w for w in vec.values()))
        vectors.append({t: w / norm for t, w in vec.items()} if norm > 0 else {})
    return vectors


def _similarity_graph(
    vectors: list[dict[str, float]], cancel: threading.Event | None
) -> list[list[tuple[int, float]]]:
    """Each sentence's strongest neighbours by cosine, weights normalized to sum 1."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, vec in enumerate(vectors):
        for term, w in vec.items():
            postings[term].append((i, w))
    graph: list[list[tuple[int, float]]] = []
    for i, vec in enumerate(vectors):
        if i % 64 == 0:
            _check(cancel)
        acc: dict[int, float] = defaultdict(float)
        for term, w in vec.items():
            for j, wj in postings[term]:
                if j != i:
                    acc[j] += w * wj
        edges = [(j, s) for j, s in acc.items() if s >= MIN_SIMILARITY]
        if len(edges) > MAX_NEIGHBOURS:
            edges = heapq.nlargest(MAX_NEIGHBOURS, edges, key=lambda e: (e[1], -e[0]))
        total = sum(s for _, s in edges)
        graph.append([(j, s / total) for j, s in edges])
    return graph


def _pagerank(
    graph: list[list[tuple[int, float]]],
    prior: list[float],
    cancel: threading.Event | None,
) -> list[float]:
    """Personalized PageRank: walk the graph, or jump by `prior` with 1 - DAMPING.

    A sentence with no edges spreads its mass evenly, not by the prior, so an
    isolated (off-topic) opening sentence gets no mass back from itself.
    """
    n = len(graph)
    scores = list(prior)
    uniform = 1.0 / n
    for _ in range(MAX_ITERATIONS):
        _check(cancel)
        nxt = [(1.0 - DAMPING) * p for p in prior]
        dangling = 0.0
        for i, edges in enumerate(graph):
            mass = scores[i]
            if not edges:
                dangling += mass
                continue
            mass *= DAMPING
            for j, w in edges:
                nxt[j] += mass * w
        if dangling:
            spread = DAMPING * dangling * uniform
            nxt = [v + spread for v in nxt]
        delta = sum(abs(a - b) for a, b in zip(nxt, scores, strict=True))
        scores = nxt
        if delta < TOLERANCE:
            break
    return scores
