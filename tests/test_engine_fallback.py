"""A CTranslate2 conversion that fails or is skipped, through the real service.

The reader and the export build the service with `session.open_service`; a model
that falls back to transformers must (1) reach the listener as `ConversionProgress`
events, progress first and then one line saying why, and (2) have its outputs cached
under a key that names transformers, never under the CTranslate2 key another run
(where the conversion works) would look up. Failures are real: a cache folder that
cannot be written (may pass: tried again next run), and a tiny BART whose activation
function the converter does not know while transformers runs it (fails for good:
remembered, not tried again). Skips cleanly where the ctranslate2 wheel is missing.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from models.inference import ct2_convert, ct2_engine, engines
from models.service.events import SUMMARY, ConversionProgress, Output, OutputKey, ServiceEvent
from models.service.scheduler import PrecisService
from models.service.session import open_service
from models.settings import Settings
from models.types import Length

pytestmark = pytest.mark.skipif(not engines.ct2_installed(), reason="ctranslate2 not installed")

KEY = OutputKey(0, "en", SUMMARY, Length.SHORT)
OTHER = OutputKey(1, "en", SUMMARY, Length.SHORT)


def _settings(summarizer: Path, tmp_path: Path) -> Settings:
    return Settings(
        summarizer=str(summarizer),
        engine="auto",
        device="cpu",
        quantize=False,
        offline=True,
        decoding="fast",
        cache_path=tmp_path / "cache.sqlite3",
    )


def _open(settings: Settings) -> tuple[PrecisService, list[ServiceEvent]]:
    service = open_service(settings, None, reader=False)  # the bundled English sample
    events: list[ServiceEvent] = []
    service.set_listener(events.append)
    return service, events


def _close(service: PrecisService) -> None:
    service.close()
    service.cache.close()


def _output(service: PrecisService, key: OutputKey) -> Output:
    (out,) = service.compute([key])
    assert isinstance(out, Output), out
    return out


def _conversions(events: list[ServiceEvent]) -> list[ConversionProgress]:
    return [e for e in events if isinstance(e, ConversionProgress)]


def _convert_in_process(settings: Settings, service: PrecisService, folder: Path) -> None:
    """The conversion a working run makes, made here (the child process costs ~10 s)."""
    provider: Any = service.provider
    resolved = provider.require(settings.summarizer)
    compute_type = ct2_engine.compute_type_for("cpu", quantize=False)
    directory = ct2_convert.default_dir()
    assert directory is not None
    out = ct2_convert.converted_folder(
        directory,
        resolved.model_id,
        resolved.revision,
        folder,
        compute_type,
    )
    ct2_convert.convert_now(folder, out, compute_type, allow_pickle=False)


def test_a_failed_conversion_is_never_served_as_ctranslate2s_output(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 1 cannot write its conversion and falls back; run 2 converts and runs
    CTranslate2. Run 2 must not be handed run 1's transformers summary as its own
    (it was, when the key named the engine predicted before loading)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(ct2_convert.ENV, str(blocker / "ct2"))
    settings = _settings(tiny_models["summarizer"], tmp_path)

    service, events = _open(settings)
    assert "ctranslate2 fp32" in service.model_info()  # predicted before loading
    first = _output(service, KEY)
    assert "transformers fp32" in first.models[0], first.models
    (fallback,) = _conversions(events)
    assert fallback.finished and fallback.error is not None
    assert "cannot write converted models to" in fallback.error
    assert fallback.error.endswith("; using transformers") and "\n" not in fallback.error
    assert "transformers fp32" in service.model_info()  # the status line, after it
    hit = service.peek(KEY)  # cached under the key that names transformers
    assert hit is not None and hit.text == first.text and hit.models == first.models
    _close(service)

    monkeypatch.setenv(ct2_convert.ENV, str(tmp_path / "ct2"))
    service, events = _open(settings)
    _convert_in_process(settings, service, tiny_models["summarizer"])
    assert service.peek(KEY) is None  # run 1's transformers output is not CTranslate2's
    second = _output(service, KEY)
    assert "ctranslate2 fp32" in second.models[0], second.models
    assert _conversions(events) == []  # nothing to convert, nothing fell back
    again = service.peek(KEY)
    assert again is not None and again.models == second.models
    _close(service)


def test_a_conversion_that_fails_for_good_is_remembered_and_keyed_as_transformers(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The converter refuses the model (an activation it does not know): the fallback
    is said in one line, remembered beside the conversion cache, and the next run
    predicts transformers before loading (status line, cache keys) and does not try
    the conversion again."""
    folder = tmp_path / "tanh-bart"
    shutil.copytree(tiny_models["summarizer"], folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["activation_function"] = "tanh"  # transformers runs it; CTranslate2 cannot
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    ct2_cache = tmp_path / "ct2"
    monkeypatch.setenv(ct2_convert.ENV, str(ct2_cache))
    settings = _settings(folder, tmp_path)

    service, events = _open(settings)
    first = _output(service, KEY)
    assert "transformers fp32" in first.models[0]
    conversions = _conversions(events)
    assert conversions[0] == ConversionProgress(conversions[0].model_id, 0, None, False)
    assert all(not c.finished for c in conversions[:-1])
    end = conversions[-1]
    assert end.finished and end.error is not None and "\n" not in end.error
    assert "CTranslate2 unavailable (conversion failed: KeyError: 'tanh')" in end.error
    (remembered,) = ct2_cache.glob("*" + ct2_convert.FAILED_SUFFIX)
    assert "KeyError: 'tanh'" in remembered.read_text(encoding="utf-8")
    _close(service)

    def no_conversion(*args: object, **kwargs: object) -> Any:
        raise AssertionError("converted again")

    monkeypatch.setattr(ct2_convert.subprocess, "Popen", no_conversion)
    service, events = _open(settings)
    assert "transformers fp32" in service.model_info()  # before anything loads
    hit = service.peek(KEY)
    assert hit is not None and hit.text == first.text  # run 1's output, rightly keyed
    assert "transformers fp32" in _output(service, OTHER).models[0]
    (note,) = _conversions(events)
    assert note.finished and note.error is not None and "in an earlier run" in note.error
    _close(service)


def test_conversion_progress_reaches_the_listener_and_a_skip_falls_back(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conversion in the child process reports progress as a download does; the
    reader's escape (`skip_conversions`) stops it and transformers runs the model,
    keyed as transformers, while nothing is remembered for the next run."""
    ct2_cache = tmp_path / "ct2"
    monkeypatch.setenv(ct2_convert.ENV, str(ct2_cache))
    settings = _settings(tiny_models["summarizer"], tmp_path)
    service, events = _open(settings)
    predicted = service._pipeline.output_cache_key(KEY)
    started = threading.Event()
    provider: Any = service.provider

    def skip_when_started(event: ServiceEvent) -> None:
        events.append(event)
        if isinstance(event, ConversionProgress) and not event.finished:
            started.set()

    service.set_listener(skip_when_started)
    result: list[Output] = []
    worker = threading.Thread(target=lambda: result.append(_output(service, KEY)))
    worker.start()
    assert started.wait(60), "no conversion progress"
    assert provider.skip_conversions() == [_conversions(events)[0].model_id]
    worker.join(120)
    assert result and "transformers fp32" in result[0].models[0]
    end = _conversions(events)[-1]
    assert end.finished and end.error is not None
    assert end.error.endswith(": CTranslate2 conversion skipped; using transformers")
    assert service._pipeline.output_cache_key(KEY) != predicted  # keyed as transformers
    assert service.peek(KEY) is not None
    _close(service)
    assert not list(ct2_cache.glob("*" + ct2_convert.FAILED_SUFFIX))  # tried again next run
