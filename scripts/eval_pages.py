"""Measure HTML ingestion on saved pages: what precis shows as the article against a reference.

A corpus is a folder of page folders, each holding `source.html` (the page as saved),
`expected.html` (the article body a reader should see) and `expected-metadata.json`
(title, byline). The layout is Mozilla Readability's test pages (../shared/corpus/readability).

For every page, precis' side is the parsed `Article` (section titles, paragraphs,
captions; the article title, byline and dateline are fields of their own), read with
`models.ingest.sources.parse_bytes` as the CLI reads a file. In the same run,
`trafilatura.extract()` with its defaults is measured as the peer.

Figures per page:
- word recall and precision: bags of lower-cased words (CJK characters count one word
  each), precis' text against `expected.html`'s text;
- heading recall: `expected.html`'s h1-h4 headings found among precis' section titles
  (each part of a stacked title "Part One — Chapter 1" counts) or as its article title
  (compared as lower-cased words; pooled over all pages);
- title and byline agreement with the metadata, over pages whose metadata has one (see
  `title_agrees` and `byline_agrees` for what counts as the same);
- seconds per page for the parse itself, wall clock and the process's CPU time (on a
  shared machine the wall clock includes waiting for other processes).

    python scripts/eval_pages.py ../shared/corpus/readability [--json] [--limit N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.errors import InputError
from models.ingest.article import Article
from models.text import CJK_CHAR

_WORD = re.compile(r"[^\W_]+")
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "caption",
    }
)
_HEADING_TAGS = ("h1", "h2", "h3", "h4")
_TITLE_SEPARATOR = re.compile(r"\s+[|–—·:-]\s+|\s*[|_·»]\s*|\s*[\[【].*?[\]】]\s*|\s+-|-\s+")
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+", re.IGNORECASE)
THRESHOLD = 0.9
T = TypeVar("T")


@dataclass
class PageScore:
    """One extractor's figures on one page."""

    page: str
    refused: str | None = None
    recall: float = 0.0
    precision: float = 0.0
    headings_expected: int = 0
    headings_found: int = 0
    title_expected: bool = False
    title_ok: bool = False
    byline_expected: bool = False
    byline_ok: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


def words(text: str) -> Counter[str]:
    """Lower-cased words of `text`; each CJK character is a word of its own."""
    spaced = CJK_CHAR.sub(lambda m: f" {m.group(0)} ", text)
    return Counter(w.lower() for w in _WORD.findall(spaced))


def overlap(found: Counter[str], expected: Counter[str]) -> tuple[float, float]:
    """(recall, precision) of the bag `found` against the bag `expected`."""
    common = sum((found & expected).values())
    recall = common / sum(expected.values()) if expected else 1.0
    precision = common / sum(found.values()) if found else (1.0 if not expected else 0.0)
    return recall, precision


def _tokens(text: str) -> list[str]:
    spaced = CJK_CHAR.sub(lambda m: f" {m.group(0)} ", text)
    return [w.lower() for w in _WORD.findall(spaced)]


def reference(page: Path) -> tuple[str, list[str], dict[str, object]]:
    """The expected text, its h1-h4 headings and the metadata of one page."""
    import lxml.html

    # expected.html is UTF-8 without a charset declaration: lxml would read bytes as Latin-1.
    root = lxml.html.fromstring((page / "expected.html").read_text(encoding="utf-8"))
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = " " + (element.tail or "")
            element.text = " " + (element.text or "")
    headings = [
        " ".join(h.text_content().split())
        for h in root.iter(*_HEADING_TAGS)
        if h.text_content().strip()
    ]
    meta_path = page / "expected-metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    return root.text_content(), headings, meta


def byline_agrees(found: str | None, expected: str) -> bool:
    """Same words after dropping a leading "By", or one contained in the other (whole words)."""
    if not found:
        return False
    a = " ".join(_tokens(_BYLINE_PREFIX.sub("", found.strip())))
    b = " ".join(_tokens(_BYLINE_PREFIX.sub("", expected.strip())))
    if not a or not b:
        return False
    return a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} "


def title_agrees(found: str | None, expected: str) -> bool:
    """The same lower-cased words, or the expected title without a site name at a separator.

    Readability keeps " - Wikipedia" or "_腾讯网" in some titles; precis drops site names on
    purpose, so "Mozilla" agrees with "Mozilla - Wikipedia" (and "Headline" with
    "Site | Headline"), but not "Wikipedia" with it, nor a different headline.
    """
    if not found:
        return False
    ours = _tokens(found)
    if not ours:
        return False
    if ours == _tokens(expected):
        return True
    for match in _TITLE_SEPARATOR.finditer(expected):
        if _tokens(expected[: match.start()]) == ours:
            return True  # a trailing site name cut off
        cut = _tokens(expected[: match.start()])
        if _tokens(expected[match.end() :]) == ours and len(ours) >= 3 and len(ours) > len(cut):
            return True  # a leading site name cut off
    return False


def _score(
    name: str,
    text: str,
    titles: Iterable[str],
    title: str | None,
    byline: str | None,
    expected: tuple[str, list[str], dict[str, object]],
    seconds: float,
) -> PageScore:
    expected_text, headings, meta = expected
    recall, precision = overlap(words(text), words(expected_text))
    # A heading shown as the article's title (the page's h1) is shown too, and so is
    # each heading of a stacked section title ("Part One — Chapter 1").
    shown = [part for t in [*titles, title or ""] for part in [t, *t.split(" — ")]]
    found_titles = {" ".join(_tokens(t)) for t in shown}
    meta_title = str(meta.get("title") or "").strip()
    meta_byline = str(meta.get("byline") or "").strip()
    return PageScore(
        page=name,
        recall=recall,
        precision=precision,
        headings_expected=len(headings),
        headings_found=sum(1 for h in headings if " ".join(_tokens(h)) in found_titles),
        title_expected=bool(meta_title),
        title_ok=bool(meta_title) and title_agrees(title, meta_title),
        byline_expected=bool(meta_byline),
        byline_ok=bool(meta_byline) and byline_agrees(byline, meta_byline),
        seconds=seconds,
        extra={"title": title or "", "byline": byline or ""},
    )


def _fastest(call: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """`call()`'s result and its fastest wall-clock and CPU times of `repeat` runs.

    On a shared machine the wall clock includes waiting for other processes; the
    process's CPU time does not, so both are reported.
    """
    best = cpu = float("inf")
    result: T
    for _ in range(max(1, repeat)):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return result, best, cpu


def score_precis(
    page: Path, expected: tuple[str, list[str], dict[str, object]], repeat: int = 1
) -> PageScore:
    """precis' figures on one page: the parsed Article as the reader shows it."""
    from models.ingest.sources import parse_bytes

    data = (page / "source.html").read_bytes()

    def parse() -> Article | InputError:
        try:
            return parse_bytes(data, name=page.name, source=str(page / "source.html"))
        except InputError as error:
            return error

    article, seconds, cpu = _fastest(parse, repeat)
    if isinstance(article, InputError):
        score = _score(page.name, "", [], None, None, expected, seconds)
        score.refused = str(article)
        score.cpu_seconds = cpu
        return score
    parts: list[str] = []
    for section in article.sections:
        parts.append(section.title)
        parts.extend(section.paragraphs)
        parts.extend(section.captions)
    titles = [s.title for s in article.sections if s.title]
    score = _score(
        page.name, "\n".join(parts), titles, article.title, article.byline, expected, seconds
    )
    score.cpu_seconds = cpu
    return score


def score_trafilatura(
    page: Path, expected: tuple[str, list[str], dict[str, object]], repeat: int = 1
) -> PageScore:
    """trafilatura.extract() with its defaults; title and author from its metadata."""
    import trafilatura

    html = (page / "source.html").read_bytes()
    text, seconds, cpu = _fastest(lambda: trafilatura.extract(html), repeat)
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None else None
    author = meta.author if meta is not None else None
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    score = _score(page.name, text or "", lines, title, author, expected, seconds)
    score.cpu_seconds = cpu
    if not text:
        score.refused = "no text"
    return score


def summarize(scores: list[PageScore]) -> dict[str, float | int]:
    """Medians, counts under the threshold, pooled heading recall, title and byline shares."""
    headings = sum(s.headings_expected for s in scores)
    titled = [s for s in scores if s.title_expected]
    bylined = [s for s in scores if s.byline_expected]
    return {
        "pages": len(scores),
        "median_recall": statistics.median(s.recall for s in scores),
        "median_precision": statistics.median(s.precision for s in scores),
        "recall_under_0.9": sum(1 for s in scores if s.recall < THRESHOLD),
        "precision_under_0.9": sum(1 for s in scores if s.precision < THRESHOLD),
        "heading_recall": sum(s.headings_found for s in scores) / headings if headings else 1.0,
        "headings": headings,
        "title_ok": sum(1 for s in titled if s.title_ok),
        "titles": len(titled),
        "byline_ok": sum(1 for s in bylined if s.byline_ok),
        "bylines": len(bylined),
        "refused": sum(1 for s in scores if s.refused),
        "median_ms": 1000 * statistics.median(s.seconds for s in scores),
        "median_cpu_ms": 1000 * statistics.median(s.cpu_seconds for s in scores),
    }


def pages_of(corpus: Path) -> list[Path]:
    """The page folders of a corpus, by name."""
    return sorted(p for p in corpus.iterdir() if (p / "source.html").is_file())


def run(
    corpus: Path, limit: int | None = None, only: list[str] | None = None, repeat: int = 1
) -> dict[str, object]:
    """Score precis and trafilatura on every page; the result is what --json prints.

    Each parse is timed `repeat` times and its fastest time kept, for both sides.
    """
    pages = pages_of(corpus)
    if only:
        pages = [p for p in pages if p.name in only]
    if limit is not None:
        pages = pages[:limit]
    ours: list[PageScore] = []
    peer: list[PageScore] = []
    for page in pages:
        expected = reference(page)
        ours.append(score_precis(page, expected, repeat))
        peer.append(score_trafilatura(page, expected, repeat))
    return {
        "corpus": str(corpus),
        "precis": summarize(ours),
        "trafilatura": summarize(peer),
        "pages": {"precis": [asdict(s) for s in ours], "trafilatura": [asdict(s) for s in peer]},
    }


def _table(result: dict[str, object], worst: int) -> str:
    ours = result["precis"]
    peer = result["trafilatura"]
    assert isinstance(ours, dict) and isinstance(peer, dict)
    rows = [
        ("median word recall", "median_recall", "{:.3f}"),
        ("median word precision", "median_precision", "{:.3f}"),
        ("pages with recall < 0.9", "recall_under_0.9", "{}"),
        ("pages with precision < 0.9", "precision_under_0.9", "{}"),
        ("heading recall (pooled)", "heading_recall", "{:.3f}"),
        ("refused pages", "refused", "{}"),
        ("median ms per page", "median_ms", "{:.1f}"),
        ("median CPU ms per page", "median_cpu_ms", "{:.1f}"),
    ]
    lines = [f"{ours['pages']} pages of {result['corpus']}", ""]
    lines.append(f"{'':30} {'precis':>12} {'trafilatura':>12}")
    for label, key, fmt in rows:
        lines.append(f"{label:30} {fmt.format(ours[key]):>12} {fmt.format(peer[key]):>12}")
    for label, ok, total in (
        ("title right", "title_ok", "titles"),
        ("byline right", "byline_ok", "bylines"),
    ):
        a = f"{ours[ok]}/{ours[total]}"
        b = f"{peer[ok]}/{peer[total]}"
        lines.append(f"{label:30} {a:>12} {b:>12}")
    pages = result["pages"]
    assert isinstance(pages, dict)
    scores = [PageScore(**s) for s in pages["precis"]]
    for what in ("recall", "precision"):
        lines.append("")
        lines.append(f"worst {what} (precis):")
        for s in sorted(scores, key=lambda s: getattr(s, what))[:worst]:
            note = f"  refused: {s.refused}" if s.refused else ""
            lines.append(f"  {getattr(s, what):.3f}  {s.page}{note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", type=Path, help="a folder of page folders")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--page", action="append", default=None, help="only this page (repeat)")
    parser.add_argument("--worst", type=int, default=10, help="how many worst pages to list")
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each parse N times, keep the fastest"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"eval_pages: no such folder: {args.corpus}", file=sys.stderr)
        return 2
    if not pages_of(args.corpus):
        print(f"eval_pages: {args.corpus} holds no page folders with source.html", file=sys.stderr)
        return 2
    result = run(args.corpus, args.limit, args.page, args.repeat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(_table(result, args.worst))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
