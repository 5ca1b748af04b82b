"""Which inference engine runs a seq2seq model: transformers or CTranslate2.

transformers is always there: the reference, and the only engine on CUDA/MPS
unless CTranslate2 is asked for. CTranslate2 (`ct2_engine`) runs the same
checkpoints, converted once (`ct2_convert`), several times faster with beam
search on CPU and with a fraction of the memory. The setting
`engine = "auto" | "transformers" | "ctranslate2"` picks one per device: auto
means CTranslate2 on CPU when its wheel is installed (and its conversion cache
is not turned off), transformers elsewhere.

Nothing else changes with the engine: tokenizers, chunking, budgets, decoding
settings, batching, degenerate checks and output decoding are shared. The seam is
transformers' own `model.generate(**batch, **decoding, stopping_criteria=...)`:
a CTranslate2 model answers it with the same arguments and the same output
layout (`ct2_engine.Ct2Model`), as Optimum's ONNX Runtime models do.

A CTranslate2 load that cannot happen (not installed, a device it does not run
on, a failed conversion, a conversion the reader skipped) falls back to
transformers and leaves one line in `notes` saying why. `EngineLoader.report`
hears of each conversion's progress and each fallback as it happens (the service
turns them into events the reader shows, as a download's), and `expected()` says
which engine a model will run on before it is loaded, fallbacks included, so
output cache keys always name the engine that made the output.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import Cancelled, ModelError, one_line
from models.logs import log

if TYPE_CHECKING:
    from models.inference.loader import LoadedModel, ModelLoader

AUTO, TRANSFORMERS, CTRANSLATE2 = "auto", "transformers", "ctranslate2"
ENGINES = (AUTO, TRANSFORMERS, CTRANSLATE2)



@dataclass(frozen=True)
class EngineReport:
    """What an `EngineLoader` says while it loads `model`: a conversion's progress
    (`done` of `total` bytes, `total` None while the weights are read, as a
    download's), its end (`finished`), and a fallback to transformers (`finished`,
    with `note`: one line saying why)."""

    model: str
    done: int = 0
    total: int | None = None
    finished: bool = False
    note: str | None = None


Report = Callable[[EngineReport], None]


def ct2_installed() -> bool:
    """Whether the ctranslate2 wheel is importable (checked without importing it)."""
    return importlib.util.find_spec("ctranslate2") is not None


def choose(setting: str, device: str, *, cache_on: bool = True) -> tuple[str, str | None]:
    """(engine, note) for a resolved `device`. The note is None when the engine asked
    for (or auto's natural choice) is used, else one line saying why not."""
    setting = (setting or AUTO).strip().lower()
    if setting not in ENGINES:
        raise ModelError(f"unknown engine {setting!r}: use one of {', '.join(ENGINES)}")
    if setting == TRANSFORMERS:
        return TRANSFORMERS, None
    if setting == AUTO:
        ok = device == "cpu" and cache_on and ct2_installed()
        return (CTRANSLATE2 if ok else TRANSFORMERS), None
    if not ct2_installed():
        return (
            TRANSFORMERS,
            "ctranslate2 is not installed (pip install ctranslate2): using transformers",
        )
    if device not in ("cpu", "cuda"):
        return TRANSFORMERS, f"CTranslate2 does not run on {device}: using transformers"
    if not cache_on:
        return TRANSFORMERS, "the CTranslate2 model cache is off: using transformers"
    return CTRANSLATE2, None


def expected_engine(setting: str, device_setting: str) -> str:
    """The engine outputs will come from, decided without importing torch or loading a
    model: what output cache keys name, so that "auto" never mixes the two engines'
    outputs. A model that runs on transformers anyway (its conversion failed, in this
    run or for good in an earlier one) is named apart in the key, per model
    (`EngineLoader.expected`, the provider's `engine_mark`)."""
    from models.inference import ct2_convert
    from models.inference.device import predict_device

    try:
        engine, _ = choose(
            setting, predict_device(device_setting), cache_on=ct2_convert.default_dir() is not None
        )
    except ModelError:
        return setting
    return engine


def resolve_device(setting: str) -> str:
    """`device` resolved, without importing torch where CTranslate2 can tell: "auto"
    on a machine with no CUDA device (as CTranslate2 sees it) and no Apple GPU is cpu."""
    import platform
    import sys

    name = (setting or AUTO).strip().lower()
    apple_gpu = sys.platform == "darwin" and platform.machine() == "arm64"
    # An NVIDIA driver is loaded: torch may see a GPU that a CTranslate2 build without
    # CUDA libraries does not, so let torch decide.
    nvidia = os.path.exists("/proc/driver/nvidia")
    if name == AUTO and ct2_installed() and not apple_gpu and not nvidia:
        import ctranslate2  # ~0.1 s, against ~1.2 s for torch

        if ctranslate2.get_cuda_device_count() == 0:
            return "cpu"
    from models.inference.device import resolve_device as resolve_with_torch

    return resolve_with_torch(name)


def engine_of(loaded: LoadedModel) -> str:
    """The engine a loaded model runs on: "transformers" or "ctranslate2"."""
    return str(getattr(loaded.model, "engine", TRANSFORMERS))


class EngineLoader:
    """Loads a model on the engine its settings choose, once per (folder, device,
    precision, engine); thread-safe. transformers loads go to `ModelLoader`.

    `report` (called on the loading thread) hears conversion progress and fallbacks.
    """

    def __init__(
        self,
        loader: ModelLoader,
        *,
        ct2_cache: Path | bool | None = True,
        report: Report | None = None,
    ) -> None:
        self.loader = loader
        self.ct2_cache = ct2_cache
        self.report = report
        self.notes: list[str] = []  # one line per fallback, in order
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._models: dict[tuple[str, str, str], LoadedModel] = {}
        self._fell_back: dict[str, str] = {}  # model name -> why, for this run
        self._converting: dict[str, threading.Event] = {}  # model name -> skip it

    def cache_dir(self) -> Path | None:
        from models.inference import ct2_convert

        if self.ct2_cache is True:
            return ct2_convert.default_dir()
        return Path(self.ct2_cache) if self.ct2_cache else None

    def expected(
        self,
        folder: Path,
        *,
        name: str,
        revision: str | None,
        engine: str = AUTO,
        device: str = "auto",
        quantize: bool = True,
    ) -> str:
        """The engine `load()` with these arguments runs the model on, decided without
        loading it or importing torch: transformers when CTranslate2 is not chosen,
        when the model fell back in this run, or when its conversion failed for good
        in an earlier one (`ct2_convert.remembered_failure`)."""
        from models.inference import ct2_convert, ct2_engine
        from models.inference.device import predict_device

        predicted = predict_device(device)
        try:
            chosen, _ = choose(engine, predicted, cache_on=self.cache_dir() is not None)
        except ModelError:
            return TRANSFORMERS
        if chosen != CTRANSLATE2:
            return chosen
        with self._lock:
            if name in self._fell_back:
                return TRANSFORMERS
        directory = self.cache_dir()
        if directory is None or not (folder / "config.json").is_file():
            return TRANSFORMERS
        try:
            compute_type = ct2_engine.compute_type_for(predicted, quantize)
            out = ct2_convert.converted_folder(directory, name, revision, folder, compute_type)
        except (ModelError, OSError):
            return TRANSFORMERS
        if ct2_convert.remembered_failure(out) is not None:
            return TRANSFORMERS
        return CTRANSLATE2

    def skip_conversions(self) -> list[str]:
        """Stop the conversions running now: their models run on transformers for the
        rest of this run (each with its note). The models whose conversion stops."""
        with self._lock:
            skipped = list(self._converting)
            for event in self._converting.values():
                event.set()
        return skipped

    def load(
        self,
        folder: Path,
        *,
        name: str,
        revision: str | None,
        engine: str = AUTO,
        device: str = "auto",
        quantize: bool = True,
        cancel: threading.Event | None = None,
    ) -> LoadedModel:
        """The model in `folder` (a downloaded snapshot), named `name` for the user.

        Raises `ModelError` with one line when no engine can load it, `Cancelled`
        when `cancel` is set during a conversion.
        """
        resolved = resolve_device(device)
        chosen, note = choose(engine, resolved, cache_on=self.cache_dir() is not None)
        if chosen == CTRANSLATE2:
            with self._lock:
                earlier = self._fell_back.get(name)
            if earlier is None:
                try:
                    return self._load_ct2(folder, name, revision, resolved, quantize, cancel)
                except Cancelled:
                    if cancel is not None and cancel.is_set():
                        raise
                    note = f"{name}: CTranslate2 conversion skipped; using transformers"
                except ModelError as exc:
                    note = f"{name}: CTranslate2 unavailable ({one_line(exc)}); using transformers"
                with self._lock:
                    self._fell_back[name] = note
        if note is not None:
            self._note(name, note)
        import dataclasses

        loaded = self.loader.load(
            str(folder), device=resolved, quantize=quantize, local_files_only=True
        )
        return dataclasses.replace(loaded, name=name, revision=revision)

    def loaded(self) -> list[LoadedModel]:
        with self._lock:
            return list(self._models.values())

    def _note(self, name: str, note: str) -> None:
        """Keep `note` (once) and report it: the one line a fallback shows."""
        with self._lock:
            if note in self.notes:
                return
            self.notes.append(note)
        log.warning("%s", note)
        self._report(EngineReport(name, finished=True, note=note))

    def _report(self, report: EngineReport) -> None:
        if self.report is None:
            return
        try:
            self.report(report)
        except Exception:  # a listener's bug must not fail the load
            log.exception("engine report failed")

    def _load_ct2(
        self,
        folder: Path,
        name: str,
        revision: str | None,
        device: str,
        quantize: bool,
        cancel: threading.Event | None,
    ) -> LoadedModel:
        from models.inference import ct2_convert, ct2_engine

        compute_type = ct2_engine.compute_type_for(device, quantize)
        key = (str(folder), device, compute_type)
        with self._lock:
            found = self._models.get(key)
            if found is not None:
                return found
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found = self._models.get(key)
            if found is not None:
                return found
            if not (folder / "config.json").is_file():
                raise ModelError(f"no config.json in {folder}")
            directory = self.cache_dir()
            if directory is None:
                raise ModelError("the CTranslate2 model cache is off")
            out = ct2_convert.converted_folder(directory, name, revision, folder, compute_type)
            earlier = ct2_convert.remembered_failure(out)
            if earlier is not None:
                log.info("not converting %s again: %s", name, ct2_convert.failure_file(out))
                raise ModelError(f"{earlier}, in an earlier run")
            self._convert(folder, out, name, compute_type, cancel)
            # A load that fails is not remembered: it may be the memory of the moment.
            loaded = ct2_engine.load(
                folder,
                out,
                name=name,
                revision=revision,
                device=device,
                compute_type=compute_type,
            )
            with self._lock:
                self._models[key] = loaded
        return loaded

    def _convert(
        self,
        folder: Path,
        out: Path,
        name: str,
        compute_type: str,
        cancel: threading.Event | None,
    ) -> None:
        """Convert `folder` into `out` unless it is, reporting progress; a lasting
        failure is remembered (ct2_convert.remember_failure)."""
        from models.inference import ct2_convert

        if ct2_convert.is_converted(out):
            return
        skip = threading.Event()
        with self._lock:
            self._converting[name] = skip

        def progress(done: int, total: int | None) -> None:
            self._report(EngineReport(name, done, total))

        finished = False
        try:
            ct2_convert.ensure_converted(
                folder,
                out,
                compute_type,
                progress=progress,
                cancel=[e for e in (cancel, skip) if e is not None],
                allow_pickle=self.loader.allow_pickle,
            )
            finished = True
        except ct2_convert.ConversionFailed as exc:
            if exc.lasting:
                ct2_convert.remember_failure(out, str(exc))
            raise
        except Cancelled:
            if cancel is not None and cancel.is_set():  # the caller's: no fallback follows
                note = f"{name}: CTranslate2 conversion cancelled"
                self._report(EngineReport(name, finished=True, note=note))
            raise
        finally:
            with self._lock:
                self._converting.pop(name, None)
            if finished:
                self._report(EngineReport(name, finished=True))
