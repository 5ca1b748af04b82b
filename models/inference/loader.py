"""Load a seq2seq model and its tokenizer once, safely, on a resolved device.

Loading is slow (seconds) and memory-hungry (GBs), so each (source, device,
quantize) is loaded once per process behind a lock, and threads asking for the
same model at the same time share one load. Only safetensors checkpoints load
by default: a pickle checkpoint can run code, and precis loads models by name
from the internet. Every failure becomes a one-line `ModelError` naming the model.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ModelError, ModelMissingError, one_line
from models.inference import int8_cache as int8_store
from models.inference import lazy_torch as hf
from models.inference.device import precision_for, resolve_device

# A window we trust when neither the tokenizer nor the config states one.
_FALLBACK_WINDOW = 512
# distilbart-cnn's tokenizer has one token (<mask>) more than its embeddings:
# harmless, as generation never emits it. A real mismatch is far larger.
_VOCAB_SLACK = 16
_TOKENIZER_FILES = frozenset(
    {
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.json",
        "spiece.model",
        "sentencepiece.bpe.model",
    }
)
_SNAPSHOT = re.compile(r"[/\\]snapshots[/\\]([0-9a-fA-F]{7,64})[/\\]?$")


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready to generate, with what the rest of precis needs to know."""

    name: str  # hub id or folder as given: shown to the user, part of cache keys
    revision: str | None  # commit hash of a hub snapshot, else None
    device: str  # "cpu" | "cuda" | "mps"
    precision: str  # "fp32" | "int8" | "bf16" | "fp16"
    max_input_tokens: int  # the encoder window, special tokens included
    tokenizer: Any
    model: Any
    load_seconds: float
    # One generate() at a time per model: tokenizer state (src_lang) is shared,
    # and two generations on the same CPU cores only slow each other down.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_encoder_decoder(self) -> bool:
        return bool(getattr(self.model.config, "is_encoder_decoder", False))


class ModelLoader:
    """Loads each (source, device, quantize) once; safe to call from many threads."""

    def __init__(
        self, *, allow_pickle: bool = False, int8_cache: Path | bool | None = True
    ) -> None:
        self.allow_pickle = allow_pickle
        self.int8_cache = int8_cache
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str, bool], threading.Lock] = {}
        self._models: dict[tuple[str, str, bool], LoadedModel] = {}

    def load(
        self,
        source: str,
        *,
        device: str = "auto",
        quantize: bool = False,
        local_files_only: bool = True,
    ) -> LoadedModel:
        """The model at `source` (a folder, or a hub id found in the local cache).

        Raises `ModelError` (or `ModelMissingError` for a hub id not cached while
        `local_files_only`) with one line naming the model.
        """
        resolved = resolve_device(device)
        key = (source, resolved, quantize and resolved == "cpu")
        with self._lock:
            loaded = self._models.get(key)
            if loaded is not None:
                return loaded
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second caller for the same key waits here for the first
            with self._lock:
                loaded = self._models.get(key)
            if loaded is None:
                loaded = load_model(
                    source,
                    device=resolved,
                    quantize=quantize,
                    local_files_only=local_files_only,
                    allow_pickle=self.allow_pickle,
                    int8_cache=self.int8_cache,
                )
                with self._lock:
                    self._models[key] = loaded
        return loaded

    def loaded(self) -> list[LoadedModel]:
        """The models loaded so far, in load order."""
        with self._lock:
            return list(self._models.values())

    def unload(self, source: str) -> int:
        """Forget every loaded copy of `source` (its memory goes with the last user)."""
        with self._lock:
            keys = [k for k in self._models if k[0] == source]
            for key in keys:
                del self._models[key]
            return len(keys)


def load_model(
    source: str,
    *,
    device: str = "cpu",
    quantize: bool = False,
    local_files_only: bool = True,
    allow_pickle: bool = False,
    int8_cache: Path | bool | None = True,
) -> LoadedModel:
    """Load `source` now, uncached. `device` must already be resolved.

    `int8_cache`: where quantized copies are kept (models.inference.int8_cache): True for the
    default folder ($PRECIS_INT8_CACHE or the user cache), a folder, or False/None.
    """
    folder = _local_folder(source)
    if folder is not None:
        _check_folder(source, folder, allow_pickle=allow_pickle)
    precision = precision_for(device, quantize)
    started = time.perf_counter()
    transformers = hf.transformers()
    where = str(folder) if folder is not None else source
    common: dict[str, Any] = {"local_files_only": local_files_only, "trust_remote_code": False}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(where, **common)
        int8 = _int8_file(source, folder, int8_cache) if precision == "int8" else None
        model = int8_store.load(*int8) if int8 is not None else None
        quantized = model is not None
        if model is None:
            model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
                where,
                dtype=hf.torch_dtype(precision),
                use_safetensors=None if allow_pickle else True,
                **common,
            )
    except hf.hub_errors() as exc:
        raise _missing(source) from exc
    except OSError as exc:
        if isinstance(exc.__cause__, hf.hub_errors()):
            raise _missing(source) from exc
        # Only a folder that holds pickle weights is a refused pickle checkpoint; one
        # with no weights at all says so in transformers' own words below.
        if not allow_pickle and "safetensors" in str(exc).lower() and _has_pickle(folder):
            raise _pickle_refused(source) from exc
        raise ModelError(f"cannot load model {source}: {one_line(exc)}") from exc
    except Exception as exc:  # config, weights or tokenizer files that do not parse
        raise ModelError(f"cannot load model {source}: {one_line(exc)}") from exc
    _check_vocab(source, tokenizer, model)
    model = _prepare(model, device, precision, quantized=quantized)
    if int8 is not None and not quantized:
        int8_store.save(model, int8[0])
    return LoadedModel(
        name=source,
        revision=_revision(source, folder),
        device=device,
        precision=precision,
        max_input_tokens=max_input_tokens(tokenizer, model.config),
        tokenizer=tokenizer,
        model=model,
        load_seconds=time.perf_counter() - started,
    )


def max_input_tokens(tokenizer: Any, config: Any) -> int:
    """The encoder window: the tokenizer's limit capped by the position table."""
    limits = []
    from_tokenizer = getattr(tokenizer, "model_max_length", None)
    if isinstance(from_tokenizer, int) and 0 < from_tokenizer < 1_000_000:
        limits.append(from_tokenizer)  # unset limits are a huge sentinel (1e30)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else _FALLBACK_WINDOW


def _int8_file(
    source: str, folder: Path | None, setting: Path | bool | None
) -> tuple[Path, Path] | None:
    """(cache file, snapshot folder) for an int8 model, or None when not cached."""
    directory = int8_store.default_dir() if setting is True else setting or None
    if directory is None:
        return None
    try:
        snapshot = int8_store.snapshot_folder(source, folder)
        path = (
            int8_store.cache_file(Path(directory), snapshot, _revision(source, folder))
            if snapshot
            else None
        )
    except OSError:
        return None
    return (path, snapshot) if path is not None and snapshot is not None else None


def _prepare(model: Any, device: str, precision: str, *, quantized: bool = False) -> Any:
    try:
        model = model.to(device)
        model.eval()
        if precision == "int8" and not quantized:
            model = hf.quantize_dynamic_int8(model)
    except Exception as exc:
        raise ModelError(f"cannot put model on {device}: {one_line(exc)}") from exc
    # Checkpoints carry length limits for their own demo (distilbart: min 56, max 142
    # tokens). precis sets lengths per call; leaving these would force every short
    # summary to 56 tokens and make transformers warn on each call.
    model.generation_config.max_length = None
    model.generation_config.min_length = None
    return model


def _local_folder(source: str) -> Path | None:
    path = Path(source).expanduser()
    if path.is_dir():
        return path.resolve()
    # Hub ids are "name" or "org/name"; anything else that names no folder is a path.
    if source.startswith(("/", ".", "~", "\\")) or source.count("/") > 1 or path.exists():
        raise ModelError(f"no model folder at {source}")
    return None


def _check_folder(source: str, folder: Path, *, allow_pickle: bool) -> None:
    if not (folder / "config.json").is_file():
        raise ModelError(f"cannot load model {source}: no config.json in {folder}")
    names = {p.name for p in folder.iterdir()}
    if not names & _TOKENIZER_FILES and not any(n.endswith(".spm") for n in names):
        raise ModelError(f"cannot load model {source}: no tokenizer files in {folder}")
    if allow_pickle:
        return
    has_safetensors = any(
        n.endswith(".safetensors") or n.endswith(".safetensors.index.json") for n in names
    )
    if not has_safetensors and any(n.endswith((".bin", ".pt", ".pth", ".ckpt")) for n in names):
        raise _pickle_refused(source)


def _has_pickle(folder: Path | None) -> bool:
    if folder is None:  # a hub snapshot: whatever it holds, only safetensors were asked for
        return True
    return any(p.name.endswith((".bin", ".pt", ".pth", ".ckpt")) for p in folder.iterdir())


def _check_vocab(source: str, tokenizer: Any, model: Any) -> None:
    try:
        token_ids = max(tokenizer.get_vocab().values()) + 1
        embeddings = model.get_input_embeddings().num_embeddings
    except Exception:  # a model without the usual accessors: generation will tell
        return
    # Too many tokens: ids past the embedding table crash generation. Far too few:
    # transformers v5 quietly builds a 5-token tokenizer when its files are missing.
    if token_ids > embeddings + _VOCAB_SLACK or token_ids * 2 < embeddings:
        raise ModelError(
            f"cannot load model {source}: its tokenizer has {token_ids} tokens but the model "
            f"{embeddings} (tokenizer and weights from different models?)"
        )


def _revision(source: str, folder: Path | None) -> str | None:
    if folder is not None:
        match = _SNAPSHOT.search(str(folder))
        return match.group(1) if match else None
    try:
        from huggingface_hub import try_to_load_from_cache  # cheap once transformers is in
    except ImportError:
        return None
    found = try_to_load_from_cache(source, "config.json")
    if isinstance(found, str):
        match = _SNAPSHOT.search(str(Path(found).parent))
        return match.group(1) if match else None
    return None


def _missing(source: str) -> ModelMissingError:
    return ModelMissingError(
        f"model {source} is not downloaded (run: precis models pull {source})", model_id=source
    )


def _pickle_refused(source: str) -> ModelError:
    return ModelError(
        f"refusing pickle checkpoint {source}: only pytorch_model.bin found, no .safetensors "
        "(pickle files can run code; convert the model to safetensors)"
    )
