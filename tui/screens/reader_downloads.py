"""Downloading a missing model from the reader: offer, confirm, progress, outcome.

When an output fails (or falls back to extractive) for want of a model, the reader
offers its download on `d`. This mixin holds that flow so the reader screen keeps
to what is on screen; the state it reads (`_failure`, `_downloading`, ...) is the
screen's own, set up in `ReaderScreen.__init__`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from models.service.events import Failure
from models.text import format_size
from tui.messages import DownloadUpdate
from tui.screens.confirm import ConfirmDownload
from tui.widgets import OutputPane

if TYPE_CHECKING:
    from textual.screen import Screen

    from models.service.scheduler import PrecisService

    _Base = Screen[None]
else:
    _Base = object


class ModelDownloads(_Base):
    """The `d` key and its download, mixed into `ReaderScreen` before `Screen`."""

    if TYPE_CHECKING:
        service: PrecisService
        _failure: Failure | None
        _downloading: str | None
        _confirmed_downloads: set[str]
        _keys_for: Callable[[str], str]

        def _refresh_marks(self) -> None: ...
        def _request_outputs(self) -> None: ...

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "download":
            return (
                self._failure is not None
                and self._failure.model_id is not None
                and self._downloading is None
                and not self.service.offline
            )
        return True

    def _failure_hint(self, failure: Failure) -> str | None:
        if not failure.model_id:
            return "Press r to try again, or l to pick another language."
        if self.service.offline:
            return "Everything else keeps working."
        key = self._keys_for("download") or "d"
        size = format_size(failure.size_bytes)
        size = f" ({size})" if size else ""
        return f"Press {key} to download {failure.model_id}{size}. Everything else keeps working."

    def on_download_update(self, message: DownloadUpdate) -> None:
        progress = message.progress
        if progress.model_id != self._downloading:
            return
        pane = self.query_one(OutputPane)
        if not progress.finished:
            pane.show_download(progress.model_id, progress.done, progress.total)
            return
        self._downloading = None
        self.refresh_bindings()
        if progress.error:
            pane.show_failure(f"Download of {progress.model_id} failed: {progress.error}")
            self.notify(f"{progress.model_id}: {progress.error}", severity="warning")
            return
        self.notify(f"Downloaded {progress.model_id}")
        self._refresh_marks()
        self._request_outputs()

    def action_download(self) -> None:
        failure = self._failure
        if failure is None or failure.model_id is None or self._downloading:
            return
        model_id = failure.model_id
        if model_id in self._confirmed_downloads:
            self._start_download(model_id)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._confirmed_downloads.add(model_id)
                self._start_download(model_id)

        self.app.push_screen(ConfirmDownload(model_id, failure.size_bytes), confirmed)

    def _start_download(self, model_id: str) -> None:
        self._downloading = model_id
        self.refresh_bindings()
        self.query_one(OutputPane).show_download(model_id, 0, None)
        self.service.download(model_id)
