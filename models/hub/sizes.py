"""Approximate download sizes of models, for messages before a download starts.

Kept apart from the catalog so that finding models on disk (`local_models`) can say
what a missing model costs without importing the catalog, which itself reads model
configs from disk to classify user overrides.
"""

from __future__ import annotations

from models.text import MB

MARIAN_SIZE = 300 * MB  # opus-mt: 74M parameters, float32 weights + tokenizer
TC_BIG_SIZE = 600 * MB  # opus-mt-tc-big: ~240M parameters
M2M100_418M = "facebook/m2m100_418M"
M2M100_SIZE = 1_940 * MB

# Sizes of models people are likely to name, for messages before a download.
KNOWN_SIZES: dict[str, int] = {
    "sshleifer/distilbart-cnn-12-6": 1_220 * MB,
    "facebook/bart-large-cnn": 1_630 * MB,
    "google/pegasus-xsum": 2_280 * MB,
    M2M100_418M: M2M100_SIZE,
    "facebook/m2m100_1.2B": 4_960 * MB,
    "facebook/nllb-200-distilled-600M": 2_460 * MB,
}


def approx_size(model_id: str) -> int | None:
    """A download-size estimate for messages; None for models precis knows nothing about."""
    if model_id in KNOWN_SIZES:
        return KNOWN_SIZES[model_id]
    if model_id.startswith("Helsinki-NLP/opus-mt-tc-big-"):
        return TC_BIG_SIZE
    if model_id.startswith("Helsinki-NLP/opus-mt-"):
        return MARIAN_SIZE
    return None
