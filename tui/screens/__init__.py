"""Screens of the reader: the reader itself and its modals."""

from __future__ import annotations

from tui.screens.confirm import ConfirmDownload
from tui.screens.help import HelpScreen
from tui.screens.language_picker import LanguagePicker
from tui.screens.reader import ReaderScreen

__all__ = ["ConfirmDownload", "HelpScreen", "LanguagePicker", "ReaderScreen"]
