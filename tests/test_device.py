"""Device and precision resolution, and that asking for them stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.errors import ModelError
from models.inference import lazy_torch as hf
from models.inference.device import precision_for, resolve_device

ROOT = Path(__file__).resolve().parents[1]


def _gpus(monkeypatch: pytest.MonkeyPatch, *, cuda: bool, mps: bool, bf16: bool = True) -> None:
    monkeypatch.setattr(hf, "cuda_available", lambda: cuda)
    monkeypatch.setattr(hf, "mps_available", lambda: mps)
    monkeypatch.setattr(hf, "cuda_bf16_supported", lambda: cuda and bf16)


def test_cpu_is_cpu() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device(" CPU ") == "cpu"


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    _gpus(monkeypatch, cuda=cuda, mps=mps)
    assert resolve_device("auto") == expected


@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_unavailable_accelerator_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _gpus(monkeypatch, cuda=False, mps=False)
    with pytest.raises(ModelError) as info:
        resolve_device(name)
    message = str(info.value)
    assert name in message and "not available" in message and "\n" not in message


def test_available_accelerator_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    _gpus(monkeypatch, cuda=True, mps=True)
    assert resolve_device("cuda") == "cuda"
    assert resolve_device("mps") == "mps"


def test_unknown_device_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        resolve_device("tpu")


def test_precision_per_device(monkeypatch: pytest.MonkeyPatch) -> None:
    _gpus(monkeypatch, cuda=True, mps=False, bf16=True)
    assert precision_for("cpu", False) == "fp32"
    assert precision_for("cpu", True) == "int8"
    assert precision_for("cuda", True) == "bf16"  # dynamic int8 is CPU-only
    assert precision_for("mps", False) == "fp16"
    _gpus(monkeypatch, cuda=True, mps=False, bf16=False)
    assert precision_for("cuda", False) == "fp16"




def test_importing_the_model_layer_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import models.inference.lazy_torch, models.inference.device, models.inference.loader\n"
        "import models.inference.generate, models.inference.seq2seq\n"
        "from models.inference.device import resolve_device\n"
        "assert resolve_device('cpu') == 'cpu'\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
