"""Where a model runs and in which precision, decided once and explicitly.

A setting of "auto" must become a concrete device before a model loads, so
that the loader's cache key, the status line and the cache key of every output
all name the same thing. Asking for a device that is not there is a user error
with a clear message, not a silent fall back to the CPU.

Precision choices (`precision_for`):
- cpu: float32; with `quantize`, dynamic int8 on every Linear layer (2-4x faster
  on CPU in scripts/bench_seq2seq.py, at a small quality cost, about the memory of fp16).
- cuda: bfloat16 where the GPU supports it (Ampere and newer): same exponent
  range as fp32, so no overflow in BART's attention; float16 otherwise.
  `quantize` is ignored: dynamic quantization is a CPU-only kernel.
- mps: float16 (Apple GPUs have no fast bfloat16 before M2/macOS 14).
"""

from __future__ import annotations

import importlib.util
import platform
import re
import sys
from pathlib import Path

from models.errors import ModelError
from models.inference import lazy_torch as hf
from models.types import DEVICES

PRECISIONS = ("fp32", "int8", "bf16", "fp16")
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU the driver sees


def resolve_device(name: str) -> str:
    """ "auto" | "cpu" | "cuda" | "mps" -> the concrete device to load on.

    "auto" picks cuda if available, else mps, else cpu. Asking for cuda or mps
    where it is not available raises `ModelError`. "cpu" never imports torch.
    """
    name = (name or "auto").strip().lower()
    if name not in DEVICES:
        raise ModelError(f"unknown device {name!r}: use one of {', '.join(DEVICES)}")
    if name == "cpu":
        return "cpu"
    if name == "cuda":
        if not hf.cuda_available():
            raise ModelError(
                "device cuda asked for, but CUDA is not available here: use --device cpu"
            )
        return "cuda"
    if name == "mps":
        if not hf.mps_available():
            raise ModelError(
                "device mps asked for, but Apple MPS is not available: use --device cpu"
            )
        return "mps"
    if hf.cuda_available():
        return "cuda"
    if hf.mps_available():
        return "mps"
    return "cpu"


def predict_device(name: str) -> str:
    """The device `resolve_device(name)` gives, without importing torch when it is not
    loaded yet (the reader's first paint and its cache lookups come before torch).

    Once torch is imported this is `resolve_device` itself. Before, "auto" is judged
    from what is installed: a CUDA build of torch plus an NVIDIA driver with a GPU
    means cuda, an Apple-silicon Mac means mps, anything else cpu. Outputs are stored
    under the device they were really computed on (torch is loaded by then), so a
    wrong guess costs a cache miss, never a wrong output.
    """
    name = (name or "auto").strip().lower()
    if name != "auto" or "torch" in sys.modules:
        try:
            return resolve_device(name)
        except ModelError:
            return name
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return "mps"
    if _torch_is_cuda_build() and any(NVIDIA_GPUS.glob("*")):
        return "cuda"
    return "cpu"


def _torch_is_cuda_build() -> bool:
    """Whether the installed torch was built with CUDA, read from torch/version.py."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        try:
            text = (Path(folder) / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        match = re.search(r"^cuda(?::\s*\S+)?\s*=\s*(\S+)", text, re.M)
        return bool(match and match.group(1) not in ("None", "''", '""'))
    return False


def device_key(name: str, quantize: bool) -> str:
    """What outputs are keyed on: the device and, on CPU, whether weights are int8."""
    device = predict_device(name)
    return f"cpu-{'int8' if quantize else 'fp32'}" if device == "cpu" else device


def precision_for(device: str, quantize: bool) -> str:
    """The precision a model runs in on a resolved `device`: one of `PRECISIONS`."""
    if device == "cpu":
        return "int8" if quantize else "fp32"
    if device == "cuda":
        return "bf16" if hf.cuda_bf16_supported() else "fp16"
    if device == "mps":
        return "fp16"
    raise ModelError(f"unknown device {device!r}")

