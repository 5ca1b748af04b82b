"""Converting a downloaded transformers snapshot into a CTranslate2 model, once.

CTranslate2 runs its own model format. Its `TransformersConverter` builds that
format from the exact snapshot precis downloaded, so both engines run the same
weights with the same tokenizer. Conversion loads the float32 model (seconds,
and GBs for distilbart), so it runs once, in a child process (its memory is
returned to the system when it ends, and the reader never holds torch's copy),
and its result is kept in precis' cache, keyed by model name, revision,
quantization, the files of the snapshot and the CTranslate2 version.

Progress is reported like a download: bytes of `model.bin` written against an
estimate of its final size (None while the weights are still being read).
Cancelling kills the child; a half-written folder is never used (it is written
under a temporary name and renamed into place).

A conversion that fails for a lasting reason (the converter refuses the model, or
CTranslate2 cannot load what it wrote) is remembered beside the folder it would
have filled (`NAME.failed`, one line): precis then runs that model on transformers
without trying again, and says so before it loads it, so outputs are keyed by the
engine that makes them. A new CTranslate2 version or a new snapshot is another
folder, so it is tried again; deleting the `.failed` file retries too. Failures that
may pass (killed for memory, too slow, a cache that cannot be written, a
cancellation) are not remembered.

    python -m models.inference.ct2_convert SNAPSHOT OUT QUANTIZATION [--allow-pickle]
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from models.errors import Cancelled, ModelError, one_line

ENV = "PRECIS_CT2_CACHE"  # a folder, or "off": no converted models (auto uses transformers)
FORMAT = "precis-ct2-1"
MARKER = "precis-ct2.json"  # written last: a folder without it is not a finished conversion
FAILED_SUFFIX = ".failed"  # beside a folder whose conversion failed for a lasting reason
QUANTIZATIONS = ("int8", "int8_float16", "float16", "float32")
# model.bin size / float32 safetensors size, for the progress estimate.
_SIZE_RATIO = {"int8": 0.26, "int8_float16": 0.27, "float16": 0.5, "float32": 1.0}
_KEY_FILES = ("config.json", "generation_config.json")
_TIMEOUT_S = 1800.0

Progress = Callable[[int, int | None], None]


class ConversionFailed(ModelError):  # noqa: N818 - reads as what happened
    """A conversion that failed; `lasting` when trying again would fail the same way
    (the converter exited with an error), not when it was killed or timed out."""

    def __init__(self, message: str, *, lasting: bool) -> None:
        super().__init__(message)
        self.lasting = lasting


def default_dir() -> Path | None:
    """$PRECIS_CT2_CACHE, else user_cache_dir("precis")/ct2; None when "off"."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("precis")) / "ct2"


def converted_folder(
    directory: Path, name: str, revision: str | None, snapshot: Path, quantization: str
) -> Path:
    """Where the conversion of `snapshot` (model `name` at `revision`) is kept. Reads
    file sizes and times, imports nothing: output cache keys ask it before a load."""
    parts = [FORMAT, name, revision or "", quantization, _ct2_version()]
    for file in sorted(snapshot.iterdir()):
        if file.name in _KEY_FILES or file.name.endswith((".safetensors", ".bin")):
            try:
                stat = file.stat()  # follows the hub's symlinks to the blobs
            except OSError:
                continue
            parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    state = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "--", name.strip("/\\")).strip("-.")[-80:] or "model"
    return directory / f"{readable}-{quantization}-{state}"


def _ct2_version() -> str:
    try:
        return importlib.metadata.version("ctranslate2")  # the same as its __version__
    except importlib.metadata.PackageNotFoundError:
        return ""


def is_converted(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "model.bin").is_file()


def failure_file(folder: Path) -> Path:
    """Where a lasting failure to make `folder` is remembered."""
    return folder.with_name(folder.name + FAILED_SUFFIX)


def remembered_failure(folder: Path) -> str | None:
    """The one-line reason an earlier conversion into `folder` failed, or None."""
    try:
        text = failure_file(folder).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return one_line(text) or "conversion failed"


def remember_failure(folder: Path, reason: str) -> bool:
    """Remember that `folder` cannot be made (see the module docstring); False when the
    cache cannot be written (the failure is then tried again next time)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        failure_file(folder).write_text(one_line(reason) + "\n", encoding="utf-8")
    except OSError:
        return False
    return True


def ensure_converted(
    snapshot: Path,
    out: Path,
    quantization: str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | Sequence[threading.Event] | None = None,
    allow_pickle: bool = False,
    timeout_s: float = _TIMEOUT_S,
) -> Path:
    """`out`, converted from `snapshot` now unless it already is.

    Raises `ModelError` with one line saying why a conversion failed (a
    `ConversionFailed` when the converter itself failed), `Cancelled` when `cancel`
    (an event, or any of several) is set while it runs.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}")
    if is_converted(out):
        return out
    if cancel is None:
        cancels: tuple[threading.Event, ...] = ()
    elif isinstance(cancel, threading.Event):
        cancels = (cancel,)
    else:
        cancels = tuple(cancel)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise ModelError(f"cannot write converted models to {out.parent}: {one_line(exc)}") from exc
    target = work / "model"
    estimate = int(_weights_size(snapshot) * _SIZE_RATIO[quantization]) or None
    command = [sys.executable, "-m", "models.inference.ct2_convert"]
    command += [str(snapshot), str(target), quantization]
    if allow_pickle:
        command.append("--allow-pickle")
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    try:
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, env=env
            )
            _wait(child, target / "model.bin", estimate, progress, cancels, timeout_s)
            if child.returncode != 0:
                errors.seek(0)
                # A negative code is a signal (the kernel's OOM killer, a user's kill):
                # another run may well succeed. An exit with an error will not.
                raise ConversionFailed(
                    f"conversion failed: {_last_error(errors.read())}",
                    lasting=child.returncode > 0,
                )
        if not is_converted(target):
            raise ConversionFailed("conversion failed: it wrote no model", lasting=True)
        if out.exists() and not is_converted(out):
            shutil.rmtree(out, ignore_errors=True)  # left by a run that was killed
        try:
            os.replace(target, out)
        except OSError as exc:
            if not is_converted(out):  # else another process finished first
                raise ModelError(f"cannot keep the converted model: {one_line(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _wait(
    child: subprocess.Popen[bytes],
    written: Path,
    estimate: int | None,
    progress: Progress | None,
    cancels: tuple[threading.Event, ...],
    timeout_s: float,
) -> None:
    started = time.monotonic()
    last: tuple[int, int | None] | None = None
    try:
        while child.poll() is None:
            time.sleep(0.1)
            if any(event.is_set() for event in cancels):
                raise Cancelled()
            if time.monotonic() - started > timeout_s:
                raise ModelError(f"conversion took longer than {timeout_s:.0f} s")
            if progress is not None:
                try:
                    done = written.stat().st_size
                except OSError:
                    now: tuple[int, int | None] = (0, None)  # still reading the weights
                else:
                    now = (min(done, estimate) if estimate else done, estimate)
                if now != last:
                    progress(*now)
                    last = now
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if progress is not None and child.returncode == 0 and written.is_file():
        size = written.stat().st_size
        progress(size, size)


def _weights_size(snapshot: Path) -> int:
    total = 0
    for file in snapshot.iterdir():
        if file.name.endswith((".safetensors", ".bin")):
            try:
                total += file.stat().st_size
            except OSError:
                continue
    return total


def _last_error(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return one_line((errors or lines or ["no message"])[-1])


# -- the child process -------------------------------------------------------------


def convert_now(snapshot: Path, out: Path, quantization: str, *, allow_pickle: bool) -> Path:
    """Convert in this process (the child's work). Writes `MARKER` last."""
    import ctranslate2  # ~0.1 s

    from models.inference import lazy_torch as hf

    auto_tokenizer = hf.transformers().AutoTokenizer  # ~2 s with torch: the child pays it

    class Converter(ctranslate2.converters.TransformersConverter):  # type: ignore[misc]
        # The same tokenizer precis loads, so the vocabulary's ids are the model's.
        def load_tokenizer(self, tokenizer_class: Any, path: str, **kwargs: Any) -> Any:
            return auto_tokenizer.from_pretrained(path, local_files_only=True)

        def load_model(self, model_class: Any, path: str, **kwargs: Any) -> Any:
            kwargs.setdefault("local_files_only", True)
            if not allow_pickle:
                kwargs["use_safetensors"] = True
            model = super().load_model(model_class, path, **kwargs)
            # transformers v5 dropped BART config fields the converter still reads;
            # BART is post-norm with a layer norm on the embeddings.
            for name, value in (("normalize_before", False), ("normalize_embedding", True)):
                if not hasattr(model.config, name):
                    setattr(model.config, name, value)
            return model

    Converter(str(snapshot), low_cpu_mem_usage=True).convert(
        str(out), quantization=quantization, force=True
    )
    marker = {"format": FORMAT, "quantization": quantization, "source": str(snapshot)}
    marker["ctranslate2"] = ctranslate2.__version__
    (out / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    positional = [a for a in args if not a.startswith("--")]
    if len(positional) != 3 or positional[2] not in QUANTIZATIONS:
        print(f"usage: ct2_convert SNAPSHOT OUT {'|'.join(QUANTIZATIONS)}", file=sys.stderr)
        return 2
    snapshot, out, quantization = Path(positional[0]), Path(positional[1]), positional[2]
    convert_now(snapshot, out, quantization, allow_pickle="--allow-pickle" in args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
