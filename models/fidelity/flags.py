"""A fidelity flag: what it says, and where in the output it is.

Kept apart from the checks that make flags, so that the service's output type and
the reader can hold and show flags without importing the checks themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NUMBER_FLAG = "number"
DATE_FLAG = "date"
TIME_FLAG = "time"
NAME_FLAG = "name"
MISSING_FLAG = "missing"  # in the source, not in the translation; no span in the output
KINDS = (NUMBER_FLAG, DATE_FLAG, TIME_FLAG, NAME_FLAG, MISSING_FLAG)


@dataclass(frozen=True)
class Flag:
    """One thing to check: `text` at [start, end) of the output (None for MISSING)."""

    text: str
    kind: str
    start: int | None
    end: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Flag:
        kind = str(raw["kind"])
        if kind not in KINDS:
            raise ValueError(f"unknown flag kind {kind!r}")
        start, end = raw.get("start"), raw.get("end")
        return cls(
            str(raw["text"]),
            kind,
            None if start is None else int(start),
            None if end is None else int(end),
        )


def describe(flags: Sequence[Flag], limit: int = 3) -> str:
    """The one line under an output: "check: 3 million not in the section; ..."."""
    if not flags:
        return ""
    parts = []
    for flag in flags[:limit]:
        shown = " ".join(flag.text.split())
        if flag.kind == MISSING_FLAG:
            parts.append(f"{shown} of the section missing")
        else:
            parts.append(f"{shown} not in the section")
    more = f" (+{len(flags) - limit} more)" if len(flags) > limit else ""
    return "check: " + "; ".join(parts) + more
