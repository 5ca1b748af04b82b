"""Running `generate()`: cancellation, batching, and a guard against output that is
not a summary or a translation at all.

Generation is cooperative: a
StoppingCriteria checks the caller's `threading.Event` after every step, so a
summary nobody wants any more stops within one decoder step. Small models
sometimes loop ("the the the") or copy their input untranslated (judged in
`models.inference.degenerate`); such output is retried once with safer settings, then
reported as a `GenerationError` rather than shown or cached.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models.errors import Cancelled, GenerationError, one_line
from models.inference import lazy_torch as hf
from models.inference.budgets import DEFAULT_BATCH_SIZE, GenerationSettings
from models.inference.degenerate import degeneracy
from models.inference.loader import LoadedModel
from models.types import Task


@dataclass(frozen=True)
class Generated:
    text: str
    truncated: bool  # stopped at max_new_tokens, not at end-of-sequence


def generate_checked(
    loaded: LoadedModel,
    texts: Sequence[str],
    settings: Sequence[GenerationSettings],
    *,
    task: Task,
    cancel: threading.Event | None = None,
    extra: Mapping[str, Any] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    source_lang: str | None = None,
    target_lang: str | None = None,
    src_lang: str | None = None,
) -> list[Generated]:
    """`generate_texts`, then one retry with `safer()` settings for degenerate output.

    Raises `GenerationError` when the retry is degenerate too, `Cancelled` on cancel.
    """
    run: dict[str, Any] = {
        "cancel": cancel,
        "extra": extra,
        "batch_size": batch_size,
        "src_lang": src_lang,
    }
    out = generate_texts(loaded, texts, settings, **run)
    langs = {"source_lang": source_lang, "target_lang": target_lang}
    bad = [i for i, g in enumerate(out) if degeneracy(g.text, texts[i], task=task, **langs)]
    if not bad:
        return out
    retried = generate_texts(
        loaded,
        [texts[i] for i in bad],
        [settings[i].safer() for i in bad],
        **run,
    )
    for i, again in zip(bad, retried, strict=True):
        reason = degeneracy(again.text, texts[i], task=task, **langs)
        if reason:
            raise GenerationError(f"{loaded.name} produced {reason} twice; try another model")
        out[i] = again
    return out


def generate_texts(
    loaded: LoadedModel,
    texts: Sequence[str],
    settings: Sequence[GenerationSettings],
    *,
    cancel: threading.Event | None = None,
    extra: Mapping[str, Any] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    src_lang: str | None = None,
) -> list[Generated]:
    """One output per text, in order. Texts are sorted by length and batched
    (less padding); a batch runs with its longest budget, and each output is
    then cut to its own. `src_lang` is set on multilingual tokenizers (M2M100)
    under the model's lock. Raises `Cancelled` when `cancel` is set."""
    if len(texts) != len(settings):
        raise ValueError("one GenerationSettings per text")
    cancel = cancel or threading.Event()
    order = sorted(range(len(texts)), key=lambda i: (settings[i].policy(), len(texts[i])))
    results: list[Generated | None] = [None] * len(texts)
    batch: list[int] = []
    for i in order:
        if batch and (
            len(batch) == batch_size or settings[batch[0]].policy() != settings[i].policy()
        ):
            _run_batch(loaded, texts, settings, batch, results, cancel, extra, src_lang)
            batch = []
        batch.append(i)
    if batch:
        _run_batch(loaded, texts, settings, batch, results, cancel, extra, src_lang)
    return [r for r in results if r is not None]


def _run_batch(
    loaded: LoadedModel,
    texts: Sequence[str],
    settings: Sequence[GenerationSettings],
    batch: list[int],
    results: list[Generated | None],
    cancel: threading.Event,
    extra: Mapping[str, Any] | None,
    src_lang: str | None,
) -> None:
    if cancel.is_set():
        raise Cancelled()
    first = settings[batch[0]]
    merged = replace(
        first,
        max_new_tokens=max(settings[i].max_new_tokens for i in batch),
        min_new_tokens=min(settings[i].min_new_tokens for i in batch),
    )
    torch = hf.torch()
    _acquire(loaded.lock, cancel)
    try:
        tokenizer = loaded.tokenizer
        if src_lang is not None:
            tokenizer.src_lang = src_lang  # shared tokenizer: only under the lock
        encoded = tokenizer(
            [texts[i] for i in batch],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=loaded.max_input_tokens,
        ).to(loaded.device)
        criteria = hf.transformers().StoppingCriteriaList([_cancel_criteria_class()(cancel)])
        try:
            with torch.inference_mode():
                output = loaded.model.generate(
                    **encoded, **merged.kwargs(), **(extra or {}), stopping_criteria=criteria
                )
        except Exception as exc:
            raise GenerationError(f"{loaded.name} failed to generate: {one_line(exc)}") from exc
        if cancel.is_set():
            raise Cancelled()
        for row, i in enumerate(batch):
            results[i] = _decode(loaded, output[row].tolist(), settings[i].max_new_tokens, extra)
    finally:
        loaded.lock.release()


def _decode(
    loaded: LoadedModel, ids: list[int], max_new: int, extra: Mapping[str, Any] | None
) -> Generated:
    tokenizer = loaded.tokenizer
    config = loaded.model.generation_config
    if loaded.is_encoder_decoder:
        ids = ids[1:]  # the decoder start token
    ending = (
        {config.eos_token_id}
        if isinstance(config.eos_token_id, int)
        else set(config.eos_token_id or [])
    )
    end = next((k for k, t in enumerate(ids) if t in ending), None)
    finished = end is not None and end <= max_new
    ids = ids[: min(end if end is not None else len(ids), max_new)]
    # Language tokens (m2m100's forced __de__) are not always registered as special.
    skip = set(getattr(tokenizer, "id_to_lang_token", {}) or {})
    forced = (extra or {}).get("forced_bos_token_id")
    if forced is not None:
        skip.add(forced)
    ids = [t for t in ids if t not in skip]
    text = tokenizer.decode(ids, skip_special_tokens=True).strip()
    return Generated(text=text, truncated=not finished)


def _acquire(lock: threading.Lock, cancel: threading.Event) -> None:
    while not lock.acquire(timeout=0.05):
        if cancel.is_set():
            raise Cancelled()


@functools.cache
def _cancel_criteria_class() -> type:
    base = hf.stopping_criteria_base()
    torch = hf.torch()

    class CancelCriteria(base):  # type: ignore[misc, valid-type]
        """Stops every sequence of the batch once `event` is set."""

        def __init__(self, event: threading.Event) -> None:
            self.event = event

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full(
                (input_ids.shape[0],),
                self.event.is_set(),
                dtype=torch.bool,
                device=input_ids.device,
            )

    return CancelCriteria


def __getattr__(name: str) -> Any:
    # `CancelCriteria` subclasses transformers' StoppingCriteria, so the class can
    # only exist once transformers is imported: built on first access.
    if name == "CancelCriteria":
        return _cancel_criteria_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
