"""The bad-input corpus: every kind of article a person (or an attacker) may hand precis.

The cases are generated here from a few seeds of real prose and byte-level recipes,
not written out by hand, so that a test can never be tuned to the exact bytes it
checks. Each case says what precis must do with it: parse it ("ok") or refuse it
with one line ("refused", with a word the message must contain).

    python tests/corpus.py OUT_DIR     writes every file case into OUT_DIR

URL cases come from `serve()`, a local server (127.0.0.1 only) with one misbehaviour
per path: no answer, endless redirects, 404, a 2 GB Content-Length, a body that
never ends, a byte at a time, an image.

Large cases (15 MB, 50 MB) are written by streaming, never built in memory whole.
"""

from __future__ import annotations

import base64
import contextlib
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEED = 20240607
MB = 1024 * 1024

# Prose seeds, by script. Sentences end with a full stop so that sectioning and
# summaries have sentences to work on; the words vary per case through `random`.
ENGLISH = [
    "The city council met on Monday to discuss the new budget for schools and roads.",
    "Scientists say the vaccine trial will take at least another eighteen months.",
    "The company reported higher profits in the third quarter, beating expectations.",
    "Heavy rain caused flooding in several villages along the river on Sunday.",
    "The minister said the government would support small businesses during the crisis.",
    "Researchers found that the new material conducts heat twice as well as copper.",
    "Prices for food and energy rose sharply last year, according to official data.",
    "The museum will reopen next month with an exhibition of modern paintings.",
]
CHINESE = [
    "市议会周一开会讨论学校和道路的新预算。",
    "科学家说疫苗试验至少还需要十八个月。",
    "该公司第三季度利润增长，超出预期。",
    "周日大雨导致河边几个村庄发生洪水。",
    "部长说政府将在危机期间支持小企业。",
    "研究人员发现新材料的导热性能是铜的两倍。",
]
JAPANESE = [
    "市議会は月曜日に学校と道路の新しい予算について話し合った。",
    "科学者によると、ワクチンの試験には少なくともあと十八か月かかる。",
    "同社は第三四半期に予想を上回る利益を報告した。",
    "日曜日の大雨で川沿いのいくつかの村が浸水した。",
]
ARABIC = [
    "اجتمع مجلس المدينة يوم الاثنين لمناقشة الميزانية الجديدة للمدارس والطرق.",
    "يقول العلماء إن تجربة اللقاح ستستغرق ثمانية عشر شهرا على الأقل.",
    "أعلنت الشركة عن أرباح أعلى في الربع الثالث متجاوزة التوقعات.",
    "تسببت الأمطار الغزيرة في فيضانات في عدة قرى على طول النهر يوم الأحد.",
]
HEBREW = [
    "מועצת העיר התכנסה ביום שני כדי לדון בתקציב החדש לבתי ספר ולכבישים.",
    "מדענים אומרים שניסוי החיסון יימשך לפחות עוד שמונה עשר חודשים.",
    "החברה דיווחה על רווחים גבוהים יותר ברבעון השלישי.",
    "גשם כבד גרם להצפות בכמה כפרים לאורך הנהר ביום ראשון.",
]
GERMAN_CP1252 = [
    "Der Stadtrat traf sich am Montag, um den „neuen“ Haushalt zu besprechen.",
    "Wissenschaftler sagen – wie üblich – dass die Studie länger dauert.",
    "Das Unternehmen meldete höhere Gewinne… als erwartet, sagte der Sprecher.",
    "Die Preise für Lebensmittel und Energie stiegen um 5 € je Woche.",
]

# Rich/Textual markup that must reach the reader as the literal text it is.
MARKUP = ("[bold red]", "[link=https://x]", "[@click=app.quit]", "[/]")
# Terminal escapes and controls that must never reach a terminal.
ESCAPES = (
    "\x1b[31m",
    "\x1b[2J\x1b[H",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]8;;https://evil.example\x1b\\",
    "\x1b]0;pwned\x07",
    "\x9b",
    "\x9d0;c1-osc\x9c",
    "\x07",
    "\x08",
    "\x7f",
)


@dataclass(frozen=True)
class Case:
    """One corpus entry: how to make it, and what precis must do with it."""

    name: str
    expect: str  # "ok" | "refused" | "either" (one of the two, each checked as such)
    needle: str = ""  # for "refused": a word the one-line message contains
    data: bytes | None = None  # the file's bytes (None: `make` writes the path itself)
    make: Callable[[Path], None] | None = field(default=None, compare=False)
    suffix: str = ".txt"
    # Literal text that must appear in some section text (checks markup survives).
    keeps: tuple[str, ...] = ()
    big: bool = False  # written by streaming; slow to parse (run in a subprocess)

    def write(self, folder: Path) -> Path:
        """Create this case under `folder`; returns the path to hand to precis."""
        path = folder / f"{self.name}{self.suffix}"
        if self.make is not None:
            self.make(path)
        elif self.data is not None:
            path.write_bytes(self.data)
        return path


def _rng(name: str) -> random.Random:
    return random.Random(f"{SEED}:{name}")


def prose(rng: random.Random, seeds: list[str], sentences: int, joiner: str = " ") -> str:
    """`sentences` sentences drawn from `seeds`, shuffled by `rng`."""
    return joiner.join(rng.choice(seeds) for _ in range(sentences))


def article_text(rng: random.Random, seeds: list[str], paragraphs: int = 6) -> str:
    """A titled plain-text article of a few paragraphs."""
    joiner = "" if seeds in (CHINESE, JAPANESE) else " "
    body = [prose(rng, seeds, rng.randint(3, 6), joiner) for _ in range(paragraphs)]
    title = seeds[0].rstrip(".。")[:40]
    return title + "\n\n" + "\n\n".join(body) + "\n"


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(range(48)) for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _elf(rng: random.Random) -> bytes:
    head = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 62, 1)
    return head + rng.randbytes(4000)


def _invalid_utf8(rng: random.Random) -> bytes:
    # Bytes that no text encoding makes sense of: many C0 controls, no text shape.
    controls = bytes(b for b in range(1, 32) if b not in (9, 10, 13, 27))
    return bytes(rng.choice(controls + bytes(range(0x80, 0x100))) for _ in range(3000))


def _write_stream(path: Path, size: int, rng: random.Random) -> None:
    """About `size` bytes of paragraphs, written in pieces of ~1 MB."""
    block_parts: list[str] = []
    while sum(len(p) for p in block_parts) < MB:
        block_parts.append(prose(rng, ENGLISH, rng.randint(3, 8)) + "\n\n")
    block = "".join(block_parts).encode("utf-8")
    with path.open("wb") as handle:
        handle.write(b"A very long article\n\n")
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)


def _long_line(rng: random.Random, size: int = 100_000) -> str:
    """One line of `size` characters: sentences without a single line break."""
    line = prose(rng, ENGLISH, size // 60 + 1)
    return line[:size]


def _mixed_scripts(rng: random.Random) -> str:
    parts = []
    for _ in range(8):
        seeds = rng.choice([ENGLISH, ARABIC, HEBREW, CHINESE])
        parts.append(prose(rng, seeds, 3, "" if seeds is CHINESE else " "))
    # Bidi overrides and isolates: not controls, but a reader must still show text.
    parts.insert(2, "Price \u202e01$\u202c and \u2067عربي\u2069 inline. " + rng.choice(ENGLISH))
    return "Mixed scripts\n\n" + "\n\n".join(parts) + "\n"


def _html_no_article(rng: random.Random) -> bytes:
    cells = "".join(
        f"<table><tr><td><table><tr><td>{i}</td><td>x</td></tr></table></td></tr></table>"
        for i in range(30)
    )
    return (
        "<!doctype html><html><head><title>Nothing here</title>"
        "<script>document.write('<p>' + 'injected text '.repeat(50) + '</p>')</script></head>"
        "<body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav>"
        "<iframe src='https://ads.example/frame'></iframe>"
        f"{cells}<script>var x = '{rng.random()}';</script><footer>© 2024</footer>"
        "</body></html>"
    ).encode()


def _html_with_article(rng: random.Random) -> bytes:
    paras = "".join(f"<p>{prose(rng, ENGLISH, 4)}</p>" for _ in range(5))
    return (
        "<!doctype html><html><head><title>Council budget | Paper</title>"
        "<script>alert('x')</script></head><body><nav>Home</nav>"
        "<iframe src='https://ads.example/frame'></iframe>"
        f"<article><h1>Council budget</h1>{paras}<h2>Reactions</h2>{paras}"
        "<table><tr><td><table><tr><td>nested</td></tr></table></td></tr></table>"
        "</article><script>track()</script></body></html>"
    ).encode()


def _markup_text(rng: random.Random) -> str:
    lines = ["Markup in an article"]
    for i in range(4):
        tag = MARKUP[i % len(MARKUP)]
        lines.append(f"Sentence {i} has {tag}literal markup[/] inside. " + prose(rng, ENGLISH, 3))
    return "\n\n".join(lines) + "\n"


def _escape_text(rng: random.Random) -> str:
    lines = ["Escapes \x1b]0;pwned\x07in the title"]
    for i, esc in enumerate(ESCAPES):
        lines.append(f"Before {esc}after number {i}. " + prose(rng, ENGLISH, 3))
    return "\n\n".join(lines) + "\n"


def file_cases() -> list[Case]:
    """Every case that is a file (or a path) on disk."""
    cases: list[Case] = []
    r = _rng
    cases += [
        Case("empty", "refused", "empty", data=b""),
        Case("whitespace", "refused", "empty", data=b" \n\t\r\n  \n\x0c\n" * 50),
        Case("elf", "refused", "elf", data=_elf(r("elf"))),
        Case("png", "refused", "png", data=_png(), suffix=".png"),
        Case("png-named-txt", "refused", "png", data=_png()),
        Case("invalid-utf8", "refused", "binary", data=_invalid_utf8(r("bad"))),
        Case(
            "nul-bytes",
            "refused",
            "nul",
            data=article_text(r("nul"), ENGLISH).encode()[:300]
            + b"\x00\x00"
            + article_text(r("nul2"), ENGLISH).encode(),
        ),
    ]
    for codec, bom in (("utf-16", True), ("utf-16-le", False), ("utf-16-be", False)):
        text = article_text(r(codec), ENGLISH)
        data = text.encode(codec)  # "utf-16" writes a BOM, the -le/-be forms do not
        assert data.startswith((b"\xff\xfe", b"\xfe\xff")) == bom
        # Without a BOM, UTF-16 of ASCII text is half NUL bytes: "not text" is the
        # honest answer (guessing UTF-16 from NULs would misread real binaries).
        cases.append(
            Case(
                f"{codec}-{'bom' if bom else 'nobom'}",
                "ok" if bom else "refused",
                "" if bom else "nul",
                data=data,
            )
        )
    cases += [
        Case(
            "utf8-bom-chinese",
            "ok",
            data=b"\xef\xbb\xbf" + article_text(r("u8"), CHINESE).encode("utf-8"),
        ),
        Case(
            "gb18030",
            "ok",
            data=article_text(r("gb"), CHINESE).encode("gb18030"),
            keeps=(CHINESE[0][:6],),
        ),
        Case(
            "big5",
            "ok",
            data=article_text(
                r("big5"),
                [
                    "市議會週一開會討論學校和道路的新預算。",
                    "科學家說疫苗試驗至少還需要十八個月。",
                    "該公司第三季度利潤增長，超出預期。",
                    "週日大雨導致河邊幾個村莊發生洪水。",
                ],
            ).encode("big5"),
            keeps=("市議會週一開會",),
        ),
        Case(
            "shift-jis",
            "ok",
            data=article_text(r("sjis"), JAPANESE).encode("shift_jis"),
            keeps=(JAPANESE[0][:6],),
        ),
        Case(
            "cp1252",
            "ok",
            data=article_text(r("1252"), GERMAN_CP1252).encode("cp1252"),
            keeps=("„neuen“",),
        ),
        Case("arabic", "ok", data=article_text(r("ar"), ARABIC).encode(), keeps=(ARABIC[1][:10],)),
        Case("hebrew", "ok", data=article_text(r("he"), HEBREW).encode(), keeps=(HEBREW[1][:10],)),
        Case("mixed-scripts", "ok", data=_mixed_scripts(r("mix")).encode()),
        Case(
            # Only navigation and table cells: trafilatura's recall mode may keep those
            # as text. Either is fine, as long as no script or frame content leaks.
            "html-no-article",
            "refused",
            "no article",
            data=_html_no_article(r("h0")),
            suffix=".html",
        ),
        Case("html-scripts-iframes", "ok", data=_html_with_article(r("h1")), suffix=".html"),
        Case(
            "one-paragraph-20000-words",
            "ok",
            data=("One paragraph\n\n" + prose(r("p20k"), ENGLISH, 1400) + "\n").encode(),
        ),
        Case(
            "5000-sections",
            "ok",
            data=(
                "Many sections\n\n"
                + "\n\n".join(
                    f"## Part {i}\n\nSection {i} says {ENGLISH[i % len(ENGLISH)].lower()}"
                    for i in range(5000)
                )
                + "\n"
            ).encode(),
            suffix=".md",
        ),
        Case(
            "line-100000-chars",
            "ok",
            data=(
                "Long lines\n\n" + "\n".join(_long_line(r(f"line{i}")) for i in range(3))
            ).encode(),
        ),
        Case(
            # The same long paragraph twice in a row (a paste error) is still the article.
            "repeated-100000-char-line",
            "ok",
            data=("Repeated\n\n" + "\n\n".join([_long_line(r("same"))] * 3) + "\n").encode(),
        ),
        Case(
            "line-100000-chars-no-spaces",
            "ok",
            data=("Long tokens\n\n" + "x" * 100_000 + ".\n\n" + ENGLISH[0] + "\n").encode(),
        ),
        Case(
            "markup",
            "ok",
            data=_markup_text(r("mk")).encode(),
            keeps=("[bold red]literal markup[/]", "[@click=app.quit]", "[link=https://x]"),
        ),
        Case("escapes", "ok", data=_escape_text(r("esc")).encode(), keeps=("Before after",)),
        Case(
            "escapes-markdown",
            "ok",
            data=(
                "# Title \x1b[31mred\n\n"
                + _escape_text(r("esc2")).replace("\n\n", "\n\n## Part\n\n", 2)
            ).encode(),
            suffix=".md",
        ),
        Case("missing", "refused", "no such file"),
        Case("directory", "refused", "directory", make=lambda p: p.mkdir()),
        Case("fifo", "refused", "not a regular file", make=lambda p: _mkfifo(p)),
        Case(
            "over-cap-50mb",
            "refused",
            "input limit",
            big=True,
            make=lambda p: _write_stream(p, 50 * MB, _rng("50")),
        ),
        Case(
            "under-cap-15mb", "ok", big=True, make=lambda p: _write_stream(p, 15 * MB, _rng("15"))
        ),
    ]
    return cases


def sectioned_markdown(sections: int, name: str = "sectioned") -> str:
    """A Markdown article of `sections` sections of a few sentences each."""
    rng = _rng(name)
    parts = [f"# {name.capitalize()}"]
    for i in range(sections):
        parts += [f"## Part {i} of the story", prose(rng, ENGLISH, rng.randint(2, 5))]
    return "\n\n".join(parts) + "\n"


def _mkfifo(path: Path) -> None:
    import os

    os.mkfifo(path)


def cases(*, big: bool = False) -> Iterator[Case]:
    """The file cases; `big` ones only when asked for."""
    for case in file_cases():
        if big or not case.big:
            yield case


def by_name(name: str) -> Case:
    for case in file_cases():
        if case.name == name:
            return case
    raise KeyError(name)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for case in file_cases():
        print(case.write(out))


# -- URLs: a server that misbehaves in every way a web server can --------------------------

BODY = " ".join(ENGLISH)


class Handler(BaseHTTPRequestHandler):
    """Misbehaving servers, one per path."""

    def log_message(self, *args: object) -> None:
        pass

    def head(self, status: int, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:
        with contextlib.suppress(OSError):  # the client hung up: what these tests want
            self.serve()

    def serve(self) -> None:
        path = self.path
        if path == "/slow":
            time.sleep(2)
            self.head(200, "text/plain")
        elif path.startswith("/hop"):
            n = int(path[4:] or 0)
            self.head(302, None, Location=f"/hop{n + 1}", Content_Length="0")
        elif path == "/404":
            body = b"<html>not here</html>"
            self.head(404, "text/html", Content_Length=str(len(body)))
            self.wfile.write(body)
        elif path == "/claims-2gb":
            self.head(200, "text/plain", Content_Length=str(2 * 1024**3))
            for _ in range(100):
                self.wfile.write(b"word " * 1000)
        elif path == "/forever":
            self.head(200, "text/html")
            self.wfile.write(f"<html><body><article><p>{BODY}</p>".encode())
            chunk = f"<p>{BODY}</p>".encode() * 200
            while True:
                self.wfile.write(chunk)
        elif path == "/trickle":
            self.head(200, "text/plain")
            while True:
                self.wfile.write(b"word ")
                self.wfile.flush()
                time.sleep(0.02)
        elif path == "/png":
            data = by_name("png").data or b""
            self.head(200, "image/png", Content_Length=str(len(data)))
            self.wfile.write(data)
        elif path in HOSTILE:
            self.close_connection = True
            HOSTILE[path](self)
        elif path == "/escapes.html":
            body = (
                "<html><head><title>Title &#27;]0;pwned&#7; \x1b[31mred</title></head><body>"
                f"<article><h1>Escapes</h1><p>{BODY} \x1b]52;c;ZXZpbA==\x07 &#x9b;2J end.</p>"
                f"<p>{BODY} [bold red]kept[/] &#1;.</p></article></body></html>"
            ).encode()
            self.head(200, "text/html; charset=utf-8", Content_Length=str(len(body)))
            self.wfile.write(body)


# -- issue 17: hostile servers (item 6, 8) and the terminal-injection strings of item 3 ---

# What a hostile server or model tries to make a terminal do: write the clipboard
# (OSC 52), set the window title (OSC 0), clear the screen (CSI 2J).
INJECTION = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J"
LATIN1_PAGE = (
    "<html><head><title>Caf\xe9</title></head><body><article><h1>Caf\xe9 news</h1>"
    f"<p>{BODY} The caf\xe9 reopened on Monday.</p></article></body></html>"
).encode("latin-1")


def _raw(data: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)

    return send


def _trickle_status(handler: BaseHTTPRequestHandler) -> None:
    # One byte of the status line at a time, forever: only a deadline on the whole
    # request ends this (per-read timeouts never fire).
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.05)


def _short_body(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n"
        b"Connection: close\r\n\r\n" + BODY.encode()
    )


def _basic_auth(handler: BaseHTTPRequestHandler) -> None:
    expected = "Basic " + base64.b64encode(b"reader:s3cret pass").decode()
    if handler.headers.get("Authorization") == expected:
        body = f"# Members\n\n{BODY}\n".encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/markdown")
    else:
        body = b"no"
        handler.send_response(401)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


HOSTILE: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "/bad-status": _raw(b"HELLO THERE\r\n\r\n"),
    "/long-header": _raw(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n"),
    "/many-headers": _raw(
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n"
    ),
    "/broken-chunk": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nzz-not-hex\r\nmore\r\n"
    ),
    "/short-body": _short_body,
    "/to-file": _raw(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\n\r\n"),
    "/to-data": _raw(b"HTTP/1.1 302 Found\r\nLocation: data:text/plain,hello\r\n\r\n"),
    "/no-location": _raw(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"),
    "/status-300": _raw(
        b"HTTP/1.1 300 Multiple Choices\r\nLocation: /a\r\nContent-Length: 0\r\n\r\n"
    ),
    "/charset-undefined": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=undefined\r\n"
        b"Content-Length: %d\r\n\r\n" % len(LATIN1_PAGE) + LATIN1_PAGE
    ),
    "/escape-reason": _raw(
        b"HTTP/1.1 500 Oops" + INJECTION.encode() + b"\r\nContent-Length: 0\r\n\r\n"
    ),
    "/escape-type": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: image/" + INJECTION.encode() + b"png\r\n"
        b"Content-Length: 4\r\n\r\nabcd"
    ),
    "/trickle-status": _trickle_status,
    "/auth": _basic_auth,
}


@contextlib.contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A misbehaving web server on 127.0.0.1 (never beyond it); yields its base URL.
    With `tls`, the same server over TLS (see serve_tls)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def serve_tls(ca_file: Path) -> Iterator[str]:
    """`serve()` over TLS, with a certificate for 127.0.0.1 from a throwaway CA whose
    certificate is written to `ca_file` (point SSL_CERT_FILE at it to trust it)."""
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with serve(tls=context) as url:
        yield url


@contextlib.contextmanager
def serve_silence() -> Iterator[str]:
    """A port on 127.0.0.1 that accepts connections and never says a byte: a TLS
    handshake with it waits forever unless something bounds the whole request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for sock in held:
            sock.close()
        listener.close()


# -- issue 17: every case, what it did before, and the test that holds the fix ---------


@dataclass(frozen=True)
class HardeningCase:
    """One case of issue 17 (hostile input, faulty disks, other apps' files)."""

    item: int
    case: str
    before: str
    after: str
    test: str  # "tests/FILE.py::test_name" (parametrized tests by their base name)


ISSUE_17 = (
    HardeningCase(
        1,
        "cache stats / clear / export on another app's SQLite file (user_version 0)",
        "DROP TABLE results/meta, switched to WAL: the app's rows gone",
        "recognised as foreign (application_id, schema): untouched; stats/clear exit 2",
        "tests/test_cache_foreign.py::test_cache_commands_refuse_another_apps_database_and_touch_nothing",
    ),
    HardeningCase(
        1,
        "export with another app's database as the cache",
        "tables dropped",
        "untouched, runs from memory with one warning",
        "tests/test_cache_foreign.py::test_an_export_leaves_another_apps_database_alone_and_runs_from_memory",
    ),
    HardeningCase(
        1,
        "cache stats on a file that is not SQLite",
        "renamed aside to NAME.corrupt-DATE",
        "untouched, one line, exit 2",
        "tests/test_cache_foreign.py::test_stats_on_a_file_that_is_not_sqlite_does_not_move_it",
    ),
    HardeningCase(
        1,
        "cache stats on a precis cache",
        "opened read-write, WAL switch and schema run",
        "read-only (mode=ro, immutable without -wal): no byte and no file changes",
        "tests/test_cache_foreign.py::test_stats_never_writes_to_a_precis_cache",
    ),
    HardeningCase(
        1,
        "export with a file of random bytes as the cache",
        "moved aside as corrupt",
        "not recognisably precis': left in place, memory only",
        "tests/test_cli_hardening.py::test_a_cache_of_random_bytes_or_in_an_impossible_place_still_exports",
    ),
    HardeningCase(
        2,
        "export -o FILE on a disk that fills midway",
        "FILE truncated (partial JSON where the old export was)",
        "temp file + fsync + rename: FILE intact, no temp left, one line, exit 2",
        "tests/test_atomic_file.py::test_export_o_on_a_full_disk_keeps_the_old_export",
    ),
    HardeningCase(
        2,
        "export -o onto the input article (also via ./ and a symlink)",
        "the article overwritten by its own export",
        "refused, one line, exit 2",
        "tests/test_atomic_file.py::test_export_o_onto_the_article_itself_is_refused",
    ),
    HardeningCase(
        3,
        "model output decoding to OSC 52, OSC 0, CSI 2J (Markdown and JSON export)",
        "written raw to stdout: clipboard set, screen cleared",
        "removed by models.sanitize; the printable rest kept",
        "tests/test_terminal_injection.py::test_escapes_in_model_output_never_reach_stdout",
    ),
    HardeningCase(
        3,
        "escapes in config.json model_type, in a file name",
        "raw on stderr",
        "stderr through safe_message",
        "tests/test_terminal_injection.py::test_escapes_in_a_model_type_never_reach_stderr",
    ),
    HardeningCase(
        3,
        "escapes in an HTTP reason phrase and Content-Type",
        "raw on stderr",
        "one safe line",
        "tests/test_hardening_urls.py::test_the_command_line_exits_2_with_one_safe_line",
    ),
    HardeningCase(
        6,
        "http://127.0.0.1:abc/, http://[::1/, port 99999, a space or control in a URL",
        "traceback (port 99999 wrapped to 34463)",
        "one line 'is not a valid URL', exit 2",
        "tests/test_hardening_urls.py::test_malformed_urls_are_one_line",
    ),
    HardeningCase(
        6,
        "HELLO THERE status, 70 KB header, 150 headers, broken chunk, short body",
        "traceback (BadStatusLine, LineTooLong, HTTPException, IncompleteRead) or a short "
        "body accepted",
        "one line each, exit 2",
        "tests/test_hardening_urls.py::test_hostile_servers_are_one_line",
    ),
    HardeningCase(
        6,
        "redirect to file:/data:, 3xx without Location, status 300",
        "'more than 5 redirects'",
        "says which: not http(s) / no Location / a redirect not followed",
        "tests/test_hardening_urls.py::test_hostile_servers_are_one_line",
    ),
    HardeningCase(
        6,
        "charset=undefined in the header or a meta tag, non-UTF-8 body",
        "traceback (UnicodeError from the 'undefined' codec)",
        "the charset is ignored and detection decodes the page",
        "tests/test_hardening_urls.py::test_charset_undefined_falls_back_to_detection",
    ),
    HardeningCase(
        6,
        "http://user:password@host/ URL",
        "request failed; the password echoed in messages",
        "sent as Basic auth; shown as user:***@ everywhere",
        "tests/test_hardening_urls.py::test_a_password_is_sent_but_never_shown",
    ),
    HardeningCase(
        7,
        "a FIFO (or device) as the cache path: cache stats, cache clear, export",
        "hung forever opening the FIFO",
        "file type checked first: one line (stats/clear exit 2; export from memory)",
        "tests/test_cache_foreign.py::test_a_fifo_as_the_cache_path_is_one_line_not_a_hang",
    ),
    HardeningCase(
        8,
        "a server trickling the status line a byte at a time",
        "held precis 150 s (stated bound 60 s)",
        "the whole request bounded at 4 x timeout (2 s in the test)",
        "tests/test_hardening_urls.py::test_a_server_trickling_the_status_line_is_cut_at_the_deadline",
    ),
    HardeningCase(
        8,
        "the same over HTTPS (a local TLS server with a throwaway CA), and a TLS handshake "
        "that never comes",
        "with an unwatched TLS socket (a plain HTTPSHandler) the test hangs past 120 s",
        "the same whole-request deadline; an untrusted certificate is one line",
        "tests/test_hardening_urls.py::test_https_is_bounded_the_same_way",
    ),
    HardeningCase(
        8,
        "a port that accepts and never starts the TLS handshake",
        "cut by the per-read timeout: this one passed before too",
        "one line within the bound",
        "tests/test_hardening_urls.py::test_a_tls_handshake_that_never_comes_is_cut",
    ),
    HardeningCase(
        9,
        "'# E' + 'Words here and **a' x 25000 (450 KB); unclosed *a _a ![a <!-- ; '# a' + spaces",
        "83 s (900 KB: over 300 s); comments and heading spaces quadratic too",
        "linear: markdown-it-py inline parsing, one-pass comments, ATX without backtracking",
        "tests/test_parse_markdown.py::test_inline_parsing_is_linear",
    ),
    HardeningCase(
        12,
        "the disk fills during an export",
        "exit 0, nothing on stderr (the warning sat in ResultCache.warnings)",
        "warnings printed at the end of the export; ResultCache.warnings for the reader",
        "tests/test_cache_foreign.py::test_a_disk_that_fills_during_an_export_is_reported_at_its_end",
    ),
    HardeningCase(
        13,
        "cache clear on a newer-schema cache or a read-only mount",
        "printed 'cleared PATH', cleared nothing",
        "one line with the reason, exit 2",
        "tests/test_cache_foreign.py::test_clear_on_a_cache_from_a_newer_precis_fails_and_keeps_it",
    ),
    HardeningCase(
        14,
        "a corrupt cache whose quick_check reports several lines",
        "a seven-line warning",
        "one line",
        "tests/test_cache_foreign.py::test_a_corruption_warning_is_one_line",
    ),
    HardeningCase(
        4,
        "model.safetensors.index.json naming evil-00001.bin (folder and hub snapshot)",
        "the pickle loaded (through torch's restricted loader)",
        "refused in one line: an index names only .safetensors files beside it",
        "tests/test_weights.py::test_an_index_must_name_safetensors_shards_inside_the_folder",
    ),
    HardeningCase(
        4,
        "an index shard ../../outside.safetensors, or a shard symlinked out of the folder",
        "loaded from outside the model folder",
        "refused in one line (hub snapshots: only into the repository's blobs)",
        "tests/test_weights.py::test_an_index_must_name_safetensors_shards_inside_the_folder",
    ),
    HardeningCase(
        4,
        "pytorch_model.bin with a __reduce__ payload",
        "every pickle refused whole, so opus-mt-en-de and m2m100_418M could not load",
        "read only by torch.load(weights_only=True): refused in one line, payload never run",
        "tests/test_weights.py::test_a_pickle_that_would_run_code_is_refused_unrun",
    ),
    HardeningCase(
        11,
        "a 1 GB sparse config.json in a model folder",
        "2-3.4 GB of memory before the error",
        "size checked before reading: one line at once (limit 8 MB)",
        "tests/test_weights.py::test_a_huge_sparse_config_is_one_line_and_fast",
    ),
    HardeningCase(
        11,
        "a tokenizer file that is a FIFO",
        "the load blocked for good",
        "file type checked first: one line",
        "tests/test_weights.py::test_a_fifo_tokenizer_file_does_not_hang",
    ),
    HardeningCase(
        16,
        "source.spm (or vocab.json, tokenizer_config.json) symlinked to /dev/zero",
        "expected str, bytes or os.PathLike object, not NoneType",
        "'source.spm is not a regular file (a device)'",
        "tests/test_weights.py::test_a_tokenizer_file_linked_to_dev_zero_is_one_line",
    ),
    HardeningCase(
        5,
        'e with the export folder named d[/]x or cwd[@click=app.quit]y, theme = "[/]", '
        '[keys] download = "[/]"',
        "MarkupError, exit 1; the toast's path a live quit action",
        "every notification plain text (markup=False); the path shown as written",
        "tests/test_tui_reader_fixes.py::test_markup_in_an_export_folder_name_is_shown_as_written",
    ),
    HardeningCase(
        5,
        "an unknown theme written as markup",
        "crash at start, exit code 0",
        "one plain-text notification naming it",
        "tests/test_tui_reader_fixes.py::test_notifications_are_plain_text",
    ),
    HardeningCase(
        10,
        "export of 20,000 sections through the service",
        "the scheduler counted the heap per batch: 6 / 21 / 167 s for 20k / 40k / 80k",
        "linear; the queue alone for 20,000 sections in about 2 s",
        "tests/test_service_scale.py::test_export_time_is_linear_in_sections",
    ),
    HardeningCase(
        10,
        "an export where no model runs (extractive in the article's language)",
        "batches of 4: two SQLite transactions and a queue round trip every 4 sections",
        "batches of 128, the extractive step kept in memory only",
        "tests/test_service_scale.py::test_an_export_with_no_model_runs_in_big_batches",
    ),
    HardeningCase(
        10,
        "the reader on 10,000 sections",
        "5.6 s to first paint",
        "the list fills after the first paint (0.16 s here)",
        "tests/test_tui_reader_fixes.py::test_ten_thousand_sections_paint_before_the_list_is_full",
    ),
    HardeningCase(
        15,
        "[keys] cycle_length (README form), an unknown id, an invalid key, a clash with j",
        "silently ignored, or j taken from next-section while help still listed it",
        "read as cycle-length; one line each; help and footer show the effective keys",
        "tests/test_tui_reader_fixes.py::"
        "test_keymap_problems_are_one_line_each_and_help_shows_effective_keys",
    ),
    HardeningCase(
        17,
        "bidi overrides and zero-width characters in a heading",
        "the reader's borders shifted",
        "removed from the section list and status line, kept in the body text",
        "tests/test_tui_reader_fixes.py::test_bidi_overrides_are_removed_from_single_line_widgets",
    ),
    HardeningCase(
        16,
        'summarizer = ""',
        "section 1:  has no config.json (the current folder taken for the model)",
        "'no model named (an empty name): give a hub id, a folder or \"extractive\"'",
        "tests/test_weights.py::test_an_empty_model_name_is_a_clear_error",
    ),
)


# -- checks the tests share -------------------------------------------------------------

# What must never reach a terminal: C0 controls but tab and newline, DEL, C1.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strings(value: object) -> Iterator[str]:
    """Every string inside a JSON-like value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def check_export(data: dict, case: Case | None = None) -> None:
    """An export is sane: sections with text and a summary, no control characters,
    and whatever literal text the case must keep is kept."""
    sections = data["sections"]
    assert sections, "an article without sections"
    for section in sections:
        assert section["text"].strip(), section
        assert section["summary"].strip(), section
        # Extractive summaries are sentences of the section: nothing invented.
        summary, text = " ".join(section["summary"].split()), " ".join(section["text"].split())
        assert summary in text or all(w in text for w in summary.split()), section["index"]
    bad = [s for s in strings(data) if CONTROL.search(s)]
    assert not bad, [CONTROL.findall(s) for s in bad][:3]
    if case is not None:
        everything = "\n".join(strings(data))
        for literal in case.keeps:
            assert literal in everything, literal


def peak_rss_kb(pid: int | str = "self") -> int | None:
    """The peak resident memory of a process since it last exec'd (VmHWM), in KB.

    Not ru_maxrss: on Linux that carries over the high-water mark of the process
    before exec, i.e. of the (large) test process that forked it.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def check_refusal(message: str, case: Case | None = None) -> None:
    """A refusal is one printable line that says what was wrong."""
    assert message and "\n" not in message and not CONTROL.search(message), repr(message)
    assert "Traceback" not in message
    if case is not None and case.needle:
        assert case.needle in message.lower(), message
