"""One run of precis put together: the article, the cache, the models and the service.

The reader and the export build the same service from the same settings, which is
what makes `precis export` give the reader's results. The cache's warnings (a
corrupt file moved aside, a database that is not precis') stay on `service.cache`
for the caller to show: the reader before it starts, the export at its end. The
provider's conversion progress and engine fallbacks go to the service's listener.
"""

from __future__ import annotations

from models.cache.results import ResultCache
from models.ingest.sources import read_article
from models.service.llm_settings import uses_llm
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings


def open_service(
    settings: Settings,
    article_arg: str | None,
    *,
    reader: bool,
    fallback: bool | None = None,
    read_anyway: bool = False,
) -> PrecisService:
    """Read the article and build the service for it.

    The reader prefetches the next sections; `fallback` (default: on for the reader)
    lets a missing summarizer fall back to extractive summaries.
    """
    article = read_article(
        article_arg,
        max_bytes=settings.max_input_bytes,
        timeout=settings.url_timeout_s,
        read_anyway=read_anyway,
    )
    cache = ResultCache(settings.cache_path, max_bytes=settings.cache_max_mb * 1024 * 1024)
    provider = ModelProvider(settings)
    # Server requests go `llm_concurrency` at a time, up to one batch of the service.
    batch = settings.llm_concurrency if uses_llm(settings) else None
    service = PrecisService(
        article,
        provider,
        cache,
        prefetch=reader,
        fallback_extractive=reader if fallback is None else fallback,
        batch_size=max(4, batch) if batch else None,
    )
    # CTranslate2 conversions report progress and fallbacks while a model loads: they
    # reach the service's listener as its own events do (the reader shows them).
    provider.set_listener(service.publish)
    return service
