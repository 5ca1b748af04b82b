"""Telling whether a model folder holds an instruction-tuned causal LM, loading nothing.

The provider must decide "seq2seq or causal LM?" from a folder before it loads a
model, so this reads only the folder's config.json.
"""

from __future__ import annotations

import json
from pathlib import Path


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
