"""Adapters that compose models: a chain of translators through a pivot language, and
a tokenizer that adds a target-language token (`>>id<<`) before every text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from models.types import Translator


class ChainedTranslator:
    """Two or more translators run one after the other (German -> English -> French)."""

    def __init__(self, hops: Sequence[Translator]) -> None:
        self.hops = list(hops)
        self.name = "+".join(h.name for h in self.hops)
        self.revision = "+".join(h.revision or "-" for h in self.hops)
        self.source_lang = self.hops[0].source_lang
        self.target_lang = self.hops[-1].target_lang

    def settings_key(self) -> str:
        return json.dumps([h.settings_key() for h in self.hops], separators=(",", ":"))

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        out = list(texts)
        for hop in self.hops:
            out = hop.translate(out, cancel=cancel)
        return out


class PrefixingTokenizer:
    """A tokenizer that puts a target-language token before every text it encodes.

    Multi-target opus-mt models (en-zh, en-ar) pick the output language from a
    sentence-initial `>>id<<` token; Seq2SeqTranslator encodes each sentence on its
    own, so the token is added where every sentence is encoded. Token counts include
    it, which is right: it takes a place in the model's window. Everything else is the
    wrapped tokenizer's.
    """

    def __init__(self, tokenizer: Any, prefix: str) -> None:
        object.__setattr__(self, "_tokenizer", tokenizer)
        object.__setattr__(self, "_prefix", prefix.strip() + " ")

    def __call__(self, text: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(text, str):
            text = self._prefix + text
        elif isinstance(text, (list, tuple)):
            text = [self._prefix + t if isinstance(t, str) else t for t in text]
        return self._tokenizer(text, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._tokenizer, name, value)
