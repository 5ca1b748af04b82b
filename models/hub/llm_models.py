"""The instruction-tuned LLMs precis knows by name, and the one `precis models pull llm` fetches.

Kept with the hub's other model facts (names and download sizes) so the CLI and
the provider can say what a download costs, and so a known LLM that is not on disk
yet is still recognised as one (its config, which says so, is not there to read).
"""

from __future__ import annotations

from models.text import MB

PULL_NAME = "llm"
# Qwen2.5-0.5B-Instruct: Apache-2.0, 29 languages, 32k context; model.safetensors is
# 988 MB (bf16) plus an 11 MB tokenizer (sizes from its hub page, Dec 2026).
RECOMMENDED_LLM = "Qwen/Qwen2.5-0.5B-Instruct"
RECOMMENDED_LLM_SIZE = 1_000 * MB
# Chat models people are likely to name: download size where checked, else None.
KNOWN_LLMS: dict[str, int | None] = {
    RECOMMENDED_LLM: RECOMMENDED_LLM_SIZE,
    "Qwen/Qwen2.5-1.5B-Instruct": None,
    "Qwen/Qwen3-0.6B": None,
    "Qwen/Qwen3-1.7B": None,
}
