"""Running a converted model on CTranslate2, the way the transformers engine runs it.

CTranslate2 is an inference runtime made for exactly these encoder-decoder models
(Argos Translate and faster-whisper use it): on CPU its int8 beam search is several
times faster than transformers' batched beam search, and a converted distilbart
loads in a fraction of a second at a quarter of the memory (scripts/bench.py measures both).

Everything around the runtime stays precis' own and shared with transformers:
the same tokenizer object (with its `>>xx<<` prefix and `src_lang`), sentence
splitting and chunking (`seq2seq`), length budgets and decoding settings
(`budgets`), batching, degenerate-output checks and retries, and decoding of the
output ids (`generate`). This module turns one batch's `GenerationSettings` into
CTranslate2's options so that the output is what transformers would produce:
the forced first token (`forced_bos_token_id`, e.g. M2M100's `__de__`) becomes
the target prefix, and a forced end (`forced_eos_token_id`) is placed where
transformers places it, at the last allowed position. With float32 weights the
greedy and beam outputs match transformers token for token (tests/test_engines.py).

Cancellation: greedy decoding stops within one step (CTranslate2's step callback);
beam search between batches.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.errors import ModelError, one_line
from models.inference import lazy_torch as hf
from models.inference.loader import LoadedModel, max_input_tokens

ENGINE = "ctranslate2"
# CTranslate2 compute types by the precision names precis shows.
PRECISION_OF = {"int8": "int8", "float32": "fp32", "float16": "fp16", "int8_float16": "int8-fp16"}
# transformers generate() arguments whose effect CTranslate2 reproduces by itself.
_IMPLIED = frozenset({"do_sample", "early_stopping"})


class Ct2Model:
    """What `LoadedModel.model` holds for this engine: the runtime, and the
    transformers configs that say how the checkpoint generates.

    Its `generate()` takes what transformers' `generate()` takes from
    `models.inference.generate` (the padded batch, the decoding arguments, the
    cancelling stopping criteria) and returns ids laid out as transformers returns
    them: the decoder start token, the generated tokens, EOS, padding. So batching,
    budget checks, retries and decoding stay one code path for both engines.
    """

    engine = ENGINE

    def __init__(
        self,
        translator: Any,
        tokenizer: Any,
        config: Any,
        generation_config: Any,
        compute_type: str,
        folder: Path,
    ) -> None:
        self.translator = translator  # ctranslate2.Translator
        self.tokenizer = tokenizer  # ids <-> the converted vocabulary's tokens
        self.config = config  # transformers PretrainedConfig of the snapshot
        self.generation_config = generation_config  # as transformers loads it
        self.compute_type = compute_type
        self.folder = folder  # the converted model
        self.vocabulary = _vocabulary(folder)

    def generate(
        self,
        input_ids: Any,
        attention_mask: Any = None,
        stopping_criteria: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Like `PreTrainedModel.generate` for an encoder-decoder model (a LongTensor)."""
        rows = input_ids.tolist()
        masks = attention_mask.tolist() if attention_mask is not None else None
        ids = [
            [t for t, keep in zip(row, masks[k], strict=True) if keep] if masks else row
            for k, row in enumerate(rows)
        ]
        cancel = _cancel_event(stopping_criteria)
        out = self.generate_ids(ids, kwargs, cancel)
        torch = hf.torch()
        pad = self.config.pad_token_id
        width = max(len(row) for row in out)
        padded = [row + [pad] * (width - len(row)) for row in out]
        return torch.tensor(padded, dtype=torch.long)

    def generate_ids(
        self, ids: Sequence[Sequence[int]], kwargs: Mapping[str, Any], cancel: threading.Event
    ) -> list[list[int]]:
        """Output ids (transformers' layout, unpadded) for input ids `ids`."""
        options, prefix, forced_eos = self._options(kwargs)
        start = self._decoder_start()
        if forced_eos is not None and options["max_decoding_length"] == 0:
            # One new token and a forced EOS: transformers writes the EOS alone.
            return [[start, forced_eos] for _ in ids]
        source = [self.tokenizer.convert_ids_to_tokens(list(row)) for row in ids]
        if options["beam_size"] == 1:
            options["callback"] = lambda _step: cancel.is_set()
        results = self.translator.translate_batch(
            source,
            target_prefix=[list(prefix)] * len(source) if prefix else None,
            return_end_token=True,
            **options,
        )
        eos = self._eos_ids()
        rows = []
        for result in results:
            out = [int(i) for i in self.tokenizer.convert_tokens_to_ids(result.hypotheses[0])]
            if forced_eos is not None and not set(out) & eos and not cancel.is_set():
                out.append(forced_eos)  # where transformers forces it: the last position
            rows.append([start, *out])
        return rows

    def _options(
        self, kwargs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], tuple[str, ...], int | None]:
        """(translate_batch options, target prefix tokens, forced EOS id or None)."""
        config = self.generation_config
        wanted = dict(kwargs)
        if wanted.pop("do_sample", False):
            raise ValueError("sampling is not supported on CTranslate2")
        forced_bos = wanted.pop("forced_bos_token_id", getattr(config, "forced_bos_token_id", None))
        forced_eos = wanted.pop("forced_eos_token_id", getattr(config, "forced_eos_token_id", None))
        max_new = int(wanted.pop("max_new_tokens"))
        min_new = int(wanted.pop("min_new_tokens", None) or 1)
        length_penalty = wanted.pop("length_penalty", getattr(config, "length_penalty", None))
        options: dict[str, Any] = {
            "beam_size": int(wanted.pop("num_beams", None) or 1),
            "no_repeat_ngram_size": int(wanted.pop("no_repeat_ngram_size", None) or 0),
            "repetition_penalty": float(wanted.pop("repetition_penalty", None) or 1.0),
            "length_penalty": float(length_penalty if length_penalty is not None else 1.0),
            "max_input_length": 0,  # the tokenizer already cut at the model's window
        }
        unknown = {k for k, v in wanted.items() if v is not None} - _IMPLIED
        if unknown:
            raise ValueError(f"CTranslate2 cannot apply {', '.join(sorted(unknown))}")
        # transformers counts a forced first token among the new tokens, and puts a
        # forced EOS at the last one: CTranslate2 writes the others, EOS is added after.
        length = max(0, max_new - (1 if forced_eos is not None else 0))
        options["max_decoding_length"] = length
        options["min_decoding_length"] = max(0, min(min_new, length))
        # A token missing from the converted vocabulary cannot be generated at all
        # (the Marian converter drops <pad>, which opus-mt lists as a bad word).
        bad = []
        for ids in getattr(config, "bad_words_ids", None) or []:
            tokens = self.tokenizer.convert_ids_to_tokens(list(ids))
            if all(t in self.vocabulary for t in tokens):
                bad.append(tokens)
        if bad:
            options["suppress_sequences"] = bad
        prefix: tuple[str, ...] = ()
        if forced_bos is not None:
            prefix = (str(self.tokenizer.convert_ids_to_tokens(int(forced_bos))),)
        return options, prefix, int(forced_eos) if forced_eos is not None else None

    def _decoder_start(self) -> int:
        for source in (self.generation_config, self.config):
            start = getattr(source, "decoder_start_token_id", None)
            if isinstance(start, int):
                return start
        raise ValueError("the model's config names no decoder start token")

    def _eos_ids(self) -> set[int]:
        eos = self.generation_config.eos_token_id
        if eos is None:
            eos = self.config.eos_token_id
        return {eos} if isinstance(eos, int) else set(eos or [])


def compute_type_for(device: str, quantize: bool) -> str:
    """int8 on CPU (float32 unquantized); float16 on CUDA, where `quantize` (dynamic
    int8, a CPU setting) changes nothing, as for transformers."""
    if device == "cpu":
        return "int8" if quantize else "float32"
    if device == "cuda":
        return "float16"
    raise ModelError(f"CTranslate2 does not run on {device}")


def load(
    snapshot: Path,
    converted: Path,
    *,
    name: str,
    revision: str | None,
    device: str,
    compute_type: str,
) -> LoadedModel:
    """The converted model with `snapshot`'s tokenizer and configs, as a LoadedModel.

    Raises `ModelError` with one line naming the model.
    """
    started = time.perf_counter()
    try:
        import ctranslate2  # ~0.1 s

        transformers = hf.transformers()  # the tokenizer's library: ~2 s with torch
        common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(snapshot), **common)
        config = transformers.AutoConfig.from_pretrained(str(snapshot), **common)
        generation_config = _generation_config(transformers, snapshot)
        translator = ctranslate2.Translator(
            str(converted),
            device=device,
            compute_type=compute_type,
            intra_threads=_threads(),
        )
    except Exception as exc:
        raise ModelError(f"cannot load model {name} on CTranslate2: {one_line(exc)}") from exc
    return LoadedModel(
        name=name,
        revision=revision,
        device=device,
        precision=PRECISION_OF.get(compute_type, compute_type),
        max_input_tokens=max_input_tokens(tokenizer, config),
        tokenizer=tokenizer,
        model=Ct2Model(translator, tokenizer, config, generation_config, compute_type, converted),
        load_seconds=time.perf_counter() - started,
    )


def _generation_config(transformers: Any, snapshot: Path) -> Any:
    # As transformers' from_pretrained: the snapshot's generation_config.json, else
    # one built from the raw config.json (distilbart-cnn has no generation config:
    # its forced BOS/EOS, beams and length_penalty live in config.json, and the
    # parsed config object no longer carries them in transformers v5).
    try:
        return transformers.GenerationConfig.from_pretrained(str(snapshot), local_files_only=True)
    except OSError:
        raw = json.loads((snapshot / "config.json").read_text(encoding="utf-8"))
        return transformers.GenerationConfig.from_model_config(raw)


def _vocabulary(folder: Path) -> frozenset[str]:
    """The tokens the converted model knows (its target vocabulary)."""
    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        path = folder / name
        if path.is_file():
            return frozenset(json.loads(path.read_text(encoding="utf-8")))
    for name in ("shared_vocabulary.txt", "target_vocabulary.txt"):
        path = folder / name
        if path.is_file():
            return frozenset(path.read_text(encoding="utf-8").splitlines())
    return frozenset()


def _threads() -> int:
    # As torch: OMP_NUM_THREADS when set (tests set 1), else one thread per CPU this
    # process may use (CTranslate2's own default is 4, too many on a 2-core machine).
    try:
        wanted = int(os.environ.get("OMP_NUM_THREADS", "0"))
    except ValueError:
        wanted = 0
    if wanted > 0:
        return wanted
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _cancel_event(criteria: Sequence[Any] | None) -> threading.Event:
    # generate's CancelCriteria carries the caller's event; CTranslate2 polls it at
    # every greedy step (its callback), and generate checks it after each batch.
    for item in criteria or ():
        event = getattr(item, "event", None)
        if isinstance(event, threading.Event):
            return event
    return threading.Event()
