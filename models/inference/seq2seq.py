"""Abstractive summaries and translations with transformers seq2seq models.

These adapt a `LoadedModel` (BART, Marian, M2M100, T5...) to the `Summarizer`
and `Translator` protocols. Both cut their input at sentence boundaries into
pieces that fit the model's window: a model never sees a truncated input, a
translation never drops the end of a paragraph, and a 20,000-word section gets
a summary as short as a 200-word one (chunks are summarized, then the summaries).

Decoding follows the checkpoint (`models.inference.decoding`): beam search with its
length_penalty by default, greedy with `decoding="fast"`. An output that ran out of
its token budget is cut back to its last complete sentence, or marked with "…" when
no complete sentence remains, so a cut-off text never passes for a finished one.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from models.errors import Cancelled, GenerationError, ModelError
from models.inference.adapters import PrefixingTokenizer
from models.inference.budgets import (
    DEFAULT_BATCH_SIZE,
    LONG_CAP,
    MEDIUM_BUDGET,
    MIN_NEW,
    RULES_VERSION,
    SHORT_BUDGET,
    SUMMARY_NO_REPEAT_NGRAM,
    GenerationSettings,
    summary_budget,
    summary_settings,
    translation_settings,
)
from models.inference.decoding import (
    Decoding,
    DecodingPolicy,
    checkpoint_decoding,
    summary_decoding,
    translation_decoding,
)
from models.inference.engines import engine_of
from models.inference.generate import Generated, generate_checked, raise_failures
from models.inference.loader import LoadedModel
from models.text import chunk_sentences, join_sentences, split_sentences
from models.types import Length, Task

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?。！？…»\"'”’)\]]\s*$")
# Each level of chunk summaries must shrink its input at least this much, and
# a section needs at most this many levels (3**12 windows is ~500M tokens).
_MAX_LEVELS = 12
ELLIPSIS = "…"


@dataclass(frozen=True)
class Translation:
    """One translated text, and how many of its sentences were kept as they were
    (names, numbers, quotes already in the target language)."""

    text: str
    kept_copies: int = 0


class _Windowed:
    """Token counting and sentence chunking against one model's window."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        tokenizer = loaded.tokenizer
        specials = tokenizer.num_special_tokens_to_add(pair=False)
        # The sum of sentence counts can miss a token or two where sentences are
        # joined (BPE merges across the space): keep a small margin.
        self.window = loaded.max_input_tokens - specials
        self.chunk_budget = max(1, self.window - max(2, self.window // 50))
        positions = getattr(loaded.model.config, "max_position_embeddings", None)
        self.output_limit = max(1, (positions or loaded.max_input_tokens) - 2)

    def count_tokens(self, text: str) -> int:
        return len(self.loaded.tokenizer(text, add_special_tokens=False)["input_ids"])

    def counter(self, sentences: Sequence[str]) -> Callable[[str], int]:
        """A token counter primed with one batched call for `sentences`."""
        counts: dict[str, int] = {}
        if sentences:
            ids = self.loaded.tokenizer(list(sentences), add_special_tokens=False)["input_ids"]
            counts = {s: len(i) for s, i in zip(sentences, ids, strict=True)}

        def count(text: str) -> int:
            if text not in counts:
                counts[text] = self.count_tokens(text)
            return counts[text]

        return count

    def chunks(self, text: str, lang: str) -> list[str]:
        """`text` cut at sentence boundaries into pieces that fit the window."""
        sentences = split_sentences(text, lang)
        return chunk_sentences(sentences, self.counter(sentences), self.chunk_budget, lang=lang)


class Seq2SeqSummarizer(_Windowed):
    """A `Summarizer` over an encoder-decoder model such as distilbart-cnn."""

    extractive = False

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        decoding: Decoding | DecodingPolicy = "beam",
        languages: frozenset[str] | None = frozenset({"en"}),
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        super().__init__(loaded)
        self.name = loaded.name
        self.revision = loaded.revision
        self.languages = languages
        self.decoding = (
            decoding
            if isinstance(decoding, DecodingPolicy)
            else summary_decoding(decoding, checkpoint_decoding(loaded.model.generation_config))
        )
        self.batch_size = batch_size

    @property
    def num_beams(self) -> int:
        return self.decoding.num_beams

    def settings_key(self, length: Length) -> str:
        return _key(
            kind="summary",
            rules=RULES_VERSION,
            length=Length(length).value,
            budget=[SHORT_BUDGET, MEDIUM_BUDGET, LONG_CAP, MIN_NEW[Length(length)]],
            num_beams=self.decoding.num_beams,
            length_penalty=self.decoding.length_penalty,
            no_repeat_ngram_size=SUMMARY_NO_REPEAT_NGRAM,
            precision=self.loaded.precision,
            engine=engine_of(self.loaded),
            window=self.window,
        )

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        cancel: threading.Event | None = None,
    ) -> list[str]:
        cancel = cancel or threading.Event()
        if cancel.is_set():
            raise Cancelled()
        results = ["" for _ in texts]
        counts = [self.count_tokens(t) if t.strip() else 0 for t in texts]
        fitting = [i for i, n in enumerate(counts) if 0 < n <= self.window]
        if fitting:
            outs = self._generate(
                [texts[i] for i in fitting],
                length,
                lang,
                cancel,
                tokens=[counts[i] for i in fitting],
            )
            for i, out in zip(fitting, outs, strict=True):
                results[i] = out
        for i, n in enumerate(counts):
            if n > self.window:
                results[i] = self._summarize_long(texts[i], n, length, lang, cancel)
        return results

    def _summarize_long(
        self, text: str, tokens: int, length: Length, lang: str, cancel: threading.Event
    ) -> str:
        # Chunk summaries are medium at least: one sentence per chunk loses too much
        # before the final pass picks what matters.
        chunk_length = Length.MEDIUM if length is Length.SHORT else length
        piece = text
        for _ in range(_MAX_LEVELS):
            if tokens <= self.window:
                break
            chunks = self.chunks(piece, lang)
            summaries = self._generate(chunks, chunk_length, lang, cancel, task=Task.CHUNK_SUMMARY)
            piece = join_sentences(summaries, lang)
            shrunk = self.count_tokens(piece)
            if shrunk >= tokens:
                raise GenerationError(f"{self.name}: chunk summaries do not shorten the section")
            tokens = shrunk
        else:
            raise GenerationError(f"{self.name}: section too long to summarize")
        _, max_new = summary_budget(length, tokens)
        if tokens > max_new:  # longer than asked: one more pass, so length stays bounded
            return self._generate([piece], length, lang, cancel, tokens=[tokens])[0]
        return piece

    def _generate(
        self,
        texts: Sequence[str],
        length: Length,
        lang: str,
        cancel: threading.Event,
        *,
        task: Task = Task.SUMMARY,
        tokens: Sequence[int] | None = None,
    ) -> list[str]:
        if tokens is None:
            tokens = [self.count_tokens(t) for t in texts]
        settings = [self.generation_settings(length, n, task=task) for n in tokens]
        generated = generate_checked(
            self.loaded,
            texts,
            settings,
            task=task,
            cancel=cancel,
            batch_size=self.batch_size,
        )
        raise_failures(self.name, generated)
        return [trim_unfinished(g, lang) for g in generated]

    def generation_settings(
        self, length: Length, input_tokens: int, *, task: Task = Task.SUMMARY
    ) -> GenerationSettings:
        """What one input of `input_tokens` tokens is generated with."""
        limit = self.output_limit
        if task is Task.CHUNK_SUMMARY:
            limit = min(limit, max(8, input_tokens // 3))  # each level shrinks >= 3x
        return summary_settings(length, input_tokens, decoding=self.decoding, output_limit=limit)


class Seq2SeqTranslator(_Windowed):
    """A `Translator` over Marian (one pair per model) or multilingual models.

    For M2M100/NLLB pass `forced_bos_lang` (the target's code in the model's own
    scheme: "de" for M2M100, "deu_Latn" for NLLB) and, where it differs from
    `source_lang`, `src_lang_code`. `detect` (text -> language code) lets a sentence
    already in the target language stand untranslated.
    """

    def __init__(
        self,
        loaded: LoadedModel,
        source_lang: str,
        target_lang: str,
        *,
        forced_bos_lang: str | None = None,
        src_lang_code: str | None = None,
        decoding: Decoding | DecodingPolicy = "beam",
        batch_size: int = DEFAULT_BATCH_SIZE,
        detect: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(loaded)
        self.name = loaded.name
        self.revision = loaded.revision
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.forced_bos_lang = forced_bos_lang
        self.decoding = (
            decoding
            if isinstance(decoding, DecodingPolicy)
            else translation_decoding(decoding, checkpoint_decoding(loaded.model.generation_config))
        )
        self.batch_size = batch_size
        self.detect = detect
        self._extra: dict[str, Any] = {}
        self._src_lang: str | None = None
        if forced_bos_lang is not None:
            self._extra["forced_bos_token_id"] = _lang_token_id(loaded, forced_bos_lang)
            if hasattr(loaded.tokenizer, "src_lang"):
                self._src_lang = src_lang_code or source_lang

    @property
    def num_beams(self) -> int:
        return self.decoding.num_beams

    def settings_key(self) -> str:
        return _key(
            kind="translation",
            rules=RULES_VERSION,
            num_beams=self.decoding.num_beams,
            length_penalty=self.decoding.length_penalty,
            no_repeat_ngram_size=0,
            precision=self.loaded.precision,
            engine=engine_of(self.loaded),
            forced_bos_lang=self.forced_bos_lang,
            src_lang=self._src_lang,
            prefix=_prefix_of(self.loaded.tokenizer),
            window=self.chunk_budget,
        )

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        return [t.text for t in self.translate_detailed(texts, cancel=cancel)]

    def translate_detailed(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[Translation]:
        """`translate`, with how many sentences of each text were rightly kept as is.

        Raises GenerationError when a sentence is degenerate after its retry."""
        cancel = cancel or threading.Event()
        if cancel.is_set():
            raise Cancelled()
        # layout[text][paragraph] = indices into `units`, the sentences (or the
        # window-sized pieces of an overlong one) translated one by one: Marian
        # was trained on sentence pairs and drops sentences from longer inputs.
        units: list[str] = []
        unit_tokens: list[int] = []
        layout: list[list[list[int]]] = []
        for text in texts:
            paragraphs = []
            for paragraph in _PARAGRAPH_BREAK.split(text):
                sentences = split_sentences(paragraph, self.source_lang)
                if not sentences:
                    continue
                count = self.counter(sentences)
                pieces = [
                    piece
                    for sentence in sentences
                    for piece in chunk_sentences(
                        [sentence], count, self.chunk_budget, lang=self.source_lang
                    )
                ]
                paragraphs.append(list(range(len(units), len(units) + len(pieces))))
                units.extend(pieces)
                unit_tokens.extend(count(piece) for piece in pieces)
            layout.append(paragraphs)
        settings = [self.generation_settings(n) for n in unit_tokens]
        generated = generate_checked(
            self.loaded,
            units,
            settings,
            task=Task.TRANSLATION,
            cancel=cancel,
            extra=self._extra,
            batch_size=self.batch_size,
            source_lang=self.source_lang,
            target_lang=self.target_lang,
            src_lang=self._src_lang,
            detect=self.detect,
        )
        raise_failures(self.name, generated)
        lang = self.target_lang
        return [
            Translation(
                "\n\n".join(
                    join_sentences([trim_unfinished(generated[k], lang) for k in paragraph], lang)
                    for paragraph in paragraphs
                ),
                sum(generated[k].kept_copy for paragraph in paragraphs for k in paragraph),
            )
            for paragraphs in layout
        ]

    def generation_settings(self, input_tokens: int) -> GenerationSettings:
        """What one sentence (or piece) of `input_tokens` tokens is generated with."""
        return translation_settings(
            input_tokens, decoding=self.decoding, output_limit=self.output_limit
        )


def trim_unfinished(generated: Generated, lang: str) -> str:
    """An output cut off by its token budget, back to its last complete sentence; when
    no complete sentence remains, the cut is marked with "…". Finished outputs and
    outputs that end a sentence are returned as they are."""
    text = " ".join(generated.text.split())
    if not generated.truncated or not text or _SENTENCE_END.search(text):
        return text
    sentences = split_sentences(text, lang)
    if len(sentences) > 1:
        return join_sentences(sentences[:-1], lang)
    return text + ELLIPSIS


def _prefix_of(tokenizer: Any) -> str | None:
    return tokenizer.prefix if isinstance(tokenizer, PrefixingTokenizer) else None


def _lang_token_id(loaded: LoadedModel, lang: str) -> int:
    tokenizer = loaded.tokenizer
    if hasattr(tokenizer, "get_lang_id"):  # M2M100: "de" -> id of "__de__"
        try:
            return int(tokenizer.get_lang_id(lang))
        except (KeyError, ValueError):
            pass
    token_id = tokenizer.convert_tokens_to_ids(lang)  # NLLB, mBART: "deu_Latn" is a token
    if not isinstance(token_id, int) or token_id == tokenizer.unk_token_id:
        raise ModelError(f"model {loaded.name} has no language token for {lang!r}")
    return token_id


def _key(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))
