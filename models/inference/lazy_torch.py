"""The one place that imports torch and transformers, and only when asked.

`import torch` costs ~1.2 s and `import transformers` ~0.5 s more on the
2-core machines we measure on; the reader must show an article before any model
is needed, so nothing in `models/` imports them at module level. Every other
module asks for them through these functions, which also silence what
transformers would print on stderr (progress bars, advice) because that text
would draw over the terminal UI.
"""

from __future__ import annotations

import functools
import threading
import warnings
from types import ModuleType
from typing import Any

_setup_lock = threading.Lock()


@functools.cache
def torch() -> ModuleType:
    """The torch module (first call ~1.2 s)."""
    import torch as _torch  # ~1.2 s: the C++ runtime and its kernels

    return _torch


@functools.cache
def transformers() -> ModuleType:
    """The transformers module, quiet (first call ~0.5 s after torch)."""
    torch()
    with _setup_lock:
        import transformers as _transformers  # ~0.5 s: lazy module, config classes

        # Progress bars and warnings go to stderr, i.e. over the TUI. Errors still
        # reach us as exceptions, which the loader turns into one-line messages.
        _transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        _transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return _transformers


def transformers_without_torch() -> ModuleType:
    """The transformers module, quiet, without importing torch (~0.5 s): for tokenizers,
    which need no torch. Its lazy module imports torch only when something that needs it
    is touched (AutoTokenizer does, through the config classes)."""
    with _setup_lock:
        import transformers as _transformers

        _transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        _transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return _transformers


def hub_errors() -> tuple[type[BaseException], ...]:
    """Exception types meaning "not in the local cache and not allowed to fetch"."""
    from huggingface_hub.errors import LocalEntryNotFoundError  # cheap once transformers is in

    return (LocalEntryNotFoundError,)


def stopping_criteria_base() -> type:
    """`transformers.StoppingCriteria`, for classes built when generation first runs."""
    base: type = transformers().StoppingCriteria
    return base




def cuda_available() -> bool:
    return bool(torch().cuda.is_available())


def cuda_bf16_supported() -> bool:
    return bool(torch().cuda.is_available() and torch().cuda.is_bf16_supported())


def mps_available() -> bool:
    backend = getattr(torch().backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def torch_dtype(precision: str) -> Any:
    """The torch dtype that weights are loaded in for a precision name.

    "int8" loads float32 weights and quantizes them afterwards (dynamic int8).
    """
    t = torch()
    return {
        "fp32": t.float32,
        "int8": t.float32,
        "bf16": t.bfloat16,
        "fp16": t.float16,
    }[precision]


# Linear layers left in float32 by int8 quantization. Intel's published dynamic-int8
# distilbart-cnn-12-6 kept 21 of 133 Linear layers in fp32, lm_head among them, to stay
# under 1% ROUGE loss: the output projection picks every token, and its rows are the
# (tied) embeddings, which stay float32 anyway.
FP32_LINEARS = ("lm_head",)


def keeps_fp32(module_name: str) -> bool:
    """Whether int8 quantization leaves the Linear `module_name` in float32."""
    return module_name.rsplit(".", 1)[-1] in FP32_LINEARS


def quantize_dynamic_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every nn.Linear but FP32_LINEARS (CPU only; ~3 s for
    distilbart)."""
    t = torch()
    names = {
        name
        for name, module in model.named_modules()
        if isinstance(module, t.nn.Linear) and not keeps_fp32(name)
    }
    with warnings.catch_warnings():
        # torch 2.13 marks quantized tensors deprecated (in favour of torchao) but
        # they work; the warning would print over the TUI on every load.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return t.ao.quantization.quantize_dynamic(model, names, dtype=t.qint8)
