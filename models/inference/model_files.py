"""Checks on a model folder's small files before anything parses them.

A model folder is data from the internet or from another program. transformers reads
config.json, generation_config.json and the tokenizer files whole, with no limit: a
1 GB sparse config.json cost 2-3.4 GB of memory before its error, and a tokenizer file
that is a symlink to /dev/zero or a FIFO never ends (or blocks for good). So every such
file that exists is checked first: a regular file (after following symlinks) and under
a size no real checkpoint comes near. Each failure is one line naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from models.errors import ModelError
from models.text import MB, format_size

# Real checkpoints, for scale: config.json a few KB; NLLB's tokenizer.json 17 MB;
# m2m100's vocab.json 3.7 MB and sentencepiece.bpe.model 2.4 MB.
JSON_LIMIT = 8 * MB
TOKENIZER_LIMIT = 64 * MB
METADATA_LIMITS: dict[str, int] = {
    "config.json": JSON_LIMIT,
    "generation_config.json": JSON_LIMIT,
    "tokenizer_config.json": JSON_LIMIT,
    "special_tokens_map.json": JSON_LIMIT,
    "added_tokens.json": JSON_LIMIT,
    "preprocessor_config.json": JSON_LIMIT,
    "model.safetensors.index.json": JSON_LIMIT,
    "pytorch_model.bin.index.json": JSON_LIMIT,
    "tokenizer.json": TOKENIZER_LIMIT,
    "vocab.json": TOKENIZER_LIMIT,
    "vocab.txt": TOKENIZER_LIMIT,
    "merges.txt": TOKENIZER_LIMIT,
    "spiece.model": TOKENIZER_LIMIT,
    "sentencepiece.bpe.model": TOKENIZER_LIMIT,
    "tokenizer.model": TOKENIZER_LIMIT,
}


def limit_for(name: str) -> int | None:
    """The size limit of a metadata file precis (or transformers) reads whole; None for
    weights and files nobody reads."""
    if name in METADATA_LIMITS:
        return METADATA_LIMITS[name]
    if name.endswith(".spm"):  # Marian's source.spm / target.spm
        return TOKENIZER_LIMIT
    return None


def check_metadata_files(source: str, folder: Path) -> None:
    """Every metadata file in `folder` is a regular file within its size limit.

    Raises ModelError naming `source` and the file.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise ModelError(f"cannot read model folder {source}: {exc.strerror or exc}") from None
    for entry in entries:
        limit = limit_for(entry.name)
        if limit is not None:
            check_file(source, Path(entry.path), limit)


def check_file(source: str, path: Path, limit: int) -> int:
    """The size of `path` after checking it is a regular file of at most `limit` bytes."""
    try:
        info = os.stat(path)  # follows symlinks: what a reader would open
    except OSError as exc:
        raise ModelError(
            f"cannot load model {source}: {path.name} cannot be read ({exc.strerror or exc})"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelError(
            f"cannot load model {source}: {path.name} is not a regular file ({_kind(info.st_mode)})"
        )
    if info.st_size > limit:
        raise ModelError(
            f"cannot load model {source}: {path.name} is {format_size(info.st_size)}, "
            f"more than any model's (limit {format_size(limit)})"
        )
    return info.st_size


def read_text_capped(source: str, path: Path, limit: int = JSON_LIMIT) -> str:
    """A metadata file's text, after `check_file`; ModelError when it is not UTF-8."""
    check_file(source, path, limit)
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ModelError(
            f"cannot load model {source}: {path.name} cannot be read ({exc.strerror or exc})"
        ) from None
    if len(raw) > limit:  # grew since the check
        raise ModelError(f"cannot load model {source}: {path.name} is too large")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"cannot load model {source}: {path.name} is not UTF-8 text") from None


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a plain file"
