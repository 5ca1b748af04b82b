"""Local instruction-tuned causal LMs (Qwen2.5-Instruct and the like) as a chat backend.

A folder whose config names a `*ForCausalLM` is loaded with AutoModelForCausalLM
(safetensors only, no remote code, on the resolved device and precision, like the
seq2seq models in models.inference.loader), prompted through its tokenizer's chat
template, and decoded greedily. Generation streams: each new word goes to the
caller's callback as it is produced (a transformers `TextStreamer` in the generating
thread, no extra thread), and a StoppingCriteria on the caller's cancel event stops
it within one token.
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any

from models.errors import Cancelled, GenerationError, ModelError, one_line
from models.inference import generate as generation
from models.inference import lazy_torch as hf
from models.inference.chat import Completion, OnText
from models.inference.device import precision_for
from models.inference.loader import (
    LoadedModel,
    _check_folder,
    _check_vocab,
    _has_pickle,
    _missing,
    _pickle_refused,
    _prepare,
    _revision,
    max_input_tokens,
)
from models.inference.prompts import Prompt

# Context cap: a 32k window is there, but attention over it on a CPU takes minutes and
# GBs; sections longer than this are chunked instead.
MAX_CONTEXT = 8192


class CausalLMChat:
    """A `ChatBackend` over one loaded causal LM; one generation at a time."""

    concurrency = 1  # a second generation on the same cores only slows the first

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.name = loaded.name
        self.revision = loaded.revision
        if not getattr(loaded.tokenizer, "chat_template", None):
            raise ModelError(
                f"{loaded.name} has no chat template: it is not an instruction-tuned model"
            )
        self._window = min(MAX_CONTEXT, loaded.max_input_tokens)

    def settings_key(self) -> dict[str, Any]:
        return {"precision": self.loaded.precision, "decoding": "greedy", "rp": 1.05}

    def context_tokens(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return len(self.loaded.tokenizer(text, add_special_tokens=False)["input_ids"])

    def describe(self) -> str:
        short = self.name.rstrip("/").rsplit("/", 1)[-1] or self.name
        return f"{short} · {self.loaded.precision}"

    def complete(
        self,
        prompt: Prompt,
        *,
        cancel: threading.Event,
        on_text: OnText | None = None,
        retry: bool = False,
    ) -> Completion:
        if cancel.is_set():
            raise Cancelled()
        loaded = self.loaded
        torch = hf.torch()
        transformers = hf.transformers()
        generation._acquire(loaded.lock, cancel)
        try:
            try:
                encoded = loaded.tokenizer.apply_chat_template(
                    list(prompt.messages),
                    add_generation_prompt=True,
                    return_tensors="pt",
                    return_dict=True,
                    enable_thinking=False,  # Qwen3: answer, do not reason first
                ).to(loaded.device)
            except Exception as exc:
                raise ModelError(f"{self.name}: its chat template failed: {one_line(exc)}") from exc
            prompt_tokens = int(encoded["input_ids"].shape[-1])
            room = self._window - prompt_tokens
            if room < 8:
                raise GenerationError(f"{self.name}: the prompt does not fit its context window")
            max_new = min(prompt.max_tokens, room)
            streamer = _streamer_class()(loaded.tokenizer, on_text) if on_text else None
            criteria = transformers.StoppingCriteriaList([generation.CancelCriteria(cancel)])
            kwargs: dict[str, Any] = {
                "max_new_tokens": max_new,
                "do_sample": False,
                "repetition_penalty": 1.3 if retry else 1.05,
                "stopping_criteria": criteria,
                "streamer": streamer,
            }
            if retry:
                kwargs["no_repeat_ngram_size"] = 4
            if loaded.tokenizer.pad_token_id is None:
                kwargs["pad_token_id"] = loaded.tokenizer.eos_token_id
            try:
                with torch.inference_mode():
                    output = loaded.model.generate(**encoded, **kwargs)
            except Exception as exc:
                raise GenerationError(f"{self.name} failed to generate: {one_line(exc)}") from exc
            if cancel.is_set():
                raise Cancelled()
            new = output[0][prompt_tokens:].tolist()
        finally:
            loaded.lock.release()
        ending = _eos_ids(loaded)
        end = next((k for k, t in enumerate(new) if t in ending), None)
        truncated = end is None and len(new) >= max_new
        ids = new[:end] if end is not None else new
        text = loaded.tokenizer.decode(ids, skip_special_tokens=True)
        return Completion(text, truncated=truncated)


def load_causal_lm(
    source: str,
    folder: Path,
    *,
    device: str,
    quantize: bool,
    name: str | None = None,
    revision: str | None = None,
) -> LoadedModel:
    """Load the causal LM in `folder` (already on disk) on a resolved `device`.

    Raises `ModelError` with one line naming the model.
    """
    _check_folder(source, folder, allow_pickle=False)
    precision = precision_for(device, quantize)
    started = time.perf_counter()
    transformers = hf.transformers()
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), **common)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(folder), dtype=hf.torch_dtype(precision), use_safetensors=True, **common
        )
    except hf.hub_errors() as exc:
        raise _missing(source) from exc
    except OSError as exc:
        if "safetensors" in str(exc).lower() and _has_pickle(folder):
            raise _pickle_refused(source) from exc
        raise ModelError(f"cannot load model {source}: {one_line(exc)}") from exc
    except Exception as exc:  # config, weights or tokenizer files that do not parse
        raise ModelError(f"cannot load model {source}: {one_line(exc)}") from exc
    _check_vocab(source, tokenizer, model)
    model = _prepare(model, device, precision)
    return LoadedModel(
        name=name or source,
        revision=revision if revision is not None else _revision(source, folder),
        device=device,
        precision=precision,
        max_input_tokens=max_input_tokens(tokenizer, model.config),
        tokenizer=tokenizer,
        model=model,
        load_seconds=time.perf_counter() - started,
    )


def _eos_ids(loaded: LoadedModel) -> set[int]:
    ids: set[int] = set()
    for value in (loaded.model.generation_config.eos_token_id, loaded.tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int))
    return ids


@functools.cache
def _streamer_class() -> type:
    base = hf.transformers().TextStreamer

    class CallbackStreamer(base):  # type: ignore[misc, valid-type]
        """Hands the answer so far to a callback at each finished word."""

        def __init__(self, tokenizer: Any, on_text: OnText) -> None:
            super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
            self._on_text = on_text
            self._parts: list[str] = []

        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                self._parts.append(text)
                self._on_text("".join(self._parts))

    return CallbackStreamer
