"""The reader's key bindings, in one table.

The order is the footer's: the most important first (a narrow footer shows the first
ones that fit). Each binding has an id so that a user keymap can remap it, and a tooltip that the
help screen shows; the app reads this table for both. Kept apart from the screen
so that the list of keys reads as one piece, not as a preamble to the handlers.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

READER_BINDINGS: list[BindingType] = [
    Binding("j", "next_section", "Next", id="next-section", tooltip="Next section"),
    Binding("k", "previous_section", "Prev", id="previous-section", tooltip="Previous section"),
    Binding(
        "s",
        "cycle_length",
        "Length",
        id="cycle-length",
        tooltip="Summary length: short → medium → long",
    ),
    Binding(
        "l", "pick_language", "Language", id="pick-language", tooltip="Pick the target language"
    ),
    Binding(
        "t",
        "toggle_translation",
        "Translation",
        id="toggle-translation",
        tooltip="Full translation beside the original, paragraph by paragraph",
    ),
    Binding(
        "d",
        "download",
        "Download",
        id="download",
        tooltip="Download the missing model named in the output pane",
    ),
    # `d` when there is nothing to download: the same key, hidden, says why.
    Binding("d", "why_no_download", "Download", show=False, id="download-why"),
    Binding(
        "e",
        "export",
        "Export",
        id="export",
        tooltip="Export the article as Markdown with the current language and length",
    ),
    Binding(
        "enter",
        "focus_text",
        "Read",
        id="focus-text",
        tooltip="Read the section: focus its text (escape goes back to the list)",
    ),
    Binding(
        "L",
        "previous_language",
        "Back",
        id="previous-language",
        tooltip="Return to the previously used language",
    ),
    Binding(
        "r",
        "recompute",
        "Redo",
        id="recompute",
        tooltip="Compute the output on screen again, bypassing the cache",
    ),
    Binding(
        "o",
        "focus_summary",
        "Summary",
        show=False,
        id="focus-summary",
        tooltip="Scroll the summary: focus its pane, then up/down (escape goes back)",
    ),
    Binding(
        "escape",
        "escape",
        "Cancel",
        show=False,
        id="cancel",
        tooltip="Cancel a download, or go back to the section list",
    ),
    Binding(
        "right_square_bracket",
        "next_sentence",
        "Source",
        show=False,
        id="next-sentence",
        tooltip="Next summary sentence: highlight the sentences of the original behind it",
    ),
    Binding(
        "left_square_bracket",
        "previous_sentence",
        "Source",
        show=False,
        id="previous-sentence",
        tooltip="Previous summary sentence: highlight the sentences behind it",
    ),
    Binding(
        "slash",
        "search",
        "Search",
        show=False,
        id="search",
        tooltip="Search the text, summaries and translations of every section",
    ),
    Binding(
        "b",
        "brief",
        "Brief",
        show=False,
        id="brief",
        tooltip="Jump to the Brief, the first entry (the whole article summarized from "
        "its section summaries), and back to the section",
    ),
    Binding("n", "next_match", "Next match", show=False, id="next-match", tooltip="Next match"),
    Binding(
        "N",
        "previous_match",
        "Previous match",
        show=False,
        id="previous-match",
        tooltip="Previous match",
    ),
]
