"""Load a seq2seq model and its tokenizer once, safely, on a resolved device.

Loading is slow (seconds) and memory-hungry (GBs), so each (source, device,
quantize) is loaded once per process behind a lock, and threads asking for the
same model at the same time share one load. A model is always loaded from a folder
on disk (a hub id is resolved to its snapshot in the hub cache first), after its
small files pass `models.inference.model_files` and its weights pass the one weights
policy of `models.inference.weights` (safetensors as they are; pickle only through
torch's restricted unpickler, converted once to safetensors in precis' own cache).
Remote code is never trusted. Every failure becomes a one-line `ModelError` naming
the model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ModelError, ModelMissingError, one_line
from models.inference import int8_cache as int8_store
from models.inference import lazy_torch as hf
from models.inference import weights as weights_policy
from models.inference.device import precision_for, resolve_device
from models.inference.model_files import check_metadata_files

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
_TOKENIZER_CLASS = re.compile(r"[A-Z][A-Za-z0-9]*Tokenizer(?:Fast)?")
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
        self, *, int8_cache: Path | bool | None = True, converted_dir: Path | None = None
    ) -> None:
        self.int8_cache = int8_cache
        self.converted_dir = converted_dir
        # Pickle checkpoints are never handed to a library as they are: engines that read
        # weights themselves take them from `weights_folder()` (converted safetensors).
        self.allow_pickle = False
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
                    int8_cache=self.int8_cache,
                    converted_dir=self.converted_dir,
                )
                with self._lock:
                    self._models[key] = loaded
        return loaded

    def loaded(self) -> list[LoadedModel]:
        """The models loaded so far, in load order."""
        with self._lock:
            return list(self._models.values())


def load_model(
    source: str,
    *,
    device: str = "cpu",
    quantize: bool = False,
    local_files_only: bool = True,
    int8_cache: Path | bool | None = True,
    converted_dir: Path | None = None,
) -> LoadedModel:
    """Load `source` now, uncached. `device` must already be resolved.

    `int8_cache`: where quantized copies are kept (models.inference.int8_cache): True for the
    default folder ($PRECIS_INT8_CACHE or the user cache), a folder, or False/None.
    `converted_dir`: where pickle checkpoints are converted to (default
    $PRECIS_CONVERTED_DIR or the user cache; see models.inference.weights).
    """
    folder = _local_folder(source)
    if folder is None:
        folder = int8_store.snapshot_folder(source, None)
        if folder is None:
            raise _missing(source)  # precis loads only what is on disk
    _check_folder(source, folder)
    precision = precision_for(device, quantize)
    started = time.perf_counter()
    model_dir = weights_folder(source, folder, converted_dir)
    transformers = hf.transformers()
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
    try:
        tokenizer = load_tokenizer(folder)
        int8 = _int8_file(source, model_dir, int8_cache) if precision == "int8" else None
        model = int8_store.load(*int8) if int8 is not None else None
        quantized = model is not None
        if model is None:
            model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
                str(model_dir),
                dtype=hf.torch_dtype(precision),
                use_safetensors=True,
                **common,
            )
    except hf.hub_errors() as exc:
        raise _missing(source) from exc
    except OSError as exc:
        if isinstance(exc.__cause__, hf.hub_errors()):
            raise _missing(source) from exc
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


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer saved in `folder` (local files only, no remote code).

    When its tokenizer_config.json names a tokenizer class transformers exports, that
    class is loaded directly, without torch: AutoTokenizer finds the class through
    transformers' config classes, which import torch (~1.2 s), though no tokenizer needs
    it. Otherwise (no class named, or one transformers lacks) AutoTokenizer decides.
    Raises what `from_pretrained` raises (the callers turn it into a ModelError).
    """
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
    transformers = hf.transformers_without_torch()
    named = _named_tokenizer_class(folder)
    cls = getattr(transformers, named, None) if named else None
    if cls is not None and hasattr(cls, "from_pretrained"):
        return cls.from_pretrained(str(folder), **common)
    return hf.transformers().AutoTokenizer.from_pretrained(str(folder), **common)


def _named_tokenizer_class(folder: Path) -> str | None:
    """The `tokenizer_class` of `folder`'s tokenizer_config.json when it is a plain
    transformers tokenizer class name ("MarianTokenizer"), else None. The file's type
    and size were checked (`check_metadata_files`) before any loading."""
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = config.get("tokenizer_class") if isinstance(config, dict) else None
    if isinstance(name, str) and _TOKENIZER_CLASS.fullmatch(name):
        return name
    return None


def weights_folder(source: str, folder: Path, converted_dir: Path | None = None) -> Path:
    """The folder to read the model's weights (and config) from, by the one weights
    policy (models.inference.weights): `folder` itself when its weights are safetensors,
    else precis' converted safetensors copy of its pickle weights. Every engine that
    reads weights (transformers, CTranslate2's converter, causal LMs) goes through here.
    Raises ModelError."""
    weights = weights_policy.plan(source, folder)
    if weights.format == "pickle":
        return weights_policy.converted_folder(source, folder, weights, converted_dir)
    return folder


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


def _int8_file(source: str, folder: Path, setting: Path | bool | None) -> tuple[Path, Path] | None:
    """(cache file, folder of the weights) for an int8 model, or None when not cached."""
    directory = int8_store.default_dir() if setting is True else setting or None
    if directory is None:
        return None
    try:
        path = int8_store.cache_file(Path(directory), folder, _revision(source, folder))
    except OSError:
        return None
    return (path, folder) if path is not None else None


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
    if not source.strip():
        raise ModelError('no model named (an empty name): give a hub id, a folder or "extractive"')
    path = Path(source).expanduser()
    if path.is_dir():
        return path.resolve()
    # Hub ids are "name" or "org/name"; anything else that names no folder is a path.
    if source.startswith(("/", ".", "~", "\\")) or source.count("/") > 1 or path.exists():
        raise ModelError(f"no model folder at {source}")
    return None


def _check_folder(source: str, folder: Path, *, allow_pickle: bool = False) -> None:
    """config.json, tokenizer files, and every metadata file sane (type, size).
    (`allow_pickle` is ignored: weights are judged by `weights_folder`.)"""
    check_metadata_files(source, folder)
    if not (folder / "config.json").is_file():
        raise ModelError(f"cannot load model {source}: no config.json in {folder}")
    names = {p.name for p in folder.iterdir()}
    if not names & _TOKENIZER_FILES and not any(n.endswith(".spm") for n in names):
        raise ModelError(f"cannot load model {source}: no tokenizer files in {folder}")


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


def _has_pickle(folder: Path | None) -> bool:
    if folder is None:
        return True
    return any(p.name.endswith((".bin", ".pt", ".pth", ".ckpt")) for p in folder.iterdir())


def _pickle_refused(source: str) -> ModelError:
    return ModelError(
        f"refusing pickle checkpoint {source}: its weights are pickle files that precis "
        "does not hand to a library as they are"
    )
