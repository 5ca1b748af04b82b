"""The shared vocabulary of precis: lengths, tasks and the model protocols.

Every summarizer and translator, whether extractive, transformers-based or a test
double, fits these protocols, so the service and the cache never need to know
which one they talk to.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

Device = Literal["auto", "cpu", "cuda", "mps"]
DEVICES: tuple[Device, ...] = ("auto", "cpu", "cuda", "mps")


class Length(str, enum.Enum):
    """How long a summary should be."""

    SHORT = "short"  # about one sentence
    MEDIUM = "medium"  # about three sentences
    LONG = "long"  # about a third of the section

    def next(self) -> Length:
        """The next preset in the cycle short -> medium -> long -> short."""
        members = list(Length)
        return members[(members.index(self) + 1) % len(members)]


class Task(str, enum.Enum):
    """What a cached output is; part of every cache key."""

    SUMMARY = "summary"
    CHUNK_SUMMARY = "chunk_summary"
    TRANSLATION = "translation"


@runtime_checkable
class Summarizer(Protocol):
    """Turns texts into summaries in the same language."""

    name: str  # model id or local path, shown to the user and part of the cache key
    revision: str | None  # commit hash where known
    extractive: bool
    languages: frozenset[str] | None  # languages it can summarize; None means any

    def settings_key(self, length: Length) -> str:
        """A stable string of the generation settings used for `length` (cache key)."""
        ...

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        cancel: threading.Event | None = None,
    ) -> list[str]:
        """One summary per text. Raises `Cancelled` when `cancel` is set."""
        ...


@runtime_checkable
class Translator(Protocol):
    """Translates texts from `source_lang` to `target_lang`."""

    name: str
    revision: str | None
    source_lang: str
    target_lang: str

    def settings_key(self) -> str:
        """A stable string of the generation settings (cache key)."""
        ...

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        """One translation per text, paragraph breaks kept. Raises `Cancelled`."""
        ...
