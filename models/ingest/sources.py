"""Where articles come from: the bundled sample, a file, standard input or a URL.

`read_article` is the single entry point of ingestion. It applies every limit
(size, time, redirects) before any byte reaches a parser, and turns every way an
input can be wrong into an `InputError` with one line a person can act on.
"""

from __future__ import annotations

import re
import stat
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from models.errors import InputError, one_line
from models.ingest.article import Article
from models.ingest.encoding import clean_text, decode_bytes

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
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
_USER_AGENT = "precis/0.1 (article reader; +https://github.com/precis-tui)"


def read_article(
    arg: str | None, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 15.0
) -> Article:
    """Read and parse an article.

    `arg` is None for the bundled sample, "-" for standard input, an http(s) URL,
    or a path. `max_bytes` caps what is read from any source; `timeout` bounds
    each network wait (the whole download gets four times as long).
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
        return parse_bytes(_read_stdin(max_bytes), name="standard input", source="-")
    if _URL.match(arg):
        return _read_url(arg, max_bytes=max_bytes, timeout=timeout)
    return parse_bytes(_read_path(arg, max_bytes), name=_shown(arg), source=arg, filename=arg)


def parse_bytes(
    data: bytes,
    *,
    name: str,
    source: str = "",
    filename: str = "",
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
) -> Article:
    """Decode and parse an article's bytes; `name` is how errors refer to the input."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    declared = charset
    if declared is None and (content_type == "text/html" or b"<meta" in data[:4096].lower()):
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii") if match else None
    text = decode_bytes(data, name=name, declared=declared)
    return parse_text_as(
        text, name=name, source=source, filename=filename, content_type=content_type, url=url
    )


def parse_text_as(
    text: str,
    *,
    name: str,
    source: str = "",
    filename: str = "",
    content_type: str | None = None,
    url: str | None = None,
) -> Article:
    """Parse decoded text with the parser its kind calls for."""
    if not clean_text(text).strip():
        raise InputError(f"{name} is empty")
    kind = detect_kind(text, filename=filename, content_type=content_type)
    if kind == "html":
        from models.ingest.formats.html import parse_html

        return parse_html(text, source=source or name, url=url)
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
    shown = _shown(arg)
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
        raise InputError(_too_big(shown, max_bytes, info.st_size))
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError(f"cannot read {shown}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {shown}: {error.strerror or error}") from None
    if len(data) > max_bytes:  # the file grew after stat
        raise InputError(_too_big(shown, max_bytes))
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
        raise InputError(_too_big("standard input", max_bytes))
    return data


def _read_url(url: str, *, max_bytes: int, timeout: float) -> Article:
    shown = _shown(url)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(f"cannot read {shown}: only http:// and https:// URLs are supported")
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": _USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,*/*;q=0.1",
        },
    )
    opener = urllib.request.build_opener(_Redirects())
    deadline = time.monotonic() + 4 * timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            content_type = response.headers.get_content_type()
            if not _is_text_type(content_type, response.headers.get("Content-Type")):
                raise InputError(
                    f"{shown} serves {content_type}, not an article (HTML, Markdown or text)"
                )
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise InputError(_too_big(shown, max_bytes, int(length)))
            data = _read_limited(response, shown, max_bytes, deadline, timeout)
            charset = response.headers.get_content_charset()
    except InputError:
        raise
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            raise InputError(f"cannot fetch {shown}: more than {MAX_REDIRECTS} redirects") from None
        reason = one_line(error.reason) if error.reason else ""
        raise InputError(f"cannot fetch {shown}: HTTP {error.code} {reason}".rstrip()) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise InputError(f"cannot fetch {shown}: no answer within {timeout:g} s") from None
        raise InputError(f"cannot fetch {shown}: {one_line(error.reason)}") from None
    except TimeoutError:
        raise InputError(f"cannot fetch {shown}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as error:
        raise InputError(f"cannot fetch {shown}: {one_line(error)}") from None
    if content_type == "text/plain":
        content_type = None  # let the name and the text decide between text and Markdown
    return parse_bytes(
        data,
        name=shown,
        source=url,
        filename=final_url,
        content_type=content_type,
        charset=charset,
        url=final_url,
    )


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, and only to http(s)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise InputError(
                f"cannot fetch {_shown(req.full_url)}: it redirects to {_shown(newurl)}"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_limited(
    response: object, shown: str, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    # read1 returns what one socket read gives: read(n) would wait for all n bytes,
    # so a server that trickles a byte at a time could outlast the deadline forever.
    read = getattr(response, "read1", None) or response.read  # type: ignore[attr-defined]
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise InputError(_too_big(shown, max_bytes))
        if time.monotonic() > deadline:
            raise InputError(f"cannot fetch {shown}: download took over {4 * timeout:g} s")
        chunks.append(chunk)


def _is_text_type(content_type: str, header: str | None) -> bool:
    if not header:
        return True  # no Content-Type: the bytes themselves decide
    return content_type.startswith("text/") or content_type in _TEXT_TYPES


def _too_big(shown: str, max_bytes: int, size: int | None = None) -> str:
    what = f"{shown} is {_size_text(size)}" if size is not None else f"{shown} is larger"
    return (
        f"{what}, over the {_size_text(max_bytes)} input limit; raise it with --max-size MB "
        "or max_input_mb in the settings"
    )


def _size_text(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _shown(name: str) -> str:
    """A name safe to print on one line of a terminal."""
    cleaned = clean_text(name).replace("\n", " ")
    return cleaned if len(cleaned) <= 200 else cleaned[:197] + "..."


__all__ = ["DEFAULT_MAX_BYTES", "detect_kind", "parse_bytes", "parse_text_as", "read_article"]
