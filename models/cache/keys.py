"""Cache keys: one stable name for "this output of this text by this pipeline".

A key must change whenever anything that could change the output changes (the
text, the task, the languages, the length, the model and its revision, the
generation settings, or precis's own processing), and must not change for
differences that cannot change it (whitespace in the text). Keeping this in one
small pure module lets the service, the export CLI and the tests agree on it.
"""

from __future__ import annotations

import hashlib
import json

from models.text import normalize
from models.types import Length, Task

# Bump whenever the processing around the models changes what an output would be
# (sentence splitting, chunking, prompt building, post-processing). Old entries
# then simply stop matching and age out through LRU eviction.
PIPELINE_VERSION = 2  # 2: "May." ends an English sentence (models.text)


def text_digest(text: str) -> str:
    """The sha256 hex of the normalized text, so whitespace-only edits share a key."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def make_key(
    *,
    text: str,
    task: Task,
    source_lang: str,
    target_lang: str,
    length: Length | None,
    model: str,
    revision: str | None,
    settings: str,
) -> str:
    """The sha256 hex key of one cached output.

    The fields are encoded as a JSON list, which is unambiguous: no choice of field
    values can make two different tuples encode to the same string.
    """
    fields = [
        "precis-cache",
        PIPELINE_VERSION,
        text_digest(text),
        Task(task).value,
        source_lang,
        target_lang,
        Length(length).value if length is not None else "",
        model,
        revision or "",
        settings,
    ]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
