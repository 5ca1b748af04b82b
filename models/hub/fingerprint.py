"""Cheap fingerprints of model specs, computable without loading torch.

The reader must answer "is this output cached?" before any model is loaded, so the
top-level cache key names a model by its spec plus a fingerprint read from disk: the
hub revision for a hub id, or file sizes and times for a local folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from models.hub.local_models import repo_folder


def model_fingerprint(spec: str) -> str:
    """A string that changes when the model behind `spec` changes on disk."""
    if spec == "extractive":
        return ""
    if "+" in spec:  # a route through several models, e.g. de->en + en->fr
        return "+".join(model_fingerprint(part) for part in spec.split("+"))
    path = Path(spec).expanduser()
    if path.is_dir():
        return _folder_fingerprint(path)
    return _hub_revision(spec) or ""


def _folder_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return ""
    for entry in entries:
        if entry.is_file():
            stat = entry.stat()
            digest.update(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _hub_revision(model_id: str) -> str | None:
    if model_id.count("/") != 1:
        return None
    ref = repo_folder(model_id) / "refs" / "main"  # the one place the hub cache is found
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
