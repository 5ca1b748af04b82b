"""Finished outputs name the model that made them and the device it ran on.

A model updated on disk (a new hub revision, or new weights in a local folder) must
not keep serving the old model's outputs, wherever the hub cache lives; an output
computed on the CPU in int8 must not be served on a GPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.cache.results import ResultCache
from models.hub.fingerprint import model_fingerprint
from models.inference import device
from models.ingest.article import Article, Section
from models.service.events import OutputKey
from models.service.pipeline import Pipeline
from models.settings import Settings

MODEL = "org/summarizer"


class Models:
    """The part of a ModelSource that output keys read."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.offline = True

    def translator_id(self, source: str, target: str) -> str:
        return "org/translator"


def article() -> Article:
    text = "The council met on Monday. It approved the budget for the new school."
    return Article(title="T", sections=(Section(index=0, title="Lead", paragraphs=(text,)),))


def summary_key(settings: Settings, tmp_path: Path) -> str:
    """The cache key of section 1's summary, as a new session computes it."""
    pipeline = Pipeline(article(), Models(settings), ResultCache(None), "en")  # type: ignore[arg-type]
    return pipeline.output_cache_key(OutputKey(0, "en"))


def set_revision(hub: Path, model_id: str, revision: str) -> None:
    refs = hub / ("models--" + model_id.replace("/", "--")) / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(revision, encoding="utf-8")


@pytest.fixture(params=["HF_HOME", "XDG_CACHE_HOME"])
def hub_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for name in ("HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if request.param == "HF_HOME":
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        return tmp_path / "hf" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "huggingface" / "hub"


def test_a_new_hub_revision_invalidates_finished_outputs(hub_dir: Path, tmp_path: Path) -> None:
    settings = Settings(summarizer=MODEL, cache_path=tmp_path / "c.db")
    set_revision(hub_dir, MODEL, "a" * 40)
    assert model_fingerprint(MODEL) == "a" * 40
    before = summary_key(settings, tmp_path)
    set_revision(hub_dir, MODEL, "b" * 40)  # `precis models pull` fetched a new revision
    assert summary_key(settings, tmp_path) != before


def test_new_weights_in_a_local_folder_invalidate_finished_outputs(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"old weights")
    settings = Settings(summarizer=str(folder), cache_path=tmp_path / "c.db")
    before = summary_key(settings, tmp_path)
    (folder / "model.safetensors").write_bytes(b"new, retrained weights")
    assert summary_key(settings, tmp_path) != before


def test_outputs_are_keyed_on_the_resolved_device_not_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(summarizer=MODEL, device="auto", cache_path=tmp_path / "c.db")
    on_cpu = summary_key(settings, tmp_path)
    assert on_cpu == summary_key(settings.replace(device="cpu"), tmp_path)
    assert on_cpu != summary_key(settings.replace(quantize=False), tmp_path)  # int8 vs fp32
    # The same settings on a machine with a CUDA build of torch and an NVIDIA GPU.
    gpus = tmp_path / "gpus"
    (gpus / "0000:01:00.0").mkdir(parents=True)
    monkeypatch.setattr(device, "NVIDIA_GPUS", gpus)
    monkeypatch.setattr(device, "_torch_is_cuda_build", lambda: True)
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    assert device.predict_device("auto") == "cuda"
    assert summary_key(settings, tmp_path) != on_cpu


def test_outputs_name_the_engine_that_makes_them_not_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With engine = "auto", outputs CTranslate2 would make are never served where
    transformers runs (no ctranslate2 wheel, or its model cache switched off)."""
    from models.inference import engines

    settings = Settings(summarizer=MODEL, engine="auto", cache_path=tmp_path / "c.db")
    monkeypatch.setenv("PRECIS_CT2_CACHE", str(tmp_path / "ct2"))
    monkeypatch.setattr(engines, "ct2_installed", lambda: True)
    with_ct2 = summary_key(settings, tmp_path)
    assert with_ct2 == summary_key(settings.replace(engine="ctranslate2"), tmp_path)
    monkeypatch.setattr(engines, "ct2_installed", lambda: False)
    without = summary_key(settings, tmp_path)
    assert without != with_ct2
    assert without == summary_key(settings.replace(engine="transformers"), tmp_path)
    monkeypatch.setattr(engines, "ct2_installed", lambda: True)
    monkeypatch.setenv("PRECIS_CT2_CACHE", "off")
    assert summary_key(settings, tmp_path) == without
