"""The service at scale and on the reader's hot path.

An export of tens of thousands of sections must take time linear in the sections
(the worker once counted the whole queue for every batch), and asking whether an
output is cached, which the reader does on every key press, must not read model
folders from disk again and again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

import models.service.pipeline as pipeline_module
from models.cache.results import ResultCache
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, TRANSLATION, Output, OutputKey
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length


class EchoTranslator:
    """Returns each text unchanged, instantly: the scheduler alone is measured."""

    revision = None

    def __init__(self, source: str, target: str) -> None:
        self.name = f"echo-{source}-{target}"

    def settings_key(self) -> str:
        return "echo-v1"

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        return list(texts)


class Provider:
    offline = True

    def __init__(self) -> None:
        self.settings = Settings(summarizer="extractive")

    def summarizer(self, lang: str) -> ExtractiveSummarizer:
        return ExtractiveSummarizer()

    def extractive(self) -> ExtractiveSummarizer:
        return ExtractiveSummarizer()

    def translator(self, source: str, target: str) -> EchoTranslator:
        return EchoTranslator(source, target)

    def translator_id(self, source: str, target: str) -> str:
        return f"echo-{source}-{target}"

    def download(self, *args: object) -> None:
        raise AssertionError("no downloads here")

    def describe(self) -> str:
        return "echo"


def many_sections(n: int) -> Article:
    return Article(
        title="Many sections",
        sections=tuple(
            Section(i, f"Heading {i}", (f"Section {i} has a sentence about item {i}.",))
            for i in range(n)
        ),
    )


def test_export_time_is_linear_in_sections() -> None:
    """20,000 sections through the scheduler with an instant model: the queue is
    never rescanned per batch (that took 35-90 s here before; now about 2 s)."""
    n = 20_000
    service = PrecisService(
        many_sections(n), Provider(), ResultCache(None), source_lang="en", prefetch=False
    )

    def instant(
        keys: Sequence[OutputKey], cancel: threading.Event, **options: object
    ) -> list[Output]:
        return [Output(k, ("x",)) for k in keys]

    service._pipeline.run = instant  # type: ignore[method-assign]
    keys = [OutputKey(i, "en", SUMMARY, Length.SHORT) for i in range(n)]
    started = time.perf_counter()
    results = service.compute(keys)
    took = time.perf_counter() - started
    service.close()
    assert len(results) == n and all(isinstance(r, Output) for r in results)
    assert took < 15, f"{n} sections took {took:.1f} s"


def test_cache_lookups_read_model_fingerprints_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key press asks "is it cached?": that must not stat model folders each time."""
    reads: list[str] = []
    real = pipeline_module.model_fingerprint

    def counting(spec: str) -> str:
        reads.append(spec)
        return real(spec)

    monkeypatch.setattr(pipeline_module, "model_fingerprint", counting)
    service = PrecisService(
        many_sections(50), Provider(), ResultCache(None), source_lang="en", prefetch=False
    )
    for section in range(50):
        for length in Length:
            service.peek(OutputKey(section, "de", SUMMARY, length))
        service.peek(OutputKey(section, "de", TRANSLATION))
    # One summary key part (summarizer + en>de) and one translation key part.
    assert len(reads) <= 4, reads
    service._pipeline.forget_models()  # after a download: read again, once
    service.peek(OutputKey(0, "de", SUMMARY, Length.SHORT))
    service.peek(OutputKey(1, "de", SUMMARY, Length.SHORT))
    assert len(reads) <= 6, reads
    service.close()


class CountingExtractive(ExtractiveSummarizer):
    calls: ClassVar[list[int]] = []

    def summarize(self, texts: Sequence[str], length: Length, **options: object) -> list[str]:
        CountingExtractive.calls.append(len(texts))
        return super().summarize(texts, length, **options)  # type: ignore[arg-type]


def test_an_export_with_no_model_runs_in_big_batches(tmp_path: Path) -> None:
    """Batches of four, sized for a model's memory, cost an export two SQLite
    transactions and a queue round trip every four sections; with no model to
    run (extractive, in the article's language) a batch holds many more. The
    extractive step is kept in memory, not stored beside its output."""
    n = 600
    provider = Provider()
    provider.summarizer = lambda lang: CountingExtractive()  # type: ignore[method-assign]
    cache = ResultCache(tmp_path / "c.db")
    sentences = (
        "The port of {i} handled more ships this year than last.",
        "Its harbour master said the new cranes made the difference.",
        "Unions asked for a share of the gains.",
        "A decision on wages is due in the spring.",
    )
    article = Article(
        title="Ports",
        sections=tuple(
            Section(i, f"Port {i}", (" ".join(s.format(i=i) for s in sentences),)) for i in range(n)
        ),
    )
    service = PrecisService(
        article, provider, cache, source_lang="en", prefetch=False, batch_size=4
    )
    CountingExtractive.calls = []
    results = service.compute([OutputKey(i, "en", SUMMARY, Length.SHORT) for i in range(n)])
    service.close()
    assert len(results) == n and all(isinstance(r, Output) for r in results)
    assert max(CountingExtractive.calls) > 4, CountingExtractive.calls
    assert len(CountingExtractive.calls) <= n // 100, len(CountingExtractive.calls)
    assert cache.stats().entries == n  # the outputs only, no extractive steps
    cache.close()
