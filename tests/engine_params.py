"""One set of model-layer tests, run on both inference engines.

A pytest plugin (tests/conftest.py names it in `pytest_plugins`). The `engine`
fixture is parametrised over transformers and CTranslate2, so a test that takes
`tiny_bart`, `tiny_marian` or `tiny_m2m` runs twice: `test_x[transformers]` and
`test_x[ctranslate2]`. The CTranslate2 variant skips with its reason where the
ctranslate2 wheel is not importable, except under `PRECIS_REQUIRE_CT2=1` (CI sets
it), where a missing wheel fails instead of hiding every CTranslate2 test.

Models are loaded through the product's own `EngineLoader`, unquantized (float32
on both engines, so their outputs can be compared token for token), once per
session. The CTranslate2 conversions of the tiny models are made once per session
into a temporary folder with the same converter the product runs
(`ct2_convert.convert_now`), in this process: the child process precis converts in
imports torch and transformers again (about 10 s per model on these 2 cores against
0.1 s here). `EngineLoader` then finds them where it keeps conversions and loads
them as on a user's second run; the child process itself (progress, cancel,
failures, reuse) is tested in tests/test_engines.py.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from models.inference.engines import (
    CTRANSLATE2,
    TRANSFORMERS,
    EngineLoader,
    ct2_installed,
    engine_of,
)
from models.inference.loader import LoadedModel, ModelLoader

ENGINES = (TRANSFORMERS, CTRANSLATE2)
REQUIRE_CT2 = "PRECIS_REQUIRE_CT2"  # "1": a missing ctranslate2 wheel fails, not skips

LoadTiny = Callable[[str, str], LoadedModel]

# For tests of CTranslate2 alone.
needs_ct2 = pytest.mark.skipif(
    not ct2_installed() and os.environ.get(REQUIRE_CT2) != "1",
    reason="ctranslate2 is not installed: the CTranslate2 engine is untested",
)


def tiny_name(kind: str) -> str:
    """The name the tiny model of `kind` is loaded under (part of its conversion's key)."""
    return f"tiny-{kind}"


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine: transformers, then ctranslate2 (skipped where its wheel is missing)."""
    name = str(request.param)
    if name == CTRANSLATE2 and os.environ.get(REQUIRE_CT2) != "1":
        pytest.importorskip(
            "ctranslate2", reason="ctranslate2 is not installed: the CTranslate2 engine is untested"
        )
    return name


@pytest.fixture(scope="session")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This session's folder of CTranslate2 conversions (never the user's cache)."""
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture(scope="session")
def engine_loader(ct2_cache: Path) -> EngineLoader:
    return EngineLoader(ModelLoader(int8_cache=False), ct2_cache=ct2_cache)


@pytest.fixture(scope="session")
def load_tiny(
    engine_loader: EngineLoader, ct2_cache: Path, tiny_models: dict[str, Path]
) -> LoadTiny:
    """load_tiny(kind, engine): the tiny model of `kind` ("summarizer", "translator",
    "multitarget", "multilingual") on `engine`, unquantized, loaded once per session."""
    loaded: dict[tuple[str, str], LoadedModel] = {}
    lock = threading.Lock()

    def load(kind: str, engine: str) -> LoadedModel:
        with lock:
            if (kind, engine) not in loaded:
                folder = tiny_models[kind]
                if engine == CTRANSLATE2:
                    convert_in_process(ct2_cache, tiny_name(kind), folder)
                model = engine_loader.load(
                    folder,
                    name=tiny_name(kind),
                    revision=None,
                    engine=engine,
                    device="cpu",
                    quantize=False,
                )
                assert engine_of(model) == engine, engine_loader.notes
                loaded[(kind, engine)] = model
            return loaded[(kind, engine)]

    return load


@pytest.fixture
def tiny_bart(load_tiny: LoadTiny, engine: str) -> LoadedModel:
    """The tiny BART summarizer (distilbart-cnn's configuration) on each engine."""
    return load_tiny("summarizer", engine)


@pytest.fixture
def tiny_marian(load_tiny: LoadTiny, engine: str) -> LoadedModel:
    """The tiny Marian en->de translator (opus-mt-en-de's configuration) on each engine."""
    return load_tiny("translator", engine)


@pytest.fixture
def tiny_m2m(load_tiny: LoadTiny, engine: str) -> LoadedModel:
    """The tiny multilingual M2M100 translator on each engine."""
    return load_tiny("multilingual", engine)


def convert_in_process(cache: Path, name: str, folder: Path, *, quantize: bool = False) -> Path:
    """The CPU conversion of `folder` that `EngineLoader` looks for in `cache` under
    `name`, made here now unless it is there."""
    from models.inference import ct2_convert, ct2_engine

    compute_type = ct2_engine.compute_type_for("cpu", quantize)
    out = ct2_convert.converted_folder(cache, name, None, folder, compute_type)
    if not ct2_convert.is_converted(out):
        ct2_convert.convert_now(folder, out, compute_type, allow_pickle=False)
    return out
