"""The extractive summarizer: whole sentences picked by centrality, no model needed.

It is the summarizer that always works: for any language, offline, in a fraction of
a second, and as the fallback when no abstractive model covers a language. It never
writes a word of its own, so it cannot hallucinate; it only chooses sentences.

Ranking is LexRank (Erkan & Radev, 2004) with a news prior: sentences are TF-IDF
vectors (word tokens, or character bigrams for CJK scripts, which have no spaces),
edges are cosine similarities, PageRank ranks them, and each score is weighted by
position, since in news the lede usually states the story.

Choosing is budgeted in words, not sentences, because sentence lengths vary fivefold:
short is the best sentence, medium adds sentences up to about 60-80 words, long up to
about a third of the section (never less than ~120 words), each length adding to the
one before. Candidates are taken by maximal marginal relevance (Carbonell & Goldstein,
1998): rank minus similarity to what is already picked, and a sentence that restates
a picked one is never taken. Captions, credits and fragments are never picked
(models.inference.credits) unless the section holds nothing else.

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
from dataclasses import dataclass
from functools import lru_cache

from models.errors import Cancelled
from models.inference.credits import is_credit
from models.text import CJK_CHAR, is_cjk, join_sentences, split_sentences
from models.types import Length

ALGORITHM_VERSION = 3
POSITION_EXPONENT = 0.6  # news puts the point first: score *= 1 / (i + 1) ** this
DAMPING = 0.85  # the usual PageRank damping; the walk teleports uniformly
MAX_NEIGHBOURS = 24  # edges kept per sentence; bounds the cost of each iteration
MIN_SIMILARITY = 0.02  # weaker edges are noise from shared common words
PAIR_BUDGET = 1_500_000  # most postings-pair products spent on similarities
MAX_ITERATIONS = 100
TOLERANCE = 1e-9
_SCORE_DIGITS = 12  # scores equal to this many digits count as tied: position decides

MEDIUM_WORDS = (60, 80)  # medium stops adding once past the first, never passes the second
LONG_SHARE = 1 / 3  # long aims at this share of the section...
LONG_MIN_WORDS = 120  # ...but never at fewer words, so it reads more than medium
LONG_SLACK = 0.15  # long stops past (1 - this) x its aim and never passes (1 + this) x
FORCED_OVERFLOW = 1.5  # medium may pass its cap this far rather than repeat short
MMR_LAMBDA = 0.7  # weight of rank against novelty when choosing the next sentence
REDUNDANT = 0.4  # TF-IDF cosine to a picked sentence above which a candidate restates it
ON_TOPIC = 0.5  # centrality (x the mean) below which a sentence is picked only as a last resort
MIN_WORDS = 4  # shorter sentences are fragments, not summaries
HEADING_WORDS = 8  # an unpunctuated line shorter than this is a heading or a list item

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_BREAK = re.compile(r"[ \t\r\f\v]*\n\s*")
_WORD = re.compile(r"\w+")
_ENDS_SENTENCE = re.compile(r"[.!?…。！？；;:]['\"’”»」』)\]]*$")
# Han, kana, Hangul (syllables and jamo) and CJK punctuation-free letter ranges.
CJK_RUN = re.compile(CJK_CHAR.pattern + "+")


@dataclass(frozen=True)
class Budget:
    """Words a summary of one length aims at: it stops adding sentences once it has
    `at_least` and never adds one that takes it past `at_most`."""

    at_least: float
    at_most: float


def word_budget(length: Length, section_words: float) -> Budget | None:
    """The budget for `length` in a section of `section_words`; None for short,
    which is one sentence whatever its length."""
    length = Length(length)
    if length is Length.SHORT:
        return None
    if length is Length.MEDIUM:
        return Budget(*MEDIUM_WORDS)
    aim = max(section_words * LONG_SHARE, LONG_MIN_WORDS)
    return Budget(aim * (1 - LONG_SLACK), aim * (1 + LONG_SLACK))


def sentence_words(sentence: str) -> float:
    """Words in a sentence; CJK scripts, written without spaces, count two characters
    a word (as models.ingest.article.word_count does)."""
    cjk = len(CJK_CHAR.findall(sentence))
    if not cjk:
        return float(len(sentence.split()))
    return len(CJK_CHAR.sub(" ", sentence).split()) + cjk / 2


def section_sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of `text` as the summarizer sees them, in order.

    Blank lines end a sentence even without punctuation (a heading, a list item);
    single line breaks are hard wraps inside a sentence and become a space (nothing
    for Chinese and Japanese, which write no spaces).
    """
    return list(_sentences(text, lang))


@lru_cache(maxsize=64)
def _sentences(text: str, lang: str) -> tuple[str, ...]:
    # Cached: the pipeline asks whether a summary would be the whole section, then
    # summarizes the same text.
    # Korean is "CJK" to models.text but puts spaces between words.
    wrap = "" if is_cjk(lang) and not lang.lower().startswith("ko") else " "
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        paragraph = _LINE_BREAK.sub(wrap, paragraph.strip())
        if paragraph:
            sentences.extend(split_sentences(paragraph, lang))
    return tuple(sentences)


def _covers(sentences: Sequence[str], length: Length) -> bool:
    if len(sentences) <= 1:
        return True
    total = sum(sentence_words(s) for s in sentences)
    budget = word_budget(length, total)
    return budget is not None and total <= budget.at_most


def covers_whole(text: str, length: Length, lang: str = "en") -> bool:
    """True when a summary of `length` would be the whole of `text`: one sentence,
    or no more words than the length allows."""
    return _covers(section_sentences(text, lang), Length(length))


def pick_sentences(
    text: str,
    length: Length,
    *,
    lang: str = "en",
    cancel: threading.Event | None = None,
) -> list[str]:
    """The sentences of `text` chosen for a `length` summary, in source order."""
    length = Length(length)
    sentences = section_sentences(text, lang)
    if _covers(sentences, length):
        kept = [s for s in sentences if _is_summary_sentence(s)]
        return kept or sentences
    analysis = _analyse(sentences, lang, cancel)
    chosen = _choose(sentences, analysis, length, cancel)
    return [sentences[i] for i in sorted(chosen)]


def rank_sentences(
    sentences: Sequence[str],
    *,
    lang: str = "en",
    cancel: threading.Event | None = None,
) -> list[float]:
    """A centrality score per sentence (they sum to 1); higher is more central."""
    return _analyse(sentences, lang, cancel).scores


@dataclass
class _Analysis:
    scores: list[float]  # centrality weighted by position, summing to 1
    centrality: list[float]  # LexRank alone, summing to 1
    vectors: list[dict[str, float]]
    postings: dict[str, list[tuple[int, float]]]


def _analyse(sentences: Sequence[str], lang: str, cancel: threading.Event | None) -> _Analysis:
    n = len(sentences)
    if n == 0:
        return _Analysis([], [], [], {})
    vectors = _tfidf_vectors([_terms(s, lang) for s in sentences])
    postings = _postings(vectors)
    graph = _similarity_graph(vectors, postings, cancel)
    prior = [1.0 / n] * n
    ranks = _pagerank(graph, prior, cancel)
    # The lead bias of news: centrality decides what is on topic, position breaks
    # near-ties toward the opening. (Putting the bias in the teleport instead let an
    # off-topic first sentence win on teleport mass alone.)
    weighted = [r / (i + 1) ** POSITION_EXPONENT for i, r in enumerate(ranks)]
    total = sum(weighted) or 1.0
    mass = sum(ranks) or 1.0
    return _Analysis([w / total for w in weighted], [r / mass for r in ranks], vectors, postings)


def _choose(
    sentences: Sequence[str], analysis: _Analysis, length: Length, cancel: threading.Event | None
) -> list[int]:
    """Indices picked for `length`: the best sentence, then each longer length adds
    sentences by maximal marginal relevance within its word budget."""
    n = len(sentences)
    sizes = [sentence_words(s) for s in sentences]
    section_words = sum(sizes)
    scores = [round(s, _SCORE_DIGITS) for s in analysis.scores]
    top = max(scores) or 1.0
    relevance = [s / top for s in scores]
    usable = {i for i in range(n) if _is_summary_sentence(sentences[i], sizes[i])}
    # Sentences the rest of the section hardly echoes: an aside, an off-topic opening
    # that only its position ranks high. Taken only when nothing on topic fits.
    peripheral = {i for i in range(n) if analysis.centrality[i] * n < ON_TOPIC}
    candidates = usable or set(range(n))
    closest = [0.0] * n  # each sentence's highest cosine to a picked one
    picked: list[int] = []
    words = 0.0

    def take(i: int) -> None:
        nonlocal words
        picked.append(i)
        words += sizes[i]
        candidates.discard(i)
        dots: dict[int, float] = defaultdict(float)
        for term, w in analysis.vectors[i].items():
            for j, wj in analysis.postings[term]:
                dots[j] += w * wj
        for j, dot in dots.items():
            if dot > closest[j]:
                closest[j] = dot
        for j in [j for j in candidates if closest[j] >= REDUNDANT]:
            candidates.discard(j)  # it restates what is already said

    def best(pool: list[int]) -> int:
        return max(
            pool, key=lambda i: (MMR_LAMBDA * relevance[i] - (1 - MMR_LAMBDA) * closest[i], -i)
        )

    take(best(sorted(candidates - peripheral) or sorted(candidates)))
    for level in (Length.MEDIUM, Length.LONG):
        if _LEVELS.index(level) > _LEVELS.index(length):
            break
        budget = word_budget(level, section_words)
        assert budget is not None
        added = 0
        # Every length adds to the one before, even when that one is already long.
        while candidates and (words < budget.at_least or not added):
            _check(cancel)
            pool = [i for i in sorted(candidates) if words + sizes[i] <= budget.at_most]
            if not pool and not added:
                # Every length reads more than the one before: medium may run over
                # its cap a little, long as far as it must.
                cap = budget.at_most * FORCED_OVERFLOW if level is Length.MEDIUM else math.inf
                pool = [i for i in sorted(candidates) if words + sizes[i] <= cap]
            if not pool:
                break
            central = [i for i in pool if i not in peripheral]
            take(best(central or pool))
            added += 1
    return picked


_LEVELS = (Length.SHORT, Length.MEDIUM, Length.LONG)


def _is_summary_sentence(sentence: str, size: float | None = None) -> bool:
    """False for captions and credits, fragments, and headings or list items (short
    lines without a full stop): they may stay in a section, never in its summary."""
    size = sentence_words(sentence) if size is None else size
    if size < MIN_WORDS or is_credit(sentence):
        return False
    return size >= HEADING_WORDS or _ENDS_SENTENCE.search(sentence) is not None


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
            f"medium={MEDIUM_WORDS};long={LONG_SHARE:.3f},{LONG_MIN_WORDS},{LONG_SLACK};"
            f"mmr={MMR_LAMBDA};redundant={REDUNDANT};on_topic={ON_TOPIC};"
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


def _postings(vectors: list[dict[str, float]]) -> dict[str, list[tuple[int, float]]]:
    """term -> (sentence, weight) for every sentence holding it: the inverted index."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, vec in enumerate(vectors):
        for term, w in vec.items():
            postings[term].append((i, w))
    return postings


def _similarity_graph(
    vectors: list[dict[str, float]],
    postings: dict[str, list[tuple[int, float]]],
    cancel: threading.Event | None,
) -> list[list[tuple[int, float]]]:
    """Each sentence's strongest neighbours by cosine, weights normalized to sum 1."""
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
