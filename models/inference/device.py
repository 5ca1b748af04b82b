"""Where a model runs and in which precision, decided once and explicitly.

A setting of "auto" must become a concrete device before a model loads, so
that the loader's cache key, the status line and the cache key of every output
all name the same thing. Asking for a device that is not there is a user error
with a clear message, not a silent fall back to the CPU.

Precision choices (`precision_for`):
- cpu: float32; with `quantize`, dynamic int8 on every Linear layer (2-4x faster
  on CPU, STACK.md, at a small quality cost, and about the same memory as fp16).
- cuda: bfloat16 where the GPU supports it (Ampere and newer): same exponent
  range as fp32, so no overflow in BART's attention; float16 otherwise.
  `quantize` is ignored: dynamic quantization is a CPU-only kernel.
- mps: float16 (Apple GPUs have no fast bfloat16 before M2/macOS 14).
"""

from __future__ import annotations

from models.errors import ModelError
from models.inference import lazy_torch as hf
from models.types import DEVICES

PRECISIONS = ("fp32", "int8", "bf16", "fp16")


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


def precision_for(device: str, quantize: bool) -> str:
    """The precision a model runs in on a resolved `device`: one of `PRECISIONS`."""
    if device == "cpu":
        return "int8" if quantize else "fp32"
    if device == "cuda":
        return "bf16" if hf.cuda_bf16_supported() else "fp16"
    if device == "mps":
        return "fp16"
    raise ModelError(f"unknown device {device!r}")


def dtype_for(device: str, quantize: bool) -> object:
    """The torch dtype weights are loaded in (float32 before int8 quantization)."""
    return hf.torch_dtype(precision_for(device, quantize))
