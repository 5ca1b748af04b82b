"""Seq2SeqSummarizer on a tiny BART: the contracts, not the wording (random weights).

Every test that generates runs on both engines, transformers and CTranslate2
(`tiny_bart`, tests/engine_params.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from models.errors import Cancelled
from models.inference.budgets import summary_budget
from models.inference.decoding import DecodingPolicy
from models.inference.generate import Generated
from models.inference.loader import LoadedModel
from models.inference.seq2seq import Seq2SeqSummarizer, trim_unfinished
from models.types import Length, Summarizer

SENTENCES = [
    "The city council met on Monday to discuss the new budget for schools and roads.",
    "Scientists say the vaccine trial will take at least another eighteen months.",
    "Heavy rain caused flooding in several villages along the river on Sunday.",
    "The minister said the government would support small businesses during the crisis.",
    "Prices for food and energy rose sharply last year, according to official data.",
]
SECTION = " ".join(SENTENCES * 4)  # longer than the tiny 256-token window


@pytest.fixture
def summarizer(tiny_bart: LoadedModel) -> Seq2SeqSummarizer:
    return Seq2SeqSummarizer(tiny_bart)


def _tokens(loaded: LoadedModel, text: str) -> int:
    """Tokens of a generated text, without the "…" that marks a cut and the U+FFFD that
    stands for a byte the random model left unfinished (both re-tokenize as 3 bytes)."""
    text = text.removesuffix("…").replace("\ufffd", "")
    return len(loaded.tokenizer(text, add_special_tokens=False)["input_ids"])


def test_fits_the_protocol(summarizer: Seq2SeqSummarizer, tiny_bart: LoadedModel) -> None:
    assert isinstance(summarizer, Summarizer)
    assert summarizer.name == tiny_bart.name and summarizer.revision is None
    assert summarizer.extractive is False
    assert summarizer.languages == frozenset({"en"})


def test_settings_key_names_every_setting(tiny_bart: LoadedModel, engine: str) -> None:
    default = Seq2SeqSummarizer(tiny_bart)
    keys = {default.settings_key(length) for length in Length}
    assert len(keys) == 3
    same = Seq2SeqSummarizer(tiny_bart).settings_key(Length.SHORT)
    assert default.settings_key(Length.SHORT) == same
    four = Seq2SeqSummarizer(tiny_bart, decoding=DecodingPolicy(4))
    assert four.settings_key(Length.SHORT) not in keys
    # Outputs of the two engines are never mixed up: the key names the engine.
    assert '"precision":"fp32"' in same and f'"engine":"{engine}"' in same


def test_one_summary_per_text_in_one_batch(
    summarizer: Seq2SeqSummarizer,
    tiny_bart: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    calls = spy_generate(tiny_bart)
    texts = [" ".join(SENTENCES[:k]) for k in (1, 3, 2, 5)]
    out = summarizer.summarize(texts, Length.SHORT)
    assert len(out) == 4 and all(s.strip() for s in out)
    assert len(calls) == 1 and calls[0]["input_ids"].shape[0] == 4


def test_empty_text_gives_empty_summary(summarizer: Seq2SeqSummarizer) -> None:
    assert summarizer.summarize(["", "  \n"], Length.SHORT) == ["", ""]


def test_presets_ask_for_growing_lengths(
    summarizer: Seq2SeqSummarizer,
    tiny_bart: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    calls = spy_generate(tiny_bart)
    text = " ".join(SENTENCES)
    assert 100 <= _tokens(tiny_bart, text) <= summarizer.window  # one window, no chunking
    for length in Length:
        summarizer.summarize([text], length)
    asked = [c["max_new_tokens"] for c in calls]
    assert asked == sorted(asked) and len(set(asked)) == 3
    assert all(c["min_new_tokens"] >= 1 for c in calls)
    assert all(c["no_repeat_ngram_size"] == 3 for c in calls)


def test_short_input_gets_a_short_budget(
    summarizer: Seq2SeqSummarizer,
    tiny_bart: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    calls = spy_generate(tiny_bart)
    text = "Prices rose sharply."
    out = summarizer.summarize([text], Length.LONG)
    n = _tokens(tiny_bart, text)
    assert calls[0]["max_new_tokens"] <= n
    assert _tokens(tiny_bart, out[0]) <= n + 2


def test_long_section_is_chunked_and_its_summary_stays_short(
    tiny_bart: LoadedModel, spy_generate: Callable[[LoadedModel], list[dict[str, Any]]]
) -> None:
    words = " ".join(SENTENCES).split()
    section = " ".join(SENTENCES * (20_000 // len(words) + 1))
    assert len(section.split()) >= 20_000
    summarizer = Seq2SeqSummarizer(tiny_bart, batch_size=32)  # fewer decoder steps: faster
    chunks = summarizer.chunks(section, "en")
    assert len(chunks) > 10
    window = tiny_bart.max_input_tokens
    assert all(len(tiny_bart.tokenizer(c)["input_ids"]) <= window for c in chunks)
    calls = spy_generate(tiny_bart)
    out = summarizer.summarize([section], Length.SHORT)
    assert len(calls) > 1
    assert all(c["input_ids"].shape[1] <= window for c in calls)
    # The last pass is a short summary of at most one window, whatever the section's
    # length. (Re-tokenizing the tiny model's byte soup would not count its tokens.)
    assert out[0].strip()
    assert calls[-1]["input_ids"].shape[0] == 1
    assert calls[-1]["max_new_tokens"] <= summary_budget(Length.SHORT, window)[1]
    # Each level shrinks its input at least threefold.
    assert all(c["max_new_tokens"] <= max(8, window // 3) for c in calls[:-1])


def test_cancelled_before_the_call(summarizer: Seq2SeqSummarizer) -> None:
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        summarizer.summarize([SECTION], Length.SHORT, cancel=event)


def test_cancel_from_another_thread_stops_a_long_section(
    summarizer: Seq2SeqSummarizer,
    tiny_bart: LoadedModel,
    spy_generate: Callable[[LoadedModel], list[dict[str, Any]]],
) -> None:
    calls = spy_generate(tiny_bart)
    event = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            summarizer.summarize([SECTION * 20], Length.LONG, cancel=event)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    while not calls and worker.is_alive():
        worker.join(0.01)
    event.set()
    worker.join(30)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], Cancelled)
    assert len(calls) <= 2  # stopped in the first batch, not after all of them


def test_a_summary_cut_by_its_budget_loses_the_unfinished_sentence() -> None:
    cut = Generated("The council met. Prices rose. The minister said that", truncated=True)
    assert trim_unfinished(cut, "en") == "The council met. Prices rose."
    whole = Generated("The council met. Prices rose", truncated=False)
    assert trim_unfinished(whole, "en") == "The council met. Prices rose"
    single = Generated("The council met and", truncated=True)
    assert trim_unfinished(single, "en") == "The council met and…"  # the cut is marked
