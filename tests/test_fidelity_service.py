"""Flags and support links through the real service: computed with each output, cached
with it (real SQLite), and reported by the export's JSON."""

from __future__ import annotations

import codecs
import threading
from collections.abc import Sequence
from pathlib import Path

from reader_fixtures import StubSource

from models.cache.results import ResultCache
from models.fidelity.flags import NUMBER_FLAG
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.article import Article, Section
from models.service.events import SUMMARY, Output, OutputKey
from models.service.export import export_data
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length, Summarizer

PARAGRAPHS = (
    "The city council approved a budget of 11.3 billion euros on Tuesday. Mayor Anne Hidalgo "
    "said the money would pay for 1,500 social housing units.",
    "Critics said the plan came too late. The vote passed with 87 votes in favour.",
)


class AddsANumber:
    """A summarizer double that misquotes the section: it says 4 million where the
    section gives no such number, then repeats the section's last sentence."""

    name = "adds-a-number"
    revision = None
    extractive = False
    languages = None

    def settings_key(self, length: Length) -> str:
        return length.value

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        cancel: threading.Event | None = None,
    ) -> list[str]:
        return [f"The council spent 4 million euros. {t.split('. ')[-1]}" for t in texts]


def _article() -> Article:
    return Article(
        title="Budget",
        sections=(
            Section(index=0, title="", paragraphs=PARAGRAPHS[:1]),
            Section(index=1, title="Vote", paragraphs=PARAGRAPHS[1:]),
        ),
    )


def _service(tmp_path: Path, summarizer: Summarizer) -> PrecisService:
    settings = Settings(summarizer="adds-a-number", offline=True, cache_path=tmp_path / "c.db")
    cache = ResultCache(tmp_path / "c.db")
    return PrecisService(
        _article(), StubSource(settings, summarizer), cache, source_lang="en", prefetch=False
    )


def test_flags_and_support_are_computed_cached_and_exported(tmp_path: Path) -> None:
    key = OutputKey(0, "en", SUMMARY, Length.SHORT)
    with _service(tmp_path, AddsANumber()) as service:
        (output,) = service.compute([key])
        assert isinstance(output, Output)
        assert [(f.text, f.kind) for f in output.flags] == [("4 million euros", NUMBER_FLAG)]
        flag = output.flags[0]
        assert output.text[flag.start : flag.end] == "4 million euros"
        # The summary's second sentence repeats the section's second sentence.
        assert output.support[1] == (1,)
        data = export_data(service, lang="en", length=Length.SHORT)
    section = data["sections"][0]
    assert section["flags"] == [
        {"text": "4 million euros", "kind": "number", "start": flag.start, "end": flag.end}
    ]
    assert section["support"][1] == [1]
    assert section["sentences"][1].startswith("Mayor Anne Hidalgo said")
    from models.service.export import to_markdown

    assert "*check: 4 million euros not in the section*" in to_markdown(data)
    # A new run reads the flags from the cache file, with the output.
    with _service(tmp_path, AddsANumber()) as service:
        cached = service.peek(key)
    assert cached is not None and cached.from_cache
    assert cached.flags == output.flags and cached.support == output.support


def test_an_extractive_summary_has_no_flags(tmp_path: Path) -> None:
    with _service(tmp_path, ExtractiveSummarizer()) as service:
        outputs = service.compute([OutputKey(i, "en", SUMMARY, Length.MEDIUM) for i in (0, 1)])
    for output in outputs:
        assert isinstance(output, Output)
        assert output.flags == ()
        assert all(len(links) >= 1 for links in output.support)


class Tagged:
    """A translator double that tags each paragraph with its target language; into
    German it also applies rot13, so that the German text shares no n-grams with the
    section and only the pivot can link it."""

    revision = None

    def __init__(self, source: str, target: str) -> None:
        self.name = f"tag-{source}-{target}"
        self.source_lang, self.target_lang = source, target

    def settings_key(self) -> str:
        return "tag"

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        out = ["\n\n".join(f"<{self.target_lang}> {p}" for p in t.split("\n\n")) for t in texts]
        if self.target_lang == "de":
            out = [codecs.encode(t, "rot13") for t in out]
        return out


class EnglishOnly(AddsANumber):
    """Summarizes English only, so a French section goes through the pivot."""

    name = "english-only"
    languages = frozenset({"en"})


def test_support_through_the_pivot_points_at_the_sections_own_sentences(tmp_path: Path) -> None:
    article = Article(
        title="Budget",
        sections=(
            Section(
                0,
                "",
                (
                    "Le conseil a voté le budget mardi. La séance a duré quatre heures.",
                    "Les travaux du pont commenceront en mai. Le maire est content.",
                ),
            ),
        ),
    )
    settings = Settings(summarizer="english-only", offline=True, cache_path=tmp_path / "c.db")
    service = PrecisService(
        article,
        StubSource(settings, EnglishOnly(), translator=Tagged),
        ResultCache(tmp_path / "c.db"),
        source_lang="fr",
        prefetch=False,
    )
    with service:
        (output,) = service.compute([OutputKey(0, "de", SUMMARY, Length.SHORT)])
    assert isinstance(output, Output)
    assert output.models == ("tag-fr-en", "english-only", "tag-en-de")
    # The summary's second sentence repeats the pivot's last: the section's sentence 3.
    assert output.support == ((), (3,))
