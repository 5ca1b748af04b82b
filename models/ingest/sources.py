"""Where articles come from: the bundled sample, a file, standard input or a URL.

`read_article` is the single entry point of ingestion. It applies every limit
(size, time, redirects) before any byte reaches a parser, and turns every way an
input can be wrong into an `InputError` with one line a person can act on.

URLs are fetched by `models.ingest.url_fetch` (the whole request bounded in time, one
line for every way a server can misbehave, a URL's password never shown).
"""

from __future__ import annotations

import codecs
import re
import stat
import sys
from pathlib import Path
from urllib.parse import urlsplit

from models.errors import InputError
from models.ingest.article import Article
from models.ingest.encoding import clean_text, decode_bytes
from models.ingest.url_fetch import display_name, fetch_url, too_big

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 64 * 1024
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I
)
_ATX_HEADING = re.compile(r"^#{1,3}[ \t]+\S", re.MULTILINE)
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I
)
_TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/markdown")
# scheme://user:password@ : the password part, up to the last "@" before the path.
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#:@]*):[^/?#]*@")
_USER_AGENT = "precis/0.1 (article reader; +https://github.com/precis-tui)"


def read_article(
    arg: str | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 15.0,
    read_anyway: bool = False,
) -> Article:
    """Read and parse an article.

    `arg` is None for the bundled sample, "-" for standard input, an http(s) URL,
    or a path. `max_bytes` caps what is read from any source; `timeout` bounds
    each network wait (the whole download gets four times as long). A web page that
    is a list of links, an FAQ or a shop raises NotAnArticleError unless `read_anyway`.
    """
    if arg is None:
        from models.data import SAMPLE_ARTICLE

        return parse_bytes(
            SAMPLE_ARTICLE.read_bytes(),
            name="the bundled sample",
            source="sample",
            filename=SAMPLE_ARTICLE.name,
        )
    if arg == "-":
        return parse_bytes(
            _read_stdin(max_bytes), name="standard input", source="-", read_anyway=read_anyway
        )
    if _URL.match(arg):
        return _read_url(arg, max_bytes=max_bytes, timeout=timeout, read_anyway=read_anyway)
    return parse_bytes(
        _read_path(arg, max_bytes),
        name=display_name(arg),
        source=arg,
        filename=arg,
        read_anyway=read_anyway,
    )


def parse_bytes(
    data: bytes,
    *,
    name: str,
    source: str = "",
    filename: str = "",
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    read_anyway: bool = False,
) -> Article:
    """Decode and parse an article's bytes; `name` is how errors refer to the input."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    declared = charset
    if declared is None and (content_type == "text/html" or b"<meta" in data[:4096].lower()):
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii") if match else None
    declared = _usable_charset(declared)
    text = decode_bytes(data, name=name, declared=declared)
    return parse_text_as(
        text,
        name=name,
        source=source,
        filename=filename,
        content_type=content_type,
        url=url,
        read_anyway=read_anyway,
    )


def parse_text_as(
    text: str,
    *,
    name: str,
    source: str = "",
    filename: str = "",
    content_type: str | None = None,
    url: str | None = None,
    read_anyway: bool = False,
) -> Article:
    """Parse decoded text with the parser its kind calls for."""
    if not clean_text(text).strip():
        raise InputError(f"{name} is empty")
    kind = detect_kind(text, filename=filename, content_type=content_type)
    if kind == "html":
        from models.ingest.formats.html import parse_html

        return parse_html(text, source=source or name, url=url, read_anyway=read_anyway)
    if kind == "markdown":
        from models.ingest.formats.markdown import parse_markdown

        return parse_markdown(text, source=source or name)
    from models.ingest.formats.plain import parse_text

    return parse_text(text, source=source or name)


def detect_kind(text: str, *, filename: str = "", content_type: str | None = None) -> str:
    """ "html", "markdown" or "text", from the content type, the file name, then the text."""
    suffix = Path(urlsplit(filename).path if _URL.match(filename) else filename).suffix.lower()
    if content_type in ("text/html", "application/xhtml+xml") or suffix in (
        ".html",
        ".htm",
        ".xhtml",
    ):
        return "html"
    if _HTML_START.match(text[:4096]):
        return "html"
    if content_type in ("text/markdown", "text/x-markdown", "application/markdown"):
        return "markdown"
    if suffix in (".md", ".markdown", ".mdown", ".mkd"):
        return "markdown"
    if _ATX_HEADING.search(text):
        return "markdown"
    return "text"


def _read_path(arg: str, max_bytes: int) -> bytes:
    path = Path(arg).expanduser()
    shown = display_name(arg)
    try:
        # stat before open: opening a FIFO for reading would block until a writer comes.
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"no such file: {shown}") from None
    except PermissionError:
        raise InputError(f"cannot read {shown}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {shown}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown} is a directory, not an article file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{shown} is not a regular file (a pipe, device or socket); to read a pipe, use -"
        )
    if info.st_size > max_bytes:
        raise InputError(too_big(shown, max_bytes, info.st_size))
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError(f"cannot read {shown}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {shown}: {error.strerror or error}") from None
    if len(data) > max_bytes:  # the file grew after stat
        raise InputError(too_big(shown, max_bytes))
    return data


def _read_stdin(max_bytes: int) -> bytes:
    stream = sys.stdin
    if stream is None or getattr(stream, "buffer", None) is None:
        raise InputError(
            "standard input is closed; pipe an article in, e.g. cat article.txt | precis -"
        )
    if stream.isatty():
        raise InputError(
            "standard input is a terminal; pipe an article in, e.g. cat article.txt | precis -"
        )
    data = stream.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(too_big("standard input", max_bytes))
    return data


def _read_url(url: str, *, max_bytes: int, timeout: float, read_anyway: bool = False) -> Article:
    fetched = fetch_url(url, max_bytes=max_bytes, timeout=timeout)
    shown = display_name(url)
    content_type: str | None = fetched.content_type
    if content_type == "text/plain":
        content_type = None  # let the name and the text decide between text and Markdown
    shown_final = display_name(fetched.final_url)
    return parse_bytes(
        fetched.data,
        name=shown,
        source=shown,
        filename=shown_final,
        content_type=content_type,
        charset=fetched.charset,
        url=shown_final,
        read_anyway=read_anyway,
    )


def _usable_charset(name: str | None) -> str | None:
    """`name` if it is a text encoding Python can decode with, else None (a declared
    `charset=undefined` or `base64` must not reach the decoder)."""
    if not name:
        return None
    try:
        codecs.lookup(name)
        b"a".decode(name)
    except (LookupError, UnicodeError, ValueError, TypeError):
        return None
    return name


__all__ = ["DEFAULT_MAX_BYTES", "detect_kind", "parse_bytes", "parse_text_as", "read_article"]
