"""Typed messages that carry results from other threads onto the reader's thread.

The service computes in its own thread and the export runs in a thread worker;
both end by posting one of these, so every change to the screen happens in a
handler on the UI thread, where stale results can be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from models.service.events import DownloadProgress, Failure, Output, Partial, Progress
from models.types import Length


@dataclass
class OutputReady(Message, bubble=False):
    """The service finished an output (a summary or a translation)."""

    output: Output


@dataclass
class OutputFailed(Message, bubble=False):
    """The service could not make an output."""

    failure: Failure


@dataclass
class OutputStreaming(Message, bubble=False):
    """The text so far of the output on screen, while its model writes it."""

    partial: Partial

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OutputStreaming) and message.partial.key == self.partial.key


@dataclass
class ComputeProgress(Message, bubble=False):
    """What the service computes now; the newest replaces any still queued."""

    progress: Progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ComputeProgress)


@dataclass
class DownloadUpdate(Message, bubble=False):
    """Bytes of a model download so far, or its end."""

    progress: DownloadProgress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, DownloadUpdate)
            and not message.progress.finished
            and message.progress.model_id == self.progress.model_id
        )


@dataclass
class MarksComputed(Message, bubble=False):
    """Which sections already have a summary for this language and length."""

    lang: str
    length: Length
    ready: frozenset[int]


@dataclass
class ExportFinished(Message, bubble=False):
    """The article was exported; `error` holds a one-line message when it failed."""

    path: Path | None
    error: str | None = None
