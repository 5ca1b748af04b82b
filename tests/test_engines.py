"""Both inference engines, transformers and CTranslate2, through the same model layer.

The tiny models are converted by the real `TransformersConverter` in a child process
(once per session, into a temporary folder) and run through the same
`generate_texts` / `Seq2SeqSummarizer` / `Seq2SeqTranslator` code as transformers.
Unquantized, the two engines must write the same tokens. Tests of CTranslate2 skip
cleanly where its wheel is not installed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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

needs_ct2 = pytest.mark.skipif(not engines.ct2_installed(), reason="ctranslate2 not installed")
ENGINES = [TRANSFORMERS, pytest.param(CTRANSLATE2, marks=needs_ct2)]
TEXTS = [
    "The city council met on Monday to discuss the new budget for schools and roads.",
    "Prices for food and energy rose sharply last year, according to official data.",
    "The team won the championship.",
]


@pytest.fixture(scope="session")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture(scope="session")
def engine_loader(ct2_cache: Path) -> EngineLoader:
    return EngineLoader(ModelLoader(int8_cache=False), ct2_cache=ct2_cache)


LoadFn = Callable[[str, str], LoadedModel]


@pytest.fixture(scope="session")
def load(engine_loader: EngineLoader, tiny_models: dict[str, Path]) -> LoadFn:
    """load(kind, engine): a tiny model, unquantized, on `engine` (loaded once)."""

    def load_one(kind: str, engine: str) -> LoadedModel:
        loaded = engine_loader.load(
            tiny_models[kind],
            name=f"tiny-{kind}",
            revision=None,
            engine=engine,
            device="cpu",
            quantize=False,
        )
        assert engine_of(loaded) == engine, engine_loader.notes
        return loaded

    return load_one


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
def test_engines_write_the_same_tokens(load: LoadFn, kind: str, settings: Any) -> None:
    extra: dict[str, Any] = {}
    reference = load(kind, TRANSFORMERS)
    if kind == "multilingual":  # forced BOS: the target language token
        extra["forced_bos_token_id"] = reference.tokenizer.get_lang_id("de")
    # One text per batch: padding changes transformers' float rounding, and random
    # weights have near ties that rounding flips.
    outputs = {}
    for engine in (TRANSFORMERS, CTRANSLATE2):
        loaded = load(kind, engine)
        if kind == "multitarget":  # a sentence-initial target token, as opus-mt-en-zh
            tokenizer = PrefixingTokenizer(loaded.tokenizer, ">>deu<<")
            loaded = dataclasses.replace(loaded, tokenizer=tokenizer)
        outputs[engine] = generate_texts(
            loaded, TEXTS, [settings] * len(TEXTS), extra=extra, batch_size=1
        )
    assert outputs[CTRANSLATE2] == outputs[TRANSFORMERS]
    assert all(g.text for g in outputs[CTRANSLATE2])


@needs_ct2
def test_forced_tokens_and_budgets_reach_ctranslate2(
    load: LoadFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load("multilingual", CTRANSLATE2)
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
    load: LoadFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load("summarizer", CTRANSLATE2)
    calls = _spy_translate_batch(loaded, monkeypatch)
    settings = GenerationSettings(8, 8, num_beams=1, no_repeat_ngram_size=3)
    out = loaded.model.generate_ids([[0, 100, 101, 2]], settings.kwargs(), threading.Event())
    assert calls[0][1]["max_decoding_length"] == 7  # the 8th is the forced EOS
    assert out[0][0] == 2 and out[0][-1] == 2 and len(out[0]) == 1 + 8


# -- one model layer, both engines ----------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_summaries_one_per_text(load: LoadFn, engine: str) -> None:
    summarizer = Seq2SeqSummarizer(load("summarizer", engine), decoding="fast")
    out = summarizer.summarize([*TEXTS, ""], Length.SHORT)
    assert len(out) == 4 and all(out[:3]) and out[3] == ""


@pytest.mark.parametrize("engine", ENGINES)
def test_settings_key_names_the_engine_and_precision(load: LoadFn, engine: str) -> None:
    summarizer = Seq2SeqSummarizer(load("summarizer", engine))
    translator = Seq2SeqTranslator(load("translator", engine), "en", "de")
    for key in (summarizer.settings_key(Length.SHORT), translator.settings_key()):
        assert f'"engine":"{engine}"' in key and '"precision":"fp32"' in key


@needs_ct2
def test_cache_keys_of_the_two_engines_differ(load: LoadFn) -> None:
    keys = {
        Seq2SeqSummarizer(load("summarizer", e)).settings_key(Length.SHORT)
        for e in (
            TRANSFORMERS,
            CTRANSLATE2,
        )
    }
    assert len(keys) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_target_prefix_is_encoded_on_both_engines(load: LoadFn, engine: str) -> None:
    loaded = load("translator", engine)
    prefixed = dataclasses.replace(loaded, tokenizer=PrefixingTokenizer(loaded.tokenizer, ">>de<<"))
    expected = loaded.tokenizer.convert_ids_to_tokens(
        loaded.tokenizer(">>de<< " + TEXTS[2])["input_ids"]
    )
    seen: list[list[str]] = []
    real = loaded.model.generate

    def spy(input_ids: Any, **kwargs: Any) -> Any:
        seen.extend(loaded.tokenizer.convert_ids_to_tokens(row) for row in input_ids.tolist())
        return real(input_ids, **kwargs)

    object.__setattr__(prefixed, "model", _Patched(loaded.model, generate=spy))
    settings = GenerationSettings(6, 1, num_beams=1, no_repeat_ngram_size=4)
    generate_texts(prefixed, [TEXTS[2]], [settings])
    assert seen == [expected]


@pytest.mark.parametrize("engine", ENGINES)
def test_cancelled_before_a_batch(load: LoadFn, engine: str) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        Seq2SeqTranslator(load("translator", engine), "en", "de").translate(TEXTS, cancel=cancel)


@needs_ct2
def test_cancel_stops_greedy_decoding_inside_a_batch(load: LoadFn) -> None:
    loaded = load("summarizer", CTRANSLATE2)
    settings = GenerationSettings(200, 200, num_beams=1, no_repeat_ngram_size=0)
    cancel = threading.Event()
    cancel.set()  # the step callback sees it at the first token
    out = loaded.model.generate_ids([[0, 100, 101, 2]], settings.kwargs(), cancel)
    assert len(out[0]) < 10


@pytest.mark.parametrize("engine", ENGINES)
def test_degenerate_output_is_retried_with_safer_settings(
    load: LoadFn, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load("summarizer", engine)
    beams: list[int] = []
    real = loaded.model.generate

    def spy(*args: Any, **kwargs: Any) -> Any:
        beams.append(kwargs["num_beams"])
        return real(*args, **kwargs)

    flagged: list[str] = []

    def first_is_bad(output: str, source: str, **kwargs: Any) -> str | None:
        if not flagged:
            flagged.append(output)
            return "a repetition loop"
        return None

    spied = dataclasses.replace(loaded)
    object.__setattr__(spied, "model", _Patched(loaded.model, generate=spy))
    monkeypatch.setattr(generation, "degeneracy", first_is_bad)
    settings = GenerationSettings(8, 1, num_beams=1, no_repeat_ngram_size=3)
    out = generation.generate_checked(spied, TEXTS[:1], [settings], task="summary")
    assert beams == [1, 4] and out[0].failure is None and out[0].text


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


class _Patched:
    """`model` with some attributes replaced (a spy on `generate`)."""

    def __init__(self, model: Any, **replaced: Any) -> None:
        self._model = model
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


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
