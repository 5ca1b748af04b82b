"""Reference-free figures for the extractive summarizer: lengths, overlap, redundancy.

No reference summaries can be fetched here (CNN/DailyMail lives on the Hugging Face
hub, which is unreachable), so ROUGE cannot be computed. What can be measured on the
bundled sample and on the shared corpus (../shared/corpus/readability, 130 saved web
pages parsed with the real ingestion, `read_article`) is whether the three lengths
behave as promised:

- words per summary for short / medium / long (and the first sentence / first three
  sentences of each section, lead-1 / lead-3, as the news baselines' lengths);
- how often long equals medium and medium equals short (each step should read more);
- the share of summaries that hold a near-duplicate pair of sentences: two sentences
  whose content-word sets overlap by at least NEAR_DUP of the smaller one (overlap
  coefficient, words of 3+ letters minus a short stopword list, the smaller set
  holding at least 4 words). The measure is independent of the summarizer's own
  TF-IDF similarity, so it cannot be satisfied by construction;
- the share of summaries holding a photo caption or credit line, by a pattern list
  kept here, separate from the summarizer's.

With `--rouge` (needs the `rouge-score` package: the `eval` extra) it also scores
whole-article summaries against the one human-written reference the corpus has: the
page's description (`excerpt` in expected-metadata.json), on English pages whose
description is not copied from the text (so lead-1 does not win by construction).
Descriptions are a sentence or two, so this is a weak, small check of short against
lead-1 (and of medium against lead-3 at a similar length), not CNN/DailyMail ROUGE.

Sections of one sentence are left out of every figure (all lengths are that sentence).
The redundancy and credit shares count only summaries that are not the whole section
("chosen"): when a length covers the whole section nothing was chosen.

    python scripts/eval_extractive.py [--corpus DIR] [--json] [--rouge]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.errors import PrecisError  # noqa: E402
from models.inference.extractive import (  # noqa: E402
    ExtractiveSummarizer,
    covers_whole,
    section_sentences,
)
from models.ingest.article import Article, word_count  # noqa: E402
from models.ingest.language import detect_language  # noqa: E402
from models.ingest.sources import read_article  # noqa: E402
from models.text import split_sentences  # noqa: E402
from models.types import Length  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "readability"
NEAR_DUP = 0.6
_WORD = re.compile(r"\w{3,}")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "the and for that with this from have has had was were are been its his her their they "
        "said says will would which who what when where there than then also not but into over "
        "after about more most some such other only one two new our you your can could may",
    )
)
_CREDIT = re.compile(
    r"(?i)\b(?:photo|image|picture|credit|illustration)s?\s*(?:by|:)|getty images|"
    r"\bap photo\b|/\s*(?:xinhua|reuters|afp|ap|cgtn|vcg)\b|\bfile photo\b|"
    r"scroll down for video|click here|\ball rights reserved\b|\bcopyright\b|©"
)


def content_words(sentence: str) -> set[str]:
    return {w for w in _WORD.findall(sentence.lower()) if w not in _STOP}


def has_near_duplicate(sentences: list[str]) -> bool:
    sets = [content_words(s) for s in sentences]
    for a, b in combinations(sets, 2):
        small = min(len(a), len(b))
        if small >= 4 and len(a & b) / small >= NEAR_DUP:
            return True
    return False


def load_corpus(folder: Path) -> list[tuple[str, Article]]:
    articles = []
    for page in sorted(folder.glob("*/source.html")):
        try:
            articles.append((page.parent.name, read_article(str(page))))
        except PrecisError:
            continue  # pages precis refuses (no prose): nothing to summarize
    return articles


def measure(articles: list[tuple[str, Article]]) -> dict[str, Any]:
    summarizer = ExtractiveSummarizer()
    words: dict[str, list[int]] = {k: [] for k in ("lead1", "lead3", *(x.value for x in Length))}
    equal = {"long=medium": 0, "medium=short": 0}
    near_dup = {x.value: 0 for x in Length}
    credit = {x.value: 0 for x in Length}
    chose = {x.value: 0 for x in Length}  # summaries that are not the whole section
    longer_than_medium = 0
    n = 0
    seconds = 0.0
    for _name, article in articles:
        lang = detect_language(" ".join(s.text for s in article.sections)[:5000])
        for section in article.sections:
            sentences = section_sentences(section.text, lang)
            if len(sentences) < 2:
                continue
            n += 1
            words["lead1"].append(word_count(sentences[0]))
            words["lead3"].append(sum(word_count(s) for s in sentences[:3]))
            out: dict[str, str] = {}
            for length in Length:
                start = time.perf_counter()
                summary = summarizer.summarize([section.text], length, lang=lang)[0]
                seconds += time.perf_counter() - start
                out[length.value] = summary
                words[length.value].append(word_count(summary))
                if covers_whole(section.text, length, lang):
                    continue  # nothing was chosen: redundancy and credits are the page's
                chose[length.value] += 1
                picked = split_sentences(summary, lang)
                near_dup[length.value] += has_near_duplicate(picked)
                credit[length.value] += any(_CREDIT.search(s) for s in picked)
            if not covers_whole(section.text, Length.MEDIUM, lang):
                equal["long=medium"] += out["long"] == out["medium"]
                equal["medium=short"] += out["medium"] == out["short"]
                longer_than_medium += 1

    def pct(count: int, of: int | None = None) -> float:
        total = n if of is None else of
        return round(100 * count / total, 1) if total else 0.0

    return {
        "articles": len(articles),
        "sections": n,
        "mean_words": {k: round(statistics.fmean(v), 1) if v else 0 for k, v in words.items()},
        "median_words": {k: statistics.median(v) if v else 0 for k, v in words.items()},
        "chosen": chose,
        "equal_pct": {
            "long=medium": pct(equal["long=medium"], longer_than_medium),
            "medium=short": pct(equal["medium=short"], longer_than_medium),
        },
        "near_duplicate_pct": {k: pct(v, chose[k]) for k, v in near_dup.items()},
        "credit_pct": {k: pct(v, chose[k]) for k, v in credit.items()},
        "summarize_seconds": round(seconds, 2),
    }


def excerpt_rouge(folder: Path) -> dict[str, Any]:
    """Mean ROUGE-1/2/L F1 (stemmed) of lead-1, lead-3 and each length against the
    page descriptions, over whole articles."""
    from rouge_score import rouge_scorer  # only for --rouge

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    summarizer = ExtractiveSummarizer()
    systems = ["lead1", "lead3", *(x.value for x in Length)]
    scores: dict[str, list[tuple[float, float, float]]] = {k: [] for k in systems}
    words: dict[str, list[int]] = {k: [] for k in systems}
    pages = []
    for meta_path in sorted(folder.glob("*/expected-metadata.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        excerpt = " ".join(str(meta.get("excerpt") or "").split())
        if len(excerpt.split()) < 8:
            continue
        try:
            article = read_article(str(meta_path.parent / "source.html"))
        except PrecisError:
            continue
        text = "\n\n".join(s.text for s in article.sections)
        if excerpt[:60] in " ".join(text.split()) or detect_language(text[:5000]) != "en":
            continue
        sentences = section_sentences(text, "en")
        if len(sentences) < 4:
            continue
        pages.append(meta_path.parent.name)
        outputs = {"lead1": sentences[0], "lead3": " ".join(sentences[:3])}
        for length in Length:
            outputs[length.value] = summarizer.summarize([text], length)[0]
        for name, summary in outputs.items():
            got = scorer.score(excerpt, summary)
            scores[name].append(tuple(got[m].fmeasure for m in ("rouge1", "rouge2", "rougeL")))
            words[name].append(len(summary.split()))
    return {
        "pages": pages,
        "rouge_f1": {
            k: [round(100 * statistics.fmean(col), 1) for col in zip(*v, strict=True)] if v else []
            for k, v in scores.items()
        },
        "mean_words": {k: round(statistics.fmean(v), 1) if v else 0 for k, v in words.items()},
    }


def print_table(label: str, figures: dict[str, Any]) -> None:
    print(
        f"{label}: {figures['articles']} articles, {figures['sections']} sections of 2+ sentences"
    )
    cols = ["lead1", "lead3", "short", "medium", "long"]
    lengths = cols[2:]
    print("  words      " + "".join(f"{c:>9}" for c in cols))
    print("  mean       " + "".join(f"{figures['mean_words'][c]:>9}" for c in cols))
    print("  median     " + "".join(f"{figures['median_words'][c]:>9}" for c in cols))
    for what in ("chosen", "near_duplicate_pct", "credit_pct"):
        row = "".join(f"{figures[what][c]:>9}" for c in lengths)
        print(f"  {what:<29}" + row)
    eq = figures["equal_pct"]
    print(
        f"  long = medium {eq['long=medium']}%, medium = short {eq['medium=short']}%"
        " (of sections longer than medium)"
    )
    print(f"  summarizing took {figures['summarize_seconds']} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--rouge", action="store_true", help="also ROUGE against the corpus's page descriptions"
    )
    args = parser.parse_args()
    results = {"sample": measure([("sample", read_article(None))])}
    if args.corpus.is_dir():
        results["corpus"] = measure(load_corpus(args.corpus))
    else:
        print(f"no corpus at {args.corpus}; sample only", file=sys.stderr)
    if args.rouge and importlib.util.find_spec("rouge_score") is None:
        print("--rouge needs rouge-score: pip install 'precis-tui[eval]'", file=sys.stderr)
        return 2
    rouge = excerpt_rouge(args.corpus) if args.rouge and args.corpus.is_dir() else None
    if args.json:
        print(json.dumps({**results, "excerpt_rouge": rouge}, indent=2))
        return 0
    for label, figures in results.items():
        print_table(label, figures)
    if rouge is not None:
        print(f"ROUGE F1 against page descriptions, {len(rouge['pages'])} English articles")
        print("  system     R-1   R-2   R-L   words")
        for name, (r1, r2, rl) in rouge["rouge_f1"].items():
            print(f"  {name:<8}{r1:>6}{r2:>6}{rl:>6}{rouge['mean_words'][name]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
