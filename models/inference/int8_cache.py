"""A disk cache of dynamically int8-quantized models, so the second load is cheap.

Quantizing on every start costs seconds and, worse, memory: the float32 model
must be fully built before its Linear layers are swapped for int8 ones (measured:
distilbart peaks at 2.9 GB to settle at 1.4 GB). After the first quantization
this module writes what `quantize_dynamic` produced to one safetensors file (no
pickle): each quantized Linear's int8 weight with its scale and zero point (and
bias), and every other parameter and buffer (embeddings, norms, positions) as
they are. A later load builds the model's skeleton on the meta device, swaps in
int8 Linears and fills everything from the file, never materializing a float32
Linear weight. The file is read with plain reads, not mmap, so its pages do not
sit in the process's memory beside the model.

The key hashes the snapshot folder, its revision, the sizes and times of its
weight and config files, the torch and transformers versions and FORMAT: a
changed model or library writes a new file. A file that does not match what the
skeleton needs, or does not parse, is ignored (and rebuilt by the caller). Writes
go to a temporary file renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import warnings
from pathlib import Path
from typing import Any, BinaryIO

from models.inference import lazy_torch as hf
from models.logs import log

FORMAT = "precis-int8-2"  # 2: lm_head kept in float32
ENV = "PRECIS_INT8_CACHE"  # a folder, or "off" to disable the cache
_KEY_FILES = ("config.json", "generation_config.json")
# safetensors dtype names <-> torch dtype attribute names; the only ones written.
_DTYPES = {
    "F32": "float32",
    "F64": "float64",
    "F16": "float16",
    "I8": "int8",
    "I32": "int32",
    "I64": "int64",
    "BOOL": "bool",
}
_MAX_HEADER = 64 << 20


def default_dir() -> Path | None:
    """$PRECIS_INT8_CACHE, else user_cache_dir("precis")/int8; None when "off"."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("precis")) / "int8"


def snapshot_folder(source: str, folder: Path | None) -> Path | None:
    """The local folder holding the model's files: `folder`, or the hub snapshot."""
    if folder is not None:
        return folder
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(source, "config.json")
    return Path(found).parent if isinstance(found, str) else None


def cache_file(directory: Path, snapshot: Path, revision: str | None) -> Path | None:
    """Where the int8 copy of the model in `snapshot` lives; None if it has no weights."""
    t, transformers = hf.torch(), hf.transformers()
    parts = [
        FORMAT,
        str(snapshot.resolve()),
        revision or "",
        t.__version__,
        transformers.__version__,
        t.backends.quantized.engine,
    ]
    weights = 0
    for path in sorted(snapshot.iterdir()):
        name = path.name
        if not (name.endswith(".safetensors") or name in _KEY_FILES or name.endswith(".json")):
            continue
        try:
            stat = path.stat()  # follows the hub's symlinks to the blobs
        except OSError:
            continue
        weights += name.endswith(".safetensors")
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    if not weights:
        return None
    ident = hashlib.sha256(str(snapshot.resolve()).encode()).hexdigest()[:16]
    state = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return directory / f"{ident}-{state}.safetensors"


# -- saving ---------------------------------------------------------------------------


def save(model: Any, path: Path) -> bool:
    """Write the quantized `model` to `path` atomically; False (nothing written) on failure."""
    try:
        tensors, meta = _collect(model)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".safetensors")
        try:
            with os.fdopen(fd, "wb") as out:
                _write(out, tensors, meta)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:  # a read-only or full disk: the model works, only uncached
        log.warning("cannot save the int8 weights to %s", path, exc_info=True)
        return False
    ident = path.name.split("-", 1)[0]
    for old in path.parent.glob(f"{ident}-*.safetensors"):  # stale copies of this folder
        if old != path:
            old.unlink(missing_ok=True)
    return True


def _collect(model: Any) -> tuple[dict[str, Any], dict[str, str]]:
    t = hf.torch()
    dynamic = t.ao.nn.quantized.dynamic.Linear
    tensors: dict[str, Any] = {}
    linears: dict[str, dict[str, Any]] = {}
    for name, module in model.named_modules():
        if type(module) is t.nn.Linear:
            if hf.keeps_fp32(name):
                continue  # stays float32: its weight is saved with the parameters below
            raise ValueError(f"{name} is not quantized")
        if type(module) is not dynamic:
            continue
        weight, bias = module._weight_bias()
        scheme = weight.qscheme()
        info: dict[str, Any] = {
            "in": module.in_features,
            "out": module.out_features,
            "bias": bias is not None,
        }
        tensors[f"q.{name}.int8"] = weight.int_repr()
        if scheme == t.per_tensor_affine:
            info["scheme"] = "tensor"
            tensors[f"q.{name}.scale"] = t.tensor(weight.q_scale(), dtype=t.float64)
            tensors[f"q.{name}.zero_point"] = t.tensor(weight.q_zero_point(), dtype=t.int64)
        elif scheme == t.per_channel_affine:
            info["scheme"] = "channel"
            info["axis"] = weight.q_per_channel_axis()
            tensors[f"q.{name}.scale"] = weight.q_per_channel_scales().to(t.float64)
            tensors[f"q.{name}.zero_point"] = weight.q_per_channel_zero_points().to(t.int64)
        else:
            raise ValueError(f"unsupported qscheme {scheme}")
        if bias is not None:
            tensors[f"q.{name}.bias"] = bias
        linears[name] = info
    aliases: dict[str, str] = {}
    seen: dict[int, str] = {}
    for kind, items in (
        ("p", model.named_parameters(remove_duplicate=False)),
        ("b", model.named_buffers(remove_duplicate=False)),
    ):
        for name, tensor in items:
            first = seen.setdefault(id(tensor), f"{kind}.{name}")
            if first != f"{kind}.{name}":
                aliases[f"{kind}.{name}"] = first
            else:
                tensors[first] = tensor
    meta = {"format": FORMAT, "linears": json.dumps(linears), "aliases": json.dumps(aliases)}
    return tensors, meta


def _write(out: BinaryIO, tensors: dict[str, Any], meta: dict[str, str]) -> None:
    """The safetensors layout, streamed tensor by tensor (no second copy in memory)."""
    by_torch = {v: k for k, v in _DTYPES.items()}
    header: dict[str, Any] = {"__metadata__": meta}
    offset = 0
    for name, tensor in tensors.items():
        dtype = by_torch.get(str(tensor.dtype).removeprefix("torch."))
        if dtype is None:
            raise ValueError(f"{name}: dtype {tensor.dtype} not cached")
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": dtype,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    out.write(struct.pack("<Q", len(raw)))
    out.write(raw)
    for tensor in tensors.values():
        data = tensor.detach().contiguous()
        if data.numel():
            out.write(memoryview(data.numpy()).cast("B"))


# -- loading --------------------------------------------------------------------------


def load(path: Path, snapshot: Path) -> Any | None:
    """The int8 model cached at `path` for the checkpoint in `snapshot`, in eval mode;
    None when there is no usable file (missing, truncated, from another layout)."""
    if not path.is_file():
        return None
    try:
        with warnings.catch_warnings(), path.open("rb") as src:
            warnings.simplefilter("ignore")  # torch.ao's deprecation notes, over the TUI
            return _load(src, path.stat().st_size, snapshot)
    except Exception:
        log.warning("int8 weights at %s are unusable; quantizing again", path, exc_info=True)
        return None


def _load(src: BinaryIO, size: int, snapshot: Path) -> Any:
    t, transformers = hf.torch(), hf.transformers()
    (length,) = struct.unpack("<Q", src.read(8))
    if length > min(size - 8, _MAX_HEADER):
        raise ValueError("bad header length")
    header = json.loads(src.read(length))
    meta = header.pop("__metadata__")
    if meta.get("format") != FORMAT:
        raise ValueError("other format")
    base = 8 + length
    if base + max((e["data_offsets"][1] for e in header.values()), default=0) != size:
        raise ValueError("truncated")
    linears: dict[str, dict[str, Any]] = json.loads(meta["linears"])
    aliases: dict[str, str] = json.loads(meta["aliases"])

    def read(name: str) -> Any:
        entry = header[aliases.get(name, name)]
        start, end = entry["data_offsets"]
        tensor = t.empty(entry["shape"], dtype=getattr(t, _DTYPES[entry["dtype"]]))
        if end - start != tensor.numel() * tensor.element_size():
            raise ValueError("size mismatch")
        if end > start:
            src.seek(base + start)
            view = memoryview(tensor.numpy()).cast("B")
            if src.readinto(view) != end - start:  # type: ignore[attr-defined]
                raise ValueError("short read")
        return tensor

    local = {"local_files_only": True, "trust_remote_code": False}
    config = transformers.AutoConfig.from_pretrained(str(snapshot), **local)
    with t.device("meta"):
        model = transformers.AutoModelForSeq2SeqLM.from_config(config, dtype=t.float32)
    _swap_linears(model, linears, read)
    _fill(model, read)
    # As from_pretrained does: the checkpoint's generation_config.json, or else the
    # generation fields of its config.json (distilbart-cnn has no generation_config.json:
    # its forced BOS/EOS, beams and length_penalty live in config.json).
    if (snapshot / "generation_config.json").is_file():
        model.generation_config = transformers.GenerationConfig.from_pretrained(
            str(snapshot), local_files_only=True
        )
    else:
        fields = json.loads((snapshot / "config.json").read_text(encoding="utf-8"))
        model.generation_config = transformers.GenerationConfig.from_model_config(fields)
    model.eval()
    return model


def _swap_linears(model: Any, linears: dict[str, dict[str, Any]], read: Any) -> None:
    t = hf.torch()
    dynamic = t.ao.nn.quantized.dynamic.Linear
    plain = {n for n, m in model.named_modules() if type(m) is t.nn.Linear and not hf.keeps_fp32(n)}
    if plain != set(linears):
        raise ValueError("the model's Linear layers differ from the cached ones")
    for name, info in linears.items():
        old = model.get_submodule(name)
        if (old.in_features, old.out_features, old.bias is not None) != (
            info["in"],
            info["out"],
            info["bias"],
        ):
            raise ValueError(f"{name}: shape differs")
        ints, scale, zero = (
            read(f"q.{name}.int8"),
            read(f"q.{name}.scale"),
            read(f"q.{name}.zero_point"),
        )
        if info["scheme"] == "tensor":
            qweight = t._make_per_tensor_quantized_tensor(ints, float(scale), int(zero))
        else:
            qweight = t._make_per_channel_quantized_tensor(ints, scale, zero, info["axis"])
        # Built 1x1 and then sized: the constructor packs a placeholder weight of
        # its full shape, which would double the packing time of the whole load.
        new = dynamic(1, 1, bias_=info["bias"], dtype=t.qint8)
        new.in_features, new.out_features = info["in"], info["out"]
        new.set_weight_bias(qweight, read(f"q.{name}.bias") if info["bias"] else None)
        parent, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, attr, new)


def _fill(model: Any, read: Any) -> None:
    """Every meta parameter and buffer from the file, keeping tied ones tied."""
    t = hf.torch()
    done: dict[int, Any] = {}
    for kind, items in (
        ("p", list(model.named_parameters(remove_duplicate=False))),
        ("b", list(model.named_buffers(remove_duplicate=False))),
    ):
        for name, tensor in items:
            parent, _, attr = name.rpartition(".")
            module = model.get_submodule(parent) if parent else model
            value = done.get(id(tensor))
            if value is None:
                data = read(f"{kind}.{name}")
                if data.shape != tensor.shape or data.dtype != tensor.dtype:
                    raise ValueError(f"{name}: shape or dtype differs")
                if kind == "p":
                    value = t.nn.Parameter(data, requires_grad=tensor.requires_grad)
                else:
                    value = data
                done[id(tensor)] = value
            if kind == "p":
                module._parameters[attr] = value
            else:
                module._buffers[attr] = value
    if any(x.is_meta for x in (*model.parameters(), *model.buffers())):
        raise ValueError("tensors left unfilled")
