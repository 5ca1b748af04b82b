"""Which LLM settings a run uses, and what they add to the top-level output key.

The service names every output by a key computable before any model loads. With
an LLM (a server model or a local instruction-tuned one) the prompt version, the
style, the context window and the server also decide the text, so they are part
of it; the API key never is. Other runs' keys are unchanged (the part is empty).
"""

from __future__ import annotations

import functools
from pathlib import Path

from models.hub.llm_models import KNOWN_LLMS
from models.inference.llm_spec import is_causal_lm_folder
from models.inference.openai_chat import DEFAULT_BASE_URL, is_openai_spec
from models.inference.prompts import PROMPT_VERSION
from models.settings import Settings


def uses_llm(settings: Settings) -> bool:
    """Whether the summarizer or a named translator is a server model or an LLM."""
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
    """What LLM settings add to the top-level output key ("" when no LLM is in use)."""
    if not uses_llm(settings):
        return ""
    server = (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")
    return (
        f"|llm=p{PROMPT_VERSION},style={settings.llm_style},"
        f"ctx={settings.llm_context_tokens},server={server}"
    )
