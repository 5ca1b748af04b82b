"""The one entry point the reader and the export CLI use to get outputs.

It answers from the cache on the caller's thread when it can, and otherwise queues
work for a single worker thread (two generations never fight over the cores),
ordered by priority: what is on screen, then the next sections in reading order,
then the other lengths. Compatible background requests are batched into one
model call; work nobody needs any more is cancelled; results and progress go to a
listener the UI turns into messages.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from models.cache.results import ResultCache
from models.errors import Cancelled, PrecisError
from models.ingest.article import Article
from models.ingest.language import detect_language
from models.logs import internal_error, log
from models.service.events import (
    SUMMARY,
    TRANSLATION,
    ConversionProgress,
    DownloadProgress,
    Failure,
    Output,
    OutputKey,
    Partial,
    Progress,
    ServiceEvent,
)
from models.service.model_source import ModelSource
from models.service.pipeline import Pipeline
from models.types import Length

Listener = Callable[[ServiceEvent], None]


class Priority(enum.IntEnum):
    """Order of work: what is on screen, then what comes next, then the rest."""

    VISIBLE = 0
    NEXT = 1  # the next sections in reading order; an export's sections too
    OTHER = 2  # other lengths of sections already read


VISIBLE, NEXT, OTHER = Priority.VISIBLE, Priority.NEXT, Priority.OTHER
EXPORT = Priority.NEXT
DEFAULT_BATCH = 4  # outputs per model batch, unless the session sets another
PREFETCH_AHEAD = 24  # sections ahead in reading order to precompute
CANCELLED = "cancelled"  # the error of a download stopped on request


class _Awaited:
    """The outputs one `compute` call waits for, as the worker hands them over: one
    condition for the whole call, not a Future (a lock and a condition) per section."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.results: dict[int, Output | Failure] = {}
        self.wanted = 0

    def slot(self, index: int) -> _Slot:
        self.wanted += 1
        return _Slot(self, index)

    def wait(self, cancel: threading.Event | None) -> dict[int, Output | Failure]:
        with self.cond:
            while len(self.results) < self.wanted:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                self.cond.wait(0.1)
        return self.results


class _Slot:
    """Where the worker puts one awaited output (its `index` in the `compute` call)."""

    __slots__ = ("awaited", "index")

    def __init__(self, awaited: _Awaited, index: int) -> None:
        self.awaited, self.index = awaited, index

    def done(self) -> bool:
        return self.index in self.awaited.results

    def set_result(self, result: Output | Failure) -> None:
        awaited = self.awaited
        with awaited.cond:
            awaited.results.setdefault(self.index, result)
            if len(awaited.results) >= awaited.wanted:
                awaited.cond.notify_all()


@dataclass(order=True)
class _Job:
    priority: Priority
    seq: int
    key: OutputKey = field(compare=False)
    force: bool = field(default=False, compare=False)
    batchable: bool = field(default=True, compare=False)
    futures: list[_Slot] = field(default_factory=list, compare=False)
    dropped: bool = field(default=False, compare=False)


@dataclass
class ServiceStats:
    """Outputs of this run: computed by a model, or served from the cache."""

    computed: int = 0
    from_cache: int = 0


class PrecisService:
    """Schedules summaries and translations of one article's sections."""

    def __init__(
        self,
        article: Article,
        provider: ModelSource,
        cache: ResultCache,
        *,
        source_lang: str | None = None,
        listener: Listener | None = None,
        prefetch: bool = True,
        fallback_extractive: bool = True,
        batch_size: int | None = None,
    ) -> None:
        self.article = article
        self.provider = provider
        self.cache = cache
        self.source_lang = source_lang or detect_language(_sample(article))
        self.prefetch = prefetch
        self.batch_size = batch_size or DEFAULT_BATCH
        self.stats = ServiceStats()
        self._listener = listener
        self._pipeline = Pipeline(
            article, provider, cache, self.source_lang, fallback_extractive=fallback_extractive
        )
        self._lock = threading.Condition()
        self._heap: list[_Job] = []
        self._pending: dict[OutputKey, _Job] = {}
        self._seq = itertools.count()
        self._running: list[_Job] = []
        self._cancel_running = threading.Event()
        self._closed = False
        self._visible: tuple[OutputKey, ...] = ()  # what is on screen, in order
        self._thread: threading.Thread | None = None
        self._download_cancel: threading.Event | None = None

    # -- listener ---------------------------------------------------------------

    def set_listener(self, listener: Listener | None) -> None:
        """Where events go; called from the worker thread, so marshal in the UI."""
        self._listener = listener

    def _emit(self, event: ServiceEvent) -> None:
        listener = self._listener
        if listener is not None:
            try:
                listener(event)
            except Exception:  # a listener bug must not kill the worker: keep it in the log
                log.exception("service listener failed on %s", type(event).__name__)

    def publish(self, event: ServiceEvent) -> None:
        """Pass on an event from the model provider (a CTranslate2 conversion's
        progress, session.open_service wires it). A model that falls back to
        transformers changes the output keys that name it: they are made again."""
        if isinstance(event, ConversionProgress) and event.finished and event.error:
            self._pipeline.forget_models()
        self._emit(event)

    # -- synchronous answers ----------------------------------------------------

    def peek(self, key: OutputKey) -> Output | None:
        """The output if it is cached; never computes, never blocks on a model."""
        self._check(key)
        return self._pipeline.lookup(key)

    @property
    def offline(self) -> bool:
        """Whether models can be downloaded in this run (not with --offline)."""
        return self.provider.offline

    def model_info(self) -> str:
        return self.provider.describe()

    # -- scheduling ---------------------------------------------------------------

    def show_view(
        self, summary: OutputKey, translation: OutputKey | None = None, *, force: bool = False
    ) -> dict[OutputKey, Output | None]:
        """Everything on screen now, in one call: the summary and, in the bilingual
        view, the full translation. Cached outputs are returned at once (None for the
        others, which are computed in this order and reach the listener).

        On-screen work for anything else is cancelled; the sections after this one
        are queued for precomputing. `force` computes both again, bypassing the cache.
        """
        keys = (summary,) if translation is None else (summary, translation)
        for key in keys:
            self._check(key)
        hits = {key: None if force else self._pipeline.lookup(key) for key in keys}
        with self._lock:
            self._visible = keys
            self._supersede(keys)
            for key in keys:
                if hits[key] is None:
                    self._enqueue(key, VISIBLE, batchable=False, force=force)
                else:
                    self.stats.from_cache += 1
            if self.prefetch:
                self._plan_prefetch(summary)
            self._lock.notify_all()
        return hits

    def show(self, key: OutputKey) -> Output | None:
        """`show_view` of one key: its cached output, or None while it is computed."""
        return self.show_view(key)[key]

    def recompute(self, key: OutputKey) -> None:
        """Compute `key` again, bypassing every cache; the result goes to the listener."""
        self.show_view(key, force=True)

    def compute(
        self, keys: Sequence[OutputKey], cancel: threading.Event | None = None
    ) -> list[Output | Failure]:
        """Outputs for all `keys`, blocking; cached ones are answered at once."""
        results: list[Output | Failure | None] = []
        awaited = _Awaited()
        for key in keys:
            self._check(key)
        cached = self._pipeline.lookup_many(keys)
        with self._lock:
            for i, key in enumerate(keys):
                hit = cached.get(key)
                if hit is not None:
                    self.stats.from_cache += 1
                    results.append(hit)
                    continue
                results.append(None)
                job = self._enqueue(key, EXPORT, batchable=True)
                job.futures.append(awaited.slot(i))
            self._lock.notify_all()
        for i, result in awaited.wait(cancel).items():
            results[i] = result
        return [r for r in results if r is not None]

    def _check(self, key: OutputKey) -> None:
        if not 0 <= key.section < len(self.article.sections):
            raise ValueError(f"no section {key.section}")

    def _enqueue(
        self, key: OutputKey, priority: Priority, *, batchable: bool, force: bool = False
    ) -> _Job:
        self._ensure_worker()
        job = self._pending.get(key)
        if job is not None and not job.dropped:
            if priority < job.priority or force:
                job.dropped = True  # re-queued below at the higher priority
                moved = _Job(
                    min(priority, job.priority),
                    next(self._seq),
                    key,
                    force or job.force,
                    batchable and job.batchable,
                    job.futures,
                )
                self._pending[key] = moved
                heapq.heappush(self._heap, moved)
                return moved
            return job
        job = _Job(priority, next(self._seq), key, force, batchable)
        self._pending[key] = job
        heapq.heappush(self._heap, job)
        return job

    def _supersede(self, keys: tuple[OutputKey, ...]) -> None:
        """Cancel running work that is not for `keys` and that nobody waits for."""
        running = self._running
        if running and all(j.key not in keys and not j.futures for j in running):
            self._cancel_running.set()
        for job in self._pending.values():
            if job.priority == VISIBLE and job.key not in keys and not job.futures:
                job.dropped = True
        self._pending = {k: j for k, j in self._pending.items() if not j.dropped}

    def _plan_prefetch(self, key: OutputKey) -> None:
        # Replace the previous plan: the reader moved on.
        for job in self._pending.values():
            if job.priority in (NEXT, OTHER) and not job.futures:
                job.dropped = True
        self._pending = {k: j for k, j in self._pending.items() if not j.dropped}
        n = len(self.article.sections)
        order = [(key.section + d) % n for d in range(1, min(n, PREFETCH_AHEAD + 1))]
        for index in order:
            nxt = OutputKey(index, key.lang, key.kind, key.length)
            if self._pipeline.lookup(nxt) is None:
                self._enqueue(nxt, NEXT, batchable=True)
        if key.kind == SUMMARY:
            for length in Length:
                if length != key.length:
                    other = OutputKey(key.section, key.lang, SUMMARY, length)
                    if self._pipeline.lookup(other) is None:
                        self._enqueue(other, OTHER, batchable=True)

    # -- the worker ---------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._work, name="precis-models", daemon=True)
            self._thread.start()

    def _next_batch(self) -> list[_Job] | None:
        idle_sent = False
        while True:
            with self._lock:
                if self._closed:
                    return None
                while self._heap and self._heap[0].dropped:
                    heapq.heappop(self._heap)
                if self._heap:
                    batch = self._take_batch()
                    # Every live queued job is in _pending (dropped ones leave it): counting
                    # the heap for each batch made long exports quadratic.
                    queued = len(self._pending)
                    break
                if idle_sent:
                    self._lock.wait()
                    continue
            # Emitted outside the lock: a listener may block on the UI thread.
            self._emit(Progress(None, 0, ""))
            idle_sent = True
        self._emit(Progress(batch[0].key, queued, _label(batch, len(self.article.sections))))
        return batch

    def _take_batch(self) -> list[_Job]:
        first = heapq.heappop(self._heap)
        self._pending.pop(first.key, None)
        batch = [first]
        if first.batchable:
            group = (first.key.kind, first.key.lang, first.key.length)
            # Pop in priority order until the batch is full, putting back what does not
            # fit: sorting the whole queue for every batch made long exports quadratic.
            skipped: list[_Job] = []
            limit = self._pipeline.batch_limit(first.key) or self.batch_size
            while self._heap and len(batch) < limit:
                job = heapq.heappop(self._heap)
                if job.dropped:
                    continue  # dropped jobs are never revived: they may leave the heap now
                if job.batchable and (job.key.kind, job.key.lang, job.key.length) == group:
                    self._pending.pop(job.key, None)
                    batch.append(job)
                else:
                    skipped.append(job)
            for job in skipped:
                heapq.heappush(self._heap, job)
        self._running = batch
        self._cancel_running = threading.Event()
        return batch

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            cancel = self._cancel_running
            try:
                done: list[Output | Failure] = []
                fresh: list[_Job] = []
                for j in batch:
                    # The file was asked when the job was queued; what was made since
                    # then (a section with the same text) is in the memory layer.
                    hit = None if j.force else self._pipeline.lookup(j.key, disk=False)
                    if hit is None:
                        fresh.append(j)
                    else:
                        # Cached since it was queued (e.g. a section with the same
                        # text): served from the cache, and counted as such.
                        done.append(hit)
                        with self._lock:
                            self.stats.from_cache += 1
                if fresh:
                    # Longest first keeps padding waste low within a sorted batch.
                    fresh.sort(key=lambda j: -len(self.article.sections[j.key.section].text))
                    force = any(j.force for j in fresh)
                    computed = self._pipeline.run(
                        [j.key for j in fresh],
                        cancel,
                        force=force,
                        on_partial=self._partials(fresh),
                    )
                    done.extend(computed)
                    with self._lock:
                        self.stats.computed += sum(isinstance(d, Output) for d in computed)
            except Cancelled:
                self._requeue_wanted(batch)
                continue
            except Exception as exc:  # a bug in a model must not end the worker
                message = internal_error("the service worker", exc)
                done = [Failure(j.key, message) for j in batch]
            finally:
                with self._lock:
                    self._running = []
            by_key = {d.key: d for d in done}
            for job in batch:
                result = by_key.get(job.key)
                if result is None:
                    continue
                for future in job.futures:
                    if not future.done():
                        future.set_result(result)
                self._emit(result)

    def _partials(self, jobs: list[_Job]) -> Callable[[OutputKey, str], None] | None:
        """Where the growing text of the output on screen goes (an LLM's stream): to the
        listener as `Partial`, at most 20 times a second; None for background work."""
        if len(jobs) != 1 or jobs[0].priority != VISIBLE:
            return None
        last = [0.0]

        def emit(key: OutputKey, text: str) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.05:
                last[0] = now
                self._emit(Partial(key, text))

        return emit

    def _requeue_wanted(self, batch: list[_Job]) -> None:
        """Put back cancelled work that is still wanted: awaited, or for the current view."""
        with self._lock:
            visible = self._visible
            views = {(k.kind, k.lang, k.length) for k in visible}
            for job in batch:
                current = (job.key.kind, job.key.lang, job.key.length) in views
                on_screen = job.key in visible
                if job.futures or on_screen or (job.priority != VISIBLE and current):
                    priority = VISIBLE if on_screen else job.priority
                    requeued = self._enqueue(
                        job.key, priority, batchable=job.batchable, force=job.force
                    )
                    if requeued.futures is not job.futures:
                        requeued.futures.extend(job.futures)
            self._lock.notify_all()

    # -- downloads ----------------------------------------------------------------

    def download(self, model_id: str) -> None:
        """Download `model_id` in the background; DownloadProgress events report it."""
        cancel = threading.Event()
        self._download_cancel = cancel

        def progress(done: int, total: int | None) -> None:
            self._emit(DownloadProgress(model_id, done, total, False))

        def run() -> None:
            try:
                self.provider.download(model_id, progress, cancel)
            except Cancelled:
                self._emit(DownloadProgress(model_id, 0, None, True, CANCELLED))
            except PrecisError as exc:
                # A transfer cut short by escape may fail with its own error: it was
                # still cancelled, and that is what the person asked for.
                error = CANCELLED if cancel.is_set() else str(exc)
                self._emit(DownloadProgress(model_id, 0, None, True, error))
            else:
                self._pipeline.forget_models()  # the new model's fingerprint
                self._emit(DownloadProgress(model_id, 0, None, True))

        threading.Thread(target=run, name="precis-download", daemon=True).start()

    def cancel_download(self) -> None:
        if self._download_cancel is not None:
            self._download_cancel.set()

    # -- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._cancel_running.set()
            self._lock.notify_all()
        if self._download_cancel is not None:
            self._download_cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PrecisService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _label(batch: Sequence[_Job], n_sections: int) -> str:
    key = batch[0].key
    what = "summarizing" if key.kind == SUMMARY else "translating"
    length = key.length.value if key.length is not None else ""
    detail = key.lang if key.kind == TRANSLATION else f"{key.lang}, {length}"
    sections = ", ".join(str(j.key.section + 1) for j in batch)
    return f"{what} {sections}/{n_sections} ({detail})"


def _sample(article: Article, limit: int = 5000) -> str:
    text = " ".join(s.text for s in article.sections)
    return text[:limit]
