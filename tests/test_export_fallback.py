"""export_data in-process: the fallbacks the reader's `e` and `precis export` share.

Real service, real provider with an empty hub cache, real SQLite cache: no translator
is on disk, so an export to German gives the summaries in English and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.cache.results import ResultCache
from models.errors import ModelMissingError
from models.ingest.sources import read_article
from models.service.export import export_data, export_to_file, to_markdown
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    settings = Settings(
        summarizer="extractive", lang="de", offline=True, cache_path=tmp_path / "c.sqlite3"
    )
    cache = ResultCache(settings.cache_path)
    built = PrecisService(
        read_article(None), ModelProvider(settings), cache, source_lang="en", prefetch=False
    )
    yield built
    built.close()
    cache.close()


def test_missing_translator_gives_the_summaries_in_the_article_language(service) -> None:
    data = export_data(service, lang="de", length=Length.MEDIUM)
    assert data["requested_language"] == "de"
    assert data["target_language"] == data["source_language"] == "en"
    assert len(data["warnings"]) == 1
    warning = data["warnings"][0]
    assert warning.startswith("summaries in English, not German: ")
    assert "Helsinki-NLP/opus-mt-en-de" in warning and "\n" not in warning
    assert data["extractive"] is True
    assert all(s["summary"].strip() for s in data["sections"])
    # The same outputs as an export asked in English.
    english = export_data(service, lang="en", length=Length.MEDIUM)
    assert english["warnings"] == []
    assert [s["summary"] for s in english["sections"]] == [s["summary"] for s in data["sections"]]
    assert f"> Note: {warning}" in to_markdown(data)


def test_strict_raises_the_missing_translator(service) -> None:
    with pytest.raises(ModelMissingError) as caught:
        export_data(service, lang="de", strict=True)
    assert caught.value.model_id == "Helsinki-NLP/opus-mt-en-de"


def test_the_reader_export_file_carries_the_note(service, tmp_path: Path) -> None:
    path = export_to_file(service, tmp_path / "out.md", lang="de", length=Length.SHORT)
    text = path.read_text(encoding="utf-8")
    assert "> Note: summaries in English, not German: " in text
    assert "*Summaries (short) in en;" in text
