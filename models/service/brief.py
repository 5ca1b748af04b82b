"""The article brief: a summary of the whole article, made from its section summaries.

The section summaries (in the article's language) are joined into a one-section
article, and that is summarized and translated through the same pipeline and cache
as every section. Its cache key follows from the summaries' text, so the brief is
recomputed exactly when a section's summary changes, and is otherwise a cache hit.
The brief runs on a service of its own, so a long article's sections never wait
behind it; its flags are checked against the section summaries it was made from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from models.errors import PrecisError
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, Failure, Output, OutputKey
from models.service.scheduler import PrecisService
from models.types import Length

BRIEF_TITLE = "Brief"
# Section summaries are asked for in parts whose size adapts: doubled after a part that
# took under QUICK_PART_S, halved (to the service's batch size) after one over SLOW_PART_S.
QUICK_PART_S = 0.2
SLOW_PART_S = 2.0
MAX_PART = 64  # a part asked for is made even if the brief is left meanwhile

Progress = Callable[[str], None]
"""Told, in a few words, how far the brief has come ("section summaries 4 of 12")."""


def _summary_keys(service: PrecisService, length: Length) -> list[OutputKey]:
    return [
        OutputKey(i, service.source_lang, SUMMARY, length)
        for i in range(len(service.article.sections))
    ]


def _cached_summaries(service: PrecisService, length: Length) -> list[Output] | None:
    """Every section summary of `length` if all are cached; stops at the first that is
    not (a long article's marks ask this of every view)."""
    summaries = []
    for key in _summary_keys(service, length):
        summary = service.peek(key)
        if summary is None:
            return None
        summaries.append(summary)
    return summaries


def _brief_service(service: PrecisService, summaries: list[Output]) -> PrecisService:
    article = Article(
        title=service.article.title,
        sections=(Section(0, BRIEF_TITLE, tuple(s.text for s in summaries)),),
        source=service.article.source,
    )
    return PrecisService(
        article, service.provider, service.cache, source_lang=service.source_lang, prefetch=False
    )


def peek_brief(service: PrecisService, lang: str, length: Length) -> Output | None:
    """The brief if it and every section summary it needs are cached; never computes."""
    summaries = _cached_summaries(service, length)
    if summaries is None:
        return None
    brief = _brief_service(service, summaries)
    try:
        return brief.peek(OutputKey(0, lang, SUMMARY, length))
    finally:
        brief.close()


def brief_sources(service: PrecisService, length: Length) -> tuple[str, ...] | None:
    """The section summaries a brief of `length` is made from, one per section, if
    they are all cached: the brief's support links point into them."""
    summaries = _cached_summaries(service, length)
    return None if summaries is None else tuple(s.text for s in summaries)


def make_brief(
    service: PrecisService,
    lang: str,
    length: Length,
    cancel: threading.Event | None = None,
    on_progress: Progress | None = None,
) -> Output | Failure:
    """The brief in `lang`: section summaries first (cached or computed), then their
    summary. Blocks; raises `Cancelled` when `cancel` is set (the part of the section
    summaries asked for then is still made, and cached). `on_progress` hears how many
    section summaries are done, a part at a time, then that the brief is written."""
    keys = _summary_keys(service, length)
    results: list[Output | Failure] = []
    step = max(service.batch_size, 1)
    start = 0
    while start < len(keys):
        if on_progress is not None:
            on_progress(f"section summaries {start} of {len(keys)}")
        # A part at a time, so that progress can be told; parts that come back at once
        # (cached, or extractive: milliseconds) grow, so a long article is not asked
        # for four sections at a time.
        began, end = time.monotonic(), min(start + step, len(keys))
        part = service.compute(keys[start:end], cancel)
        results.extend(part)
        start = end
        if any(isinstance(r, Failure) for r in part):
            break  # the brief cannot be made: say so now, not after every section
        took = time.monotonic() - began
        if took < QUICK_PART_S:
            step = min(step * 2, MAX_PART)
        elif took > SLOW_PART_S:
            step = max(step // 2, service.batch_size, 1)
    if on_progress is not None:
        on_progress("writing the brief")
    failed = [r for r in results if isinstance(r, Failure)]
    key = OutputKey(0, lang, SUMMARY, length)
    if failed:
        first = failed[0]
        return Failure(
            key,
            f"section {first.key.section + 1}: {first.message}",
            first.model_id,
            first.size_bytes,
        )
    summaries = [r for r in results if isinstance(r, Output)]
    with _brief_service(service, summaries) as brief:
        (output,) = brief.compute([key], cancel)
    return output


def brief_entry(
    service: PrecisService, lang: str, length: Length, cancel: threading.Event | None = None
) -> dict[str, Any]:
    """The brief as the export's JSON has it; raises PrecisError when it cannot be made."""
    result = make_brief(service, lang, length, cancel)
    if isinstance(result, Failure):
        raise PrecisError(f"the brief: {result.message}")
    return {
        "summary": result.text,
        "flags": [flag.to_dict() for flag in result.flags],
        "models": list(result.models),
    }
