"""Write a file so that it is either the old one or the complete new one, never half.

`precis export -o FILE` and the reader's `e` both write an export over a file that
may already hold something the user cares about. Writing in place would leave a
truncated file when the disk fills or the process dies midway, so the text goes to a
temporary file in the same folder, is flushed and fsynced, and is renamed over the
target (an atomic step on POSIX and Windows); the folder is fsynced so the rename
survives a crash. The temporary file is removed on any failure.

A target that exists and is not a regular file (`/dev/stdout`, a FIFO) cannot be
replaced by a rename: it is written in place, as the user asked. A symlink is
followed, so the file it points at is replaced and the link stays.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from models.errors import PrecisError
from models.sanitize import safe_line

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class WriteError(PrecisError):
    """The file could not be written; the old file, if any, is unchanged."""


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether `a` and `b` name the same existing file (through links, `..`, case)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_target(path: str | os.PathLike[str]) -> None:
    """Raise WriteError now if `path` can plainly not be written (a directory, a missing
    folder), so that a long export does not run for nothing."""
    target = Path(path).expanduser()
    shown = safe_line(str(target))
    if target.is_dir():
        raise WriteError(f"cannot write {shown}: it is a directory")
    folder = Path(os.path.realpath(target)).parent
    if not folder.is_dir():
        where = safe_line(str(folder))
        raise WriteError(f"cannot write {shown}: the folder {where} does not exist")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` all at once; return the path written.

    Raises WriteError with a one-line reason; on failure the previous content of
    `path` is intact and no temporary file is left behind.
    """
    target = Path(path).expanduser()
    shown = safe_line(str(target))
    data = text.encode("utf-8")
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise WriteError(f"cannot write {shown}: it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        return _write_in_place(target, data, shown)
    real = Path(os.path.realpath(target))
    folder = real.parent
    if not folder.is_dir():
        where = safe_line(str(folder))
        raise WriteError(f"cannot write {shown}: the folder {where} does not exist")
    temp = folder / f".{real.name}.{secrets.token_hex(6)}.tmp"
    try:
        # 0o666 under the umask, as a plain open() would make it (mkstemp makes 0600).
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if info is not None:  # the replaced file keeps its permissions
            os.chmod(temp, stat.S_IMODE(info.st_mode))
        os.replace(temp, real)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise WriteError(f"cannot write {shown}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(folder)
    return target


def _write_in_place(target: Path, data: bytes, shown: str) -> Path:
    try:
        with target.open("wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {exc.strerror or exc}") from None
    return target


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows).
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
