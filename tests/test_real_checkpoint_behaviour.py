"""The facts of issue 11, each as a test on tiny models that carry the real checkpoints'
configuration fields (scripts/make_tiny_models.py): distilbart-cnn's config.json with its
forced BOS/EOS, 4 beams and length_penalty 2.0 and no generation_config.json; opus-mt's
generation config with forced EOS and 4 beams; m2m100's with 5 beams.

Fact 3 (pickle checkpoints) is in test_weights.py, fact 6 (int8 keeps lm_head) in
test_loader.py and test_int8_cache.py, facts 7 and 8 (catalog, NLLB, target tokens) in
test_catalog.py and test_provider.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models.cache.results import ResultCache
from models.inference import generate as generation
from models.inference import lazy_torch as hf
from models.inference.budgets import GenerationSettings
from models.inference.degenerate import degeneracy, is_kept_copy
from models.inference.generate import Generated, generate_checked, generate_texts
from models.inference.loader import LoadedModel
from models.inference.seq2seq import ELLIPSIS, Seq2SeqSummarizer, Seq2SeqTranslator
from models.ingest.article import Article, Section
from models.ingest.language import detect_language
from models.service.events import TRANSLATION, Failure, Output, OutputKey
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length, Task

SENTENCE = "The city council met on Monday to discuss the new budget for schools and roads."
SENTENCES = [
    SENTENCE,
    "Scientists say the vaccine trial will take at least another eighteen months.",
    "Heavy rain caused flooding in several villages along the river on Sunday.",
    "The minister said the government would support small businesses during the crisis.",
]
_ENDED = re.compile(r"[.!?。！？…»\"'”’)\]]$")


def _capture_outputs(monkeypatch: pytest.MonkeyPatch, loaded: LoadedModel) -> list[Any]:
    """The token ids `generate` returned, call by call."""
    outputs: list[Any] = []
    real = loaded.model.generate

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        outputs.append(out)
        return out

    monkeypatch.setattr(loaded.model, "generate", spy)
    return outputs


# -- fact 1: a forced EOS at the budget is a cut, not an end -------------------------------


def test_the_tiny_models_carry_the_real_generation_settings(
    bart: LoadedModel, marian: LoadedModel, m2m: LoadedModel, tiny_models: dict[str, Path]
) -> None:
    assert not (tiny_models["summarizer"] / "generation_config.json").exists()  # distilbart
    config = bart.model.generation_config
    assert (config.forced_bos_token_id, config.forced_eos_token_id) == (0, 2)
    assert (config.num_beams, config.length_penalty, config.no_repeat_ngram_size) == (4, 2.0, 3)
    config = marian.model.generation_config
    assert (config.forced_eos_token_id, config.num_beams) == (config.eos_token_id, 4)
    assert m2m.model.generation_config.num_beams == 5


def test_forced_eos_at_the_budget_counts_as_truncated(
    bart: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = _capture_outputs(monkeypatch, bart)
    [out] = generate_texts(bart, [SENTENCE], [GenerationSettings(5, 1)])
    ids = outputs[0][0].tolist()[1:]  # after the decoder start token
    # What the issue saw: five tokens, the last an EOS that transformers forced there.
    assert len(ids) == 5 and ids[-1] == bart.model.generation_config.forced_eos_token_id
    assert out.truncated


def test_an_eos_the_model_chose_before_the_budget_is_finished(
    bart: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = hf.torch()
    real = bart.model.generate
    word = bart.tokenizer(" council", add_special_tokens=False)["input_ids"][0]

    def early_end(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the real call runs; its ids are replaced by an early EOS
        return torch.tensor([[2, 0, word, word, 2, 1, 1]])

    monkeypatch.setattr(bart.model, "generate", early_end)
    [out] = generate_texts(bart, [SENTENCE], [GenerationSettings(6, 1)])
    assert not out.truncated and out.text.strip()


def test_summaries_cut_by_the_budget_never_pass_for_finished(
    bart: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = _capture_outputs(monkeypatch, bart)
    summarizer = Seq2SeqSummarizer(bart, decoding="fast")
    summaries = summarizer.summarize([" ".join(SENTENCES[:k]) for k in (1, 2, 4)], Length.SHORT)
    assert outputs, "generation ran"
    for summary in summaries:
        # Either a whole sentence, or the cut is marked.
        assert _ENDED.search(summary), summary


def test_translations_cut_by_the_budget_are_marked(marian: LoadedModel) -> None:
    translator = Seq2SeqTranslator(marian, "en", "de", decoding="fast")
    translator.output_limit = 4  # every sentence runs into its budget
    out = translator.translate(["\n\n".join(SENTENCES[:2])])[0]
    paragraphs = out.split("\n\n")
    assert len(paragraphs) == 2
    for paragraph in paragraphs:
        assert paragraph.endswith(ELLIPSIS) or _ENDED.search(paragraph), paragraph


# -- fact 2: one copied sentence does not fail a batch -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Castres: Caminati; Martial, Vialelle, Fickou, Nakarawa; Urdapilleta, Dupont, Kolbe.",
        "https://example.com/news/2020/04/16/global-solidarity?ref=home",
        "result = compute_total(items, tax_rate=0.2)",
        "Bayern München – Borussia Dortmund 2:1 (1:0)",
    ],
)
def test_copies_of_names_numbers_urls_and_code_stand(text: str) -> None:
    assert degeneracy(text, text, task=Task.TRANSLATION, source_lang="fr", target_lang="de") is None
    assert is_kept_copy(text, text, target_lang="de")


def test_a_quote_already_in_the_target_language_stands() -> None:
    quote = "Make America great again, he told the crowd."
    judge: dict[str, Any] = {"task": Task.TRANSLATION, "source_lang": "de", "target_lang": "en"}
    assert degeneracy(quote, quote, **judge) is not None  # without a detector: a copy
    assert degeneracy(quote, quote, detect=detect_language, **judge) is None
    assert is_kept_copy(quote, quote, detect=detect_language, **judge)
    # A German sentence left in German is still an untranslated copy.
    german = "Der Stadtrat traf sich am Montag, um den neuen Haushalt zu besprechen."
    reason = degeneracy(german, german, detect=detect_language, **judge)
    assert reason == "an untranslated copy of its input"


def test_one_degenerate_item_fails_alone(
    marian: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = generation.degeneracy
    bad = SENTENCES[2]

    def judge(output: str, source: str, **kwargs: Any) -> str | None:
        return "a repetition loop" if source == bad else real(output, source, **kwargs)

    monkeypatch.setattr(generation, "degeneracy", judge)
    settings = [GenerationSettings(24, 1)] * len(SENTENCES)
    out = generate_checked(marian, SENTENCES, settings, task=Task.TRANSLATION, target_lang="de")
    assert [g.failure for g in out] == [None, None, "a repetition loop", None]
    assert all(g.text.strip() for g in out)


def test_kept_copies_are_counted_per_text(
    marian: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    lineup = "Castres: Caminati; Martial, Vialelle, Fickou, Nakarawa; Urdapilleta, Dupont."

    def copying(loaded: Any, texts: Any, settings: Any, **kwargs: Any) -> list[Generated]:
        return [Generated(t if t == lineup else "Der Rat tagte.", False) for t in texts]

    monkeypatch.setattr(generation, "generate_texts", copying)
    translator = Seq2SeqTranslator(marian, "fr", "de")
    [first, second] = translator.translate_detailed([lineup + " " + SENTENCE, SENTENCE])
    assert first.kept_copies == 1 and lineup in first.text
    assert second.kept_copies == 0


def test_a_section_whose_translation_degenerates_fails_alone_in_the_service(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sections = tuple(
        Section(index=i, title=f"Part {i}", paragraphs=(text,)) for i, text in enumerate(SENTENCES)
    )
    article = Article(title="Test", sections=sections)
    real = generation.degeneracy

    def judge(output: str, source: str, **kwargs: Any) -> str | None:
        return "a repetition loop" if source == SENTENCES[1] else real(output, source, **kwargs)

    monkeypatch.setattr(generation, "degeneracy", judge)
    settings = Settings(
        summarizer="extractive",
        translator=str(tiny_models["translator"]),
        lang="de",
        offline=True,
        decoding="fast",
        cache_path=tmp_path / "cache.sqlite3",
    )
    service = PrecisService(
        article,
        ModelProvider(settings),
        ResultCache(settings.cache_path),
        source_lang="en",
        prefetch=False,
    )
    try:
        keys = [OutputKey(i, "de", TRANSLATION) for i in range(len(SENTENCES))]
        results = service.compute(keys)
    finally:
        service.close()
    assert isinstance(results[1], Failure) and "repetition loop" in results[1].message
    assert all(isinstance(results[i], Output) for i in (0, 2, 3)), results


# -- facts 4 and 5: beam search as the checkpoints; no n-gram blocking in translation ---------


def test_summaries_use_two_beams_and_the_checkpoints_length_penalty(
    bart: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    calls = spy_generate(bart)
    Seq2SeqSummarizer(bart).summarize([" ".join(SENTENCES)], Length.SHORT)
    first = calls[0]
    assert (first["num_beams"], first["length_penalty"], first["early_stopping"]) == (2, 2.0, True)
    assert first["no_repeat_ngram_size"] == 3
    calls.clear()
    Seq2SeqSummarizer(bart, decoding="fast").summarize([" ".join(SENTENCES)], Length.SHORT)
    assert calls[0]["num_beams"] == 1


def test_translations_use_the_checkpoints_beams_and_block_no_ngrams(
    marian: LoadedModel,
    m2m: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    calls = spy_generate(marian)
    Seq2SeqTranslator(marian, "en", "de").translate([SENTENCE])
    assert calls[0]["num_beams"] == 4  # opus-mt's generation config
    assert calls[0]["no_repeat_ngram_size"] == 0  # repeated names and phrases are faithful
    assert all(c["no_repeat_ngram_size"] == 0 for c in calls)  # retries included
    m2m_calls = spy_generate(m2m)
    Seq2SeqTranslator(m2m, "en", "de", forced_bos_lang="de").translate([SENTENCE])
    assert m2m_calls[0]["num_beams"] == 5  # m2m100_418M's
    calls.clear()
    Seq2SeqTranslator(marian, "en", "de", decoding="fast").translate([SENTENCE])
    assert calls[0]["num_beams"] == 1


def test_decoding_is_part_of_the_step_cache_keys(bart: LoadedModel, marian: LoadedModel) -> None:
    beam, fast = Seq2SeqSummarizer(bart), Seq2SeqSummarizer(bart, decoding="fast")
    assert beam.settings_key(Length.SHORT) != fast.settings_key(Length.SHORT)
    assert '"length_penalty":2.0' in beam.settings_key(Length.SHORT)
    assert (
        Seq2SeqTranslator(marian, "en", "de").settings_key()
        != Seq2SeqTranslator(marian, "en", "de", decoding="fast").settings_key()
    )


def test_kept_copies_are_said_in_the_output_note(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lineup = "Castres: Caminati; Martial, Vialelle, Fickou, Nakarawa; Urdapilleta, Dupont."
    real = generation.generate_texts

    def copy_the_lineup(loaded: Any, texts: Any, settings: Any, **kwargs: Any) -> list[Generated]:
        out = real(loaded, texts, settings, **kwargs)
        return [Generated(t, False) if t == lineup else g for t, g in zip(texts, out, strict=True)]

    monkeypatch.setattr(generation, "generate_texts", copy_the_lineup)
    sections = (
        Section(index=0, title="Teams", paragraphs=(lineup,)),
        Section(index=1, title="Council", paragraphs=(SENTENCE,)),
    )
    settings = Settings(
        summarizer="extractive",
        translator=str(tiny_models["translator"]),
        lang="de",
        offline=True,
        decoding="fast",
        cache_path=tmp_path / "cache.sqlite3",
    )
    service = PrecisService(
        Article(title="Test", sections=sections),
        ModelProvider(settings),
        ResultCache(settings.cache_path),
        source_lang="en",
        prefetch=False,
    )
    try:
        teams, council = service.compute([OutputKey(i, "de", TRANSLATION) for i in (0, 1)])
    finally:
        service.close()
    assert isinstance(teams, Output) and teams.text == lineup
    assert teams.note is not None and "1 sentence kept as written" in teams.note
    assert isinstance(council, Output) and not (council.note or "").startswith("1 sentence")
