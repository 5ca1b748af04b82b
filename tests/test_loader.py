"""Loading tiny models through the real path: once per key, safely, with clear errors.

The last tests load through `EngineLoader` on both engines (tests/engine_params.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from engine_params import LoadTiny, convert_in_process, needs_ct2, tiny_name

from models.errors import ModelError
from models.inference import lazy_torch as hf
from models.inference.budgets import GenerationSettings
from models.inference.decoding import checkpoint_decoding
from models.inference.engines import CTRANSLATE2, TRANSFORMERS, EngineLoader, engine_of
from models.inference.generate import generate_texts
from models.inference.loader import LoadedModel, ModelLoader, load_model, max_input_tokens

ROOT = Path(__file__).resolve().parents[1]
REV = "0123456789abcdef0123456789abcdef01234567"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_loads_a_folder_ready_to_generate(tiny_models: dict[str, Path]) -> None:
    loaded = ModelLoader().load(str(tiny_models["summarizer"]), device="cpu")
    assert loaded.name == str(tiny_models["summarizer"])
    assert loaded.revision is None
    assert (loaded.device, loaded.precision) == ("cpu", "fp32")
    assert loaded.max_input_tokens == 256  # the tiny BART's window
    assert loaded.is_encoder_decoder
    assert not loaded.model.training
    assert type(loaded.model).__name__ == "BartForConditionalGeneration"
    # The checkpoint's own length limits (min 56 tokens) must not reach generation.
    assert loaded.model.generation_config.min_length is None
    assert loaded.model.generation_config.max_length is None


def test_marian_window_comes_from_the_tokenizer_and_config(tiny_models: dict[str, Path]) -> None:
    loaded = ModelLoader().load(str(tiny_models["translator"]), device="cpu")
    assert type(loaded.tokenizer).__name__ == "MarianTokenizer"
    assert loaded.max_input_tokens == 128


def test_max_input_tokens_ignores_unset_limits() -> None:
    unset = SimpleNamespace(model_max_length=int(1e30))
    assert max_input_tokens(unset, SimpleNamespace(max_position_embeddings=1024)) == 1024
    assert max_input_tokens(SimpleNamespace(model_max_length=512), SimpleNamespace()) == 512
    assert max_input_tokens(unset, SimpleNamespace()) == 512  # T5: no position table


def test_same_key_gives_the_same_object(tiny_models: dict[str, Path]) -> None:
    loader = ModelLoader()
    source = str(tiny_models["summarizer"])
    first = loader.load(source, device="cpu")
    assert loader.load(source, device="cpu") is first
    assert loader.load(source, device="cpu", quantize=True) is not first
    assert len(loader.loaded()) == 2


def test_concurrent_loads_of_one_model_load_once(
    tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    auto = hf.transformers().AutoModelForSeq2SeqLM
    real = auto.from_pretrained
    calls: list[str] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(auto, "from_pretrained", counting)
    loader = ModelLoader()
    barrier = threading.Barrier(4)
    got: list[object] = []

    def worker() -> None:
        barrier.wait()
        got.append(loader.load(str(tiny_models["translator"]), device="cpu"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 4 and all(g is got[0] for g in got)
    assert calls == [str(tiny_models["translator"])]


def test_quantize_on_cpu_is_dynamic_int8(tiny_models: dict[str, Path]) -> None:
    torch = hf.torch()
    loaded = ModelLoader().load(str(tiny_models["summarizer"]), device="cpu", quantize=True)
    assert loaded.precision == "int8"
    quantized = torch.ao.nn.quantized.dynamic.Linear
    assert any(isinstance(m, quantized) for m in loaded.model.modules())
    # Every Linear is int8 but the output projection, which stays float32 (Intel's
    # int8 distilbart kept it so): its weight is the tied float32 embedding itself.
    plain = [n for n, m in loaded.model.named_modules() if type(m) is torch.nn.Linear]
    assert plain == ["lm_head"]
    assert loaded.model.lm_head.weight is loaded.model.get_input_embeddings().weight


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("corrupt_weights", "cannot load model"),
        ("truncated_weights", "cannot load model"),
        ("no_config", "no config.json"),
        ("bad_config", "cannot load model"),
        ("no_tokenizer", "no tokenizer files"),
        ("other_tokenizer", "tokenizer has 600 tokens but the model 321"),
    ],
)
def test_broken_folders_give_one_line_naming_the_model(
    tiny_models: dict[str, Path], tmp_path: Path, breakage: str, expected: str
) -> None:
    base = "translator" if breakage == "other_tokenizer" else "summarizer"
    folder = _copy(tiny_models[base], tmp_path / breakage)
    weights = folder / "model.safetensors"
    if breakage == "corrupt_weights":
        weights.write_bytes(os.urandom(2000))
    elif breakage == "truncated_weights":
        weights.write_bytes(weights.read_bytes()[:5000])
    elif breakage == "no_config":
        (folder / "config.json").unlink()
    elif breakage == "bad_config":
        (folder / "config.json").write_text("{", encoding="utf-8")
    elif breakage == "no_tokenizer":
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (folder / name).unlink()
    elif breakage == "other_tokenizer":
        for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
            (folder / name).unlink()
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(tiny_models["summarizer"] / name, folder / name)
    with pytest.raises(ModelError) as info:
        ModelLoader().load(str(folder), device="cpu")
    message = str(info.value)
    assert expected in message
    assert str(folder) in message
    assert "\n" not in message


def test_missing_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model folder at"):
        ModelLoader().load(str(tmp_path / "nowhere"), device="cpu")


def test_snapshot_folder_records_its_revision(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    snapshot = tmp_path / "models--org--tiny" / "snapshots" / REV
    _copy(tiny_models["summarizer"], snapshot)
    loaded = load_model(str(snapshot), device="cpu")
    assert loaded.revision == REV


def test_hub_id_loads_offline_from_the_cache(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    repo = tmp_path / "hub" / "models--org--tiny-marian"
    _copy(tiny_models["translator"], repo / "snapshots" / REV)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REV, encoding="utf-8")
    # HF_HUB_OFFLINE and the cache path are read when huggingface_hub is imported:
    # a fresh interpreter sees them as a user's run would.
    code = (
        "import json\n"
        "from models.inference.loader import ModelLoader\n"
        "from models.errors import ModelMissingError\n"
        "m = ModelLoader().load('org/tiny-marian', device='cpu', local_files_only=True)\n"
        "try:\n"
        "    ModelLoader().load('org/absent', device='cpu', local_files_only=True)\n"
        "    missing = None\n"
        "except ModelMissingError as exc:\n"
        "    missing = [str(exc), exc.model_id]\n"
        "print(json.dumps([m.name, m.revision, m.max_input_tokens, missing]))\n"
    )
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_CACHE", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    name, revision, window, missing = json.loads(result.stdout.strip().splitlines()[-1])
    assert (name, revision, window) == ("org/tiny-marian", REV, 128)
    assert missing[1] == "org/absent" and "not downloaded" in missing[0]


# -- both engines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "window", "beams"),
    [("summarizer", 256, 4), ("translator", 128, 4), ("multilingual", 128, 5)],
)
def test_both_engines_load_the_same_model(
    load_tiny: LoadTiny, engine: str, kind: str, window: int, beams: int
) -> None:
    loaded = load_tiny(kind, engine)
    reference = load_tiny(kind, TRANSFORMERS)
    assert engine_of(loaded) == engine
    assert (loaded.name, loaded.revision) == (tiny_name(kind), None)
    assert (loaded.device, loaded.precision) == ("cpu", "fp32")
    assert loaded.max_input_tokens == window and loaded.is_encoder_decoder
    # The same decoding from the checkpoint (distilbart keeps it in config.json) and
    # the same forced tokens: both engines generate as the model card says.
    decoding = checkpoint_decoding(loaded.model.generation_config)
    assert decoding == checkpoint_decoding(reference.model.generation_config)
    assert decoding.num_beams == beams
    for field in ("forced_bos_token_id", "forced_eos_token_id", "eos_token_id"):
        mine = getattr(loaded.model.generation_config, field, None)
        assert mine == getattr(reference.model.generation_config, field, None), field
    assert type(loaded.tokenizer) is type(reference.tokenizer)


@needs_ct2
def test_ctranslate2_quantizes_to_int8_on_cpu(
    load_tiny: LoadTiny, ct2_cache: Path, tiny_models: dict[str, Path]
) -> None:
    convert_in_process(ct2_cache, tiny_name("summarizer"), tiny_models["summarizer"], quantize=True)
    loader = EngineLoader(ModelLoader(int8_cache=False), ct2_cache=ct2_cache)
    loaded = loader.load(
        tiny_models["summarizer"],
        name=tiny_name("summarizer"),
        revision=None,
        engine=CTRANSLATE2,
        device="cpu",
        quantize=True,
    )
    assert engine_of(loaded) == CTRANSLATE2 and loader.notes == []
    assert loaded.precision == "int8" and loaded.model.compute_type == "int8"
    assert loaded.model.folder != load_tiny("summarizer", CTRANSLATE2).model.folder  # fp32
    settings = GenerationSettings(8, 1, num_beams=2)
    assert generate_texts(loaded, ["The council met on Monday."], [settings])[0].text


def test_concurrent_loads_on_an_engine_load_once(
    engine: str, tmp_path: Path, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tiny_models["translator"]
    calls: list[str] = []
    if engine == CTRANSLATE2:
        from models.inference import ct2_convert, ct2_engine

        def convert(snapshot: Path, out: Path, quantization: str, **kwargs: Any) -> Path:
            # In this process (the child process precis converts in costs ~10 s here).
            return ct2_convert.convert_now(snapshot, out, quantization, allow_pickle=False)

        monkeypatch.setattr(ct2_convert, "ensure_converted", _counting(convert, "convert", calls))
        monkeypatch.setattr(ct2_engine, "load", _counting(ct2_engine.load, "load", calls))
    else:
        auto = hf.transformers().AutoModelForSeq2SeqLM
        monkeypatch.setattr(
            auto, "from_pretrained", _counting(auto.from_pretrained, "from_pretrained", calls)
        )
    loader = EngineLoader(ModelLoader(int8_cache=False), ct2_cache=tmp_path / "ct2")
    barrier = threading.Barrier(4)
    got: list[LoadedModel] = []

    def worker() -> None:
        barrier.wait()
        model = loader.load(
            folder,
            name=tiny_name("translator"),
            revision=None,
            engine=engine,
            device="cpu",
            quantize=False,
        )
        got.append(model)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 4 and all(g.model is got[0].model for g in got)
    assert all(engine_of(g) == engine for g in got)
    once = ["convert", "load"] if engine == CTRANSLATE2 else ["from_pretrained"]
    assert calls == once


def _counting(real: Callable[..., Any], name: str, calls: list[str]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    return counted
