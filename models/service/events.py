"""What the service hands to the reader and the export CLI: outputs, failures, progress.

These small frozen dataclasses are the only things that cross from the service's
worker thread to its listener, so they carry plain data and nothing mutable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, Literal, Union

from models.fidelity.flags import Flag
from models.types import Length

OutputKind = Literal["summary", "translation"]
SUMMARY: Final = "summary"
TRANSLATION: Final = "translation"
KINDS: tuple[OutputKind, ...] = (SUMMARY, TRANSLATION)


@dataclass(frozen=True)
class OutputKey:
    """One thing a reader can look at: a section's summary or its full translation."""

    section: int
    lang: str  # target language; the article's own language means "original"
    kind: OutputKind = SUMMARY
    length: Length | None = None  # for summaries; None for translations

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown output kind {self.kind!r}")
        if self.kind == SUMMARY and self.length is None:
            object.__setattr__(self, "length", Length.SHORT)
        if self.kind == TRANSLATION and self.length is not None:
            object.__setattr__(self, "length", None)


@dataclass(frozen=True)
class Output:
    """A finished output, ready to show."""

    key: OutputKey
    paragraphs: tuple[str, ...]
    models: tuple[str, ...] = ()  # names of the models used, in pipeline order
    extractive: bool = False
    whole: bool = False  # the section was shorter than the summary asked: given whole
    from_cache: bool = False
    note: str | None = None
    # Set on a fallback: the model that would have been used (the abstractive
    # summarizer, or the translator into `key.lang`), for the reader's download offer.
    missing_model: str | None = None
    missing_size: int | None = None
    # The language the text is in when it is not `key.lang` (its translator is missing).
    shown_lang: str | None = None
    # What the output states that the section does not (offsets into `text`), and for
    # a summary, per sentence, the indexes of the section sentences that support it.
    flags: tuple[Flag, ...] = ()
    support: tuple[tuple[int, ...], ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_json(self) -> str:
        return json.dumps(
            {
                "paragraphs": list(self.paragraphs),
                "models": list(self.models),
                "extractive": self.extractive,
                "whole": self.whole,
                "note": self.note,
                "flags": [flag.to_dict() for flag in self.flags],
                "support": [list(links) for links in self.support],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, key: OutputKey, data: str) -> Output | None:
        """The cached output, or None if the stored record is not one we wrote."""
        try:
            raw = json.loads(data)
            paragraphs = tuple(str(p) for p in raw["paragraphs"])
            if not paragraphs or not any(p.strip() for p in paragraphs):
                return None
            return cls(
                key=key,
                paragraphs=paragraphs,
                models=tuple(str(m) for m in raw["models"]),
                extractive=bool(raw["extractive"]),
                whole=bool(raw["whole"]),
                from_cache=True,
                note=raw.get("note"),
                flags=tuple(Flag.from_dict(f) for f in raw.get("flags", ())),
                support=tuple(tuple(int(i) for i in s) for s in raw.get("support", ())),
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Failure:
    """An output that could not be made, with a one-line message saying what to do."""

    key: OutputKey
    message: str
    model_id: str | None = None  # set when a model is missing: the reader offers a download
    size_bytes: int | None = None


@dataclass(frozen=True)
class Partial:
    """The text so far of an output a model is still writing (an LLM's stream); the
    finished `Output` follows, or a `Failure`. Shown, never cached."""

    key: OutputKey
    text: str


@dataclass(frozen=True)
class Progress:
    """What the service is doing now; `running` is None when it is idle."""

    running: OutputKey | None
    queued: int
    label: str


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes of a model download so far; `finished` once it ended, `error` if it failed."""

    model_id: str
    done: int
    total: int | None
    finished: bool
    error: str | None = None


@dataclass(frozen=True)
class ConversionProgress(DownloadProgress):
    """A model being converted for CTranslate2 (models.inference.engines), reported
    as a download is and travelling the same way to the reader: bytes written so far,
    then `finished`. A finished one with `error` says that transformers runs the
    model instead: `error` is the one line saying why (a failed or skipped
    conversion, or CTranslate2 not available for it, with or without a conversion)."""


# A ConversionProgress is a DownloadProgress: a listener that shows downloads shows it.
ServiceEvent = Union[Output, Failure, Progress, DownloadProgress, Partial]  # noqa: UP007
