"""Styled spans over article and model text: flags, support, search matches.

Text from an article or a model is never parsed as markup: it becomes a plain
`Content`, and marks are added as style spans at character offsets. The styles
use theme variables, so the marks follow the theme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.content import Content

from models.fidelity.flags import Flag

Mark = tuple[int, int, str]  # start, end, style

FLAG_STYLE = "underline $text-warning"
"""A span of an output that its section does not state."""
SENTENCE_STYLE = "bold"
"""The summary sentence whose support is shown."""
SUPPORT_STYLE = "on $accent-muted"
"""A sentence of the original that supports the current summary sentence."""
MATCH_STYLE = "reverse"
"""The current search match."""
OTHER_MATCH_STYLE = "on $warning-muted"
"""Every other match of the search on screen."""


def marked(text: str, marks: Iterable[Mark] = ()) -> Content:
    """`text` shown literally, with each mark's style over its span."""
    content = Content(text)
    size = len(text)
    for start, end, style in marks:
        start, end = max(0, start), min(size, end)
        if start < end:
            content = content.stylize(style, start, end)
    return content


def flag_marks(flags: Sequence[Flag]) -> list[Mark]:
    """The marks of the flags that have a span in the output."""
    return [
        (flag.start, flag.end, FLAG_STYLE)
        for flag in flags
        if flag.start is not None and flag.end is not None
    ]


def paragraph_offsets(paragraphs: Sequence[str]) -> list[int]:
    """Where each paragraph starts in the paragraphs joined by blank lines."""
    offsets = []
    position = 0
    for paragraph in paragraphs:
        offsets.append(position)
        position += len(paragraph) + 2
    return offsets
