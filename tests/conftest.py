"""Shared test setup: tiny models built once per session, and the `slow` marker.

Model tests load tiny random-weight models through the real loading path (see
scripts/make_tiny_models.py); tests that need real checkpoints or the network
are marked `slow` and run only with `--run-slow`. The loaded tiny models and a
spy on `generate` are shared here; the same models on each inference engine
(`engine`, `tiny_bart`...) come from the plugin tests/engine_params.py.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from models.inference.loader import LoadedModel

ROOT = Path(__file__).resolve().parents[1]
# The `engine` fixture and the tiny models on each engine (tiny_bart, tiny_marian,
# tiny_m2m): model-layer tests run on transformers and on CTranslate2.
pytest_plugins = ["engine_params"]

# Tiny models gain nothing from a second thread, and on a busy 2-core machine
# OpenMP's spin-waiting made their generation several times slower. Read by
# torch when it is first imported, which no test module does at import time.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Quantized loads in tests must not write int8 weight files into the user's cache;
# tests of that cache pass their own folder.
os.environ.setdefault("PRECIS_INT8_CACHE", "off")
# Pickle checkpoints converted to safetensors (models.inference.weights) go to a
# folder of this test run, never into the user's cache.
os.environ.setdefault("PRECIS_CONVERTED_DIR", tempfile.mkdtemp(prefix="precis-test-converted-"))
# Nor CTranslate2 conversions: with its cache off, engine "auto" runs transformers;
# tests on the CTranslate2 engine pass their own folder (tests/engine_params.py).
os.environ.setdefault("PRECIS_CT2_CACHE", "off")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (network, real model weights)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: needs --run-slow (network or real weights)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _make_tiny_models() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_tiny_models", ROOT / "scripts" / "make_tiny_models.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"summarizer": BART folder, "translator": Marian en->de folder,
    "multilingual": M2M100 folder}, built once per session (~1 s after imports)."""
    return _make_tiny_models().build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


def _load(folder: Path) -> LoadedModel:
    from models.inference.loader import ModelLoader

    return ModelLoader().load(str(folder), device="cpu")


@pytest.fixture(scope="module")
def bart(tiny_models: dict[str, Path]) -> LoadedModel:
    """The tiny BART summarizer, loaded once per test module."""
    return _load(tiny_models["summarizer"])


@pytest.fixture(scope="module")
def marian(tiny_models: dict[str, Path]) -> LoadedModel:
    """The tiny Marian en->de translator, loaded once per test module."""
    return _load(tiny_models["translator"])


@pytest.fixture(scope="module")
def m2m(tiny_models: dict[str, Path]) -> LoadedModel:
    """The tiny multilingual M2M100 translator, loaded once per test module."""
    return _load(tiny_models["multilingual"])


@pytest.fixture
def spy_generate(monkeypatch: pytest.MonkeyPatch) -> Callable[[LoadedModel], list[dict[str, Any]]]:
    """`spy_generate(loaded)`: the keyword arguments of each later `generate` call, in order."""

    def spy_on(loaded: LoadedModel) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        real = loaded.model.generate

        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return real(*args, **kwargs)

        monkeypatch.setattr(loaded.model, "generate", spy)
        return calls

    return spy_on
