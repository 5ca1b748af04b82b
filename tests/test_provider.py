"""ModelProvider end to end with the tiny models: resolve, load once, build, chain.

Tiny models are installed into a temporary hub cache under real catalog ids, so the
catalog, the hub resolution and the loader run exactly as they do for real models.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from models.errors import ModelError, ModelMissingError
from models.hub import catalog
from models.hub import local_models as hub
from models.inference.adapters import ChainedTranslator, PrefixingTokenizer
from models.service.provider import ModelProvider
from models.settings import Settings
from models.types import Length, Summarizer, Translator

ROOT = Path(__file__).resolve().parents[1]
REV = "1111111111111111111111111111111111111111"
SENTENCES = ["The city council met on Monday to discuss the new budget for schools and roads."]
_BUILT: dict[str, Path] = {}


@pytest.fixture
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The shared tiny models (conftest's `tiny_models`), else built here once."""
    try:
        return request.getfixturevalue("tiny_models")
    except pytest.FixtureLookupError:
        pass
    if not _BUILT:
        spec = importlib.util.spec_from_file_location(
            "make_tiny_models", ROOT / "scripts" / "make_tiny_models.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _BUILT.update(module.build_tiny_models(tmp_path_factory.mktemp("tiny")))
    return dict(_BUILT)


@pytest.fixture(autouse=True)
def _hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider sets these in os.environ; monkeypatch puts them back afterwards.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


def install(cache: Path, model_id: str, folder: Path, revision: str = REV) -> Path:
    """Copy a saved model into the hub-cache layout under `model_id`."""
    repo = hub.repo_folder(model_id, cache)
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        data = path.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / path.name).symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision, encoding="utf-8")
    return snapshot


def settings(**changes: Any) -> Settings:
    return Settings(device="cpu", quantize=False, summarizer="extractive").replace(**changes)


def test_summarizer_from_the_hub_cache_is_loaded_once(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, "org/tiny-bart", tiny["summarizer"])
    provider = ModelProvider(settings(summarizer="org/tiny-bart"), cache_dir=tmp_path)
    # Before loading: the setting's decoding; beam search unless told "fast".
    assert provider.describe_summarizer().endswith("fp32 · beam 2")
    fast = ModelProvider(settings(summarizer="org/tiny-bart", decoding="fast"), cache_dir=tmp_path)
    assert fast.describe_summarizer().endswith("fp32 · greedy")
    first = provider.summarizer("en")
    assert provider.summarizer("en") is first
    assert isinstance(first, Summarizer) and type(first).__name__ == "Seq2SeqSummarizer"
    assert (first.name, first.revision, first.extractive) == ("org/tiny-bart", REV, False)
    assert len(provider.loader.loaded()) == 1
    (summary,) = first.summarize(SENTENCES, Length.SHORT, lang="en")
    assert isinstance(summary, str)
    assert provider.device_name() == "cpu"
    assert provider.describe().startswith("tiny-bart · ")
    assert provider.describe().endswith("fp32 · beam 2 | cpu")
    assert fast.summarizer("en").decoding.label == "greedy"  # type: ignore[attr-defined]


def test_extractive_setting_needs_no_model(tmp_path: Path) -> None:
    provider = ModelProvider(settings(), cache_dir=tmp_path)
    summarizer = provider.summarizer("de")
    assert summarizer is provider.extractive() and summarizer.extractive
    assert provider.describe_summarizer() == "extractive"
    # No summarizer to download, but translators still are.
    assert [s.model_id for s in provider.missing_models("de", "de")] == []
    assert [s.model_id for s in provider.missing_models("de", ["fr"])] == [
        "Helsinki-NLP/opus-mt-en-fr",
        "Helsinki-NLP/opus-mt-de-en",
    ]


def test_translator_from_the_flag_folder(tiny: dict) -> None:
    folder = str(tiny["translator"])
    provider = ModelProvider(settings(lang="de", translator=folder))
    translator = provider.translator("en", "de")
    assert provider.translator("en", "de") is translator
    assert isinstance(translator, Translator)
    assert type(translator).__name__ == "Seq2SeqTranslator"
    assert (translator.name, translator.revision) == (folder, None)
    assert (translator.source_lang, translator.target_lang) == ("en", "de")
    assert provider.translator_id("en", "de") == folder
    out = translator.translate(["One sentence.\n\nAnother paragraph here."])
    assert len(out) == 1 and out[0].count("\n\n") == 1


def test_pairs_without_english_chain_two_catalog_models(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, "Helsinki-NLP/opus-mt-de-en", tiny["translator"])
    install(tmp_path, "Helsinki-NLP/opus-mt-en-fr", tiny["translator"])
    provider = ModelProvider(settings(), cache_dir=tmp_path)
    chain = provider.translator("de", "fr")
    assert isinstance(chain, ChainedTranslator)
    assert chain.name == "Helsinki-NLP/opus-mt-de-en+Helsinki-NLP/opus-mt-en-fr"
    assert chain.revision == f"{REV}+{REV}"
    assert (chain.source_lang, chain.target_lang) == ("de", "fr")
    assert provider.translator_id("de", "fr") == chain.name
    # The English -> French hop is the same object when asked for on its own.
    assert provider.translator("en", "fr") is chain.hops[1]
    assert len(chain.translate(["Der Stadtrat traf sich am Montag."])) == 1
    # One load per model folder, although the two ids share the same files.
    assert len(provider.loader.loaded()) == 2


def test_a_missing_hop_fails_before_anything_loads(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, "Helsinki-NLP/opus-mt-de-en", tiny["translator"])
    provider = ModelProvider(settings(offline=True), cache_dir=tmp_path)
    started = time.monotonic()
    with pytest.raises(ModelMissingError) as info:
        provider.translator("de", "fr")
    assert time.monotonic() - started < 5
    assert info.value.model_id == "Helsinki-NLP/opus-mt-en-fr"
    assert info.value.size_bytes == catalog.MARIAN_SIZE
    assert "precis models pull Helsinki-NLP/opus-mt-en-fr" in str(info.value)
    assert provider.loader.loaded() == []
    with pytest.raises(ModelError):
        provider.translator("en", "xx")


def test_m2m100_gets_its_forced_language(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, catalog.M2M100_418M, tiny["multilingual"])
    provider = ModelProvider(settings(), cache_dir=tmp_path)
    translator: Any = provider.translator("en", "ja")
    assert translator.forced_bos_lang == "ja"
    assert '"forced_bos_lang":"ja"' in translator.settings_key()
    assert translator.name == catalog.M2M100_418M
    # A folder named in the config is recognised as m2m100 by its config.json.
    # (German, not Japanese: the tiny model's gibberish is in Latin script.)
    folder = str(tiny["multilingual"])
    provider = ModelProvider(settings(translators={"de": folder}), cache_dir=tmp_path)
    german: Any = provider.translator("en", "de")
    assert german.forced_bos_lang == "de"
    assert len(german.translate(SENTENCES)) == 1


def test_multi_target_marian_gets_its_language_token(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, "Helsinki-NLP/opus-mt-en-zh", tiny["multitarget"])
    provider = ModelProvider(settings(), cache_dir=tmp_path)
    translator: Any = provider.translator("en", "zh")
    tokenizer = translator.loaded.tokenizer
    assert isinstance(tokenizer, PrefixingTokenizer) and tokenizer.prefix == ">>cmn_Hans<<"
    plain = tokenizer._tokenizer("Hello there.")["input_ids"]
    ids = tokenizer("Hello there.")["input_ids"]
    assert ids[0] == tokenizer.convert_tokens_to_ids(">>cmn_Hans<<") and ids[1:] == plain
    # The translator, the status line and the cache key all know the decoding.
    assert translator.decoding.label == "beam 4"  # opus-mt's own generation config
    assert "opus-mt-en-zh · beam 4" in provider.describe()
    assert '"prefix":">>cmn_Hans<<"' in translator.settings_key()


def test_a_target_token_missing_from_the_vocabulary_is_a_clear_error(
    tiny: dict, tmp_path: Path
) -> None:
    # A model with one target (no >>id<< tokens) where the catalog expects one.
    install(tmp_path, "Helsinki-NLP/opus-mt-tc-big-en-pt", tiny["translator"])
    provider = ModelProvider(settings(), cache_dir=tmp_path)
    with pytest.raises(ModelError, match=r"has no token >>por<< in its vocabulary"):
        provider.translator("en", "pt")


def test_a_multi_target_override_finds_its_token_or_says_how_to_name_it(
    tiny: dict, tmp_path: Path
) -> None:
    folder = str(tiny["multitarget"])
    provider = ModelProvider(settings(translators={"de": folder}), cache_dir=tmp_path)
    german: Any = provider.translator("en", "de")
    assert german.loaded.tokenizer.prefix == ">>deu<<"  # found among the model's tokens
    named = ModelProvider(
        settings(translators={"de": folder}, translator_prefixes={"de": ">>por<<"}),
        cache_dir=tmp_path,
    )
    assert named.translator("en", "de").loaded.tokenizer.prefix == ">>por<<"  # type: ignore[attr-defined]
    korean = ModelProvider(settings(translators={"ko": folder}), cache_dir=tmp_path)
    with pytest.raises(ModelError, match=r"no target token for ko .*prefix = \">>id<<\""):
        korean.translator("en", "ko")


def test_prefixing_tokenizer_prefixes_every_text() -> None:
    seen: list[Any] = []

    class Stub:
        src_lang = "en"

        def __call__(self, text: Any, **kwargs: Any) -> Any:
            seen.append(text)
            return {"input_ids": []}

    wrapped = PrefixingTokenizer(Stub(), ">>ara<<")
    wrapped("one")
    wrapped(["two", "three"], padding=True)
    assert seen == [">>ara<< one", [">>ara<< two", ">>ara<< three"]]
    wrapped.src_lang = "de"  # attribute writes reach the real tokenizer
    assert wrapped._tokenizer.src_lang == "de"


def test_missing_models_lists_what_a_session_would_download(tiny: dict, tmp_path: Path) -> None:
    install(tmp_path, "Helsinki-NLP/opus-mt-en-de", tiny["translator"])
    provider = ModelProvider(
        settings(summarizer="sshleifer/distilbart-cnn-12-6"), cache_dir=tmp_path
    )
    missing = provider.missing_models("en", ["de", "ja", "original", "xx"])
    assert [s.model_id for s in missing] == ["sshleifer/distilbart-cnn-12-6", catalog.M2M100_418M]
    assert missing[0].approx_size_bytes == 1_220 * catalog.MB
    # A German article also needs the pivot into English.
    german = provider.missing_models("de", "en")
    assert "Helsinki-NLP/opus-mt-de-en" in [s.model_id for s in german]
    assert provider.require("Helsinki-NLP/opus-mt-en-de").revision == REV
    with pytest.raises(ModelMissingError):
        provider.require(missing[0])


def test_download_offline_is_a_clear_error_unless_already_there(tiny: dict, tmp_path: Path) -> None:
    provider = ModelProvider(settings(offline=True), cache_dir=tmp_path)
    with pytest.raises(ModelMissingError, match="is offline"):
        provider.download("Helsinki-NLP/opus-mt-en-de", lambda d, t: None, threading.Event())
    install(tmp_path, "Helsinki-NLP/opus-mt-en-de", tiny["translator"])
    provider.download("Helsinki-NLP/opus-mt-en-de", lambda d, t: None, threading.Event())


def test_description_says_when_the_summarizer_is_not_downloaded(tiny: dict, tmp_path: Path) -> None:
    absent = ModelProvider(Settings(offline=True), cache_dir=tmp_path / "empty-hub")
    assert absent.describe_summarizer() == "extractive (distilbart-cnn-12-6 not downloaded)"
    present = ModelProvider(Settings(summarizer=str(tiny["summarizer"]), offline=True))
    assert not present.describe_summarizer().startswith("extractive")


def test_an_nllb_override_gets_flores_codes_not_m2m100_ones(
    tiny: dict, tmp_path: Path, spy_generate: Any
) -> None:
    """facebook/nllb-200-* from a folder: its config says m2m_100, its tokenizer NLLB; the
    target token is "deu_Latn" (M2M100's "de" is no token of it) and the source "eng_Latn"."""
    folder = str(tiny["nllb"])
    provider = ModelProvider(settings(translators={"de": folder}), cache_dir=tmp_path)
    german: Any = provider.translator("en", "de")
    tokenizer = german.loaded.tokenizer
    assert german.forced_bos_lang == "deu_Latn"
    calls = spy_generate(german.loaded)
    [out] = german.translate([SENTENCES[0]])
    assert out.strip() and "deu_Latn" not in out
    assert calls[0]["forced_bos_token_id"] == tokenizer.convert_tokens_to_ids("deu_Latn")
    assert calls[0]["input_ids"][0, 0].item() == tokenizer.convert_tokens_to_ids("eng_Latn")
