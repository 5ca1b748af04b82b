"""Seq2SeqTranslator on tiny Marian and M2M100 models: layout, windows, languages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from models.errors import Cancelled, ModelError
from models.inference import seq2seq
from models.inference.generate import Generated
from models.inference.loader import LoadedModel
from models.inference.seq2seq import Seq2SeqTranslator
from models.types import Translator

PARAGRAPHS = [
    "The city council met on Monday. It discussed the new budget for schools and roads.",
    "Heavy rain caused flooding in several villages. Doctors warn that hospitals are full.",
    "The museum will reopen next month.",
]


def test_fits_the_protocol(marian: LoadedModel) -> None:
    translator = Seq2SeqTranslator(marian, "en", "de")
    assert isinstance(translator, Translator)
    assert (translator.source_lang, translator.target_lang) == ("en", "de")
    assert translator.name == marian.name and translator.revision is None
    key = translator.settings_key()
    assert key == Seq2SeqTranslator(marian, "en", "de").settings_key()
    assert key != Seq2SeqTranslator(marian, "en", "de", decoding="fast").settings_key()


def test_keeps_paragraphs_and_batches_sentences(
    marian: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(marian)
    texts = ["\n\n".join(PARAGRAPHS), PARAGRAPHS[2], ""]
    out = Seq2SeqTranslator(marian, "en", "de").translate(texts)
    assert len(out) == 3
    assert [p for p in out[0].split("\n\n")] == [p for p in out[0].split("\n\n") if p.strip()]
    assert len(out[0].split("\n\n")) == 3
    assert out[1].strip() and "\n\n" not in out[1]
    assert out[2] == ""
    first_pass = [c for c in calls if c["repetition_penalty"] == 1.0]  # not the retries
    assert len(first_pass) == 1  # six sentences, one batch


def test_sentences_are_translated_one_by_one(marian: LoadedModel) -> None:
    translator = Seq2SeqTranslator(marian, "en", "de", batch_size=1)
    first, second = PARAGRAPHS[0].split(". ", 1)
    alone = translator.translate([first + ".", second])
    together = translator.translate([PARAGRAPHS[0]])[0]
    assert together == " ".join(alone)


def test_no_piece_exceeds_the_window(
    marian: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(marian)
    run_on = " ".join(["the council discussed the budget and the roads"] * 60)  # no full stop
    out = Seq2SeqTranslator(marian, "en", "de").translate([run_on + "\n\n" + PARAGRAPHS[2]])
    assert len(out[0].split("\n\n")) == 2
    lengths = [c["input_ids"].shape[1] for c in calls]
    assert max(lengths) <= marian.max_input_tokens
    assert sum(c["input_ids"].shape[0] for c in calls) >= 4  # the long one was cut


def test_cjk_targets_join_sentences_without_spaces(
    marian: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tiny model cannot write Chinese: stand in for generation, keep the assembly.
    def fake(loaded: LoadedModel, texts: list[str], settings: Any, **kwargs: Any) -> list:
        return [Generated(f"第{i}句。", truncated=False) for i in range(len(texts))]

    monkeypatch.setattr(seq2seq, "generate_checked", fake)
    out = Seq2SeqTranslator(marian, "en", "zh").translate(["\n\n".join(PARAGRAPHS[:2])])
    assert out == ["第0句。第1句。\n\n第2句。第3句。"]


def test_cancelled_translation(marian: LoadedModel) -> None:
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        Seq2SeqTranslator(marian, "en", "de").translate(PARAGRAPHS, cancel=event)


def test_multilingual_model_gets_source_and_forced_target(
    m2m: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(m2m)
    translator = Seq2SeqTranslator(m2m, "fr", "de", forced_bos_lang="de")
    out = translator.translate([PARAGRAPHS[0]])
    de = m2m.tokenizer.get_lang_id("de")
    assert calls[0]["forced_bos_token_id"] == de
    assert m2m.tokenizer.src_lang == "fr"
    assert calls[0]["input_ids"][0, 0].item() == m2m.tokenizer.get_lang_id("fr")
    assert out[0].strip() and "__de__" not in out[0]
    assert '"forced_bos_lang":"de"' in translator.settings_key()


def test_unknown_target_language_is_a_model_error(m2m: LoadedModel) -> None:
    with pytest.raises(ModelError, match="no language token for 'xx'"):
        Seq2SeqTranslator(m2m, "en", "xx", forced_bos_lang="xx")
