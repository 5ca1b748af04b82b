"""The footer: the reader's keys that fit on one line, most important first.

Textual's footer shows every binding and lets the line run off the right edge, so
on an 80-column terminal the last key lost its label ("?" alone). This footer keeps
the bindings in their table order (the most important first) and leaves out, whole,
the ones that do not fit; the help screen and the command palette list them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.screen import Screen

KEY_GAP = 1  # a compact footer key is " key label" with one cell of padding
ALWAYS = ("help", "quit")  # actions shown whatever the width


class KeyFooter(Footer):
    """A compact footer of the keys that fit, in binding order."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(compact=True, show_command_palette=False, id=id)
        self._fitted_width = -1
        self._shown_signature: tuple[tuple[str, str, bool], ...] = ()

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        room = self.size.width or self.app.size.width
        self._fitted_width = room
        candidates = []
        seen: set[str] = set()
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                key = self.app.get_key_display(binding)
                width = cell_len(key) + cell_len(binding.description) + 2 * KEY_GAP
                candidates.append((binding, enabled, tooltip, key, width))
        # The keys that lead to every other key (help) or out are always shown.
        used = sum(c[4] for c in candidates if c[0].action in ALWAYS)
        shown = []
        for candidate in candidates:
            if candidate[0].action in ALWAYS:
                shown.append(candidate)
            elif used + candidate[4] <= room:
                used += candidate[4]
                shown.append(candidate)
            else:
                room = used  # the rest are less important: the help lists them
        for binding, enabled, tooltip, key, _width in shown:
            yield FooterKey(
                binding.key,
                key,
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip or binding.tooltip or binding.description,
            ).data_bind(compact=Footer.compact)

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Every refresh_bindings() lands here, several times a key press; rebuilding
        # the footer only when what it shows changed keeps key presses cheap.
        signature = self._signature(screen)
        if signature == self._shown_signature and self._bindings_ready:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus:  # otherwise the footer did not recompose
            self._shown_signature = signature

    @staticmethod
    def _signature(screen: Screen[object]) -> tuple[tuple[str, str, bool], ...]:
        return tuple(
            (binding.key, binding.description, enabled)
            for _node, binding, enabled, _tooltip in screen.active_bindings.values()
            if binding.show
        )

    def on_resize(self) -> None:
        if self.size.width != self._fitted_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
