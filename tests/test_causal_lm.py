"""Local instruction-tuned causal LMs through the real loading and generation path.

A tiny random Qwen2-style chat LM (scripts/make_tiny_llm.py) is loaded by the provider
as precis would load Qwen2.5-Instruct: AutoModelForCausalLM, safetensors, the chat
template. Its output is gibberish, so these tests check contracts (one summary per
section, the prompt the model sees, the window, streaming, cancellation), not wording.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from models.errors import Cancelled, ModelError
from models.inference.causal_lm import CausalLMChat
from models.inference.llm_roles import LLMSummarizer, LLMTranslator
from models.inference.llm_spec import is_causal_lm_folder
from models.service.provider import ModelProvider
from models.settings import Settings
from models.types import Length, Summarizer, Translator

ROOT = Path(__file__).resolve().parents[1]
SECTION = (
    "The city council met on Monday to discuss the new budget for schools and roads. "
    "Heavy rain caused flooding in several villages along the river on Sunday."
)


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location(
        "make_tiny_llm", ROOT / "scripts/make_tiny_llm.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder: Path = module.build_tiny_llm(tmp_path_factory.mktemp("tiny-llm"))
    return folder


@pytest.fixture(scope="module")
def provider(tiny_llm: Path) -> ModelProvider:
    settings = Settings(summarizer=str(tiny_llm), device="cpu", quantize=False)
    return ModelProvider(settings)


def spy(backend: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    model = backend.loaded.model
    real = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "generate", generate)
    return calls


def test_tiny_llm_is_a_causal_lm_and_bart_is_not(
    tiny_llm: Path, tiny_models: dict[str, Path]
) -> None:
    assert is_causal_lm_folder(tiny_llm)
    assert not is_causal_lm_folder(tiny_models["summarizer"])
    assert not is_causal_lm_folder(tiny_llm / "missing")


def test_provider_summarizes_in_the_target_language_through_the_chat_template(
    provider: ModelProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    summarizer = provider.summarizer("en")
    assert isinstance(summarizer, LLMSummarizer) and isinstance(summarizer, Summarizer)
    assert summarizer.languages is None and summarizer.writes_target
    backend = summarizer.backend
    assert isinstance(backend, CausalLMChat)
    assert backend.loaded.model.__class__.__name__ == "Qwen2ForCausalLM"
    calls = spy(backend, monkeypatch)
    partials: list[tuple[int, str]] = []
    out = summarizer.summarize(
        [SECTION, ""],
        Length.SHORT,
        lang="en",
        target_lang="de",
        on_partial=lambda i, t: partials.append((i, t)),
    )
    assert len(out) == 2 and out[0].strip() and out[1] == ""
    assert 1 <= len(calls) <= 2  # one answer, or one retry after degenerate output
    prompt = backend.loaded.tokenizer.decode(calls[0]["input_ids"][0])
    assert "<|im_start|>system" in prompt and prompt.rstrip().endswith("<|im_start|>assistant")
    assert SECTION in prompt and "German" in prompt and "one sentence" in prompt
    assert calls[0]["max_new_tokens"] <= 96 and calls[0]["do_sample"] is False
    assert partials and {i for i, _ in partials} == {0}  # streamed, for the section only
    assert provider.describe_summarizer() == f"{Path(backend.name).name} · fp32"


def test_settings_key_has_prompt_version_and_precision(provider: ModelProvider) -> None:
    summarizer = provider.summarizer("en")
    short, long = summarizer.settings_key(Length.SHORT), summarizer.settings_key(Length.LONG)
    assert short != long and '"prompts":' in short and '"precision":"fp32"' in short


def test_the_llm_translates_too_for_any_pair(provider: ModelProvider) -> None:
    translator = provider.translator("en", "fr")
    assert isinstance(translator, LLMTranslator) and isinstance(translator, Translator)
    assert translator.backend is provider.summarizer("en").backend  # loaded once
    assert provider.translator_id("de", "ja") == provider.settings.summarizer
    assert provider.missing_models("en", ["de", "fr"]) == []
    out = translator.translate([SECTION, "Erster Absatz.\n\nZweiter Absatz."])
    assert len(out) == 2 and all(o.strip() for o in out)


def test_a_long_section_is_chunked_to_fit_the_window(
    provider: ModelProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    summarizer = provider.summarizer("en")
    backend = summarizer.backend
    calls = spy(backend, monkeypatch)
    long_text = " ".join(f"{SECTION} Item {i} was discussed at length." for i in range(40))
    window = backend.context_tokens()
    assert backend.count_tokens(long_text) > window
    try:
        out = summarizer.summarize([long_text], Length.SHORT, lang="en", target_lang="de")
    except ModelError as exc:  # random weights may not shorten: the contract is the message
        assert "shorten" in str(exc) or "twice" in str(exc)
    else:
        assert len(out) == 1 and out[0].strip()
    assert len(calls) >= 2  # chunk summaries before the final one
    for call in calls:
        total = call["input_ids"].shape[-1] + call["max_new_tokens"]
        assert total <= window


def test_cancel_stops_generation_at_once(
    provider: ModelProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    summarizer = provider.summarizer("en")
    cancel = threading.Event()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        summarizer.summarize(
            [SECTION],
            Length.LONG,
            target_lang="de",
            cancel=cancel,
            on_partial=lambda _i, _t: cancel.set(),
        )
    assert time.perf_counter() - started < 5
    assert not summarizer.backend.loaded.lock.locked()  # released for the next request


def test_pickle_only_and_template_less_folders_are_refused(tiny_llm: Path, tmp_path: Path) -> None:
    from models.inference.causal_lm import load_causal_lm

    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_llm, pickled)
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    with pytest.raises(ModelError, match="refusing pickle checkpoint"):
        load_causal_lm(str(pickled), pickled, device="cpu", quantize=False)
    plain = tmp_path / "plain"
    shutil.copytree(tiny_llm, plain)
    (plain / "chat_template.jinja").unlink()
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    loaded = load_causal_lm(str(plain), plain, device="cpu", quantize=False)
    with pytest.raises(ModelError, match="no chat template"):
        CausalLMChat(loaded)


def test_export_with_the_tiny_llm_summarizes_every_section(tiny_llm: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    article.write_text(
        "# News\n\n## One\n\n" + SECTION + "\n\n## Two\n\n" + SECTION.upper() + "\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PRECIS_CACHE": str(tmp_path / "c.sqlite3"),
        "PRECIS_CONFIG": str(tmp_path / "none.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    result = subprocess.run(
        [
            *(sys.executable, "-m", "tui", "export", str(article)),
            *("--summarizer", str(tiny_llm), "--lang", "de", "--format", "json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target_language"] == "de" and data["models"] == [str(tiny_llm)]
    assert len(data["sections"]) == 2
    assert all(s["summary"].strip() and not s["extractive"] for s in data["sections"])


def test_models_pull_llm_names_the_recommended_model_and_its_size(tmp_path: Path) -> None:
    from models.hub.commands import pull_targets
    from models.hub.llm_models import RECOMMENDED_LLM, RECOMMENDED_LLM_SIZE

    settings = Settings(summarizer=RECOMMENDED_LLM, offline=True)
    assert pull_targets("llm", settings) == [RECOMMENDED_LLM]
    provider = ModelProvider(settings, cache_dir=tmp_path / "empty-hub")
    # Not on disk: still known as an LLM, so nothing else (no pivot, no Marian) is asked.
    assert provider.is_llm(RECOMMENDED_LLM)
    missing = provider.missing_models("de", ["fr"])
    assert [(m.model_id, m.approx_size_bytes) for m in missing] == [
        (RECOMMENDED_LLM, RECOMMENDED_LLM_SIZE)
    ]
    with pytest.raises(ModelError, match="precis models pull"):
        provider.summarizer("de")


def test_the_service_streams_the_section_on_screen(provider: ModelProvider) -> None:
    from models.cache.results import ResultCache
    from models.ingest.article import Article, Section
    from models.service.events import SUMMARY, Output, OutputKey, Partial
    from models.service.scheduler import PrecisService

    long = f"{SECTION} {SECTION.upper()} Teachers and parents asked for clearer rules."
    article = Article("t", (Section(0, "", (long,)), Section(1, "", (SECTION,))))
    events: list[object] = []
    done = threading.Event()

    def listen(event: object) -> None:
        events.append(event)
        if isinstance(event, Output):
            done.set()

    cache = ResultCache(None, max_bytes=10_000_000)
    service = PrecisService(article, provider, cache, source_lang="en", prefetch=False)
    service.set_listener(listen)
    key = OutputKey(0, "de", SUMMARY, Length.SHORT)  # shorter than the section
    try:
        assert service.show(key) is None
        assert done.wait(120)
    finally:
        service.close()
    partials = [e for e in events if isinstance(e, Partial)]
    final = next(e for e in events if isinstance(e, Output))
    assert partials and all(p.key == key for p in partials)
    assert events.index(partials[0]) < events.index(final)
    assert final.text.strip() and not final.from_cache
    assert service.peek(key) is not None  # the finished text, cached
