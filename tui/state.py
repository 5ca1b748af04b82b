"""The reader's memory between runs: the last target language and summary length,
and the section last read in each of the articles read most recently.

Kept apart from the settings file, which belongs to the user: this small JSON file
belongs to precis and is rewritten (atomically) whenever the reader changes it.
A missing or damaged file is not an error; the reader starts from its defaults.
The file is read only if it is a regular file of at most `MAX_STATE_BYTES` (a FIFO
would hang the start, /dev/zero would fill the memory); anything else is ignored
with a one-line warning.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models.ingest.article import Article
from models.sanitize import safe_line
from models.types import Length

MAX_STATE_BYTES = 64 * 1024  # the state is a few kB at most
REMEMBERED_ARTICLES = 100  # the last section read is kept for this many articles


def article_key(article: Article) -> str:
    """A short stable name for an article: its source (path, URL) and title, hashed, so
    that the state file does not list what a person reads."""
    name = f"{article.source}\0{article.title}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(name).hexdigest()[:16]


@dataclass(frozen=True)
class ReaderState:
    """What the reader remembers; None means "nothing remembered"."""

    lang: str | None = None
    previous_lang: str | None = None
    length: Length | None = None
    sections: tuple[tuple[str, int], ...] = ()
    """(article key, section index) of the articles read last, the most recent last."""

    def section_for(self, key: str) -> int | None:
        """The section last read in the article `key`, if it is remembered."""
        return dict(self.sections).get(key)

    def with_section(self, key: str, section: int) -> ReaderState:
        """This state with `section` remembered for `key`, the oldest article dropped."""
        others = tuple(entry for entry in self.sections if entry[0] != key)
        kept = (*others, (key, section))[-REMEMBERED_ARTICLES:]
        return dataclasses.replace(self, sections=kept)


def load_state(path: Path) -> ReaderState:
    """The state stored at `path`, or an empty state if it is missing or unusable."""
    return load_state_checked(path)[0]


def load_state_checked(path: Path) -> tuple[ReaderState, str | None]:
    """The state stored at `path`, and a one-line warning when a file is there but
    cannot be used (not a regular file, too large, not precis' JSON)."""
    shown = safe_line(str(path))
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return ReaderState(), None
    except OSError as exc:
        return ReaderState(), f"ignoring the reader state {shown}: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ReaderState(), f"ignoring the reader state {shown}: not a regular file"
        if info.st_size > MAX_STATE_BYTES:
            return ReaderState(), f"ignoring the reader state {shown}: larger than 64 kB"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_STATE_BYTES + 1)
    except OSError as exc:
        return ReaderState(), f"ignoring the reader state {shown}: {exc.strerror or exc}"
    finally:
        os.close(fd)
    bad = f"ignoring the reader state {shown}: not a precis state file"
    if len(data) > MAX_STATE_BYTES:
        return ReaderState(), f"ignoring the reader state {shown}: larger than 64 kB"
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ReaderState(), bad
    if not isinstance(raw, dict):
        return ReaderState(), bad
    try:
        length = Length(raw["length"]) if raw.get("length") else None
    except ValueError:
        length = None
    state = ReaderState(
        lang=_code(raw.get("lang")),
        previous_lang=_code(raw.get("previous_lang")),
        length=length,
        sections=_sections(raw.get("sections")),
    )
    return state, None


def save_state(path: Path, state: ReaderState) -> None:
    """Write `state` to `path` atomically: a reader never sees half a file.

    Raises OSError when the directory cannot be written; callers treat that as a
    warning, since losing the remembered language never stops the reader.
    """
    data = {
        "lang": state.lang,
        "previous_lang": state.previous_lang,
        "length": state.length.value if state.length else None,
        "sections": dict(state.sections),
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


def _sections(value: object) -> tuple[tuple[str, int], ...]:
    """The remembered sections from the file; entries that do not look right are left
    out (a section index is checked against the article when it is used)."""
    if not isinstance(value, dict):
        return ()
    kept = [
        (key, index)
        for key, index in value.items()
        if isinstance(key, str)
        and len(key) <= 64
        and isinstance(index, int)
        and not isinstance(index, bool)
        and index >= 0
    ]
    return tuple(kept[-REMEMBERED_ARTICLES:])
