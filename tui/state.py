"""The reader's memory between runs: the last target language and summary length.

Kept apart from the settings file, which belongs to the user: this small JSON file
belongs to precis and is rewritten (atomically) whenever the reader changes it.
A missing or damaged file is not an error; the reader starts from its defaults.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models.types import Length


@dataclass(frozen=True)
class ReaderState:
    """What the reader remembers; None means "nothing remembered"."""

    lang: str | None = None
    previous_lang: str | None = None
    length: Length | None = None


def load_state(path: Path) -> ReaderState:
    """The state stored at `path`, or an empty state if it is missing or unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return ReaderState()
    if not isinstance(raw, dict):
        return ReaderState()
    try:
        length = Length(raw["length"]) if raw.get("length") else None
    except ValueError:
        length = None
    return ReaderState(
        lang=_code(raw.get("lang")),
        previous_lang=_code(raw.get("previous_lang")),
        length=length,
    )


def save_state(path: Path, state: ReaderState) -> None:
    """Write `state` to `path` atomically: a reader never sees half a file.

    Raises OSError when the directory cannot be written; callers treat that as a
    warning, since losing the remembered language never stops the reader.
    """
    data = {
        "lang": state.lang,
        "previous_lang": state.previous_lang,
        "length": state.length.value if state.length else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _code(value: object) -> str | None:
    """A language code from the file, or None if it does not look like one."""
    if isinstance(value, str) and 0 < len(value) <= 20 and value.replace("-", "").isalnum():
        return value
    return None
