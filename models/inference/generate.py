"""Running `generate()`: cancellation, batching, budget hits, and a guard against output
that is not a summary or a translation at all.

Generation is cooperative: a StoppingCriteria checks the caller's `threading.Event` after
every step, so a summary nobody wants any more stops within one decoder step.

Whether an output ran out of budget is judged from the number of tokens generated, not
from an end-of-sequence token: the real checkpoints set `forced_eos_token_id`
(distilbart-cnn 2, opus-mt 0), and transformers then writes EOS at the last allowed
position, so an output cut off mid-sentence ends with EOS like a finished one.

Small models sometimes loop ("the the the") or copy their input untranslated (judged in
`models.inference.degenerate`); such output is retried once with safer settings. An item
that is degenerate again is marked failed on its own (`Generated.failure`): the caller
decides, and the other items of the batch keep their outputs.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models.errors import Cancelled, GenerationError, one_line
from models.inference import lazy_torch as hf
from models.inference.budgets import DEFAULT_BATCH_SIZE, GenerationSettings
from models.inference.degenerate import degeneracy, is_kept_copy
from models.inference.loader import LoadedModel
from models.types import Task


@dataclass(frozen=True)
class Generated:
    text: str
    truncated: bool  # ran out of its token budget (an EOS forced at the end counts)
    failure: str | None = None  # why it is unusable (degenerate twice); None when fine
    kept_copy: bool = False  # a translation that is its input, rightly (names, numbers...)


def raise_failures(name: str, generated: Sequence[Generated]) -> None:
    """GenerationError naming the first failed item, if any item failed."""
    failed = [g for g in generated if g.failure]
    if failed:
        items = "" if len(generated) == 1 else f" ({len(failed)} of {len(generated)} inputs)"
        reason = failed[0].failure
        raise GenerationError(f"{name} produced {reason} twice{items}; try another model")


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
    detect: Callable[[str], str] | None = None,
) -> list[Generated]:
    """`generate_texts`, then one retry with `safer()` settings for degenerate output.

    Each item is judged on its own: one that is degenerate after the retry comes back
    with `failure` set (see `raise_failures`), the others with their text. `detect`
    (text -> language code) lets a translation that copies its input stand when the
    input is already in the target language. Raises `Cancelled` on cancel.
    """
    run: dict[str, Any] = {
        "cancel": cancel,
        "extra": extra,
        "batch_size": batch_size,
        "src_lang": src_lang,
    }
    out = generate_texts(loaded, texts, settings, **run)
    judge: dict[str, Any] = {
        "task": task,
        "source_lang": source_lang,
        "target_lang": target_lang,
        "detect": detect,
    }
    bad = [i for i, g in enumerate(out) if degeneracy(g.text, texts[i], **judge)]
    if bad:
        retried = generate_texts(
            loaded,
            [texts[i] for i in bad],
            [settings[i].safer() for i in bad],
            **run,
        )
        for i, again in zip(bad, retried, strict=True):
            reason = degeneracy(again.text, texts[i], **judge)
            out[i] = replace(again, failure=reason) if reason else again
    if task == Task.TRANSLATION:
        out = [
            replace(g, kept_copy=True)
            if not g.failure and is_kept_copy(g.text, texts[i], **judge)
            else g
            for i, g in enumerate(out)
        ]
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
            ids = output[row].tolist()
            results[i] = _decode(
                loaded, ids, settings[i].max_new_tokens, merged.max_new_tokens, extra
            )
    finally:
        loaded.lock.release()


def _decode(
    loaded: LoadedModel,
    ids: list[int],
    max_new: int,
    batch_max_new: int,
    extra: Mapping[str, Any] | None = None,
) -> Generated:
    """The text of one output row, cut to its own budget `max_new` (its batch ran
    with `batch_max_new`), and whether the budget cut it off."""
    tokenizer = loaded.tokenizer
    config = loaded.model.generation_config
    if loaded.is_encoder_decoder:
        ids = ids[1:]  # the decoder start token: not generated, not counted
    ending = _token_ids(config.eos_token_id)
    end = next((k for k, t in enumerate(ids) if t in ending), None)
    generated = end + 1 if end is not None else len(ids)  # tokens written, EOS included
    forced_eos = _token_ids(getattr(config, "forced_eos_token_id", None))
    truncated = (
        end is None
        or generated > max_new  # ran past its own budget: cut below
        # With a forced EOS, an EOS in the batch's last allowed position was put there
        # by transformers, not chosen by the model (it can be either: assume the cut).
        or (bool(forced_eos) and ids[end] in forced_eos and generated >= batch_max_new)
    )
    ids = ids[: min(end if end is not None else len(ids), max_new)]
    # Language tokens (m2m100's forced __de__) are not always registered as special.
    skip = set(getattr(tokenizer, "id_to_lang_token", {}) or {})
    forced = (extra or {}).get("forced_bos_token_id")
    if forced is not None:
        skip.add(forced)
    ids = [t for t in ids if t not in skip]
    text = tokenizer.decode(ids, skip_special_tokens=True).strip()
    return Generated(text=text, truncated=truncated)


def _token_ids(value: Any) -> set[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return {value}
    if isinstance(value, (list, tuple)):
        return {v for v in value if isinstance(v, int)}
    return set()


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
