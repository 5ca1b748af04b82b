"""Cleaning what an instruction-tuned model answers before it is shown or cached.

Chat models wrap the text asked for: reasoning blocks (`<think>...</think>` from
Qwen3, DeepSeek-R1 and their kin), a polite preamble ("Here is the summary:"), a
closing offer ("Let me know if..."), quotes or a code fence around the whole answer.
None of that is a summary. The functions here are pure, so the same cleaning applies
to a local model and to a server, and to a stream as it grows (`visible_part`).
"""

from __future__ import annotations

import re

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_OPEN_THINK = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
# A stray closing tag with no opening one: some templates put <think> in the prompt.
_CLOSE_THINK = re.compile(r"^.*?</(think|thinking|reasoning)>", re.IGNORECASE | re.DOTALL)
# "Here is the summary:", "Sure! Here's a translation of the text into German:",
# "Summary:", "Zusammenfassung:", "Key points:" ... only as the answer's first line.
_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok)[!,.]?\s*)?"
    r"(?:(?:here\s+is|here's|here\s+are|below\s+is)\b[^\n:]{0,80}:"
    r"|(?:summary|translation|key\s+points|tl;?dr|zusammenfassung|übersetzung|résumé|"
    r"traduction|resumen|traducción|riassunto|traduzione|резюме|перевод|摘要|总结|翻译)"
    r"\s*[:：])[ \t]*\n?",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"\n+\s*(?:let me know|i hope this|feel free to|if you (?:need|want|would like))[^\n]*\s*$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```[\w-]*\n(.*?)\n?```$", re.DOTALL)
_QUOTES = (('"', '"'), ("“", "”"), ("«", "»"), ("„", "“"), ("'", "'"))
# Terminal control: C0 (but tab and newline), DEL and C1. Model text is shown in a
# terminal; an escape sequence in it must not reach the screen as one.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_output(text: str) -> str:
    """The answer with reasoning, preamble, closing offer, fences and wrapping quotes
    removed, control characters dropped and blank-line runs collapsed."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _THINK.sub("", text)
    opened = _OPEN_THINK.search(text)
    if opened:  # reasoning never closed (cut by the token budget): nothing after it counts
        text = text[: opened.start()]
    text = _CLOSE_THINK.sub("", text, count=1)
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    text = _PREAMBLE.sub("", text, count=1).strip()
    text = _CLOSING.sub("", text).strip()
    for left, right in _QUOTES:
        inner = text[len(left) : -len(right)] if len(text) > 2 else ""
        if text.startswith(left) and text.endswith(right) and left not in inner:
            text = inner.strip()
            break
    return re.sub(r"\n\s*\n\s*", "\n\n", text)


# First words of a possible preamble: while the first line is still arriving after one
# of these, nothing is shown (a stream must not flash "Here is the" before "Der Rat").
_MAYBE_PREAMBLE = re.compile(
    r"^\s*(?:sure|certainly|of course|okay|ok|here|below|summary|translation|key|tl|"
    r"zusammenfassung|übersetzung|résumé|traduction|resumen|traducción|riassunto|"
    r"traduzione|резюме|перевод|摘要|总结|翻译)\b",
    re.IGNORECASE,
)


# The same words, while the first word is still arriving ("He" may become "Here").
_PREAMBLE_WORDS = ("sure", "certainly", "okay", "here", "below", "summary", "translation")


def _may_become_preamble(text: str) -> bool:
    word = text.lower()
    return (
        bool(word)
        and not any(ch.isspace() for ch in word)
        and any(w.startswith(word) for w in _PREAMBLE_WORDS)
    )


def visible_part(partial: str) -> str:
    """What of a growing answer may be shown while it streams: no reasoning block (an
    unfinished one hides everything after it), no preamble, and nothing while the first
    line may still turn out to be one, or a tag may still be opening."""
    stripped = partial.lstrip()
    if stripped.startswith("<") and ">" not in stripped:
        return ""
    text = clean_output(partial)
    first_line_done = "\n" in text or len(text) > 100
    if not first_line_done and _MAYBE_PREAMBLE.match(text):
        return ""
    if _may_become_preamble(text):
        return ""
    return text
