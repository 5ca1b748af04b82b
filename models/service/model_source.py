"""What the service needs from whoever provides its models: a typed seam.

`ModelProvider` is the real implementation; tests hand in small fakes. Typing the
seam (instead of `provider: object` plus `getattr`) lets mypy check every call the
pipeline and the scheduler make.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from models.settings import Settings
from models.types import Summarizer, Translator


class ModelSource(Protocol):
    """Hands out summarizers and translators and fetches missing models."""

    settings: Settings
    offline: bool

    def summarizer(self, lang: str) -> Summarizer: ...

    def extractive(self) -> Summarizer: ...

    def translator(self, source: str, target: str) -> Translator: ...

    def translator_id(self, source: str, target: str) -> str: ...

    def download(
        self,
        model_id: str,
        progress: Callable[[int, int | None], None],
        cancel: threading.Event,
    ) -> None: ...

    def describe(self) -> str: ...


@runtime_checkable
class EngineAware(Protocol):
    """A source whose models may run on another engine than the settings predict (a
    CTranslate2 conversion that failed: models.inference.engines). Output cache keys
    add its `engine_mark`, so outputs are keyed by the engine that made them."""

    def engine_mark(self, spec: str) -> str: ...
