"""Display-only widgets of the reader: attributes in, messages out."""

from __future__ import annotations

from tui.widgets.original_view import OriginalView, Translation
from tui.widgets.output_pane import OutputPane
from tui.widgets.section_list import SectionList
from tui.widgets.status_bar import StatusBar

__all__ = ["OriginalView", "OutputPane", "SectionList", "StatusBar", "Translation"]
