"""Every bad input of the generated corpus, through ingestion and a real export.

Each case of tests/corpus.py goes through `read_article` and `export_data` with a
real service and the extractive summarizer, in process (fast); the huge files and
the URL cases that need a memory bound run in a subprocess whose peak RSS is
measured. A case either exports sane sections or is refused with one line; what
it must do is stated by the corpus, not chosen here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import corpus
import pytest

from models.cache.results import ResultCache
from models.errors import InputError
from models.ingest.sources import read_article
from models.service.export import export_data
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def export_in_process(path: str, tmp_path: Path, **read: float) -> dict:
    article = read_article(path, **read)  # type: ignore[arg-type]
    settings = Settings(summarizer="extractive", offline=True, cache_path=tmp_path / "c.db")
    with (
        ResultCache(None) as cache,
        PrecisService(
            article, ModelProvider(settings), cache, prefetch=False, fallback_extractive=False
        ) as service,
    ):
        return export_data(service)


@pytest.mark.parametrize("case", list(corpus.cases()), ids=lambda c: c.name)
def test_corpus_case(case: corpus.Case, tmp_path: Path) -> None:
    path = case.write(tmp_path)
    started = time.monotonic()
    try:
        data = export_in_process(str(path), tmp_path)
    except InputError as error:
        assert case.expect in ("refused", "either"), f"refused: {error}"
        corpus.check_refusal(str(error), case)
    else:
        assert case.expect in ("ok", "either"), f"not refused: {data['sections'][:1]}"
        corpus.check_export(data, case)
    assert time.monotonic() - started < 20


def test_scripts_and_iframes_never_reach_the_text(tmp_path: Path) -> None:
    for name in ("html-scripts-iframes", "html-no-article"):
        path = corpus.by_name(name).write(tmp_path)
        try:
            data = export_in_process(str(path), tmp_path)
        except InputError as error:
            corpus.check_refusal(str(error))
            continue
        text = "\n".join(corpus.strings(data))
        for leaked in ("document.write", "injected text", "alert(", "track()", "ads.example"):
            assert leaked not in text


def test_escapes_are_gone_and_their_text_stays(tmp_path: Path) -> None:
    data = export_in_process(str(corpus.by_name("escapes").write(tmp_path)), tmp_path)
    text = "\n".join(s["text"] for s in data["sections"])
    for i in range(len(corpus.ESCAPES)):
        assert f"after number {i}." in text
    assert "pwned" not in data["title"] or "\x07" not in data["title"]
    assert "ZXZpbA==" not in text  # the OSC 52 payload goes with its sequence


# -- huge files, in a subprocess with its memory measured ----------------------------------

PROBE = """
import json, sys
from corpus import peak_rss_kb
from models.errors import InputError
from models.ingest.sources import read_article
before = peak_rss_kb()
try:
    article = read_article(sys.argv[1])
    outcome = {"sections": len(article.sections),
               "paragraphs": sum(len(s.paragraphs) for s in article.sections)}
except InputError as error:
    outcome = {"refused": str(error)}
outcome["before_kb"] = before
outcome["peak_kb"] = peak_rss_kb()
print(json.dumps(outcome))
"""


def probe(path: Path | str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"},
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    if outcome["peak_kb"] is None:
        pytest.skip("no /proc/self/status VmHWM here to measure memory with")
    return outcome


def test_50_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    case = corpus.by_name("over-cap-50mb")
    path = case.write(tmp_path)
    assert path.stat().st_size > 50 * corpus.MB
    outcome = probe(path)
    corpus.check_refusal(outcome["refused"], case)
    assert "50 MB, over the 20 MB input limit" in outcome["refused"]
    # Reading even a fifth of the file would show: the refusal costs almost nothing.
    assert outcome["peak_kb"] - outcome["before_kb"] < 10 * 1024


def test_15_mb_is_parsed_in_bounded_memory(tmp_path: Path) -> None:
    path = corpus.by_name("under-cap-15mb").write(tmp_path)
    started = time.monotonic()
    outcome = probe(path)
    assert "refused" not in outcome, outcome
    assert outcome["sections"] > 1000 and outcome["paragraphs"] > outcome["sections"]
    assert outcome["peak_kb"] < 1536 * 1024  # 1.5 GB; about 100 MB in practice
    assert time.monotonic() - started < 30


# -- URLs, against a server on 127.0.0.1 ---------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with corpus.serve() as url:
        yield url


URL_CASES = [
    # (path, needle of the refusal, or "" for an article; most seconds it may take)
    ("/slow", "no answer within 0.5 s", 1.5),
    ("/hop0", "more than 5 redirects", 5),
    ("/404", "http 404", 5),
    ("/claims-2gb", "is 2048 mb, over the 20 mb input limit", 5),
    ("/forever", "is larger, over the 20 mb input limit", 15),
    ("/trickle", "no complete answer within 2 s", 4),
    ("/png", "serves image/png, not an article", 5),
    ("/escapes.html", "", 10),
]


@pytest.mark.parametrize(("path", "needle", "seconds"), URL_CASES, ids=[c[0] for c in URL_CASES])
def test_url_case(server: str, tmp_path: Path, path: str, needle: str, seconds: float) -> None:
    started = time.monotonic()
    if needle:
        with pytest.raises(InputError) as raised:
            export_in_process(server + path, tmp_path, timeout=0.5)
        corpus.check_refusal(str(raised.value))
        assert needle in str(raised.value).lower()
    else:
        data = export_in_process(server + path, tmp_path, timeout=0.5)
        corpus.check_export(data)
        text = "\n".join(corpus.strings(data))
        assert "[bold red]kept[/]" in text and "ZXZpbA==" not in text
    assert time.monotonic() - started < seconds


def test_a_server_streaming_forever_is_cut_off_in_bounded_memory(server: str) -> None:
    outcome = probe(f"{server}/forever")  # type: ignore[arg-type]
    assert "over the 20 MB input limit" in outcome["refused"]
    # At most the cap (20 MB) is held, plus the joined copy: never the stream.
    assert outcome["peak_kb"] - outcome["before_kb"] < 64 * 1024
