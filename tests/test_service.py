"""The service: cache hits on the caller's thread, prefetch, batching, superseding,
restarts and failures, with the real extractive summarizer, the tiny translator and
real SQLite."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from models.cache.results import ResultCache
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.sources import read_article
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey, Progress
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length


class Recorder:
    """A listener that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self._cond = threading.Condition()

    def __call__(self, event: object) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching event; got {self.events[-5:]}")
                self._cond.wait(remaining)

    def outputs(self) -> list[Output]:
        return [e for e in self.events if isinstance(e, Output)]


def wait_idle(service: PrecisService, recorder: Recorder, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with service._lock:
            busy = service._running or any(not j.dropped for j in service._heap)
        if not busy:
            return
        time.sleep(0.02)
    raise AssertionError("service did not become idle")


@pytest.fixture
def article():
    return read_article(None)


@pytest.fixture
def settings(tmp_path: Path, tiny_models: dict[str, Path]) -> Settings:
    return Settings(
        summarizer="extractive",
        translator=str(tiny_models["translator"]),
        lang="de",
        offline=True,
        cache_path=tmp_path / "cache.sqlite3",
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batch sizes of every real extractive summarize() call."""
    sizes: list[int] = []
    real = ExtractiveSummarizer.summarize

    def spy(self, texts, length, *, lang="en", cancel=None):
        sizes.append(len(texts))
        return real(self, texts, length, lang=lang, cancel=cancel)

    monkeypatch.setattr(ExtractiveSummarizer, "summarize", spy)
    return sizes


def make_service(article, settings, cache=None, **kw) -> tuple[PrecisService, Recorder]:
    recorder = Recorder()
    cache = cache or ResultCache(settings.cache_path)
    service = PrecisService(article, ModelProvider(settings), cache, listener=recorder, **kw)
    return service, recorder


def test_miss_then_result_then_synchronous_hit(article, settings, calls) -> None:
    service, rec = make_service(article, settings, prefetch=False)
    key = OutputKey(1, "en", SUMMARY, Length.SHORT)
    assert service.peek(key) is None
    assert service.show(key) is None
    out = rec.wait_for(lambda e: isinstance(e, Output) and e.key == key)
    assert out.from_cache is False and out.extractive and out.models == ("extractive",)
    assert out.text in article.sections[1].text
    hit = service.show(key)
    assert hit is not None and hit.from_cache and hit.text == out.text
    assert service.stats.computed == 1 and service.stats.from_cache == 1
    service.close()


def test_prefetch_fills_the_next_sections_in_batches(article, settings, calls) -> None:
    service, rec = make_service(article, settings, batch_size=4)
    service.show(OutputKey(0, "en", SUMMARY, Length.SHORT))
    wait_idle(service, rec)
    for i in range(len(article.sections)):
        assert service.peek(OutputKey(i, "en", SUMMARY, Length.SHORT)) is not None
    # Other lengths of the current section are precomputed too.
    assert service.peek(OutputKey(0, "en", SUMMARY, Length.LONG)) is not None
    assert max(calls) > 1, f"prefetch never batched: {calls}"
    progress = [e for e in rec.events if isinstance(e, Progress)]
    assert any(p.running is not None and p.label.startswith("summarizing") for p in progress)
    assert progress[-1].running is None
    service.close()


def test_switching_language_reuses_the_summary(article, settings, calls) -> None:
    service, rec = make_service(article, settings, prefetch=False)
    en = OutputKey(2, "en", SUMMARY, Length.MEDIUM)
    de = OutputKey(2, "de", SUMMARY, Length.MEDIUM)
    service.show(en)
    rec.wait_for(lambda e: isinstance(e, Output) and e.key == en)
    n = len(calls)
    service.show(de)
    out = rec.wait_for(lambda e: isinstance(e, Output) and e.key == de)
    assert len(calls) == n, "the source-language summary was computed again"
    assert out.models[0] == "extractive" and len(out.models) == 2
    assert out.text.strip()
    assert service.show(en).from_cache and service.show(de).from_cache
    service.close()


def test_full_translation_keeps_paragraphs(article, settings) -> None:
    service, rec = make_service(article, settings, prefetch=False)
    key = OutputKey(1, "de", TRANSLATION)
    service.show(key)
    out = rec.wait_for(lambda e: isinstance(e, Output) and e.key == key)
    assert len(out.paragraphs) == len(article.sections[1].paragraphs)
    original = OutputKey(1, "en", TRANSLATION)
    same = service.compute([original])[0]
    assert same.paragraphs == article.sections[1].paragraphs
    service.close()


def test_results_survive_a_restart(article, settings) -> None:
    service, _ = make_service(article, settings, prefetch=False)
    key = OutputKey(3, "de", SUMMARY, Length.SHORT)
    first = service.compute([key])[0]
    assert isinstance(first, Output) and not first.from_cache
    service.close()
    service.cache.close()
    again, _ = make_service(article, settings, prefetch=False)
    hit = again.show(key)
    assert hit is not None and hit.from_cache and hit.text == first.text
    again.close()


def test_recompute_bypasses_the_cache(article, settings, calls) -> None:
    service, rec = make_service(article, settings, prefetch=False)
    key = OutputKey(1, "en", SUMMARY, Length.LONG)
    service.compute([key])
    n = len(calls)
    service.recompute(key)
    wait_idle(service, rec)
    rec.wait_for(lambda e: isinstance(e, Output) and e.key == key and not e.from_cache)
    assert len(calls) == n + 1
    service.close()


def test_superseded_work_is_cancelled(article, settings, monkeypatch) -> None:
    started = threading.Event()
    saw_cancel: list[bool] = []
    real = ExtractiveSummarizer.summarize

    def slow(self, texts, length, *, lang="en", cancel=None):
        if not saw_cancel:
            started.set()
            saw_cancel.append(cancel.wait(10))  # the reader moves on meanwhile
        return real(self, texts, length, lang=lang, cancel=cancel)

    monkeypatch.setattr(ExtractiveSummarizer, "summarize", slow)
    service, rec = make_service(article, settings, prefetch=False)
    old = OutputKey(1, "en", SUMMARY, Length.LONG)
    new = OutputKey(4, "en", SUMMARY, Length.LONG)
    service.show(old)
    assert started.wait(10)
    service.show(new)
    rec.wait_for(lambda e: isinstance(e, Output) and e.key == new)
    wait_idle(service, rec)
    assert saw_cancel == [True]
    assert all(o.key != old for o in rec.outputs())
    assert service.peek(old) is None  # nothing half-done was cached
    service.close()


def test_missing_translation_model_is_a_failure_with_the_model(article, tmp_path) -> None:
    settings = Settings(
        summarizer="extractive", lang="ja", offline=True, cache_path=tmp_path / "c.sqlite3"
    )
    service, rec = make_service(article, settings, prefetch=False, fallback_extractive=False)
    key = OutputKey(0, "ja", SUMMARY, Length.SHORT)
    service.show(key)
    failure = rec.wait_for(lambda e: isinstance(e, Failure))
    assert failure.key == key and failure.model_id
    assert "precis models pull" in failure.message and "\n" not in failure.message
    # The rest keeps working.
    other = service.compute([OutputKey(0, "en", SUMMARY, Length.SHORT)])[0]
    assert isinstance(other, Output)
    service.close()


def test_missing_translator_gives_the_summary_untranslated_in_the_reader(
    article, tmp_path
) -> None:
    """Issue 13 item 2: with the reader's fallbacks, a missing translator yields the
    summary in the article's language, naming the model, and it is not cached."""
    settings = Settings(
        summarizer="extractive", lang="ja", offline=True, cache_path=tmp_path / "c.sqlite3"
    )
    service, rec = make_service(article, settings, prefetch=False)
    key = OutputKey(0, "ja", SUMMARY, Length.SHORT)
    service.show(key)
    output = rec.wait_for(lambda e: isinstance(e, (Output, Failure)) and e.key == key)
    assert isinstance(output, Output), output
    english = service.compute([OutputKey(0, "en", SUMMARY, Length.SHORT)])[0]
    assert isinstance(english, Output) and output.text == english.text
    assert output.shown_lang == "en" and output.missing_model
    assert output.note and output.note.startswith("Japanese needs ")
    assert service.peek(key) is None  # a stand-in is never the cached answer
    service.close()


def test_abstractive_summaries_from_the_tiny_model(article, tmp_path, tiny_models) -> None:
    settings = Settings(
        summarizer=str(tiny_models["summarizer"]),
        translator=str(tiny_models["translator"]),
        lang="de",
        offline=True,
        cache_path=tmp_path / "c.sqlite3",
    )
    service, _ = make_service(article, settings, prefetch=False, fallback_extractive=False)
    keys = [OutputKey(i, "de", SUMMARY, Length.MEDIUM) for i in range(len(article.sections))]
    results = service.compute(keys)
    assert all(isinstance(r, Output) for r in results), results
    for r in results:
        assert not r.extractive and r.text.strip()
        # Each model with how it decoded: the checkpoints' beam search by default.
        translator = f"{tiny_models['translator']} (beam 4, transformers int8)"
        if r.whole:  # a section no longer than the summary asked is translated whole
            assert r.models == (translator,)
        else:
            summarizer = f"{tiny_models['summarizer']} (beam 2, transformers int8)"
            assert r.models == (summarizer, translator)
    assert sum(not r.whole for r in results) >= 3
    service.close()
