"""Finding models on disk, and downloading them as an explicit, bounded step.

The hub client is built for a connected machine: a missing model with no network
costs ~23 s of retries, a cached one with the network down can take minutes to load,
and a server that never answers hangs `from_pretrained` for good (measured: over 20 min). So
precis never lets the hub client decide. It resolves a model to a folder on disk
itself (a local folder, or a snapshot in the hub cache), loads only from that folder,
and downloads only when asked (`models.hub.download`: a 3-second reachability probe,
timeouts, progress and cancellation).

`HF_HUB_OFFLINE` is read when `huggingface_hub` / `transformers` are first imported,
so `configure_environment()` must run before either is: `ModelProvider` calls it in
its constructor, and this module imports `huggingface_hub` only inside functions.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import ModelError, ModelMissingError, one_line
from models.hub.sizes import approx_size
from models.text import format_size

if TYPE_CHECKING:
    from models.settings import Settings

_TRUE = {"1", "on", "yes", "true"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
SAFETENSORS = re.compile(r"^model(-\d+-of-\d+)?\.safetensors(\.index\.json)?$")
PYTORCH_BIN = re.compile(r"^pytorch_model(-\d+-of-\d+)?\.bin(\.index\.json)?$")


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk: the folder to load from and what to call it."""

    local_dir: Path
    model_id: str  # the hub id, or the folder as the user wrote it
    revision: str | None  # the hub commit; None for a local folder


# -- environment ---------------------------------------------------------------------


def is_offline(settings: Settings | None = None) -> bool:
    """Offline by setting (`--offline`) or by the environment (`HF_HUB_OFFLINE=1`)."""
    if settings is not None and settings.offline:
        return True
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def configure_environment(offline: bool) -> bool:
    """Set the hub client's environment; call before importing transformers.

    Offline sets `HF_HUB_OFFLINE=1` so nothing in transformers tries the network.
    Xet transfers are turned off (unless the user chose otherwise) because plain HTTP
    downloads report progress per chunk and can be cancelled inside a file. Returns
    False when the hub client was already imported, so the offline switch came too
    late for it (precis still loads only from local folders, so this is not fatal).
    """
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    already = "huggingface_hub.constants" in sys.modules or "transformers" in sys.modules
    return not (offline and already and not _client_offline())


def _client_offline() -> bool:
    from huggingface_hub import constants  # cheap: no torch, no transformers

    return bool(constants.HF_HUB_OFFLINE)


def hub_cache_dir() -> Path:
    """The hub cache, read from the environment now (not at import, so tests can move it)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME")
    if not home:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        home = os.path.join(xdg, "huggingface")
    return Path(home).expanduser() / "hub"


def repo_folder(model_id: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or hub_cache_dir()) / ("models--" + model_id.replace("/", "--"))


# -- resolution ----------------------------------------------------------------------


def is_local_folder(model: str) -> bool:
    return Path(model).expanduser().is_dir()


BOTH_FLAGS = "--summarizer/--translator"  # when the role of a model is not known


def resolve(
    model: str, *, offline: bool, cache_dir: Path | None = None, flag: str = BOTH_FLAGS
) -> ResolvedModel:
    """The folder to load `model` from, without touching the network. `flag` is the
    command-line flag that would name a local folder instead (the message names it).

    A local folder with a config.json is itself. A hub id resolves to its snapshot in
    the hub cache (revision from `refs/main`). A hub id that is not there raises
    `ModelMissingError`, whose message says how to get it.
    """
    if not model.strip():
        raise ModelError('no model named (an empty name): give a hub id, a folder or "extractive"')
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{model} has no config.json: it is not a transformers model folder")
        return ResolvedModel(path.resolve(), model, None)
    if not looks_like_hub_id(model):
        raise ModelError(f"model folder {model} does not exist")
    found = cached(model, cache_dir)
    if found is None:
        raise ModelMissingError(
            missing_message(model, offline=offline, flag=flag),
            model_id=model,
            size_bytes=approx_size(model),
        )
    return found


def looks_like_hub_id(model: str) -> bool:
    return bool(_HUB_ID.match(model)) and not model.startswith((".", "~"))


def cached(model_id: str, cache_dir: Path | None = None) -> ResolvedModel | None:
    """The complete snapshot of `model_id` in the hub cache, or None."""
    folder = repo_folder(model_id, cache_dir)
    try:
        revision = (folder / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    snapshot = folder / "snapshots" / revision
    if not revision or not _complete(snapshot):
        return None
    return ResolvedModel(snapshot, model_id, revision)


def _complete(snapshot: Path) -> bool:
    """config.json and weights are there (a symlink to a missing blob does not count)."""
    if not (snapshot / "config.json").is_file():
        return False
    try:
        names = [p.name for p in snapshot.iterdir() if p.is_file()]
    except OSError:
        return False
    return any(SAFETENSORS.match(n) or PYTORCH_BIN.match(n) for n in names)


def missing_message(
    model_id: str, *, offline: bool, reachable: bool = True, flag: str = BOTH_FLAGS
) -> str:
    """Why `model_id` cannot be used and how to get it; `flag` is the one flag that
    applies (`--summarizer` or `--translator`), both when the role is not known."""
    size = format_size(approx_size(model_id))
    fix = (
        f"run `precis models pull {model_id}` on a connected machine, "
        f"or pass a local folder with {flag}"
    )
    if offline:
        return f"model {model_id} ({size}) is not downloaded and precis is offline: {fix}"
    if not reachable:
        return (
            f"model {model_id} ({size}) is not downloaded and huggingface.co cannot be reached: "
            + fix
        )
    return (
        f"model {model_id} ({size}) is not downloaded: run `precis models pull {model_id}`, "
        f"or pass a local folder with {flag}"
    )


# -- disk ----------------------------------------------------------------------------


def disk_size(model_id: str, cache_dir: Path | None = None) -> int:
    """Bytes of `model_id`'s files in the hub cache (0 when absent).

    Blobs count once however many snapshots link to them; refs and locks do not count.
    """
    folder = repo_folder(model_id, cache_dir)
    total = 0
    for part in ("blobs", "snapshots"):
        for root, _dirs, names in os.walk(folder / part):
            for name in names:
                path = os.path.join(root, name)
                try:
                    if not os.path.islink(path):
                        total += os.stat(path).st_size
                except OSError:
                    continue
    return total


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def remove(model_id: str, cache_dir: Path | None = None) -> int:
    """Delete `model_id` from the hub cache; returns the bytes freed."""
    if is_local_folder(model_id) and not looks_like_hub_id(model_id):
        raise ModelError(f"{model_id} is a local folder: precis removes only downloaded models")
    folder = repo_folder(model_id, cache_dir)
    if not folder.is_dir():
        raise ModelError(f"model {model_id} is not downloaded")
    size = disk_size(model_id, cache_dir)
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise ModelError(f"cannot remove {folder}: {one_line(exc)}") from None
    shutil.rmtree(folder.parent / ".locks" / folder.name, ignore_errors=True)
    return size
