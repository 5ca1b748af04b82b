"""One sanitizer for every string precis shows or prints that it did not write itself.

Model outputs, translations, model ids and metadata, server-provided strings (HTTP
reason phrases, Content-Type), file paths and exception text can carry terminal
control sequences: `ESC ] 52 ; c ; ... BEL` writes the clipboard, `ESC ] 0 ;` sets
the window title, `ESC [ 2J` clears the screen. A terminal obeys them when they are
printed raw, so every such string passes through `safe_text` (multi-line text) or
`safe_line` (single-line fields: messages, titles, list rows, paths) first.

- `safe_text` removes whole escape sequences (CSI, OSC, DCS/PM/APC/SOS strings and
  two-byte escapes), then every remaining C0 control except newline and tab, DEL and
  the C1 range; CRLF and lone CR become newlines; unpaired surrogates (from undecodable
  file names) become U+FFFD so that printing them cannot raise.
- `safe_line` does the same, then also removes bidi embeddings, overrides and isolates
  and zero-width characters (they reorder or hide the rest of a line and shift borders
  in fixed-width layouts), and turns any line or paragraph break into a space.
- `safe_model_text` is `safe_text` plus the removal of bidi embeddings, overrides and
  isolates, for what a model writes: the service cleans each output once, before it
  checks, caches and hands it out, so the offsets of its flags index the text shown.
  The marks (LRM, RLM, ALM) and the joiners (ZWJ, ZWNJ) stay: Arabic, Persian, Indic
  scripts and emoji need them.

Neither function interprets markup: Rich/Textual markup is a separate concern, handled
where text is shown (as plain `Content`, never parsed markup).
"""

from __future__ import annotations

import re

# An escape sequence as a whole, so no visible payload of it survives either:
# CSI (ESC [ params intermediates final), the string commands OSC/DCS/SOS/PM/APC up
# to BEL or ST (or, unterminated, to the end of the line: what follows is harmless once
# the introducer is gone), then two-byte escapes.
# The 8-bit C1 introducers (CSI U+009B, OSC U+009D ...) are removed alone, with the
# other controls: a stray one in decoded text must not take the rest of the line along.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Any control left over: C0 except tab and newline, DEL, C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone UTF-16 surrogates: Python's surrogateescape puts them in undecodable paths.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bidi embeddings/overrides (U+202A-U+202E), isolates (U+2066-U+2069), the Arabic
# letter mark, and zero-width characters (ZWSP, ZWNJ, ZWJ, LRM, RLM, word joiner and
# invisible operators, BOM/ZWNBSP) that hide or reorder text on one line.
_BIDI_AND_INVISIBLE = re.compile(
    r"[\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060-\u2064\ufeff]"
)
# Explicit directional formatting: embeddings and overrides (U+202A-U+202E) and isolates
# (U+2066-U+2069). Plain prose has no use for them; they reorder what follows them.
_BIDI_FORMATTING = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Line and paragraph breaks of any kind, for single-line fields.
_LINE_BREAK = re.compile(r"[\n\t\u2028\u2029\x85]+")


def safe_text(text: str) -> str:
    """`text` with terminal escape sequences and control characters removed; newlines
    and tabs kept (CRLF and lone CR become newlines). For multi-line output."""
    if not text:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def safe_model_text(text: str) -> str:
    """`text` written by a model, made safe to store, check and show: `safe_text`, then
    bidi embeddings, overrides and isolates removed. Idempotent, and `safe_text` leaves
    its result unchanged, so flags computed on it keep their offsets wherever it is shown.
    """
    return _BIDI_FORMATTING.sub("", safe_text(text))


def safe_line(text: str) -> str:
    """`text` made safe for a single-line field: `safe_text`, then bidi overrides and
    isolates and zero-width characters removed and line breaks and tabs turned into
    single spaces."""
    text = safe_text(text)
    if not text:
        return text
    text = _BIDI_AND_INVISIBLE.sub("", text)
    return _LINE_BREAK.sub(" ", text)


def safe_message(value: object, limit: int = 300) -> str:
    """An exception (or any value) as one safe, short line for stderr or a toast:
    `safe_line` of its text, whitespace runs collapsed, cut at `limit` characters; an
    exception without a message gives its type name."""
    text = " ".join(safe_line(str(value)).split())
    if not text and isinstance(value, BaseException):
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
