"""Fetching an article's bytes over http(s), bounded in size and in time.

`models.ingest.sources` reads files, standard input and URLs; this is its URL half.
Requests go through the standard library's urllib (http.client underneath). A
`_Deadline` bounds the whole request, connect to last byte, by shutting its sockets
down when the time is up: per-read timeouts alone let a server that trickles one byte
a second hold precis forever. Every way a URL, a server or a connection can be wrong
(a bad port, a status line that is not HTTP, a header line of 70 KB, a broken chunk, a
body shorter than its Content-Length, a redirect to `file:`) is one `InputError` line.
A URL's password is sent as Basic credentials and shown as `user:***@`, never echoed.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from models.errors import InputError
from models.sanitize import safe_line, safe_message

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/markdown")
# scheme://user:password@ : the password part, up to the last "@" before the path.
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#:@]*):[^/?#]*@")
_USER_AGENT = "precis/0.1 (article reader; +https://github.com/precis-tui)"


@dataclass(frozen=True)
class Fetched:
    """A fetched body and what the response said about it."""

    data: bytes
    content_type: str
    charset: str | None
    final_url: str


def fetch_url(url: str, *, max_bytes: int, timeout: float) -> Fetched:
    """The body of `url` and what its headers say about it; InputError with one line
    for every way the URL, the server or the connection can be wrong."""
    shown = display_name(url)
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
                raise InputError(too_big(shown, max_bytes, length))
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
    return Fetched(data, content_type, charset, final_url)


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
                f"cannot fetch {self._shown}: it redirects to {display_name(newurl)}, "
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
            raise InputError(too_big(shown, max_bytes))
        chunks.append(chunk)


def _is_text_type(content_type: str, header: str | None) -> bool:
    if not header:
        return True  # no Content-Type: the bytes themselves decide
    return content_type.startswith("text/") or content_type in _TEXT_TYPES


def too_big(shown: str, max_bytes: int, size: int | None = None) -> str:
    what = f"{shown} is {size_text(size)}" if size is not None else f"{shown} is larger"
    return (
        f"{what}, over the {size_text(max_bytes)} input limit; raise it with --max-size MB "
        "or max_input_mb in the settings"
    )


def size_text(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def display_name(name: str) -> str:
    """A name safe to print on one line of a terminal; a URL's password is masked."""
    cleaned = safe_line(_URL_PASSWORD.sub(r"\1\2:***@", name))
    return cleaned if len(cleaned) <= 200 else cleaned[:197] + "..."
