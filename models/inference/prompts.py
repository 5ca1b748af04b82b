"""The prompts precis sends to instruction-tuned language models, in one place.

A local causal LM and an OpenAI-compatible server get the same chat messages, so a
summary asked of either means the same thing. The wording changes what models write,
so the set is versioned: `PROMPT_VERSION` is part of every settings key (and so every
cache key) of an LLM output, and editing a prompt without bumping it would serve
summaries written for the old wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.language_names import language_name
from models.types import Length

PROMPT_VERSION = 1  # bump on any change to the wording or the token budgets below

Style = Literal["prose", "points"]
STYLES: tuple[Style, ...] = ("prose", "points")

_SYSTEM = (
    "You are a careful assistant inside a terminal article reader. You write only the "
    "text asked for: no preamble, no closing remarks, no explanations of what you did, "
    "no Markdown headings. Keep names, numbers and dates exactly as in the source."
)

_LENGTH_ASK: dict[Length, str] = {
    Length.SHORT: "in one sentence",
    Length.MEDIUM: "in three sentences",
    Length.LONG: "in one paragraph of about five to eight sentences",
}
_POINTS_ASK: dict[Length, str] = {
    Length.SHORT: "as two or three short bullet points",
    Length.MEDIUM: "as three to five bullet points",
    Length.LONG: "as five to eight bullet points",
}

# Upper bounds on new tokens per answer: room for the asked length in any language
# (CJK and Cyrillic text takes more tokens per word), never an open-ended reply.
SUMMARY_MAX_TOKENS: dict[Length, int] = {Length.SHORT: 96, Length.MEDIUM: 224, Length.LONG: 448}
POINTS_MAX_TOKENS: dict[Length, int] = {Length.SHORT: 128, Length.MEDIUM: 256, Length.LONG: 448}
# A chunk summary of a long section: medium-sized, whatever the final length.
CHUNK_MAX_TOKENS = 224


@dataclass(frozen=True)
class Prompt:
    """Chat messages and the most new tokens the answer may take."""

    messages: tuple[dict[str, str], ...]
    max_tokens: int


def summary_prompt(
    text: str,
    *,
    source_lang: str,
    target_lang: str,
    length: Length,
    style: Style = "prose",
    chunk: bool = False,
) -> Prompt:
    """Ask for a summary of `text` (in `source_lang`) written in `target_lang`."""
    target = language_name(target_lang)
    if chunk:
        ask = (
            f"This is one part of a longer article section. Summarize this part in {target} "
            "in three sentences, keeping every fact a final summary may need."
        )
        max_tokens = CHUNK_MAX_TOKENS
    elif style == "points":
        ask = (
            f"List the key points of the following text in {target}, "
            f"{_POINTS_ASK[Length(length)]}, each line starting with '- '."
        )
        max_tokens = POINTS_MAX_TOKENS[Length(length)]
    else:
        ask = f"Summarize the following text in {target}, {_LENGTH_ASK[Length(length)]}."
        max_tokens = SUMMARY_MAX_TOKENS[Length(length)]
    source = language_name(source_lang)
    user = f"{ask}\nThe text is in {source}. Reply with the summary only.\n\n{text}"
    return Prompt(
        ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}), max_tokens
    )


def translation_prompt(
    text: str, *, source_lang: str, target_lang: str, input_tokens: int
) -> Prompt:
    """Ask for a faithful translation of `text`, paragraph breaks kept."""
    source, target = language_name(source_lang), language_name(target_lang)
    user = (
        f"Translate the following text from {source} into {target}. Translate faithfully "
        "and completely: do not summarize, add or omit anything, and keep the paragraph "
        f"breaks. Reply with the translation only.\n\n{text}"
    )
    # Twice the source's tokens plus slack, as for the seq2seq translators.
    max_tokens = 2 * max(1, input_tokens) + 32
    return Prompt(
        ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}), max_tokens
    )
