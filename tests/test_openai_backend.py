"""The OpenAI-compatible backend against a real local server (tests/fake_openai.py).

Real HTTP on 127.0.0.1 through the real `openai` client: what precis sends, what it
makes of streamed and plain answers, each error as one line, concurrency,
cancellation, and that the API key reaches no cache, log, export or message.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.errors import Cancelled, ModelError
from models.inference.llm_roles import LLMSummarizer, LLMTranslator
from models.inference.openai_chat import DEFAULT_BASE_URL, OpenAIChat, is_loopback
from models.inference.prompts import PROMPT_VERSION, SUMMARY_MAX_TOKENS
from models.settings import Settings
from models.types import Length, Summarizer, Translator
from tests.fake_openai import DEFAULT_REPLY, FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-test-SECRET-4242"
SECTION = (
    "The city council met on Monday to discuss the new budget for schools and roads. "
    "The minister said the government would support small businesses during the crisis."
)
ARTICLE = """# Budget news

## Council

The city council met on Monday to discuss the new budget for schools and roads. The minister
said the government would support small businesses during the crisis. Teachers and parents
asked for clearer rules about the school year.

## Weather

Heavy rain caused flooding in several villages along the river on Sunday. Doctors warn that
hospitals are running out of beds as infections increase. A new bridge connects the two
halves of the old town for the first time.

## Sport

The team won the championship after a dramatic final match in the capital. Thousands of
people gathered in the square to celebrate the national holiday. Prices for food and energy
rose sharply last year, according to official data.
"""


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def backend(server: FakeOpenAI, **kwargs: object) -> OpenAIChat:
    options: dict[str, object] = {"base_url": server.base_url, "max_retries": 1, "timeout_s": 5}
    options.update(kwargs)
    return OpenAIChat(server.model, **options)  # type: ignore[arg-type]


# -- what is sent, what comes back ------------------------------------------------------


def test_summary_request_carries_model_section_language_and_budget(server: FakeOpenAI) -> None:
    summarizer = LLMSummarizer(backend(server))
    assert isinstance(summarizer, Summarizer)
    out = summarizer.summarize([SECTION], Length.MEDIUM, lang="en", target_lang="de")
    assert out == [DEFAULT_REPLY]
    (request,) = server.requests
    assert request["model"] == "test"
    assert request["max_tokens"] == SUMMARY_MAX_TOKENS[Length.MEDIUM]
    assert request["temperature"] == 0
    user = request["messages"][-1]
    assert user["role"] == "user" and SECTION in user["content"]
    assert "German" in user["content"] and "three sentences" in user["content"]
    assert request["messages"][0]["role"] == "system"
    assert not request.get("stream")


def test_translation_request_asks_for_a_faithful_translation(server: FakeOpenAI) -> None:
    translator = LLMTranslator(backend(server), "en", "fr")
    assert isinstance(translator, Translator)
    assert translator.translate([SECTION]) == [DEFAULT_REPLY]
    content = server.requests[0]["messages"][-1]["content"]
    assert "from English into French" in content and SECTION in content
    assert server.requests[0]["max_tokens"] > len(SECTION) // 4  # room for the whole text


def test_streamed_answer_reaches_the_callback_word_by_word(server: FakeOpenAI) -> None:
    seen: list[tuple[int, str]] = []
    summarizer = LLMSummarizer(backend(server))
    out = summarizer.summarize(
        ["first text here.", SECTION],
        Length.SHORT,
        target_lang="de",
        on_partial=lambda i, text: seen.append((i, text)),
    )
    assert out == [DEFAULT_REPLY, DEFAULT_REPLY]
    assert all(r["stream"] for r in server.requests)
    for index in (0, 1):
        texts = [t for i, t in seen if i == index]
        assert len(texts) == len(DEFAULT_REPLY.split())  # one call per streamed word
        assert all(b.startswith(a.rstrip()) for a, b in itertools.pairwise(texts))
        assert texts[-1] == DEFAULT_REPLY


def test_reasoning_and_preamble_are_cleaned_from_the_answer(server: FakeOpenAI) -> None:
    server.reply = "<think>The user wants German.</think>\nHere is the summary:\nDer Rat tagte."
    summarizer = LLMSummarizer(backend(server))
    assert summarizer.summarize([SECTION], Length.SHORT, target_lang="de") == ["Der Rat tagte."]
    streamed: list[str] = []
    out = summarizer.summarize(
        [SECTION], Length.SHORT, target_lang="de", on_partial=lambda _, t: streamed.append(t)
    )
    assert out == ["Der Rat tagte."]
    assert streamed and not any("think" in t or "Here is" in t for t in streamed)


def test_settings_key_names_prompt_version_and_server_but_not_the_key(
    server: FakeOpenAI,
) -> None:
    summarizer = LLMSummarizer(backend(server, api_key=KEY))
    key = summarizer.settings_key(Length.SHORT)
    assert f'"prompts":{PROMPT_VERSION}' in key and server.base_url in key
    assert KEY not in key and KEY not in repr(summarizer.backend)
    assert KEY not in repr(Settings(openai_api_key=KEY))


# -- errors: one line each --------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("401", "refused the API key (401)"),
        ("404", "has no model 'test' (404)"),
        ("500", "failed (500): The server had an error"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_server_errors_are_one_line(
    server: FakeOpenAI, mode: str, expected: str, stream: bool
) -> None:
    server.mode = mode
    chat = backend(server, api_key=KEY, max_retries=0)
    summarizer = LLMSummarizer(chat)
    partial = (lambda _i, _t: None) if stream else None
    with pytest.raises(ModelError) as info:
        summarizer.summarize([SECTION], Length.SHORT, target_lang="de", on_partial=partial)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert f"127.0.0.1:{server.port}" in message
    assert KEY not in message  # the 401 body echoes the key; the message must not


def test_connection_refused_and_timeout_are_one_line(server: FakeOpenAI) -> None:
    closed = OpenAIChat("test", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(ModelError, match=r"cannot reach .* 127\.0\.0\.1:9 \(connection refused\)"):
        LLMSummarizer(closed).summarize([SECTION], Length.SHORT)
    server.mode = "hang"
    slow = backend(server, timeout_s=0.5, max_retries=0)
    started = time.perf_counter()
    with pytest.raises(ModelError, match=r"did not answer within 0\.5 s"):
        LLMSummarizer(slow).summarize([SECTION], Length.SHORT)
    assert time.perf_counter() - started < 5


def test_429_waits_for_retry_after_then_succeeds(server: FakeOpenAI) -> None:
    server.mode, server.rate_limited, server.retry_after_s = "429", 1, 0.4
    started = time.perf_counter()
    out = LLMSummarizer(backend(server)).summarize([SECTION], Length.SHORT, target_lang="de")
    assert out == [DEFAULT_REPLY]
    assert len(server.requests) == 2
    assert server.times[1] - server.times[0] >= 0.35  # Retry-After honoured
    assert time.perf_counter() - started >= 0.35


def test_429_that_never_ends_is_one_line(server: FakeOpenAI) -> None:
    server.mode, server.rate_limited, server.retry_after_s = "429", 99, 0.05
    with pytest.raises(ModelError, match=r"still rate-limiting \(429\) after 1 retries"):
        LLMSummarizer(backend(server)).summarize([SECTION], Length.SHORT)


def test_stream_cut_midway_is_an_error_not_a_short_summary(server: FakeOpenAI) -> None:
    server.mode = "cut"
    seen: list[str] = []
    with pytest.raises(ModelError, match="cut off mid-way"):
        LLMSummarizer(backend(server)).summarize(
            [SECTION], Length.SHORT, on_partial=lambda _, t: seen.append(t)
        )
    assert seen  # half an answer was shown while it streamed, and then refused


# -- concurrency and cancellation -------------------------------------------------------


def test_requests_run_concurrency_at_a_time(server: FakeOpenAI) -> None:
    server.latency_s = 0.3
    texts = [f"{SECTION} Number {i}." for i in range(8)]
    started = time.perf_counter()
    out = LLMSummarizer(backend(server, concurrency=4)).summarize(texts, Length.SHORT)
    elapsed = time.perf_counter() - started
    assert out == [DEFAULT_REPLY] * 8
    assert server.max_active == 4
    assert elapsed < 8 * 0.3 * 0.6  # two waves of four, not eight one after another
    server.max_active = 0
    LLMSummarizer(backend(server, concurrency=1)).summarize(texts[:3], Length.SHORT)
    assert server.max_active == 1


def test_cancel_stops_the_stream(server: FakeOpenAI) -> None:
    server.reply = " ".join(["Wort"] * 200)
    server.token_delay_s = 0.02
    cancel = threading.Event()
    seen: list[str] = []

    def partial(_: int, text: str) -> None:
        seen.append(text)
        if len(seen) == 3:
            cancel.set()

    started = time.perf_counter()
    with pytest.raises(Cancelled):
        LLMSummarizer(backend(server)).summarize(
            [SECTION], Length.SHORT, cancel=cancel, on_partial=partial
        )
    assert time.perf_counter() - started < 2  # not the 4 s of the whole answer
    assert len(seen) <= 4


def test_cancel_before_start_sends_nothing(server: FakeOpenAI) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        LLMSummarizer(backend(server)).summarize([SECTION], Length.SHORT, cancel=cancel)
    assert server.requests == []


# -- privacy defaults and import cost ---------------------------------------------------


def test_default_server_is_loopback_and_status_names_the_server(server: FakeOpenAI) -> None:
    assert is_loopback(DEFAULT_BASE_URL)
    assert not is_loopback("https://api.example.com/v1")
    assert backend(server).describe() == f"openai:test @ 127.0.0.1:{server.port}"
    with pytest.raises(ModelError, match="base URL"):
        OpenAIChat("test", base_url="ftp://example.com")


def test_importing_the_backends_does_not_import_openai_or_torch() -> None:
    code = (
        "import sys; import models.inference.openai_chat, models.inference.llm_roles, "
        "models.inference.llm_spec, models.service.provider; "
        "print(sorted(m for m in ('openai', 'torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


# -- end to end: precis export against the server ---------------------------------------


def run_export(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    article = tmp_path / "article.md"
    article.write_text(ARTICLE, encoding="utf-8")
    env = {
        **os.environ,
        "PRECIS_CACHE": str(tmp_path / "cache.sqlite3"),
        "PRECIS_CONFIG": str(tmp_path / "none.toml"),
        "HF_HUB_OFFLINE": "1",
        "OPENAI_API_KEY": KEY,
        "PRECIS_LOG_DIR": str(tmp_path / "logs"),
    }
    env.pop("OPENAI_BASE_URL", None)
    args = ["export", str(article), "--summarizer", "openai:test", "--openai-base-url", url]
    args += ["--log-level", "debug"]  # the most the log file ever holds
    return subprocess.run(
        [sys.executable, "-m", "tui", *args, "--lang", "de", "--format", "json", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_export_summarizes_every_section_with_the_servers_text(tmp_path: Path) -> None:
    with FakeOpenAI(api_key=KEY) as server:
        result = run_export(tmp_path, server.base_url)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert [s["summary"] for s in data["sections"]] == [DEFAULT_REPLY] * 3
        assert data["models"] == ["openai:test"] and data["target_language"] == "de"
        assert len(server.requests) == 3
        assert all("German" in r["messages"][-1]["content"] for r in server.requests)
        assert {h["authorization"] for h in server.headers} == {f"Bearer {KEY}"}
        again = run_export(tmp_path, server.base_url)
        assert json.loads(again.stdout)["stats"]["from_cache"] == 3, (
            again.stdout[-300:],
            again.stderr,
        )
        assert len(server.requests) == 3  # the second run asked nothing
    cache_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite3*"))
    assert DEFAULT_REPLY.encode() in cache_bytes
    assert KEY.encode() not in cache_bytes
    assert KEY not in result.stdout + result.stderr + again.stdout + again.stderr
    logs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs").glob("*.log*"))
    assert "openai" in logs  # the client's debug records are there...
    assert KEY not in logs  # ...but never the key


def test_export_with_a_wrong_key_fails_in_one_line_without_the_key(tmp_path: Path) -> None:
    with FakeOpenAI(api_key="sk-the-right-one") as server:
        result = run_export(tmp_path, server.base_url)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the API key (401)" in lines[0], result.stderr
    assert KEY not in result.stderr and KEY not in result.stdout


def test_export_when_the_stream_or_server_fails_caches_nothing(tmp_path: Path) -> None:
    with FakeOpenAI(api_key=KEY, mode="500") as server:
        result = run_export(tmp_path, server.base_url)
    assert result.returncode != 0 and "(500)" in result.stderr
    path = tmp_path / "cache.sqlite3"
    if path.exists():
        with sqlite3.connect(path) as db:
            tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                rows = db.execute(f"select * from {table}").fetchall()
                assert DEFAULT_REPLY not in repr(rows)


def test_key_points_style_asks_for_bullets(server: FakeOpenAI) -> None:
    server.reply = "Key points:\n- Der Rat tagte.\n- Es regnete."
    summarizer = LLMSummarizer(backend(server), style="points")
    out = summarizer.summarize([SECTION], Length.MEDIUM, target_lang="de")
    assert out == ["- Der Rat tagte.\n- Es regnete."]
    assert "bullet points" in server.requests[0]["messages"][-1]["content"]
    assert summarizer.settings_key(Length.MEDIUM) != LLMSummarizer(backend(server)).settings_key(
        Length.MEDIUM
    )


def test_a_looping_answer_is_retried_once_then_refused(server: FakeOpenAI) -> None:
    server.reply = " ".join(["the"] * 40)
    with pytest.raises(ModelError, match="a repetition loop twice"):
        LLMSummarizer(backend(server)).summarize([SECTION], Length.SHORT)
    assert len(server.requests) == 2
    assert "frequency_penalty" not in server.requests[0]
    assert server.requests[1]["frequency_penalty"] > 0


def test_cancel_does_not_wait_for_a_slow_plain_answer(server: FakeOpenAI) -> None:
    server.latency_s = 3.0
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        LLMSummarizer(backend(server)).summarize([SECTION], Length.SHORT, cancel=cancel)
    assert time.perf_counter() - started < 1.5


def test_translator_openai_with_another_summarizer(server: FakeOpenAI, tmp_path: Path) -> None:
    """`--summarizer extractive --translator openai:test`: the server translates."""
    from models.cache.results import ResultCache
    from models.ingest.sources import read_article
    from models.service.events import SUMMARY, TRANSLATION, Output, OutputKey
    from models.service.provider import ModelProvider
    from models.service.scheduler import PrecisService

    article_path = tmp_path / "a.md"
    article_path.write_text(ARTICLE, encoding="utf-8")
    settings = Settings(
        summarizer="extractive",
        translator="openai:test",
        lang="de",
        openai_base_url=server.base_url,
        cache_path=tmp_path / "c.sqlite3",
    )
    service = PrecisService(
        read_article(str(article_path)),
        ModelProvider(settings),
        ResultCache(None, max_bytes=10_000_000),
        source_lang="en",
        prefetch=False,
    )
    try:
        keys = [OutputKey(i, "de", SUMMARY, Length.SHORT) for i in range(3)]
        keys.append(OutputKey(0, "de", TRANSLATION))
        outputs = service.compute(keys)
    finally:
        service.close()
    assert all(isinstance(o, Output) for o in outputs)
    assert [o.text for o in outputs if isinstance(o, Output)] == [DEFAULT_REPLY] * 4
    assert all("into German" in r["messages"][-1]["content"] for r in server.requests)
    assert service.provider.describe().split(" | ")[1] == "openai:test"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:8000", "must look like http://HOST:PORT/v1"),
        ("http://127.0.0.1:99999/v1", "must look like"),
        ("http://user:sk-in-url@127.0.0.1:8000/v1", "must not hold credentials"),
    ],
)
def test_a_bad_base_url_is_one_line_before_any_work(
    tmp_path: Path, url: str, expected: str
) -> None:
    result = run_export(tmp_path, url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("precis: ")
    assert expected in result.stderr and "sk-in-url" not in result.stderr
    assert not (tmp_path / "cache.sqlite3").exists()


def test_openai_config_table(tmp_path: Path) -> None:
    from models.settings import load_settings

    config = tmp_path / "config.toml"
    config.write_text(
        '[models]\nsummarizer = "openai:qwen2.5"\n\n[openai]\n'
        'base_url = "http://10.0.0.5:8000/v1"\napi_key = "sk-from-config"\n'
        'concurrency = 8\ntimeout_s = 30\ncontext_tokens = 8192\nstyle = "points"\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.summarizer == "openai:qwen2.5"
    assert settings.openai_base_url == "http://10.0.0.5:8000/v1"
    assert settings.openai_api_key == "sk-from-config"
    assert (settings.llm_concurrency, settings.llm_timeout_s) == (8, 30)
    assert (settings.llm_context_tokens, settings.llm_style) == (8192, "points")
    assert "sk-from-config" not in repr(settings)
