"""Building the reader for pilot tests: one place for the app, the model sources the
service asks, and the small waits and lookups every reader test uses.

The reader runs against a real PrecisService and a real ResultCache; only the models
are stand-ins, and each stand-in says what it does to its text, so that a test can
know the output in advance. Imported by the reader's test modules (a plain module,
not a conftest: the builders take arguments, and their names are imported where used).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.pilot import Pilot

from models.cache.results import ResultCache
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.article import Article
from models.ingest.sources import read_article
from models.service.model_source import ModelSource
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Summarizer, Translator
from tui.app import PrecisApp
from tui.screens import ReaderScreen
from tui.widgets import OriginalView, OutputPane


def build_app(
    tmp_path: Path,
    provider: ModelSource,
    settings: Settings,
    *,
    article: Article | None = None,
    cache: ResultCache | None = None,
    prefetch: bool = False,
) -> PrecisApp:
    """The reader over `article` (default: the bundled sample, in English) with
    `provider`'s models; the cache is in memory unless one is given. Its state file
    and export go into `tmp_path`."""
    service = PrecisService(
        article or read_article(None),
        provider,
        cache or ResultCache(None, max_bytes=10_000_000),
        source_lang="en",
        prefetch=prefetch,
    )
    return PrecisApp(
        service, settings, state_path=tmp_path / "state.json", export_path=tmp_path / "out.md"
    )


class PrefixTranslator:
    """Marks each paragraph with its language (`template` names the paragraph `p`, the
    language `lang` and `LANG`); keeps paragraph breaks, so pairs can be checked."""

    revision = None

    def __init__(self, source: str, target: str, template: str = "{LANG}: {p}") -> None:
        self.name = f"prefix-{source}-{target}"
        self.source_lang, self.target_lang = source, target
        self.template = template

    def settings_key(self) -> str:
        return "prefix-v1"

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        lang = self.target_lang
        return [
            "\n\n".join(
                self.template.format(p=p, lang=lang, LANG=lang.upper()) for p in text.split("\n\n")
            )
            for text in texts
        ]


class StubSource:
    """The model source the service asks: `summarizer` for every language (default:
    the real extractive one), `translator(source, target)` when given (else asking
    for a translation fails the test), no downloads."""

    offline = True

    def __init__(
        self,
        settings: Settings,
        summarizer: Summarizer | None = None,
        translator: Callable[[str, str], Translator] | None = None,
        description: str = "test models",
    ) -> None:
        self.settings = settings
        self._summarizer = summarizer or ExtractiveSummarizer()
        self._translator = translator
        self._description = description

    def summarizer(self, lang: str) -> Summarizer:
        return self._summarizer

    def extractive(self) -> Summarizer:
        return ExtractiveSummarizer()

    def translator(self, source: str, target: str) -> Translator:
        if self._translator is None:
            raise AssertionError("no translation in these tests")
        return self._translator(source, target)

    def translator_id(self, source: str, target: str) -> str:
        return self._translator(source, target).name if self._translator else "none"

    def describe(self) -> str:
        return self._description

    def download(
        self, model_id: str, progress: Callable[[int, int | None], None], cancel: threading.Event
    ) -> None:
        raise AssertionError("no downloads in these tests")


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `condition` while the app runs; fail the test if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the reader")
        await pilot.pause(0.02)


def reader(app: PrecisApp) -> ReaderScreen:
    return app._reader


def pane(app: PrecisApp) -> OutputPane:
    return app._reader.query_one(OutputPane)


def view(app: PrecisApp) -> OriginalView:
    return app._reader.query_one(OriginalView)
