"""The output pane: the summary on screen now, or why it is not there yet.

It shows one of four states (loading, an output, a failure, a stream) and knows
nothing about the service; the reader screen decides what it shows. A notice line
above the summary says how it was made when it is not what was asked for (another
language, an extractive stand-in). A model download shows its progress below
whatever is shown, which stays there when the download fails or is cancelled.
Model text is sanitized by the screen; model names here go through `safe_line`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, LoadingIndicator, ProgressBar, Static

from models.fidelity.flags import describe
from models.sanitize import safe_line
from models.service.events import Output
from tui.marks import Mark, flag_marks, marked


def describe_output(output: Output) -> Content:
    """The line under the summary: the models used and how the summary was made."""
    facts = ["models: " + (" → ".join(safe_line(m) for m in output.models) or "none")]
    if output.extractive:
        facts.append("sentences picked, not rewritten")
    if output.whole:
        facts.append("shorter than asked: the whole section")
    if output.from_cache:
        facts.append("cached")
    return Content(" · ".join(facts))


class OutputPane(VerticalScroll, can_focus=True):
    """Shows the current summary with the models that made it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = "empty"
        """One of "empty", "loading", "output", "failure", "download"."""
        self.output: Output | None = None
        """The output shown (state "output"), for marks over it."""
        self.downloading = False
        """Whether a download's progress is shown below the rest."""

    def compose(self) -> ComposeResult:
        yield Static(id="output-title")
        yield LoadingIndicator(id="output-loading")
        yield Static(id="output-note")
        yield Static(id="output-body")
        yield Static(id="output-check")
        yield Static(id="output-about")
        yield Static(id="output-failure")
        with Vertical(id="output-download"):
            yield Label(id="download-label")
            yield ProgressBar(id="download-bar", show_eta=False)

    def on_mount(self) -> None:
        self._set_state("empty")
        self.query_one("#output-download").display = False

    def _set_state(self, state: str) -> None:
        """Show the children of one state and hide the rest."""
        visible = {
            "empty": set(),
            "loading": {"output-loading"},
            "output": {"output-body", "output-check", "output-about", "output-note"},
            "failure": {"output-failure"},
            "streaming": {"output-body"},
        }[state]
        for child in self.query_children():
            if child.id and child.id not in ("output-title", "output-download"):
                child.display = child.id in visible
        self.set_class(state == "failure", "-failed")
        self.state = state

    def set_title(self, title: str) -> None:
        self.query_one("#output-title", Static).update(Content(title))

    partial_text = ""
    """The text of the stream shown (state "streaming"), without its cursor."""

    def show_loading(self) -> None:
        self._set_state("loading")

    def show_output(self, output: Output, notice: str | None = None) -> None:
        """Show `output`; `notice` (default: its note) is the line above it."""
        self.output = output
        self.mark()
        self.query_one("#output-about", Static).update(describe_output(output))
        note = self.query_one("#output-note", Static)
        notice = output.note if notice is None else notice
        note.update(Content(safe_line(notice or "")))
        check = self.query_one("#output-check", Static)
        check.update(Content(describe(output.flags)))  # "check: 3 million not in the section"
        self._set_state("output")
        note.display = bool(notice)
        check.display = bool(output.flags)
        self.scroll_home(animate=False)

    def mark(self, marks: list[Mark] | None = None) -> None:
        """Show the output with its flagged spans styled, and `marks` over them."""
        if self.output is not None:
            spans = flag_marks(self.output.flags) + (marks or [])
            self.query_one("#output-body", Static).update(marked(self.output.text, spans))

    def show_partial(self, text: str) -> None:
        """An output still being written (an LLM's stream), with a cursor at its end."""
        self.partial_text = text
        body = Content(text).append(Content.styled(" ▍", "bold"))
        self.query_one("#output-body", Static).update(body)
        if self.state != "streaming":
            self._set_state("streaming")

    def show_failure(self, message: str, hint: str | None = None) -> None:
        text = message if not hint else f"{message}\n\n{hint}"
        self.query_one("#output-failure", Static).update(Content(text))
        self._set_state("failure")

    def show_download(
        self,
        model_id: str,
        done: int,
        total: int | None,
        *,
        doing: str = "Downloading",
        escape: str = "escape cancels",
    ) -> None:
        """A download (or another model preparation, `doing`: a CTranslate2
        conversion) in progress below what is shown; `total` None: indeterminate."""
        size = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else "")
        label = f"{doing} {safe_line(model_id)}: {size} ({escape})"
        self.query_one("#download-label", Label).update(Content(label))
        self.query_one("#download-bar", ProgressBar).update(total=total, progress=done)
        self.downloading = True
        self.query_one("#output-download").display = True

    def hide_download(self) -> None:
        """The download ended: its progress goes, what was shown stays."""
        self.downloading = False
        self.query_one("#output-download").display = False

    @property
    def body_text(self) -> str:
        """The summary text shown now ('' in any other state); for tests and export."""
        if self.state != "output":
            return ""
        return str(self.query_one("#output-body", Static).content)
