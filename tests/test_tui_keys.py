"""Fast key presses in the reader: every press counts, in order.

`pilot.press` waits for the app to go idle after each key, which hides the bug a
person sees when typing `jjj` quickly; `burst` hands all keys to the driver at once,
as a terminal does when keys arrive in one read.
"""

from __future__ import annotations

from pathlib import Path

from reader_fixtures import reader
from test_tui_app import make_app, settled
from textual import events
from textual.pilot import Pilot

from tui.app import PrecisApp
from tui.widgets import SectionList
from tui.widgets.section_list import BRIEF


async def burst(pilot: Pilot, app: PrecisApp, *keys: str) -> None:
    """Send `keys` to the app in one go, then let it settle."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = {"down": None, "up": None}.get(key, key)
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
    for _ in range(20):
        await pilot.pause(0.02)


async def test_a_burst_of_j_moves_one_section_per_press(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        await burst(pilot, app, "j", "j", "j")
        assert screen.section == 3
        assert screen.query_one(SectionList).highlighted_section == 3
        # Four steps up from section 3: the Brief, the first entry, and no further.
        await burst(pilot, app, "k", "k", "k", "k", "k")
        assert screen.brief and screen.section == 0  # the section read last stays known
        assert screen.query_one(SectionList).highlighted_section is BRIEF
        await burst(pilot, app, "j", "j", "j", "k")
        assert screen.section == 1 and not screen.brief
    app.service.close()


async def test_a_burst_of_downs_moves_one_section_per_press(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = reader(app)
        await settled(pilot, app)
        await burst(pilot, app, "down", "down", "down")
        assert screen.section == 3
        assert screen.query_one(SectionList).highlighted_section == 3
        await burst(pilot, app, "up", "j", "down", "k", "k")
        assert screen.section == 2
        assert screen.query_one(SectionList).highlighted_section == 2
    app.service.close()
