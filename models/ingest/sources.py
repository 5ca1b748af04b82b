"""Where articles come from: the bundled sample, a file, standard input or a URL.

`read_article` is the single entry point of ingestion. It applies every limit
(size, time, redirects) before any byte reaches a parser, and turns every way an
input can be wrong into an `InputError` with one line a person can act on.

URLs are fetched with the standard library's urllib (http.client underneath); a
`_Deadline` bounds the whole request, connect to last byte, by shutting its sockets
down when the time is up (per-read timeouts alone let a server that trickles one
byte a second hold precis forever). A URL's password is sent, never shown.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import http.client
import os
import re
import socket
import stat
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from models.errors import InputError
from models.ingest.article import Article
from models.ingest.encoding import clean_text, decode_bytes
from models.sanitize import safe_line, safe_message

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
        name=_shown(arg),
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


def _read_url(url: str, *, max_bytes: int, timeout: float, read_anyway: bool = False) -> Article:
    shown = _shown(url)
    target, credentials = _check_url(url, shown)
    headers = {
        "User-Agent": _USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,*/*;q=0.1",
    }
    if credentials:
        headers["Authorization"] = f"Basic {credentials}"
    request = urllib.request.Request(target, headers=headers)
    total = 4 * timeout
    deadline = _Deadline(total)
    opener = urllib.request.build_opener(
        _Redirects(shown), _GuardedHTTP(deadline), _GuardedHTTPS(deadline)
    )
    try:
        with deadline, opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            content_type = response.headers.get_content_type()
            if not _is_text_type(content_type, response.headers.get("Content-Type")):
                raise InputError(
                    f"{shown} serves {safe_line(content_type)}, not an article "
                    "(HTML, Markdown or text)"
                )
            length_header = response.headers.get("Content-Length")
            length = int(length_header) if length_header and length_header.isdigit() else None
            if length is not None and length > max_bytes:
                raise InputError(_too_big(shown, max_bytes, length))
            data = _read_limited(response, shown, max_bytes, deadline)
            if length is not None and len(data) < length and not response.chunked:
                raise InputError(
                    f"cannot fetch {shown}: the connection closed after {len(data)} of "
                    f"{length} bytes"
                )
            charset = response.headers.get_content_charset()
    except InputError:
        raise
    except Exception as error:
        if deadline.expired:
            raise InputError(
                f"cannot fetch {shown}: no complete answer within {total:g} s"
            ) from None
        raise InputError(f"cannot fetch {shown}: {_fetch_failure(error, timeout)}") from None
    if content_type == "text/plain":
        content_type = None  # let the name and the text decide between text and Markdown
    shown_final = _shown(final_url)
    return parse_bytes(
        data,
        name=shown,
        source=shown,
        filename=shown_final,
        content_type=content_type,
        charset=charset,
        url=shown_final,
        read_anyway=read_anyway,
    )


def _check_url(url: str, shown: str) -> tuple[str, str | None]:
    """The URL to request (credentials removed) and its Basic credentials, if any;
    InputError for a URL that cannot be requested as written."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise InputError(
            f"{shown} is not a valid URL: it contains a space or a control character "
            "(write a space as %20)"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad or out-of-range port
    except ValueError as error:
        raise InputError(f"{shown} is not a valid URL: {safe_message(error)}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"cannot read {shown}: only http:// and https:// URLs are supported")
    if not parts.hostname:
        raise InputError(f"{shown} is not a valid URL: it names no host")
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[1]
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return urlunsplit(parts._replace(netloc=netloc)), token


def _fetch_failure(error: BaseException, timeout: float) -> str:
    """Why a fetch failed, in words, for every exception urllib and http.client raise."""
    if isinstance(error, urllib.error.HTTPError):
        reason = safe_line(str(error.reason or ""))
        if 300 <= error.code < 400:
            where = error.headers.get("Location") if error.headers else None
            if not where:
                return f"HTTP {error.code} {reason} without a Location to follow".replace("  ", " ")
            return f"HTTP {error.code} {reason}: a redirect precis does not follow".replace(
                "  ", " "
            )
        return f"HTTP {error.code} {reason}".rstrip()
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
        if not isinstance(error, BaseException):
            return safe_message(error)
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(error, http.client.LineTooLong):
        return "the server sent a header line or status line that is too long"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, http.client.BadStatusLine):
        return "the server's answer is not HTTP"
    if isinstance(error, http.client.IncompleteRead):
        return "the server's answer broke off (an incomplete or malformed body)"
    if isinstance(error, http.client.HTTPException):
        return f"the server's answer is malformed ({safe_message(error)})"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host ({safe_message(error.strerror or error)})"
    if isinstance(error, OSError) and error.strerror:
        return safe_message(error.strerror)
    return safe_message(error)


class _Deadline:
    """Bounds a whole request: when `seconds` have passed, every socket it watches is
    shut down, so a read blocked on a trickling server returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def left(self) -> float:
        return max(0.01, self._end - time.monotonic())

    def watch(self, sock: socket.socket) -> socket.socket:
        # Our own descriptor of the same socket: it cannot be closed and reused for
        # another file under us, and shutting it down ends the connection's reads.
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._sockets.append(dup)
            if self.expired:
                _shut(dup)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _guarded(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
        if kwargs.get("timeout") is not None:
            kwargs["timeout"] = min(kwargs["timeout"], deadline.left())
        connection = base(*args, **kwargs)
        create = connection._create_connection  # type: ignore[attr-defined]
        connection._create_connection = (  # type: ignore[attr-defined]
            lambda *a, **k: deadline.watch(create(*a, **k))
        )
        return connection

    return make


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_guarded(http.client.HTTPConnection, self._deadline), req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _guarded(http.client.HTTPSConnection, self._deadline),
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, only to http(s), and say which rule
    stopped one (urllib would report them all as an HTTP error)."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, shown: str) -> None:
        super().__init__()
        self._shown = shown

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("Location") or headers.get("URI")
        if not location:
            raise InputError(f"cannot fetch {self._shown}: HTTP {code} redirect without a Location")
        newurl = urllib.parse.urljoin(req.full_url, location)
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise InputError(
                f"cannot fetch {self._shown}: it redirects to {_shown(newurl)}, "
                "which is not http(s)"
            )
        visited = getattr(req, "redirect_dict", {})
        if newurl == req.full_url or visited.get(newurl, 0) >= 1:
            raise InputError(f"cannot fetch {self._shown}: it redirects in a loop")
        if len(visited) >= MAX_REDIRECTS:
            raise InputError(f"cannot fetch {self._shown}: more than {MAX_REDIRECTS} redirects")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _read_limited(response: Any, shown: str, max_bytes: int, deadline: _Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    # read1 returns what one socket read gives: read(n) would wait for all n bytes.
    read = getattr(response, "read1", None) or response.read
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            if deadline.expired:  # the socket was shut down under the read
                raise InputError(
                    f"cannot fetch {shown}: no complete answer within {deadline.seconds:g} s"
                )
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise InputError(_too_big(shown, max_bytes))
        chunks.append(chunk)


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
    """A name safe to print on one line of a terminal; a URL's password is masked."""
    cleaned = safe_line(_URL_PASSWORD.sub(r"\1\2:***@", name))
    return cleaned if len(cleaned) <= 200 else cleaned[:197] + "..."


__all__ = ["DEFAULT_MAX_BYTES", "detect_kind", "parse_bytes", "parse_text_as", "read_article"]
