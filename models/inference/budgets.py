"""Length budgets and decoding settings: the pure policy of how much a model may write.

Summary lengths are relative to the input: a fixed max_new_tokens would ask a
two-sentence section for a 140-token "summary". Nothing here touches torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from models.inference.decoding import GREEDY, DecodingPolicy
from models.types import Length

RULES_VERSION = 2  # bump when budgets change: it is part of every settings key

# (fraction of the input, floor, cap) of max_new_tokens per preset; min_new_tokens.
SHORT_BUDGET = (0.5, 8, 60)  # about one sentence
MEDIUM_BUDGET = (0.75, 16, 140)  # about three sentences
LONG_CAP = 400  # a third of the section, but never unbounded
MIN_NEW = {Length.SHORT: 8, Length.MEDIUM: 30, Length.LONG: 60}
DEFAULT_BATCH_SIZE = 8


@dataclass(frozen=True)
class GenerationSettings:
    """What one input is generated with; `kwargs()` goes to `model.generate`."""

    max_new_tokens: int
    min_new_tokens: int = 1
    num_beams: int = 1
    # 0 turns it off. Passed always: a checkpoint's own setting would apply otherwise.
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    length_penalty: float = 1.0  # only means something with beams

    def __post_init__(self) -> None:
        if not 1 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError(f"need 1 <= min_new_tokens <= max_new_tokens: {self}")

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "min_new_tokens": self.min_new_tokens,
            "num_beams": self.num_beams,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "repetition_penalty": self.repetition_penalty,
            "do_sample": False,
        }
        if self.num_beams > 1:
            kwargs["early_stopping"] = True  # stop once num_beams hypotheses are done
            kwargs["length_penalty"] = self.length_penalty
        return kwargs

    def safer(self) -> GenerationSettings:
        """The settings of the one retry after degenerate output: more beams and a
        repetition penalty. n-gram blocking stays as it was (off for translations,
        where repeated names and set phrases are faithful)."""
        return replace(
            self,
            num_beams=max(4, self.num_beams),
            repetition_penalty=max(1.3, self.repetition_penalty),
        )

    def policy(self) -> tuple[int, int, float, float]:
        """The part of the settings that one batch must share."""
        return (
            self.num_beams,
            self.no_repeat_ngram_size,
            self.repetition_penalty,
            self.length_penalty,
        )


def summary_budget(length: Length, input_tokens: int) -> tuple[int, int]:
    """(min_new_tokens, max_new_tokens) for a summary of `input_tokens` tokens.

    Presets grow short < medium < long for any section of a few sentences; no
    preset asks for more new tokens than the input has.
    """
    n = max(1, input_tokens)
    short = _clamp(math.ceil(n * SHORT_BUDGET[0]), *SHORT_BUDGET[1:])
    medium = _clamp(math.ceil(n * MEDIUM_BUDGET[0]), *MEDIUM_BUDGET[1:])
    long = _clamp(max(math.ceil(n / 3), math.ceil(medium * 1.5)), 16, LONG_CAP)
    wanted = {Length.SHORT: short, Length.MEDIUM: medium, Length.LONG: long}[length]
    max_new = max(1, min(wanted, n))
    min_new = max(1, min(MIN_NEW[length], max_new // 2))
    return min_new, max_new


# Summaries block repeated word trigrams, as distilbart-cnn's own config does: a
# summary that says the same three words twice is repeating itself.
SUMMARY_NO_REPEAT_NGRAM = 3


def summary_settings(
    length: Length,
    input_tokens: int,
    *,
    decoding: DecodingPolicy = GREEDY,
    output_limit: int | None = None,
) -> GenerationSettings:
    min_new, max_new = summary_budget(length, input_tokens)
    if output_limit is not None:
        max_new = max(1, min(max_new, output_limit))
        min_new = min(min_new, max_new)
    return GenerationSettings(
        max_new,
        min_new,
        num_beams=decoding.num_beams,
        length_penalty=decoding.length_penalty,
        no_repeat_ngram_size=SUMMARY_NO_REPEAT_NGRAM,
    )


def translation_settings(
    input_tokens: int, *, decoding: DecodingPolicy = GREEDY, output_limit: int
) -> GenerationSettings:
    """Room for a translation twice as long in tokens as its source (plus slack).

    No n-gram is blocked: no translation checkpoint or peer tool does, and faithful
    translations repeat names and set phrases (2.6% of English news sentences repeat a
    word 4-gram). Loops are caught after generation (`models.inference.degenerate`).
    """
    max_new = max(1, min(output_limit, 2 * max(1, input_tokens) + 8))
    return GenerationSettings(
        max_new,
        1,
        num_beams=decoding.num_beams,
        length_penalty=decoding.length_penalty,
        no_repeat_ngram_size=0,
    )


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
