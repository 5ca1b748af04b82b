"""Which weight files of a model precis loads, and how pickle checkpoints become safetensors.

One policy for every weight file, from a folder or a hub snapshot alike:
- safetensors (`model.safetensors`, or the shards a `model.safetensors.index.json`
  names) load as they are: the format holds tensors and nothing else.
- pickle (`pytorch_model.bin`, or the shards of `pytorch_model.bin.index.json`) is
  read once through torch's restricted unpickler (`torch.load(weights_only=True)`,
  which refuses to call anything a pickle names; torch >= 2.6, see CVE-2025-32434),
  must hold nothing but named tensors, and is then written as safetensors into
  precis' own cache folder, keyed by the snapshot and its files. Every later load
  reads that copy. Pickle files are never handed to transformers, and nothing is
  written into the shared Hugging Face cache.
- an index may name only plain file names of its own format, in the same folder: a
  shard that is a pickle under a safetensors index, a path (`../../outside.safetensors`)
  or a symlink out of the snapshot is refused.
Every refusal is one line naming the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from models.errors import ModelError, one_line
from models.inference import lazy_torch as hf
from models.inference.model_files import JSON_LIMIT, check_file, read_text_capped

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PICKLE = "pytorch_model.bin"
PICKLE_INDEX = "pytorch_model.bin.index.json"
_OTHER_WEIGHTS = (".pt", ".pth", ".ckpt", ".pkl", ".h5", ".msgpack", ".onnx", ".bin")
MIN_TORCH = (2, 6)  # torch.load(weights_only=True) is unsafe before (CVE-2025-32434)
ENV = "PRECIS_CONVERTED_DIR"  # where converted checkpoints go
CONVERTED_FORMAT = "precis-converted-1"
_COPIED = ("config.json", "generation_config.json")
# A weight file is large, but not this large: a sparse or endless file is refused.
_WEIGHTS_LIMIT = 64 << 30


@dataclass(frozen=True)
class Weights:
    """The weight files precis will read for one model folder, checked."""

    format: Literal["safetensors", "pickle"]
    files: tuple[Path, ...]


def plan(source: str, folder: Path) -> Weights:
    """The weights of the model in `folder`, by the policy above. Raises ModelError."""
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError as exc:
        raise ModelError(f"cannot read model folder {source}: {exc.strerror or exc}") from None
    if SAFETENSORS_INDEX in names:
        return Weights("safetensors", _shards(source, folder, SAFETENSORS_INDEX, ".safetensors"))
    if SAFETENSORS in names:
        return Weights("safetensors", (_inside(source, folder, SAFETENSORS),))
    if PICKLE_INDEX in names:
        return Weights("pickle", _shards(source, folder, PICKLE_INDEX, ".bin"))
    if PICKLE in names:
        return Weights("pickle", (_inside(source, folder, PICKLE),))
    others = sorted(n for n in names if n.endswith(_OTHER_WEIGHTS))
    if others:
        raise ModelError(
            f"cannot load model {source}: precis loads model.safetensors or "
            f"pytorch_model.bin weights, not {others[0]}"
        )
    raise ModelError(
        f"cannot load model {source}: no weights in {folder} "
        "(model.safetensors or pytorch_model.bin)"
    )


def _shards(source: str, folder: Path, index_name: str, suffix: str) -> tuple[Path, ...]:
    text = read_text_capped(source, folder / index_name, JSON_LIMIT)
    try:
        weight_map = json.loads(text).get("weight_map")
    except (ValueError, AttributeError):
        weight_map = None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelError(f"cannot load model {source}: {index_name} has no weight_map")
    shards: list[Path] = []
    for shard in dict.fromkeys(weight_map.values()):
        if (
            not isinstance(shard, str)
            or not shard.endswith(suffix)
            or shard != os.path.basename(shard)
            or "\\" in shard
            or shard.startswith(".")
        ):
            raise ModelError(
                f"cannot load model {source}: {index_name} names {shard!r}, "
                f"not a {suffix} file beside it"
            )
        shards.append(_inside(source, folder, shard))
    return tuple(shards)


def _inside(source: str, folder: Path, name: str) -> Path:
    """`folder/name`, checked to be a regular file that stays inside the folder (or, for
    a hub snapshot, inside its repository's blobs)."""
    path = folder / name
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ModelError(f"cannot load model {source}: {name} is missing") from None
    roots = [folder.resolve()]
    if folder.parent.name == "snapshots":  # the hub cache links snapshot files to blobs
        roots.append(folder.parent.parent.resolve() / "blobs")
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ModelError(f"cannot load model {source}: {name} points outside the model folder")
    check_file(source, path, _WEIGHTS_LIMIT)
    return path


# -- pickle -> safetensors --------------------------------------------------------------


def default_dir() -> Path | None:
    """$PRECIS_CONVERTED_DIR, else user_cache_dir("precis")/converted; None when "off"."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("precis")) / "converted"


def converted_folder(
    source: str, folder: Path, weights: Weights, directory: Path | None = None
) -> Path:
    """A folder holding the model's config and its weights as one model.safetensors,
    converted from the pickle `weights` on first use and reused afterwards.

    Raises ModelError when the pickle holds anything but named tensors, when torch is
    too old to read pickles safely, or when the copy cannot be written.
    """
    directory = directory or default_dir()
    if directory is None:
        raise ModelError(
            f"cannot load model {source}: its weights are pickle (pytorch_model.bin) and "
            f"converting them is turned off (${ENV}=off)"
        )
    out = directory / _key(source, folder, weights)
    if _complete(out):
        return out
    _require_safe_torch(source)
    state: dict[str, Any] = {}
    for path in weights.files:
        state.update(_restricted_load(source, path))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory, prefix=".tmp-"))
        try:
            _save_safetensors(_dedupe(state), tmp / SAFETENSORS)
            for name in _COPIED:
                if (folder / name).is_file():
                    text = read_text_capped(source, folder / name)
                    (tmp / name).write_text(text, encoding="utf-8")
            if _complete(out):  # another process converted it meanwhile: use theirs
                shutil.rmtree(tmp, ignore_errors=True)
                return out
            with contextlib.suppress(OSError):
                shutil.rmtree(out)  # what an interrupted removal left
            try:
                os.replace(tmp, out)  # the folder appears whole or not at all
            except OSError:
                if not _complete(out):
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # lost a race to an equal copy
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except OSError as exc:
        raise ModelError(
            f"cannot convert model {source} to safetensors in {directory}: "
            f"{exc.strerror or one_line(exc)}"
        ) from None
    return out


def _complete(out: Path) -> bool:
    return (out / SAFETENSORS).is_file() and (out / "config.json").is_file()


def _key(source: str, folder: Path, weights: Weights) -> str:
    parts = [CONVERTED_FORMAT, str(folder.resolve())]
    for path in (*weights.files, folder / "config.json", folder / "generation_config.json"):
        with contextlib.suppress(OSError):
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    readable = re.sub(r"[^\w.-]+", "_", source).strip("._")[-60:] or "model"
    return f"{readable}-{digest}"


def _require_safe_torch(source: str) -> None:
    version = hf.torch().__version__
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:2])
    if numbers < MIN_TORCH:
        raise ModelError(
            f"refusing pickle checkpoint {source}: torch {version} cannot read pickle "
            "weights safely (needs torch >= 2.6, CVE-2025-32434)"
        )


def _restricted_load(source: str, path: Path) -> dict[str, Any]:
    torch = hf.torch()
    try:
        # weights_only: torch's restricted unpickler; it calls nothing a pickle names
        # beyond tensor rebuilding, so a __reduce__ payload raises here, unrun.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(
            f"refusing pickle checkpoint {source}: {path.name} is not a plain tensor "
            f"checkpoint ({one_line(exc, 160)})"
        ) from None
    if not isinstance(state, dict) or not state:
        raise ModelError(
            f"refusing pickle checkpoint {source}: {path.name} holds a "
            f"{type(state).__name__}, not named tensors"
        )
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise ModelError(
                f"refusing pickle checkpoint {source}: {path.name} holds a "
                f"{type(value).__name__} at {str(name)[:60]!r}, not only tensors"
            )
    return state


def _dedupe(state: dict[str, Any]) -> dict[str, Any]:
    """One name per shared tensor (tied embeddings): safetensors stores no aliases, and
    transformers ties the others again on load. A view that is not the whole of its
    storage is copied out."""
    kept: dict[tuple[int, int, tuple[int, ...], tuple[int, ...]], str] = {}
    out: dict[str, Any] = {}
    # Embeddings before output projections: the name transformers ties the others to.
    for name in sorted(state, key=lambda n: ("lm_head" in n, len(n), n)):
        tensor = state[name]
        ident = (
            tensor.untyped_storage().data_ptr(),
            tensor.storage_offset(),
            tuple(tensor.shape),
            tuple(tensor.stride()),
        )
        if tensor.numel() and ident in kept:
            continue
        kept[ident] = name
        out[name] = tensor
    storages: dict[int, int] = {}
    for tensor in out.values():
        ptr = tensor.untyped_storage().data_ptr()
        storages[ptr] = storages.get(ptr, 0) + 1
    return {
        name: (
            tensor.contiguous().clone()
            if storages[tensor.untyped_storage().data_ptr()] > 1 or not tensor.is_contiguous()
            else tensor
        )
        for name, tensor in out.items()
    }


def _save_safetensors(state: dict[str, Any], path: Path) -> None:
    from safetensors.torch import save_file  # small; torch is already imported here

    save_file(state, str(path), metadata={"format": "pt", "converted_by": CONVERTED_FORMAT})
