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
from typing import Any

from models.errors import PrecisError
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, Failure, Output, OutputKey
from models.service.scheduler import PrecisService
from models.types import Length

BRIEF_TITLE = "Brief"


def _summary_keys(service: PrecisService, length: Length) -> list[OutputKey]:
    return [
        OutputKey(i, service.source_lang, SUMMARY, length)
        for i in range(len(service.article.sections))
    ]


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
    summaries = [service.peek(key) for key in _summary_keys(service, length)]
    if not all(summaries):
        return None
    brief = _brief_service(service, [s for s in summaries if s is not None])
    try:
        return brief.peek(OutputKey(0, lang, SUMMARY, length))
    finally:
        brief.close()


def make_brief(
    service: PrecisService,
    lang: str,
    length: Length,
    cancel: threading.Event | None = None,
) -> Output | Failure:
    """The brief in `lang`: section summaries first (cached or computed), then their
    summary. Blocks; raises `Cancelled` when `cancel` is set."""
    results = service.compute(_summary_keys(service, length), cancel)
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
