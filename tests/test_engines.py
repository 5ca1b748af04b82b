"""What only CTranslate2 has, and what the two engines must share to the token.

The model-layer behaviours (chunking, prefixes and forced tokens, budgets, decoding,
cancellation, retries, cache keys) are tested on both engines by the summarizer,
translator, generation and loader tests (the `engine` fixture, tests/engine_params.py).
Here: unquantized, the engines write the same tokens; the options CTranslate2 is given;
conversion in its child process (kept, reused, cancelled, failed, fallen back from);
choosing the engine; the provider naming it. Tests of CTranslate2 skip cleanly where
its wheel is not installed.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
from engine_params import LoadTiny, needs_ct2

from models.errors import Cancelled, ModelError
from models.inference import ct2_convert, engines
from models.inference import generate as generation
from models.inference.adapters import PrefixingTokenizer
from models.inference.budgets import GenerationSettings
from models.inference.engines import CTRANSLATE2, TRANSFORMERS, EngineLoader, engine_of
from models.inference.generate import generate_texts
from models.inference.loader import LoadedModel, ModelLoader
from models.inference.seq2seq import Seq2SeqSummarizer, Seq2SeqTranslator
from models.types import Length

TEXTS = [
    "The city council met on Monday to discuss the new budget for schools and roads.",
    "Prices for food and energy rose sharply last year, according to official data.",
    "The team won the championship.",
]


# -- the same tokens from both engines ------------------------------------------------


@needs_ct2
@pytest.mark.parametrize("kind", ["summarizer", "translator", "multitarget", "multilingual"])
@pytest.mark.parametrize(
    "settings",
    [
        GenerationSettings(12, 12, num_beams=1, no_repeat_ngram_size=3),
        GenerationSettings(16, 1, num_beams=4, no_repeat_ngram_size=3),
        GenerationSettings(10, 4, num_beams=4, no_repeat_ngram_size=4, length_penalty=2.0),
    ],
    ids=["greedy", "beam4", "beam4-lp2"],
)
def test_engines_write_the_same_tokens(load_tiny: LoadTiny, kind: str, settings: Any) -> None:
    extra: dict[str, Any] = {}
    reference = load_tiny(kind, TRANSFORMERS)
    if kind == "multilingual":  # forced BOS: the target language token
        extra["forced_bos_token_id"] = reference.tokenizer.get_lang_id("de")
    # One text per batch: padding changes transformers' float rounding, and random
    # weights have near ties that rounding flips.
    outputs = {}
    for engine in (TRANSFORMERS, CTRANSLATE2):
        loaded = load_tiny(kind, engine)
        if kind == "multitarget":  # a sentence-initial target token, as opus-mt-en-zh
            tokenizer = PrefixingTokenizer(loaded.tokenizer, ">>deu<<")
            loaded = dataclasses.replace(loaded, tokenizer=tokenizer)
        outputs[engine] = generate_texts(
            loaded, TEXTS, [settings] * len(TEXTS), extra=extra, batch_size=1
        )
    assert outputs[CTRANSLATE2] == outputs[TRANSFORMERS]
    assert all(g.text for g in outputs[CTRANSLATE2])


@needs_ct2
@pytest.mark.parametrize("kind", ["summarizer", "translator", "multilingual", "nllb"])
def test_the_same_summaries_and_translations_at_the_default_decoding(
    load_tiny: LoadTiny, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The product's path: sentence splitting, chunk budgets, the checkpoint's beams and
    # length penalty, forced target tokens (M2M100 "de", NLLB "deu_Latn" from
    # "eng_Latn"). No retries: their repetition penalty differs in beam search
    # (tests/test_generation.py).
    monkeypatch.setattr(generation, "degeneracy", lambda *args, **kwargs: None)
    paragraphs = "\n\n".join([TEXTS[0] + " " + TEXTS[1], TEXTS[2]])
    outputs = {}
    for engine in (TRANSFORMERS, CTRANSLATE2):
        loaded = load_tiny(kind, engine)
        if kind == "summarizer":
            summarizer = Seq2SeqSummarizer(loaded, batch_size=1)
            outputs[engine] = [summarizer.summarize([paragraphs], n) for n in Length]
            continue
        languages: dict[str, Any] = {}
        if kind == "multilingual":
            languages = {"forced_bos_lang": "de"}
        elif kind == "nllb":
            languages = {"forced_bos_lang": "deu_Latn", "src_lang_code": "eng_Latn"}
        translator = Seq2SeqTranslator(loaded, "en", "de", batch_size=1, **languages)
        outputs[engine] = [translator.translate([paragraphs])]
    assert outputs[CTRANSLATE2] == outputs[TRANSFORMERS]
    assert all(text for texts in outputs[CTRANSLATE2] for text in texts)


@needs_ct2
@pytest.mark.parametrize("kind", ["summarizer", "translator", "multilingual"])
def test_a_one_token_budget_gives_the_same_ids(load_tiny: LoadTiny, kind: str) -> None:
    # With a forced EOS (distilbart, opus-mt) the one new token is that EOS.
    ids = {}
    for engine in (TRANSFORMERS, CTRANSLATE2):
        loaded = load_tiny(kind, engine)
        kwargs = GenerationSettings(1, 1).kwargs()
        if kind == "multilingual":
            kwargs["forced_bos_token_id"] = loaded.tokenizer.get_lang_id("de")
        encoded = loaded.tokenizer(TEXTS[:2], return_tensors="pt", padding=True)
        ids[engine] = loaded.model.generate(**encoded, **kwargs).tolist()
    assert ids[CTRANSLATE2] == ids[TRANSFORMERS]
    assert all(len(row) == 2 for row in ids[CTRANSLATE2])


@needs_ct2
def test_forced_tokens_and_budgets_reach_ctranslate2(
    load_tiny: LoadTiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_tiny("multilingual", CTRANSLATE2)
    calls = _spy_translate_batch(loaded, monkeypatch)
    de = loaded.tokenizer.get_lang_id("de")
    settings = GenerationSettings(9, 3, num_beams=2, no_repeat_ngram_size=4)
    generate_texts(loaded, TEXTS[:2], [settings] * 2, extra={"forced_bos_token_id": de})
    (source, options) = calls[0]
    assert options["target_prefix"] == [["__de__"], ["__de__"]]
    assert options["beam_size"] == 2 and options["no_repeat_ngram_size"] == 4
    # No forced EOS on this model: all nine new tokens are CTranslate2's to write.
    assert options["max_decoding_length"] == 9 and options["min_decoding_length"] == 3
    assert source[0][-1] == "</s>"  # the tokenizer's own special tokens, as transformers


@needs_ct2
def test_forced_eos_sits_at_the_last_position_as_in_transformers(
    load_tiny: LoadTiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_tiny("summarizer", CTRANSLATE2)
    calls = _spy_translate_batch(loaded, monkeypatch)
    settings = GenerationSettings(8, 8, num_beams=1, no_repeat_ngram_size=3)
    out = loaded.model.generate_ids([[0, 100, 101, 2]], settings.kwargs(), threading.Event())
    assert calls[0][1]["max_decoding_length"] == 7  # the 8th is the forced EOS
    assert out[0][0] == 2 and out[0][-1] == 2 and len(out[0]) == 1 + 8


@needs_ct2
def test_cache_keys_of_the_two_engines_differ(load_tiny: LoadTiny) -> None:
    keys = {
        Seq2SeqSummarizer(load_tiny("summarizer", e)).settings_key(Length.SHORT)
        for e in (TRANSFORMERS, CTRANSLATE2)
    }
    assert len(keys) == 2


# -- conversion --------------------------------------------------------------------


@needs_ct2
def test_conversion_is_kept_and_reused(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tiny_models["translator"]
    out = ct2_convert.converted_folder(tmp_path, "org/tiny", "abc123", folder, "int8")
    assert out.name.startswith("org--tiny-int8-")
    seen: list[tuple[int, int | None]] = []
    ct2_convert.ensure_converted(folder, out, "int8", progress=lambda d, t: seen.append((d, t)))
    assert ct2_convert.is_converted(out)
    size = (out / "model.bin").stat().st_size
    assert seen[-1] == (size, size)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no work folder left

    def no_child(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("converted again")

    monkeypatch.setattr(ct2_convert.subprocess, "Popen", no_child)
    assert ct2_convert.ensure_converted(folder, out, "int8") == out
    # Another quantization or revision is another folder.
    other = ct2_convert.converted_folder(tmp_path, "org/tiny", "def456", folder, "int8")
    assert other != out
    assert ct2_convert.converted_folder(tmp_path, "org/tiny", "abc123", folder, "float32") != out


@needs_ct2
def test_cancelled_conversion_leaves_nothing(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    out = tmp_path / "model"
    with pytest.raises(Cancelled):
        ct2_convert.ensure_converted(tiny_models["summarizer"], out, "int8", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


@needs_ct2
def test_failed_conversion_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bart"', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        ct2_convert.ensure_converted(broken, tmp_path / "out", "int8")
    message = str(caught.value)
    assert message.startswith("conversion failed: ") and "\n" not in message
    assert not (tmp_path / "out").exists()


@needs_ct2
def test_failed_conversion_falls_back_to_transformers_with_a_note(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Path:
        raise ModelError("conversion failed: out of disk")

    monkeypatch.setattr(ct2_convert, "ensure_converted", fail)
    loader = EngineLoader(ModelLoader(int8_cache=False), ct2_cache=tmp_path)
    loaded = loader.load(
        tiny_models["summarizer"],
        name="tiny",
        revision=None,
        engine="auto",
        device="cpu",
        quantize=False,
    )
    assert engine_of(loaded) == TRANSFORMERS and loaded.name == "tiny"
    assert loader.notes == [
        "tiny: CTranslate2 unavailable (conversion failed: out of disk); using transformers"
    ]


@needs_ct2
def test_unwritable_conversion_cache_falls_back_in_one_line(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    loader = EngineLoader(ModelLoader(int8_cache=False), ct2_cache=blocker / "ct2")
    loaded = loader.load(
        tiny_models["translator"], name="tiny", revision=None, device="cpu", quantize=False
    )
    assert engine_of(loaded) == TRANSFORMERS
    (note,) = loader.notes
    assert note.startswith("tiny: CTranslate2 unavailable (cannot write converted models to ")
    assert "\n" not in note


# -- choosing -----------------------------------------------------------------------


def test_choose_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "ct2_installed", lambda: True)
    assert engines.choose("auto", "cpu") == (CTRANSLATE2, None)
    assert engines.choose("auto", "cuda") == (TRANSFORMERS, None)
    assert engines.choose("auto", "cpu", cache_on=False) == (TRANSFORMERS, None)
    assert engines.choose("transformers", "cpu") == (TRANSFORMERS, None)
    assert engines.choose("ctranslate2", "cuda") == (CTRANSLATE2, None)
    engine, note = engines.choose("ctranslate2", "mps")
    assert engine == TRANSFORMERS and note == "CTranslate2 does not run on mps: using transformers"
    monkeypatch.setattr(engines, "ct2_installed", lambda: False)
    assert engines.choose("auto", "cpu") == (TRANSFORMERS, None)
    engine, note = engines.choose("ctranslate2", "cpu")
    assert engine == TRANSFORMERS and note is not None and "not installed" in note
    with pytest.raises(ModelError, match="unknown engine 'onnx'"):
        engines.choose("onnx", "cpu")


@needs_ct2
def test_provider_runs_and_names_the_engine(
    tiny_models: dict[str, Path], ct2_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.service.provider import ModelProvider
    from models.settings import Settings

    monkeypatch.setenv(ct2_convert.ENV, str(ct2_cache))
    settings = Settings(
        summarizer=str(tiny_models["summarizer"]),
        device="cpu",
        quantize=False,
        offline=True,
        decoding="fast",
        cache_path=tmp_path / "cache.sqlite3",
    )
    provider = ModelProvider(settings, loader=ModelLoader(int8_cache=False))
    assert "ctranslate2 fp32" in provider.describe_summarizer()  # before loading
    summarizer = provider.summarizer("en")
    assert summarizer.summarize([TEXTS[0]], Length.SHORT)[0]
    assert "ctranslate2 fp32" in provider.describe_summarizer()
    forced = ModelProvider(
        settings.replace(engine="transformers"), loader=ModelLoader(int8_cache=False)
    )
    assert "transformers fp32" in forced.describe_summarizer()


# -- helpers ------------------------------------------------------------------------


def _spy_translate_batch(
    loaded: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []
    model = loaded.model
    real = model.translator

    class Spy:
        def translate_batch(self, source: Any, **kwargs: Any) -> Any:
            calls.append((source, kwargs))
            return real.translate_batch(source, **kwargs)

    monkeypatch.setattr(model, "translator", Spy())
    return calls
