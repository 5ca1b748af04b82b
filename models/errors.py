"""Errors that carry a one-line message meant for the person using precis.

The CLI prints `str(error)` on stderr and exits with `exit_code`; the reader shows
the same message in its output pane. Anything that is not a `PrecisError` is a bug.
"""

from __future__ import annotations


class PrecisError(Exception):
    """An expected failure with a message a user can act on."""

    exit_code = 2


class InputError(PrecisError):
    """The article given cannot be read or holds no article."""


class ModelError(PrecisError):
    """A model could not be loaded or failed to generate."""


class ModelMissingError(ModelError):
    """A model is not on disk and cannot be downloaded now (offline)."""

    def __init__(self, message: str, *, model_id: str, size_bytes: int | None = None) -> None:
        super().__init__(message)
        self.model_id = model_id
        self.size_bytes = size_bytes


class GenerationError(ModelError):
    """A model produced no usable output (empty, a loop, an untranslated copy)."""


class CacheError(PrecisError):
    """The result cache cannot be used at all (not even rebuilt)."""


class Cancelled(Exception):  # noqa: N818 - reads better at the raise site
    """Work was cancelled because nobody needs its result any more."""


def one_line(value: object, limit: int = 300) -> str:
    """An exception (or any text) as one short line for messages: whitespace runs
    collapsed, cut at `limit`; an exception without a message gives its type name."""
    text = " ".join(str(value).split())
    if not text and isinstance(value, BaseException):
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
