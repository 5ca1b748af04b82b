"""Give the reader a keyboard when the article came through a pipe.

Textual reads keys from file descriptor 0. After `cat article.txt | precis -` that
descriptor is the drained pipe: every read returns end-of-file at once, so the
reader spins at full CPU and never sees a key. The fix a pager uses is to read the
document from the pipe and then take the keys from the controlling terminal,
`/dev/tty`, put in place of descriptor 0.
"""

from __future__ import annotations

import os
import sys

from models.errors import PrecisError

CONTROLLING_TERMINAL = "/dev/tty"


class NoTerminalError(PrecisError):
    """The reader was started without any terminal to read keys from."""


def take_keyboard(tty_path: str = CONTROLLING_TERMINAL) -> bool:
    """Make descriptor 0 the controlling terminal when stdin is not one.

    Returns True when it replaced stdin. Raises NoTerminalError (one line, exit 2)
    when there is no terminal to take, e.g. in a cron job.
    """
    stdin = sys.__stdin__
    if stdin is not None and _is_tty(stdin.fileno()):
        return False
    try:
        fd = os.open(tty_path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise NoTerminalError(
            "the reader needs a terminal for its keys; to summarize without one use `precis export`"
        ) from None
    try:
        os.dup2(fd, 0)
    finally:
        os.close(fd)
    return True


def _is_tty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False
