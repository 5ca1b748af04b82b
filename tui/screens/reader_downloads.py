"""Downloading a missing model from the reader: offer, confirm, progress, outcome.

When an output fails, falls back to extractive, or is shown untranslated for want of
a model, the reader offers its download on `d`. `ModelDownloads` is a small
component the reader screen owns: it keeps the state of that flow (what is missing,
what is downloading, what was confirmed) and drives the output pane's progress line
and the status line. What was on screen stays there whatever the download's end.

A model's conversion for CTranslate2 (models.inference.engines) arrives the same way,
as `ConversionProgress`: its progress shows like a download's (when no download is
shown), escape skips it (transformers runs the model in this run), and a fallback
to transformers is one notification saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from models.sanitize import safe_line, safe_message
from models.service.events import ConversionProgress, Failure
from models.service.scheduler import CANCELLED
from models.text import format_size
from tui.screens.confirm import ConfirmDownload
from tui.widgets import OutputPane

if TYPE_CHECKING:
    from textual.screen import Screen

    from models.service.events import DownloadProgress
    from models.service.provider import ModelProvider
    from models.service.scheduler import PrecisService


class ModelDownloads:
    """The `d` key's flow for one reader screen."""

    def __init__(
        self,
        screen: Screen[None],
        service: PrecisService,
        keys_for: Callable[[str], str],
        *,
        on_downloaded: Callable[[str], None],
        on_status: Callable[[str], None],
    ) -> None:
        self._screen = screen
        self._service = service
        self._keys_for = keys_for
        self._on_downloaded = on_downloaded
        self._on_status = on_status
        self.missing: Failure | None = None
        """What `d` would fetch: the model behind the failure or fallback on screen."""
        self.downloading: str | None = None
        """The model being downloaded now."""
        self.converting: str | None = None
        """The model being converted for CTranslate2 now."""
        self._confirmed: set[str] = set()  # asked once per model and run
        self._skipped: set[str] = set()  # conversions escape stopped (already said)
        self._offered: set[str] = set()  # models whose download a toast offered

    # -- what is missing --------------------------------------------------------------

    def offer(self, failure: Failure | None, *, toast: bool = False) -> None:
        """`failure` (with a model id) is what `d` fetches now; None: nothing is missing.

        With `toast`, the offer is also made once per model in a notification.
        """
        self.missing = failure if failure is not None and failure.model_id else None
        if toast and self.missing is not None and self.missing.model_id not in self._offered:
            self._offered.add(self.missing.model_id or "")
            hint = self.hint(self.missing)
            if hint:
                self._screen.notify(hint, timeout=8, markup=False)
        self._screen.refresh_bindings()

    @property
    def available(self) -> bool:
        """Whether `d` would start a download now."""
        return self.missing is not None and self.downloading is None and not self._service.offline

    def hint(self, failure: Failure, *, named: bool = False) -> str | None:
        """One line saying what to do about `failure`; with `named`, the text before it
        already names the model and its size."""
        if not failure.model_id:
            return "Press r to try again, or l to pick another language."
        model = safe_line(failure.model_id)
        if self._service.offline:
            return (
                f"precis is offline: run `precis models pull {model}` on a connected "
                "machine. Everything else keeps working."
            )
        key = self._keys_for("download") or "d"
        if named:
            return f"Press {key} to download it. Everything else keeps working."
        size = format_size(failure.size_bytes)
        return f"Press {key} to download {model} ({size}). Everything else keeps working."

    def why_not(self) -> str:
        """Why `d` does nothing now, in one line."""
        if self.downloading:
            return f"Already downloading {safe_line(self.downloading)}; escape cancels."
        if self.missing is not None and self._service.offline:
            return self.hint(self.missing) or ""
        return "Nothing to download: every model this view needs is on disk."

    # -- the download -------------------------------------------------------------------

    def start(self) -> None:
        """Start the download of what is missing, after a confirmation once per model."""
        failure = self.missing
        if failure is None or failure.model_id is None or not self.available:
            self._screen.notify(self.why_not(), markup=False)
            return
        model_id = failure.model_id
        if model_id in self._confirmed:
            self._begin(model_id)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._confirmed.add(model_id)
                self._begin(model_id)

        self._screen.app.push_screen(ConfirmDownload(model_id, failure.size_bytes), confirmed)

    def _begin(self, model_id: str) -> None:
        self.downloading = model_id
        self._screen.refresh_bindings()
        self._screen.query_one(OutputPane).show_download(model_id, 0, None)
        self._on_status(f"downloading {safe_line(model_id)}")
        self._service.download(model_id)

    def cancel(self) -> bool:
        """Cancel the download running, else skip the conversion running (True), or
        do nothing (False).

        The screen says "cancelled" at once; the transfer stops on its own thread and
        its late end is ignored.
        """
        model_id = self.downloading
        if model_id is None:
            return self._skip_conversion()
        self._service.cancel_download()
        self._finish(model_id, CANCELLED)
        return True

    def update(self, progress: DownloadProgress) -> None:
        """Progress or the end of the download on screen (others are ignored), or of
        a conversion."""
        if isinstance(progress, ConversionProgress):
            self._conversion(progress)
            return
        if progress.model_id != self.downloading:
            return  # cancelled already, or another run's
        pane = self._screen.query_one(OutputPane)
        if not progress.finished:
            pane.show_download(progress.model_id, progress.done, progress.total)
            return
        self._finish(progress.model_id, progress.error)

    def _finish(self, model_id: str, error: str | None) -> None:
        self.downloading = None
        self._screen.query_one(OutputPane).hide_download()
        self._screen.refresh_bindings()
        model = safe_line(model_id)
        if error == CANCELLED:
            self._on_status(f"download of {model} cancelled")
            self._screen.notify(f"Download of {model} cancelled.", markup=False)
        elif error:
            reason = safe_message(error)
            self._on_status(f"download of {model} failed")
            self._screen.notify(
                f"Download of {model} failed: {reason}",
                severity="warning",
                timeout=10,
                markup=False,
            )
        else:
            self._on_status(f"downloaded {model}")
            self._screen.notify(f"Downloaded {model}.", markup=False)
            self.missing = None
            self._on_downloaded(model_id)

    # -- conversions for CTranslate2 ---------------------------------------------------

    def _conversion(self, progress: ConversionProgress) -> None:
        model = safe_line(progress.model_id)
        pane = self._screen.query_one(OutputPane)
        short = model.rstrip("/").rsplit("/", 1)[-1] or model
        if not progress.finished:
            if progress.model_id in self._skipped:
                return
            if self.converting != progress.model_id:
                self.converting = progress.model_id
                # The short name: a narrow status line drops a part that does not fit.
                self._on_status(f"converting {short}")
            if self.downloading is None:  # a download's progress keeps the line
                pane.show_download(
                    f"{short} for CTranslate2",
                    progress.done,
                    progress.total,
                    doing="Converting",
                    escape="escape skips",
                )
            return
        was_shown = self.converting == progress.model_id
        if was_shown:
            self.converting = None
            self._on_status("")
            if self.downloading is None:
                pane.hide_download()
        if progress.error and progress.model_id not in self._skipped:
            # The one line saying why transformers runs this model.
            self._screen.notify(
                safe_message(progress.error), severity="warning", timeout=10, markup=False
            )

    def _skip_conversion(self) -> bool:
        model_id = self.converting
        if model_id is None:
            return False
        provider = cast("ModelProvider", self._service.provider)  # only it converts
        self._skipped.update(provider.skip_conversions() or [model_id])
        self.converting = None
        self._screen.query_one(OutputPane).hide_download()
        self._on_status("")
        self._screen.notify(
            f"Conversion of {safe_line(model_id)} skipped: transformers runs it this time.",
            markup=False,
        )
        return True
