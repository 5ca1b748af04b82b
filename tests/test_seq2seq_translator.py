"""Seq2SeqTranslator on tiny Marian and M2M100 models: layout, windows, languages.

Every test runs on both engines, transformers and CTranslate2 (`tiny_marian`,
`tiny_m2m`, tests/engine_params.py).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from engine_params import LoadTiny

from models.errors import Cancelled, ModelError
from models.inference import generate as generation
from models.inference import seq2seq
from models.inference.adapters import PrefixingTokenizer
from models.inference.generate import Generated
from models.inference.loader import LoadedModel
from models.inference.seq2seq import Seq2SeqTranslator
from models.types import Translator


@pytest.fixture
def loops_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny random translator writes "aaaa…" for every sentence, on both engines.
    Its retry (4 beams, repetition penalty 1.3) gets out of the loop on transformers,
    whose beam search applies the penalty to log-probabilities, and not on CTranslate2,
    which applies it to logits (as transformers' greedy search does). Tests of layout,
    windows and batching take the loop as an output; the degenerate-output guard and
    its retry are tested on both engines in tests/test_generation.py."""
    real = generation.degeneracy

    def judge(output: str, source: str, **kwargs: Any) -> str | None:
        reason = real(output, source, **kwargs)
        return None if reason == "a repetition loop" else reason

    monkeypatch.setattr(generation, "degeneracy", judge)


PARAGRAPHS = [
    "The city council met on Monday. It discussed the new budget for schools and roads.",
    "Heavy rain caused flooding in several villages. Doctors warn that hospitals are full.",
    "The museum will reopen next month.",
]


def test_fits_the_protocol(tiny_marian: LoadedModel, engine: str) -> None:
    translator = Seq2SeqTranslator(tiny_marian, "en", "de")
    assert isinstance(translator, Translator)
    assert (translator.source_lang, translator.target_lang) == ("en", "de")
    assert translator.name == tiny_marian.name and translator.revision is None
    key = translator.settings_key()
    assert key == Seq2SeqTranslator(tiny_marian, "en", "de").settings_key()
    assert key != Seq2SeqTranslator(tiny_marian, "en", "de", decoding="fast").settings_key()
    # Outputs of the two engines are never mixed up: the key names the engine.
    assert '"precision":"fp32"' in key and f'"engine":"{engine}"' in key


@pytest.mark.usefixtures("loops_stand")
def test_keeps_paragraphs_and_batches_sentences(
    tiny_marian: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(tiny_marian)
    texts = ["\n\n".join(PARAGRAPHS), PARAGRAPHS[2], ""]
    out = Seq2SeqTranslator(tiny_marian, "en", "de").translate(texts)
    assert len(out) == 3
    assert [p for p in out[0].split("\n\n")] == [p for p in out[0].split("\n\n") if p.strip()]
    assert len(out[0].split("\n\n")) == 3
    assert out[1].strip() and "\n\n" not in out[1]
    assert out[2] == ""
    first_pass = [c for c in calls if c["repetition_penalty"] == 1.0]  # not the retries
    assert len(first_pass) == 1  # six sentences, one batch


@pytest.mark.usefixtures("loops_stand")
def test_sentences_are_translated_one_by_one(tiny_marian: LoadedModel) -> None:
    translator = Seq2SeqTranslator(tiny_marian, "en", "de", batch_size=1)
    first, second = PARAGRAPHS[0].split(". ", 1)
    alone = translator.translate([first + ".", second])
    together = translator.translate([PARAGRAPHS[0]])[0]
    assert together == " ".join(alone)


@pytest.mark.usefixtures("loops_stand")
def test_no_piece_exceeds_the_window(
    tiny_marian: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(tiny_marian)
    run_on = " ".join(["the council discussed the budget and the roads"] * 60)  # no full stop
    out = Seq2SeqTranslator(tiny_marian, "en", "de").translate([run_on + "\n\n" + PARAGRAPHS[2]])
    assert len(out[0].split("\n\n")) == 2
    lengths = [c["input_ids"].shape[1] for c in calls]
    assert max(lengths) <= tiny_marian.max_input_tokens
    assert sum(c["input_ids"].shape[0] for c in calls) >= 4  # the long one was cut


def test_cjk_targets_join_sentences_without_spaces(
    tiny_marian: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tiny model cannot write Chinese: stand in for generation, keep the assembly.
    def fake(loaded: LoadedModel, texts: list[str], settings: Any, **kwargs: Any) -> list:
        return [Generated(f"第{i}句。", truncated=False) for i in range(len(texts))]

    monkeypatch.setattr(seq2seq, "generate_checked", fake)
    out = Seq2SeqTranslator(tiny_marian, "en", "zh").translate(["\n\n".join(PARAGRAPHS[:2])])
    assert out == ["第0句。第1句。\n\n第2句。第3句。"]


def test_cancelled_translation(tiny_marian: LoadedModel) -> None:
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        Seq2SeqTranslator(tiny_marian, "en", "de").translate(PARAGRAPHS, cancel=event)


def test_multilingual_model_gets_source_and_forced_target(
    tiny_m2m: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = spy_generate(tiny_m2m)
    written = _spy_outputs(tiny_m2m.model, monkeypatch)
    translator = Seq2SeqTranslator(tiny_m2m, "fr", "de", forced_bos_lang="de")
    out = translator.translate([PARAGRAPHS[0]])
    de = tiny_m2m.tokenizer.get_lang_id("de")
    assert calls[0]["forced_bos_token_id"] == de
    # Each output starts with the decoder start token, then the forced target token.
    assert written and all(row[1] == de for rows in written for row in rows)
    assert tiny_m2m.tokenizer.src_lang == "fr"
    assert calls[0]["input_ids"][0, 0].item() == tiny_m2m.tokenizer.get_lang_id("fr")
    assert out[0].strip() and "__de__" not in out[0]
    assert '"forced_bos_lang":"de"' in translator.settings_key()


def test_unknown_target_language_is_a_model_error(tiny_m2m: LoadedModel) -> None:
    with pytest.raises(ModelError, match="no language token for 'xx'"):
        Seq2SeqTranslator(tiny_m2m, "en", "xx", forced_bos_lang="xx")


@pytest.mark.usefixtures("loops_stand")
def test_multi_target_model_gets_its_target_token_first(
    load_tiny: LoadTiny,
    engine: str,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    # As the provider builds a translator for opus-mt-en-zh: a `>>xx<<` token before
    # every sentence, counted in the window and named in the cache key.
    loaded = load_tiny("multitarget", engine)
    tokenizer = PrefixingTokenizer(loaded.tokenizer, ">>deu<<")
    prefixed = dataclasses.replace(loaded, tokenizer=tokenizer)
    calls = spy_generate(prefixed)
    translator = Seq2SeqTranslator(prefixed, "en", "de")
    out = translator.translate(["\n\n".join(PARAGRAPHS)])
    assert len(out[0].split("\n\n")) == 3
    target = loaded.tokenizer.convert_tokens_to_ids(">>deu<<")
    rows = [row for call in calls for row in call["input_ids"].tolist()]
    assert len(rows) >= 5 and all(row[0] == target for row in rows)
    assert '"prefix":">>deu<<"' in translator.settings_key()


def _spy_outputs(model: Any, monkeypatch: pytest.MonkeyPatch) -> list[list[list[int]]]:
    """The ids each later `model.generate` call returned, call by call."""
    written: list[list[list[int]]] = []
    real = model.generate

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        written.append(out.tolist())
        return out

    monkeypatch.setattr(model, "generate", spy)
    return written
