"""Benchmark the OpenAI-compatible backend: time to first shown word, sections per second.

Runs precis's real service (scheduler, pipeline, in-memory cache, provider, openai
client) against the local fake server of tests/fake_openai.py, which waits
`--latency` seconds before each answer (default 200 ms, a loaded server's queueing
plus prompt processing) and then streams its reply word by word.

* time to first word: from `PrecisService.show(key)` (a section opened in the
  reader) to the first `Partial` event with text, i.e. the first word the pane
  shows; and to the finished `Output`. The first request of a run also pays for
  importing the openai client (~1.7 s here), so it is reported apart ("cold").
* sections per second: `PrecisService.compute()` of every section's summary (what
  `precis export` does), at `llm_concurrency` 1 and 4.

    python scripts/bench_openai.py [--sections 24] [--latency 0.2] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.cache.results import ResultCache  # noqa: E402
from models.ingest.article import Article, Section  # noqa: E402
from models.service.events import SUMMARY, Output, OutputKey, Partial  # noqa: E402
from models.service.provider import ModelProvider  # noqa: E402
from models.service.scheduler import PrecisService  # noqa: E402
from models.settings import Settings  # noqa: E402
from models.types import Length  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402

REPLY = (
    "Der Stadtrat hat am Montag den neuen Haushalt für Schulen und Straßen beschlossen, "
    "nachdem Eltern und Lehrer klarere Regeln für das Schuljahr gefordert hatten."
)
PARAGRAPH = (
    "The city council met on Monday to discuss the new budget for schools and roads. "
    "The minister said the government would support small businesses during the crisis. "
    "Teachers and parents asked for clearer rules about the school year, and the mayor "
    "promised an answer before the summer."
)


def article(n: int) -> Article:
    sections = [
        Section(index=i, title=f"Section {i + 1}", paragraphs=(f"{PARAGRAPH} (Item {i + 1}.)",))
        for i in range(n)
    ]
    return Article(title="Benchmark", sections=tuple(sections))


def service_for(server: FakeOpenAI, concurrency: int, n: int) -> PrecisService:
    settings = Settings(
        summarizer="openai:test",
        openai_base_url=server.base_url,
        llm_concurrency=concurrency,
        lang="de",
        cache_path=None,  # type: ignore[arg-type]
    )
    return PrecisService(
        article(n),
        ModelProvider(settings),
        ResultCache(None, max_bytes=100_000_000),
        source_lang="en",
        prefetch=False,
        batch_size=max(4, concurrency),
    )


def first_word(service: PrecisService, section: int) -> tuple[float, float]:
    """(ms to the first shown word, ms to the finished output) for one opened section."""
    key = OutputKey(section, "de", SUMMARY, Length.SHORT)
    first = threading.Event()
    done = threading.Event()
    stamps: dict[str, float] = {}

    def listen(event: object) -> None:
        if isinstance(event, Partial) and event.key == key and event.text.strip():
            stamps.setdefault("first", time.perf_counter())
            first.set()
        elif isinstance(event, Output) and event.key == key:
            stamps["done"] = time.perf_counter()
            done.set()

    service.set_listener(listen)
    started = time.perf_counter()
    hit = service.show(key)
    if hit is not None:
        raise SystemExit("benchmark error: a cached output (cache should be empty)")
    if not done.wait(60):
        raise SystemExit("benchmark error: no output within 60 s")
    service.set_listener(None)
    return (stamps.get("first", stamps["done"]) - started) * 1000, (stamps["done"] - started) * 1000


def throughput(service: PrecisService, n: int) -> float:
    keys = [OutputKey(i, "de", SUMMARY, Length.MEDIUM) for i in range(n)]
    started = time.perf_counter()
    outputs = service.compute(keys)
    elapsed = time.perf_counter() - started
    bad = [o for o in outputs if not isinstance(o, Output)]
    if bad:
        raise SystemExit(f"benchmark error: {bad[0]}")
    return n / elapsed


def run(sections: int, latency: float, token_delay: float) -> list[dict[str, Any]]:
    rows = []
    with FakeOpenAI(reply=REPLY, latency_s=latency, token_delay_s=token_delay) as server:
        for concurrency in (1, 4):
            service = service_for(server, concurrency, sections)
            try:
                cold = first_word(service, 0)
                warm = [first_word(service, i) for i in range(1, 6)]
                rate = throughput(service, sections)
            finally:
                service.close()
            rows.append(
                {
                    "concurrency": concurrency,
                    "latency_ms": latency * 1000,
                    "cold_first_word_ms": round(cold[0]),
                    "first_word_ms": round(statistics.median(w[0] for w in warm)),
                    "output_ms": round(statistics.median(w[1] for w in warm)),
                    "sections_per_s": round(rate, 2),
                    "max_in_flight": server.max_active,
                }
            )
            server.max_active = 0
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds before each answer")
    parser.add_argument(
        "--token-delay", type=float, default=0.0, help="seconds between streamed words"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run(args.sections, args.latency, args.token_delay)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"fake OpenAI-compatible server, {args.latency * 1000:.0f} ms latency, "
        f"{args.sections} sections, reply of {len(REPLY.split())} words"
    )
    header = "concurrency  first word (cold)  first word  whole output  sections/s  in flight"
    print(header)
    for r in rows:
        print(
            f"{r['concurrency']:>11}  {r['cold_first_word_ms']:>13} ms  {r['first_word_ms']:>7} ms"
            f"  {r['output_ms']:>9} ms  {r['sections_per_s']:>10}  {r['max_in_flight']:>9}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
