"""Export time and the reader's first paint against the number of sections.

Issue 17 item 10: an export of N sections must take time linear in N, and the reader
must paint a 10,000-section article at once. The article is synthetic (one short
paragraph per section); the summarizer is the real extractive one, offline.

    .venv/bin/python scripts/bench_sections.py export 20000 40000 100000
    .venv/bin/python scripts/bench_sections.py paint 10000
    .venv/bin/python scripts/bench_sections.py scheduler 20000 40000 100000

`scheduler` replaces the pipeline with an instant one, to time the queue alone.
The export also prints its CPU seconds: on a loaded machine they say more than the
wall clock.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.cache.results import ResultCache
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, Output, OutputKey
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length

SETTINGS = Settings(summarizer="extractive", offline=True)


def article(n: int) -> Article:
    return Article(
        title="Many sections",
        sections=tuple(
            Section(i, f"Heading {i}", (f"Section {i} is about item {i}. And a second line.",))
            for i in range(n)
        ),
    )


def service(n: int, *, prefetch: bool, reader: bool) -> PrecisService:
    return PrecisService(
        article(n),
        ModelProvider(SETTINGS),
        ResultCache(None),
        source_lang="en",
        prefetch=prefetch,
        fallback_extractive=reader,
    )


def export(n: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all threads) of an export of `n` sections."""
    from models.service.export import export_data

    run = service(n, prefetch=False, reader=False)
    started, cpu = time.perf_counter(), time.process_time()
    export_data(run, lang="en", length=Length.SHORT, full_translation=False)
    run.close()
    return time.perf_counter() - started, time.process_time() - cpu


def scheduler(n: int) -> float:
    run = service(n, prefetch=False, reader=False)

    def instant(keys: list[OutputKey], cancel: object, **options: object) -> list[Output]:
        return [Output(k, ("x",)) for k in keys]

    run._pipeline.run = instant  # type: ignore[method-assign,assignment]
    started = time.perf_counter()
    run.compute([OutputKey(i, "en", SUMMARY, Length.SHORT) for i in range(n)])
    run.close()
    return time.perf_counter() - started


async def paint(n: int) -> tuple[float, float]:
    """Seconds to the first paint, and until the app is first idle."""
    from tui.app import PrecisApp
    from tui.screens.reader import ReaderScreen

    painted: list[float] = []
    original = ReaderScreen._after_first_paint

    def mark(self: ReaderScreen) -> None:
        painted.append(time.perf_counter())
        original(self)

    ReaderScreen._after_first_paint = mark  # type: ignore[method-assign]
    run = service(n, prefetch=True, reader=True)
    started = time.perf_counter()
    app = PrecisApp(run, SETTINGS, state_path=Path(tempfile.mkdtemp()) / "state.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        idle = time.perf_counter() - started
    run.close()
    return painted[0] - started, idle


def main() -> None:
    what, counts = sys.argv[1], [int(n) for n in sys.argv[2:]]
    for n in counts:
        if what == "export":
            wall, cpu = export(n)
            print(f"export, {n} sections: {wall:.1f} s ({cpu:.1f} s CPU)", flush=True)
        elif what == "scheduler":
            print(f"scheduler alone, {n} sections: {scheduler(n):.1f} s", flush=True)
        else:
            first, idle = asyncio.run(paint(n))
            print(f"first paint, {n} sections: {first:.2f} s (idle after {idle:.2f} s)")


if __name__ == "__main__":
    main()
