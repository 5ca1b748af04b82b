"""Decoding presets: beam search the way the checkpoints were tuned, or greedy when asked.

The real checkpoints were tuned and evaluated with beam search (distilbart-cnn: 4 beams,
length_penalty 2.0; opus-mt: 4 beams; m2m100: 5 beams), and so are the tools built on
them (EasyNMT 5 beams; Argos Translate and LibreTranslate 4). Greedy decoding is faster
but not what the checkpoints' quality was measured with, so it is an explicit choice
(`decoding = "fast"`), never the default.

Summaries use 2 beams: distilbart's author lists 2 as the fewest beams "without hurting
metrics", at about half the cost of 4. Translations use the checkpoint's own beam count.
Both keep the checkpoint's length_penalty (it only matters with beams).

This module is pure (no torch): every engine (transformers, CTranslate2, causal LMs)
turns a checkpoint's generation settings into the same `DecodingPolicy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Decoding = Literal["beam", "fast"]
DECODINGS: tuple[Decoding, ...] = ("beam", "fast")

SUMMARY_BEAMS = 2
# A translation checkpoint that states no beam count: what opus-mt, Argos and
# LibreTranslate use.
DEFAULT_TRANSLATION_BEAMS = 4
_MAX_BEAMS = 16  # a config asking for more is wrong, and would cost minutes per section


@dataclass(frozen=True)
class DecodingPolicy:
    """How every output of one model is searched for."""

    num_beams: int = 1
    length_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.num_beams <= _MAX_BEAMS:
            raise ValueError(f"num_beams must be 1..{_MAX_BEAMS}: {self}")
        if not math.isfinite(self.length_penalty):
            raise ValueError(f"length_penalty must be finite: {self}")

    @property
    def label(self) -> str:
        """What the status line, the export and the benchmark show: "greedy" or "beam 4"."""
        return "greedy" if self.num_beams == 1 else f"beam {self.num_beams}"


GREEDY = DecodingPolicy(1, 1.0)


@dataclass(frozen=True)
class CheckpointDecoding:
    """The decoding settings a checkpoint ships with (generation_config or config.json)."""

    num_beams: int = 1
    length_penalty: float = 1.0


def checkpoint_decoding(generation_config: Any) -> CheckpointDecoding:
    """Read `num_beams` and `length_penalty` from a transformers GenerationConfig (or any
    object with those attributes); values that are missing or nonsense fall back to the
    library defaults (1 beam, penalty 1.0)."""
    beams = getattr(generation_config, "num_beams", None)
    penalty = getattr(generation_config, "length_penalty", None)
    if not isinstance(beams, int) or isinstance(beams, bool) or not 1 <= beams <= _MAX_BEAMS:
        beams = 1
    if (
        not isinstance(penalty, (int, float))
        or isinstance(penalty, bool)
        or not math.isfinite(penalty)
    ):
        penalty = 1.0
    return CheckpointDecoding(beams, float(penalty))


def summary_decoding(mode: Decoding, checkpoint: CheckpointDecoding) -> DecodingPolicy:
    """Beam search with SUMMARY_BEAMS beams and the checkpoint's length_penalty, or
    greedy for `mode == "fast"`."""
    if _mode(mode) == "fast":
        return GREEDY
    return DecodingPolicy(SUMMARY_BEAMS, checkpoint.length_penalty)


def translation_decoding(mode: Decoding, checkpoint: CheckpointDecoding) -> DecodingPolicy:
    """The checkpoint's own beams and length_penalty (DEFAULT_TRANSLATION_BEAMS when it
    states none), or greedy for `mode == "fast"`."""
    if _mode(mode) == "fast":
        return GREEDY
    beams = checkpoint.num_beams if checkpoint.num_beams > 1 else DEFAULT_TRANSLATION_BEAMS
    return DecodingPolicy(beams, checkpoint.length_penalty)


def _mode(mode: str) -> Decoding:
    if mode not in DECODINGS:
        raise ValueError(f"decoding must be one of {', '.join(DECODINGS)}, not {mode!r}")
    return "fast" if mode == "fast" else "beam"


def model_label(model: object) -> str:
    """A model's name with how it decodes and on which engine, for what the reader and
    the export list: "sshleifer/distilbart-cnn-12-6 (beam 2, ctranslate2 int8)"; a
    chain of translators label each hop ("a (beam 4, ...)+b (beam 4, ...)"); a model
    without a `decoding` policy is its name."""
    hops = getattr(model, "hops", None)
    if isinstance(hops, list) and hops:
        return "+".join(model_label(hop) for hop in hops)
    name = str(getattr(model, "name", ""))
    decoding = getattr(model, "decoding", None)
    if not isinstance(decoding, DecodingPolicy):
        return name
    loaded = getattr(model, "loaded", None)
    if loaded is None:
        return f"{name} ({decoding.label})"
    # The engine (models.inference.engines) and its precision: outputs differ with both.
    engine = getattr(getattr(loaded, "model", None), "engine", "transformers")
    return f"{name} ({decoding.label}, {engine} {loaded.precision})"
