"""Telling which model names are instruction-tuned LLMs, without loading anything.

The provider must decide "seq2seq or causal LM or server?" from a name before it
loads a model (and the cache must name the outputs before torch is imported), so
this reads only a folder's config.json. It also holds the one recommended small
LLM that `precis models pull llm` fetches, and the part of the top-level cache
key that LLM settings add.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from models.inference.openai_chat import DEFAULT_BASE_URL, is_openai_spec
from models.inference.prompts import PROMPT_VERSION

if TYPE_CHECKING:
    from models.settings import Settings

# Qwen2.5-0.5B-Instruct: Apache-2.0, 29 languages, 32k context; model.safetensors is
# 988 MB (bf16) plus an 11 MB tokenizer. `precis models pull llm` fetches it.
RECOMMENDED_LLM = "Qwen/Qwen2.5-0.5B-Instruct"
RECOMMENDED_LLM_SIZE = 1_000_000_000
# Chat models people are likely to name, so a missing one is known to be an LLM.
KNOWN_LLMS = frozenset(
    {RECOMMENDED_LLM, "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-1.7B"}
)
PULL_NAME = "llm"


def is_causal_lm_folder(folder: Path) -> bool:
    """Whether the model in `folder` is a decoder-only LM (`*ForCausalLM` in config.json)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(config, dict) or config.get("is_encoder_decoder"):
        return False
    architectures = config.get("architectures") or []
    return any(str(a).endswith("ForCausalLM") for a in architectures)


def uses_llm(settings: Settings) -> bool:
    """Whether the summarizer or a named translator is a server model or a known LLM."""
    names = (settings.summarizer, settings.translator, *settings.translators.values())
    return _any_llm(names)


@functools.lru_cache(maxsize=64)
def _any_llm(names: tuple[str | None, ...]) -> bool:
    # Asked for every top-level cache key: the folders are looked at once per run.
    for name in names:
        if not name:
            continue
        if is_openai_spec(name) or name in KNOWN_LLMS:
            return True
        path = Path(name).expanduser()
        if path.is_dir() and is_causal_lm_folder(path):
            return True
    return False


def output_key_part(settings: Settings) -> str:
    """What LLM settings add to the top-level output key ("" when no LLM is in use, so
    the keys of other outputs do not change). The API key is never part of it."""
    if not uses_llm(settings):
        return ""
    server = (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")
    return (
        f"|llm=p{PROMPT_VERSION},style={settings.llm_style},"
        f"ctx={settings.llm_context_tokens},server={server}"
    )
