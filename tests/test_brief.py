"""The article brief: made from the section summaries through the real pipeline and
cache (real SQLite), cached, and remade when a section's summary changes."""

from __future__ import annotations

from pathlib import Path

from test_fidelity_service import Source
from test_search_reader import make_app, pane, ready, wait_for
from textual.widgets import Static

from models.cache.results import ResultCache
from models.inference.extractive import ExtractiveSummarizer
from models.ingest.article import Article, Section
from models.service.brief import make_brief, peek_brief
from models.service.events import Output
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length

SECTIONS = (
    "The council approved a budget of 11.3 billion euros on Tuesday. The vote was close. "
    "Opposition members walked out before the end.",
    "Mayor Anne Hidalgo promised 1,500 social homes by 2026. Builders welcomed the plan. "
    "Tenants groups asked for more.",
    "Critics said the city was already in debt. The auditor will report in March. "
    "The debt stands at 9 billion euros.",
)


def _service(tmp_path: Path, texts: tuple[str, ...] = SECTIONS) -> PrecisService:
    article = Article(
        title="Paris budget",
        sections=tuple(Section(i, f"Part {i}", (t,)) for i, t in enumerate(texts)),
    )
    settings = Settings(summarizer="extractive", offline=True, cache_path=tmp_path / "c.db")
    return PrecisService(
        article,
        Source(settings, ExtractiveSummarizer()),
        ResultCache(tmp_path / "c.db"),
        source_lang="en",
        prefetch=False,
    )


def test_the_brief_summarizes_the_section_summaries_and_is_cached(tmp_path: Path) -> None:
    with _service(tmp_path) as service:
        assert peek_brief(service, "en", Length.SHORT) is None
        brief = make_brief(service, "en", Length.SHORT)
        assert isinstance(brief, Output) and not brief.from_cache
        # Extractive: the brief is one of the section summaries' sentences.
        assert brief.text in " ".join(SECTIONS)
        assert brief.flags == ()
    with _service(tmp_path) as service:  # a new run: from the cache file
        cached = peek_brief(service, "en", Length.SHORT)
        assert cached is not None and cached.from_cache and cached.text == brief.text
        again = make_brief(service, "en", Length.SHORT)
        assert isinstance(again, Output) and again.from_cache


def test_a_changed_section_makes_a_new_brief(tmp_path: Path) -> None:
    with _service(tmp_path) as service:
        make_brief(service, "en", Length.SHORT)
    changed = (SECTIONS[0], SECTIONS[1], "An entirely new closing section. It says other things.")
    with _service(tmp_path, changed) as service:
        assert peek_brief(service, "en", Length.SHORT) is None  # its summaries changed
        brief = make_brief(service, "en", Length.SHORT)
        assert isinstance(brief, Output) and not brief.from_cache


async def test_b_shows_the_brief_in_the_reader_and_b_again_goes_back(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        section_summary = pane(app).body_text
        await pilot.press("b")
        title = pane(app).query_one("#output-title", Static)
        assert str(title.content).startswith("Brief · the whole article")
        await wait_for(pilot, lambda: pane(app).state == "output" and pane(app).body_text != "")
        await app.workers.wait_for_complete()
        await pilot.pause()
        brief = pane(app).body_text
        # The test summarizer misquotes: the brief of its summaries repeats its misquote,
        # which the section summaries (the brief's source) do state: no flag.
        assert brief.startswith("They spent 4 million euros.")
        cached = peek_brief(app.service, "en", Length.SHORT)  # it is the brief, now cached
        assert cached is not None and cached.text == brief
        assert pane(app).output is not None and pane(app).output.flags == ()
        await pilot.press("b")
        await wait_for(pilot, lambda: str(title.content).startswith("Summary"))
        assert pane(app).body_text == section_summary
    app.service.close()


def test_the_export_carries_the_brief_in_json_and_markdown(tmp_path: Path) -> None:
    from models.service.export import export_data, to_markdown

    with _service(tmp_path) as service:
        data = export_data(service, lang="en", length=Length.SHORT, brief=True)
        brief = make_brief(service, "en", Length.SHORT)
    assert isinstance(brief, Output)
    assert data["brief"] == {"summary": brief.text, "flags": [], "models": list(brief.models)}
    markdown = to_markdown(data)
    assert f"## Brief\n\n{brief.text}\n" in markdown
    with _service(tmp_path) as service:
        assert export_data(service, lang="en", length=Length.SHORT)["brief"] is None


def test_precis_export_brief_on_the_command_line(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    article = tmp_path / "budget.md"
    article.write_text(
        "# Paris budget\n\n"
        + "\n\n".join(f"## Part {i}\n\n{text}" for i, text in enumerate(SECTIONS)),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PRECIS_CACHE": str(tmp_path / "c.db"),
        "PRECIS_CONFIG": str(tmp_path / "none.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    args = ["export", "--summarizer", "extractive", "--format", "json", "--brief", str(article)]
    result = subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["brief"]["summary"] in " ".join(SECTIONS)
    assert data["brief"]["flags"] == []
    for section in data["sections"]:
        assert section["flags"] == []  # extractive: every sentence is the section's own
        assert all(links for links in section["support"])
