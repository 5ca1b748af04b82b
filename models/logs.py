"""precis' log file: what went wrong, kept where a user can find it and send it.

The reader owns the terminal, so nothing is logged there while it runs: records go to
a rotating file in the platformdirs user log folder (`$PRECIS_LOG_DIR` overrides it),
at `warning` and above unless `--log-level` says otherwise. Messages a user sees for
an unexpected failure ("internal error ...") name this file. Article text and tokens
are logged only at `debug`, never above.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

APP_NAME = "precis"
LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_LOG_BYTES = 1_000_000
BACKUPS = 2
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

log = logging.getLogger("precis")


def log_path() -> Path:
    """Where the log file is (it may not exist yet)."""
    env = os.environ.get("PRECIS_LOG_DIR")
    folder = Path(env) if env else Path(platformdirs.user_log_dir(APP_NAME))
    return folder / "precis.log"


def setup_logging(level: str = "warning") -> Path | None:
    """Send precis' records (and warnings of the libraries it uses) to the log file.

    Returns the file, or None when it cannot be written (a read-only home): logging
    then stays off rather than failing the run. Idempotent.
    """
    root = logging.getLogger()
    path = log_path()
    for handler in root.handlers:
        if getattr(handler, "precis", False):
            root.setLevel(level.upper())
            return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.precis = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    return path


def internal_error(what: str, exc: BaseException) -> str:
    """Log `exc` with its traceback and return the one line a user sees for it."""
    log.error("internal error in %s", what, exc_info=exc)
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return f"internal error ({type(exc).__name__}: {detail}); details in {log_path()}"
