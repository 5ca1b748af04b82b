"""Downloading a model into the hub cache: bounded, reported and cancellable.

Download is its own step, never a side effect of loading (see `models.hub.local_models` for why).
It probes the hub for 3 s first, so a machine without network gets a clear
`ModelMissingError` at once instead of the hub client's ~23 s of retries. It fetches
only what an encoder-decoder needs (config, tokenizer, one checkpoint: safetensors
where the main branch has them, else its pytorch_model.bin, which the loader reads
only through torch's restricted unpickler and converts to safetensors in precis' own
cache), reports bytes per 10 MB chunk, stops on `cancel` between chunks, and leaves
nothing half-written behind.

It downloads the main branch and records main's commit in `refs/main`, exactly as the
hub client would: the hub cache is shared with other tools, so precis never points
`refs/main` at anything else (such as a conversion pull request's commit).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from models.errors import Cancelled, ModelError, ModelMissingError, one_line
from models.hub.local_models import (
    PYTORCH_BIN,
    SAFETENSORS,
    ResolvedModel,
    cached,
    hub_cache_dir,
    is_local_folder,
    is_offline,
    looks_like_hub_id,
    missing_message,
    repo_folder,
)
from models.hub.sizes import approx_size

Progress = Callable[[int, int | None], None]

DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 3.0

# Files a transformers encoder-decoder needs. Anything else in a repo (TF/Flax/ONNX
# weights, READMEs, benchmark zips) is not downloaded.
_CONFIG_FILES = ("config.json", "generation_config.json")
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "source.spm",
    "target.spm",
    "sentencepiece.bpe.model",
    "spiece.model",
    "chat_template.jinja",  # instruction-tuned LLMs whose template is not in tokenizer_config
)


def endpoint_url() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_reachable(endpoint: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the hub answers an HTTP HEAD within `timeout` seconds, whatever the status.

    Runs in a daemon thread so that a hanging DNS lookup (not covered by the socket
    timeout) cannot hold the caller past `timeout`.
    """
    url = (endpoint or endpoint_url()) + "/"
    answer: list[bool] = []

    def probe() -> None:
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                answer.append(True)
        except urllib.error.HTTPError:
            answer.append(True)  # it answered: 4xx/5xx still means the network is up
        except (OSError, ValueError):
            answer.append(False)

    thread = threading.Thread(target=probe, name="precis-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def needed_files(filenames: Iterable[str]) -> list[str]:
    """The files of a repo that precis downloads: config, tokenizer, one weights format."""
    names = set(filenames)
    chosen = [n for n in (*_CONFIG_FILES, *_TOKENIZER_FILES) if n in names]
    weights = sorted(n for n in names if SAFETENSORS.match(n))
    if not any(n.endswith(".safetensors") for n in weights):
        weights = sorted(n for n in names if PYTORCH_BIN.match(n))
    return chosen + weights


def download(
    model_id: str,
    *,
    progress: Progress,
    cancel: threading.Event,
    timeout: float = 30.0,
    offline: bool = False,
    endpoint: str | None = None,
    cache_dir: Path | None = None,
) -> ResolvedModel:
    """Download what `model_id` needs into the hub cache and return its snapshot.

    `progress(done, total)` is called with bytes as they arrive (total None when the
    hub does not say). Setting `cancel` stops between files and between 10 MB chunks
    of a file; it raises `Cancelled` after removing what this call wrote. Offline or
    with the hub unreachable it fails within about 3 s with `ModelMissingError`.
    """
    if not looks_like_hub_id(model_id) or is_local_folder(model_id):
        raise ModelError(f"{model_id} is not a hub model id: nothing to download")
    if offline or is_offline():
        raise ModelMissingError(
            missing_message(model_id, offline=True),
            model_id=model_id,
            size_bytes=approx_size(model_id),
        )
    endpoint = (endpoint or endpoint_url()).rstrip("/")
    if not hub_reachable(endpoint, min(PROBE_TIMEOUT_S, timeout)):
        raise ModelMissingError(
            missing_message(model_id, offline=False, reachable=False),
            model_id=model_id,
            size_bytes=approx_size(model_id),
        )
    if cancel.is_set():
        raise Cancelled()
    cache = cache_dir or hub_cache_dir()
    files, sizes, revision = _plan(model_id, endpoint, timeout)
    total = sum(sizes.values()) if len(sizes) == len(files) else None
    before = _snapshot_paths(cache, model_id)
    try:
        _fetch_all(
            model_id,
            files,
            sizes,
            revision,
            total,
            progress,
            cancel,
            endpoint=endpoint,
            cache=cache,
            timeout=timeout,
        )
        refs = repo_folder(model_id, cache) / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        (refs / "main").write_text(revision, encoding="utf-8")
    except BaseException as exc:
        _remove_new_paths(cache, model_id, before)
        if isinstance(exc, (Cancelled, ModelError, KeyboardInterrupt)):
            raise
        raise ModelError(f"download of {model_id} failed: {one_line(exc)}") from exc
    found = cached(model_id, cache)
    if found is None:
        raise ModelError(f"download of {model_id} finished but its files are incomplete")
    return found


def _plan(model_id: str, endpoint: str, timeout: float) -> tuple[list[str], dict[str, int], str]:
    """The files of the main branch to fetch, their sizes, and main's commit."""
    # huggingface_hub imports httpx but neither torch nor transformers (~0.3 s).
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint)
    info = _model_info(api, model_id, None, timeout)
    files, sizes = _files(info)
    if "config.json" not in files:
        raise ModelError(f"{model_id} has no config.json: it is not a transformers model")
    if not any(SAFETENSORS.match(f) or PYTORCH_BIN.match(f) for f in files):
        raise ModelError(
            f"{model_id} has no model.safetensors or pytorch_model.bin weights: "
            "precis cannot load it"
        )
    if not info.sha:
        raise ModelError(f"the hub did not say which revision of {model_id} to download")
    return files, sizes, info.sha


def _model_info(api: Any, model_id: str, revision: str | None, timeout: float) -> Any:
    from huggingface_hub import errors as hub_errors

    try:
        return _within(
            timeout,
            lambda: api.model_info(
                model_id, revision=revision, files_metadata=True, timeout=timeout
            ),
        )
    except hub_errors.GatedRepoError:
        raise ModelError(
            f"{model_id} is gated: accept its terms on huggingface.co, "
            "then log in with `hf auth login`"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise ModelError(f"{model_id} is not a model on the Hugging Face hub") from None
    except ModelError:
        raise
    except Exception as exc:  # httpx errors, HTTP 5xx, bad JSON: all one message
        raise ModelError(f"cannot list the files of {model_id}: {one_line(exc)}") from exc


def _files(info: Any) -> tuple[list[str], dict[str, int]]:
    siblings = {s.rfilename: s.size for s in (info.siblings or [])}
    files = needed_files(siblings)
    return files, {f: siblings[f] for f in files if siblings.get(f) is not None}


def _within(timeout: float, call: Callable[[], Any]) -> Any:
    """`call()` in a daemon thread; ModelError if it has not returned after `timeout` s.

    The hub client's session has no default timeout, and some of its calls take none.
    """
    result: list[Any] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=run, name="precis-hub-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ModelError(f"the Hugging Face hub did not answer within {timeout:.0f} s")
    if error:
        raise error[0]
    return result[0]


def _fetch_all(
    model_id: str,
    files: list[str],
    sizes: dict[str, int],
    revision: str,
    total: int | None,
    progress: Progress,
    cancel: threading.Event,
    *,
    endpoint: str,
    cache: Path,
    timeout: float,
) -> None:
    from huggingface_hub import hf_hub_download

    done = 0
    progress(0, total)
    for name in files:
        if cancel.is_set():
            raise Cancelled()
        start = done

        def report(received: int, start: int = start) -> None:
            progress(start + received, total)
            if cancel.is_set():
                raise Cancelled()

        hf_hub_download(
            model_id,
            name,
            revision=revision,
            cache_dir=cache,
            endpoint=endpoint,
            etag_timeout=timeout,
            tqdm_class=_progress_class(report),
        )
        done = start + sizes.get(name, 0)
        progress(done, total)


def _progress_class(report: Callable[[int], None]) -> type:
    """A tqdm stand-in that prints nothing, reports bytes and raises on cancel.

    The hub client builds it with tqdm's keyword arguments and calls `update(n)` per
    chunk (10 MB); raising `Cancelled` there aborts the file, and the client deletes
    its temporary file on the way out.
    """

    class _Report:
        def __init__(self, *args: Any, initial: int = 0, **kwargs: Any) -> None:
            self.n = initial

        def __enter__(self) -> _Report:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, n: int | float = 1) -> None:
            self.n += int(n)
            report(self.n)

        def close(self) -> None:
            return None

        def set_description(self, *args: Any, **kwargs: Any) -> None:
            return None

    return _Report


def _snapshot_paths(cache: Path, model_id: str) -> set[Path] | None:
    """Every path under the repo folder now; None when there is no folder yet."""
    folder = repo_folder(model_id, cache)
    if not folder.exists():
        return None
    paths: set[Path] = set()
    for root, dirs, names in os.walk(folder):
        paths.update(Path(root) / n for n in (*dirs, *names))
    return paths


def _remove_new_paths(cache: Path, model_id: str, before: set[Path] | None) -> None:
    """Undo a failed download: remove what it added, keep what was there."""
    folder = repo_folder(model_id, cache)
    locks = cache / ".locks" / folder.name
    if before is None:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(locks, ignore_errors=True)
        return
    for root, dirs, names in os.walk(folder, topdown=False):
        for name in names:
            path = Path(root) / name
            if path not in before:
                path.unlink(missing_ok=True)
        for name in dirs:
            path = Path(root) / name
            if path not in before and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.rmdir()
