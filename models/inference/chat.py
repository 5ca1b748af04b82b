"""The seam between precis's LLM summarizer/translator and whatever runs the model.

A local causal LM (models.inference.causal_lm) and an OpenAI-compatible server
(models.inference.openai_chat) both take chat messages and return one answer,
optionally streamed piece by piece. `LLMSummarizer` and `LLMTranslator`
(models.inference.llm_roles) are written once against this protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from models.inference.prompts import Prompt

# Called with the whole answer so far (raw, before cleaning) each time it grows.
OnText = Callable[[str], None]


@dataclass(frozen=True)
class Completion:
    """One answer: its raw text, and whether it stopped at the token budget."""

    text: str
    truncated: bool


class ChatBackend(Protocol):
    """Runs chat prompts on one model."""

    name: str  # "openai:MODEL" or the model folder / hub id: shown and part of cache keys
    revision: str | None
    concurrency: int  # answers worth requesting at once (1 for a local model)

    def settings_key(self) -> dict[str, Any]:
        """What besides the prompt decides the answer (precision, server): cache key."""
        ...

    def context_tokens(self) -> int:
        """The model's context window in tokens, prompt and answer together."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` (an estimate where the tokenizer is not at hand)."""
        ...

    def complete(
        self,
        prompt: Prompt,
        *,
        cancel: threading.Event,
        on_text: OnText | None = None,
        retry: bool = False,
    ) -> Completion:
        """The answer to `prompt`. `retry` asks for settings less prone to loops (the
        second try after degenerate output). Raises `Cancelled` once `cancel` is set,
        `ModelError` (one line) when the model or server fails."""
        ...

    def describe(self) -> str:
        """Where outputs come from, for the status line ("openai:m @ host:port")."""
        ...
