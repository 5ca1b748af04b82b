"""Broken models, through the service and the export command: one line, nothing cached.

A model folder can lack files, hold corrupt or pickle-only weights, or pair a
tokenizer with the wrong model; generation can run out of memory. Each must reach
the person as one line (a `Failure` in the reader, exit 2 in `precis export`),
leave nothing in the cache for what failed, and leave the rest of the article
working. Real tiny models, the real provider and loader; faults are made by
breaking copies of the model folders or by making `generate` raise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.cache.results import ResultCache
from models.inference import loader as loader_module
from models.ingest.sources import read_article
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
from models.service.provider import ModelProvider
from models.service.scheduler import PrecisService
from models.settings import Settings
from models.types import Length
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
BREAKAGES = ["no_tokenizer", "no_weights", "corrupt_safetensors", "pickle_only", "mismatch"]
# What the one line says. A tokenizer smaller than its model's vocabulary is normal
# (embeddings are often padded), so that mismatch shows only when generation makes an
# id the tokenizer cannot decode: the translator case below.
EXPECTED = {
    "no_tokenizer": ("no tokenizer files",),
    "no_weights": ("cannot load model",),
    "corrupt_safetensors": ("cannot load model",),
    "pickle_only": ("refusing pickle checkpoint",),
    "mismatch": ("tokenizer has", "failed: IndexError"),
}


def broken_folder(tiny: dict[str, Path], role: str, breakage: str, where: Path) -> Path:
    """A copy of the tiny `role` model ("summarizer" | "translator"), broken as named."""
    folder = where / f"{role}-{breakage}"
    source = tiny[role]
    if breakage == "mismatch":  # the translator's weights with the summarizer's tokenizer
        source = tiny["translator"] if role == "summarizer" else tiny["summarizer"]
        shutil.copytree(source, folder)
        other = tiny["summarizer"] if source == tiny["translator"] else tiny["translator"]
        for name in ("source.spm", "target.spm", "vocab.json", "tokenizer.json"):
            (folder / name).unlink(missing_ok=True)
        (folder / "tokenizer_config.json").unlink(missing_ok=True)
        for item in other.iterdir():
            if item.name not in ("config.json", "generation_config.json", "model.safetensors"):
                shutil.copy(item, folder / item.name)
        return folder
    shutil.copytree(source, folder)
    weights = folder / "model.safetensors"
    if breakage == "no_tokenizer":
        for name in ("tokenizer.json", "tokenizer_config.json", "source.spm", "target.spm"):
            (folder / name).unlink(missing_ok=True)
        for name in ("vocab.json",):
            (folder / name).unlink(missing_ok=True)
    elif breakage == "no_weights":
        weights.unlink()
    elif breakage == "corrupt_safetensors":
        data = bytearray(weights.read_bytes())
        data[8:200] = os.urandom(192)  # the JSON header that says where tensors are
        weights.write_bytes(bytes(data))
    elif breakage == "pickle_only":
        weights.unlink()
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x04\x95" + os.urandom(512))
    return folder


@pytest.fixture(scope="module")
def article():
    return read_article(None)


def settings_for(tmp_path: Path, **models: str) -> Settings:
    return Settings(lang="de", offline=True, cache_path=tmp_path / "cache.sqlite3", **models)


def service_for(article, settings: Settings, *, fallback: bool = False) -> PrecisService:  # type: ignore[no-untyped-def]
    return PrecisService(
        article,
        ModelProvider(settings),
        ResultCache(settings.cache_path),
        prefetch=False,
        fallback_extractive=fallback,
    )


def check_failure(result: object, *needles: str) -> Failure:
    assert isinstance(result, Failure), result
    message = result.message
    assert message and "\n" not in message and "Traceback" not in message
    assert not message.startswith("internal error"), message  # a bug, not a model fault
    for needle in needles:
        assert needle in message, message
    return result


def says(message: str, breakage: str) -> bool:
    return any(expected in message for expected in EXPECTED[breakage])


def close(service: PrecisService) -> None:
    service.close()
    service.cache.close()


# -- broken model folders, through the service ------------------------------------------------


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_summarizer_fails_one_line_and_the_rest_works(
    tiny_models: dict[str, Path], tmp_path: Path, article, breakage: str
) -> None:
    folder = broken_folder(tiny_models, "summarizer", breakage, tmp_path)
    settings = settings_for(
        tmp_path, summarizer=str(folder), translator=str(tiny_models["translator"])
    )
    key = OutputKey(0, "de", SUMMARY, Length.SHORT)
    service = service_for(article, settings)
    try:
        [result] = service.compute([key])
        assert says(check_failure(result, str(folder)).message, breakage)
        assert service.peek(key) is None
        # The translator is fine: a full translation of another section works.
        [other] = service.compute([OutputKey(2, "de", TRANSLATION)])
        assert isinstance(other, Output) and other.text.strip()
        assert service.cache.warnings == []
    finally:
        close(service)
    # The reader falls back to extractive summaries, says so, and does not keep the
    # fallback as if it were the configured summarizer's output.
    reader = service_for(article, settings, fallback=True)
    try:
        [fallback] = reader.compute([key])
        assert isinstance(fallback, Output) and fallback.extractive
        assert fallback.note and says(fallback.note, breakage)
        assert reader.peek(key) is None
    finally:
        close(reader)


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_translator_fails_one_line_and_the_rest_works(
    tiny_models: dict[str, Path], tmp_path: Path, article, breakage: str
) -> None:
    folder = broken_folder(tiny_models, "translator", breakage, tmp_path)
    settings = settings_for(tmp_path, summarizer="extractive", translator=str(folder))
    keys = [OutputKey(1, "de", SUMMARY, Length.SHORT), OutputKey(3, "de", TRANSLATION)]
    service = service_for(article, settings)
    try:
        for key, result in zip(keys, service.compute(keys), strict=True):
            assert says(check_failure(result, str(folder)).message, breakage)
            assert service.peek(key) is None
        # Summaries in the article's own language need no translator.
        english = service.compute([OutputKey(i, "en", SUMMARY) for i in range(3)])
        assert all(isinstance(o, Output) and o.text.strip() for o in english)
    finally:
        close(service)


# -- out of memory during generation --------------------------------------------------------


def oom_on_generate(monkeypatch: pytest.MonkeyPatch, folder: Path, error: BaseException) -> None:
    """Every model loaded from `folder` raises `error` from generate()."""
    real = loader_module.load_model

    def load(source: str, **kwargs):  # type: ignore[no-untyped-def]
        loaded = real(source, **kwargs)
        if Path(source) == folder:

            def generate(*args, **kw):  # type: ignore[no-untyped-def]
                raise error

            loaded.model.generate = generate
        return loaded

    monkeypatch.setattr(loader_module, "load_model", load)


def oom_errors() -> list[BaseException]:
    import torch

    return [
        torch.OutOfMemoryError(
            "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total)\n"
            "If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF"
        ),
        RuntimeError("CUDA out of memory"),
        MemoryError(),
    ]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["torch-oom", "cuda-runtime", "memory-error"])
def test_out_of_memory_in_generation_is_a_failure_and_nothing_is_cached(
    tiny_models: dict[str, Path], tmp_path: Path, article, monkeypatch, which: int
) -> None:
    error = oom_errors()[which]
    oom_on_generate(monkeypatch, tiny_models["summarizer"], error)
    settings = settings_for(
        tmp_path,
        summarizer=str(tiny_models["summarizer"]),
        translator=str(tiny_models["translator"]),
    )
    service = service_for(article, settings)
    try:
        keys = [OutputKey(i, "de", SUMMARY, Length.MEDIUM) for i in (1, 2)]
        for key, result in zip(keys, service.compute(keys), strict=True):
            failure = check_failure(result, "failed to generate")
            assert "out of memory" in failure.message.lower() or which == 2
            assert service.peek(key) is None
        assert service.cache.stats().entries == 0  # no step of the failed work was kept
        # The translator still works, and so does the same service afterwards.
        [translation] = service.compute([OutputKey(4, "de", TRANSLATION)])
        assert isinstance(translation, Output) and translation.text.strip()
    finally:
        close(service)


# -- the same faults through `precis export` -------------------------------------------------


def export(tmp_path: Path, *flags: str) -> list[str]:
    """Run `precis export` in process; returns its argv (for reruns)."""
    return [
        "export",
        "--format",
        "json",
        "--offline",
        "--cache",
        str(tmp_path / "cache.sqlite3"),
        "--config",
        str(tmp_path / "no-config.toml"),
        *flags,
    ]


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("precis: "), captured.err
    assert "internal error" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_export_with_a_broken_model_exits_2_with_one_line(
    tiny_models: dict[str, Path], tmp_path: Path, capsys, breakage: str
) -> None:
    for role in ("summarizer", "translator"):
        folder = broken_folder(tiny_models, role, breakage, tmp_path)
        good = {"summarizer": "extractive", "translator": str(tiny_models["translator"])}
        models = {**good, role: str(folder)}
        argv = export(
            tmp_path,
            "--strict",  # without it, export falls back as the reader does
            "--summarizer",
            models["summarizer"],
            "--translator",
            models["translator"],
            "--lang",
            "de",
        )
        assert main(argv) == 2
        line = one_line(capsys)
        assert says(line, breakage) and str(folder) in line
    # Nothing is wrong with the article: without the broken model it exports.
    assert main(export(tmp_path, "--summarizer", "extractive")) == 0
    assert '"sections"' in capsys.readouterr().out


def test_export_out_of_memory_exits_2_with_one_line(
    tiny_models: dict[str, Path], tmp_path: Path, capsys, monkeypatch
) -> None:
    oom_on_generate(monkeypatch, tiny_models["summarizer"], oom_errors()[0])
    argv = export(
        tmp_path,
        "--summarizer",
        str(tiny_models["summarizer"]),
        "--translator",
        str(tiny_models["translator"]),
        "--lang",
        "de",
    )
    assert main(argv) == 2
    assert "CUDA out of memory. Tried to allocate 2.00 GiB" in one_line(capsys)
    settings = settings_for(
        tmp_path,
        summarizer=str(tiny_models["summarizer"]),
        translator=str(tiny_models["translator"]),
    )
    article = read_article(None)
    service = service_for(article, settings)
    try:
        for i in range(len(article.sections)):
            assert service.peek(OutputKey(i, "de", SUMMARY, Length.SHORT)) is None
    finally:
        close(service)


def test_a_corrupt_model_in_a_real_export_process(tiny_models: dict[str, Path], tmp_path: Path):
    folder = broken_folder(tiny_models, "summarizer", "corrupt_safetensors", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "tui", *export(tmp_path, "--strict", "--summarizer", str(folder))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"precis: section 1: cannot load model {folder}")
