"""The int8 cache gives the very model a fresh quantization gives, or none at all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from models.inference import int8_cache
from models.inference import lazy_torch as hf
from models.inference.loader import LoadedModel, ModelLoader

INPUTS = [
    "The council approved the new budget on Tuesday after a long debate.",
    "Scientists found water ice near the south pole of the moon.",
    "Rain is expected tomorrow.",
]


def _ids(loaded: LoadedModel) -> list[list[int]]:
    torch = hf.torch()
    batch = loaded.tokenizer(INPUTS, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = loaded.model.generate(
            **batch, num_beams=1, do_sample=False, min_new_tokens=12, max_new_tokens=12
        )
    return out.tolist()


def _files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.safetensors"))


@pytest.fixture
def models(tiny_models: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Private copies: the cache key holds the folder's path and file times."""
    return {k: shutil.copytree(tiny_models[k], tmp_path / k) for k in ("summarizer", "translator")}


@pytest.mark.parametrize("kind", ["summarizer", "translator"])
def test_cached_model_generates_the_same_tokens(
    models: dict[str, Path], tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = hf.torch()
    cache = tmp_path / "int8"
    source = str(models[kind])
    fresh = ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True)
    assert len(_files(cache)) == 1
    written = _files(cache)[0].stat().st_mtime_ns

    calls: list[object] = []
    auto = hf.transformers().AutoModelForSeq2SeqLM
    monkeypatch.setattr(auto, "from_pretrained", lambda *a, **k: calls.append(a))
    cached = ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True)
    assert calls == []  # the float32 checkpoint was not read
    assert _files(cache)[0].stat().st_mtime_ns == written  # used, not rewritten

    assert cached.precision == "int8" and not cached.model.training
    assert type(cached.model) is type(fresh.model)
    quantized = torch.ao.nn.quantized.dynamic.Linear
    kinds = [type(m).__name__ for m in fresh.model.modules()]
    assert kinds == [type(m).__name__ for m in cached.model.modules()]
    assert any(isinstance(m, quantized) for m in cached.model.modules())
    # Every Linear int8 but the output projection, float32 as in a fresh quantization.
    plain = [n for n, m in cached.model.named_modules() if type(m) is torch.nn.Linear]
    assert plain == ["lm_head"]
    # Embeddings (and the output projection) stay tied as in the checkpoint.
    inner = cached.model.model
    assert inner.encoder.embed_tokens.weight is inner.shared.weight
    assert inner.decoder.embed_tokens.weight is inner.shared.weight
    assert cached.model.lm_head.weight is inner.shared.weight
    fresh_state, cached_state = fresh.model.state_dict(), cached.model.state_dict()
    assert fresh_state.keys() == cached_state.keys()
    for name, value in fresh_state.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, cached_state[name]), name
    assert fresh.model.generation_config.to_dict() == cached.model.generation_config.to_dict()
    assert _ids(fresh) == _ids(cached)


def test_the_file_is_plain_safetensors(models: dict[str, Path], tmp_path: Path) -> None:
    from safetensors import safe_open

    cache = tmp_path / "int8"
    ModelLoader(int8_cache=cache).load(str(models["translator"]), device="cpu", quantize=True)
    with safe_open(str(_files(cache)[0]), framework="pt") as f:
        assert f.metadata()["format"] == int8_cache.FORMAT
        names = set(f.keys())
        weight = f.get_tensor("q.model.encoder.layers.0.fc1.int8")
    assert weight.dtype == hf.torch().int8
    assert "q.lm_head.int8" not in names  # lm_head stays float32: the tied embedding


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_file_is_rebuilt(models: dict[str, Path], tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "int8"
    source = str(models["summarizer"])
    expected = _ids(ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True))
    (path,) = _files(cache)
    good = path.read_bytes()
    bad = {"truncate": good[: len(good) // 2], "garbage": os.urandom(4000), "empty": b""}
    path.write_bytes(bad[damage])
    again = ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True)
    assert _ids(again) == expected
    assert path.read_bytes() == good  # rebuilt in place


def test_changed_weights_invalidate_the_cache(models: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "int8"
    source = str(models["translator"])
    ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True)
    (old,) = _files(cache)
    weights = models["translator"] / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    ModelLoader(int8_cache=cache).load(source, device="cpu", quantize=True)
    (new,) = _files(cache)  # a new key; the stale copy of this folder is gone
    assert new != old


def test_env_var_picks_the_folder_and_off_disables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(int8_cache.ENV, str(tmp_path / "here"))
    assert int8_cache.default_dir() == tmp_path / "here"
    monkeypatch.setenv(int8_cache.ENV, "off")
    assert int8_cache.default_dir() is None


def test_fp32_loads_write_nothing(models: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "int8"
    ModelLoader(int8_cache=cache).load(str(models["translator"]), device="cpu")
    assert not cache.exists()
