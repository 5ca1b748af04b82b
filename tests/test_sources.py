"""read_article: the sample, files, stdin and URLs; encodings; every refusal is one line."""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from models.errors import InputError
from models.ingest.encoding import clean_text, decode_bytes
from models.ingest.sources import detect_kind, parse_bytes, read_article

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
BODY = (
    "The museum reopened on Saturday after a two-year renovation that restored its glass "
    "roof and added a new wing for the natural history collection."
)


def refused(arg: str | None, **kwargs: object) -> str:
    """The InputError message for reading `arg`; asserts it is one line."""
    with pytest.raises(InputError) as error:
        read_article(arg, **kwargs)  # type: ignore[arg-type]
    message = str(error.value)
    assert message and "\n" not in message and "\r" not in message
    return message


# -- the bundled sample: the acceptance test --------------------------------------------


def test_bundled_sample_sections_title_dateline_captions_notes() -> None:
    article = read_article(None)
    assert article.source == "sample"
    assert article.title == (
        "President Xi's article on global solidarity, cooperation to fight COVID-19 to be published"
    )
    assert article.dateline == "Updated 08:45, 16-Apr-2020"
    assert [s.title for s in article.sections] == [
        "",
        "Viruses respect no borders; solidarity and cooperation are the most powerful weapon",
        "The vision of building a community with a shared future for humanity",
        "China is ready to reciprocate kindness by experiences sharing",
        "Major infectious diseases are the enemy of all",
        "China made tremendous sacrifices in battle against COVID-19",
    ]
    assert [s.index for s in article.sections] == list(range(6))
    text = "\n".join(p for s in article.sections for p in s.paragraphs)
    assert "Read more" not in text
    for link in (
        "How Xi Jinping leads China's war against COVID-19",
        "Xi Jinping, Vladimir Putin discuss strengthening cooperation",
        "Xi Jinping: China is maintaining economic, social progress amid epidemic control",
        "Xi Jinping: China to continue COVID-19 support for Namibia, Laos",
        "President Xi Jinping urges fast development of coronavirus vaccine",
        "Xi Jinping attends national mourning for COVID-19 victims",
    ):
        assert link not in text
    first = article.sections[1]
    assert any(p.startswith("For example, in a phone conversation") for p in first.paragraphs)
    major = article.sections[4]
    assert major.paragraphs[0].startswith("Major infectious diseases are the enemy of all, and")
    assert len(major.paragraphs) == 3
    guterres = "UN Secretary-General Antonio Guterres gives speech in Geneva"
    assert sum(guterres in p for p in text.split("\n")) == 0
    assert [c for s in article.sections for c in s.captions if guterres in c] == [
        "UN Secretary-General Antonio Guterres gives speech in Geneva, Switzerland, "
        "February 24, 2020. /Xinhua"
    ]
    assert article.sections[2].captions[0].startswith(guterres)
    assert any(
        n.startswith("(Cover: Members of Chinese medical expert team") for n in article.notes
    )
    assert "(With input from Xinhua)" in article.notes
    assert "(Cover" not in text and "With input" not in text
    assert all("\xa0" not in p and p == p.strip() for p in text.split("\n"))


# -- files of every kind and encoding -----------------------------------------------------


def test_markdown_file_by_extension() -> None:
    article = read_article(str(FIXTURES / "river-restoration.md"))
    assert article.title == "How a small town brought its river back to life"
    assert len(article.sections) == 5


def test_html_file() -> None:
    article = read_article(str(FIXTURES / "glacier-report.html"))
    assert article.title == "Alpine glaciers lost a record share of ice this summer"
    assert len(article.sections) == 4


def test_plain_text_with_headings_and_boilerplate() -> None:
    article = read_article(str(FIXTURES / "night-trains.txt"))
    assert article.title == "Europe's night trains are back, and this time they are full"
    assert article.dateline == "Published: 12 March 2024, 06:30"
    assert article.byline == "By Claire Dubois"
    assert [s.title for s in article.sections] == [
        "",
        "A network rebuilt from scraps",
        "New carriages, old problems",
        "What travellers say",
    ]
    scraps, carriages = article.sections[1], article.sections[2]
    assert scraps.captions == (
        "Passengers board a sleeper train at Vienna's main station on a winter evening. /AP",
    )
    assert scraps.paragraphs[-1].startswith("Building the network was slow")
    assert carriages.captions == ("Photo: Rail Press Agency",)
    text = " ".join(s.text for s in article.sections)
    assert "Why rail fares differ" not in text and "quiet comeback" not in text
    assert article.notes == ("(With input from Reuters and AFP)", "(Editing by Tom Hart)")


def test_gb18030_chinese_article() -> None:
    article = read_article(str(FIXTURES / "city-greenways-gb18030.txt"))
    assert article.title == "城市绿道建设进入新阶段"
    assert article.dateline == "2024年5月20日 10:30"
    assert [s.title for s in article.sections] == ["", "规划先行，连点成网", "市民参与，共建共享"]
    assert article.sections[0].paragraphs[0].startswith("今年以来，本市新建和改造绿道")
    assert article.notes == ("（来源：本市园林局）",)


def test_german_hard_wrapped_article() -> None:
    article = read_article(str(FIXTURES / "lindenau-library-de.txt"))
    assert article.title == "Wie eine Kleinstadt ihre Bibliothek neu erfunden hat"
    assert article.byline == "Von Jonas Becker"
    assert [s.title for s in article.sections] == [
        "",
        "Ein Ort für alle",
        "Geld aus ungewöhnlichen Quellen",
    ]
    assert (
        article.sections[1]
        .paragraphs[1]
        .startswith(
            "„Wir wollten, dass sich niemand hier fremd fühlt“, sagt die Leiterin Anna Schmidt."
        )
    )


def test_cp1252_smart_quotes() -> None:
    article = read_article(str(FIXTURES / "cafe-cp1252.txt"))
    assert article.title == "The café that refused to close"
    text = article.sections[0].text
    assert "\u201cI told myself: if the workers need coffee, I have customers,\u201d" in text
    assert "Rosa\u2019s café" in text and "\u2014 partly" in text


def test_utf16_with_bom() -> None:
    article = read_article(str(FIXTURES / "lighthouse-utf16.txt"))
    assert article.title == "Notes from a lighthouse keeper"
    assert "keeper\u2019s cottage" in article.sections[0].text


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16-be", "utf-32"])
def test_byte_order_marks(codec: str) -> None:
    data = f"Title\n\n{BODY}".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    article = parse_bytes(data, name="x")
    assert article.title == "Title"
    assert article.sections[0].paragraphs == (BODY,)


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("big5", "新冠肺炎疫情是全人類的共同挑戰。各國應當加強合作，共同應對這場危機。" * 3),
        (
            "shift_jis",
            "新型コロナウイルスの感染拡大を受けて、政府は緊急事態宣言を発令しました。" * 3,
        ),
        ("gb18030", "团结合作是战胜疫情最有力的武器。各国应当加强合作，共同应对这场危机。" * 3),
        (
            "cp1252",
            "Die Regierung k\u00fcndigte neue Ma\u00dfnahmen an. \u201eWir m\u00fcssen "
            "zusammenhalten\u201c, sagte sie. Gr\u00fc\u00dfe aus M\u00fcnchen.",
        ),
    ],
)
def test_legacy_encodings_are_detected(codec: str, text: str) -> None:
    assert decode_bytes(text.encode(codec), name="x") == text


def test_utf8_is_tried_first_and_a_declared_charset_next() -> None:
    assert decode_bytes("naïve café".encode(), name="x", declared="latin-1") == "naïve café"
    assert decode_bytes("naïve café".encode("latin-1"), name="x", declared="latin-1") == (
        "naïve café"
    )


def test_html_meta_charset_is_honoured() -> None:
    html = (
        "<html><head><meta charset='windows-1252'><title>Caf\u00e9 news</title></head><body>"
        f"<article><p>{BODY} The caf\u00e9\u2019s owner was pleased.</p></article></body></html>"
    )
    article = parse_bytes(html.encode("cp1252"), name="page")
    assert article.title == "Café news"
    assert "café’s owner" in article.sections[0].text


def test_detect_kind() -> None:
    assert detect_kind("anything", filename="a.HTML") == "html"
    assert detect_kind("anything", content_type="text/html") == "html"
    assert detect_kind("  <!DOCTYPE html><p>x</p>") == "html"
    assert detect_kind("<html lang='en'>") == "html"
    assert detect_kind("text", filename="notes.markdown") == "markdown"
    assert detect_kind("intro\n\n## Part two\n\nbody") == "markdown"
    assert detect_kind("#hashtag and #### deep") == "text"
    assert detect_kind("x < y <html> in prose") == "text"
    assert detect_kind("plain", filename="https://example.org/post.md") == "markdown"


def test_clean_text_strips_controls_keeps_markup() -> None:
    raw = "a\x1b[2J\x1b[Hb\x1bP1$r\x1b\\c\x07\x08d\u009be\r\nf\rg [red]h[/red] \u202eRTL\u202c"
    assert clean_text(raw) == "abcde\nf\ng [red]h[/red] \u202eRTL\u202c"


# -- refusals: one line each ----------------------------------------------------------------


def test_missing_path() -> None:
    assert refused("/nonexistent/article.txt") == "no such file: /nonexistent/article.txt"


def test_directory(tmp_path: Path) -> None:
    assert refused(str(tmp_path)) == f"{tmp_path} is a directory, not an article file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    message = refused(str(fifo))
    assert time.monotonic() - started < 2
    assert "not a regular file" in message and "use -" in message


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \r\n", "\u3000\n".encode()])
def test_empty_or_whitespace_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert refused(str(path)) == f"{path} is empty"


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(64), "an ELF executable"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
        (b"hello\x00world, these are NUL bytes", "contains NUL bytes"),
        (bytes([1, 2, 3, 4, 5, 6, 14, 15, 16, 17]) * 50 + b"text", "mostly control bytes"),
    ],
)
def test_binary_files(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    message = refused(str(path))
    assert str(path) in message and what in message


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    noise = bytes((i * 7919 + 13) % 127 + 129 for i in range(4000))
    path.write_bytes(noise)
    assert refused(str(path)) == (
        f"cannot decode {path}: it is not UTF-8 and no known text encoding fits"
    )


def test_over_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(BODY.encode() * 20_000)  # ~3 MB
    message = refused(str(path), max_bytes=1024 * 1024)
    assert message.startswith(f"{path} is 2.8 MB,")
    assert "over the 1 MB input limit" in message
    assert "--max-size" in message and "max_input_mb" in message


def test_html_file_without_article(tmp_path: Path) -> None:
    message = refused(str(FIXTURES / "nav-only.html"))
    assert message.endswith("nav-only.html is an HTML page with no article text")


def test_control_characters_in_a_file_name_do_not_reach_the_message(tmp_path: Path) -> None:
    message = refused(str(tmp_path / "evil\x1b[31m\nname.txt"))
    assert "\x1b" not in message


@pytest.mark.parametrize("url", ["ftp://example.org/a.txt", "file:///etc/passwd", "gopher://x"])
def test_other_url_schemes(url: str) -> None:
    assert refused(url).endswith("only http:// and https:// URLs are supported")


# -- standard input ---------------------------------------------------------------------------


class FakeStdin:
    def __init__(self, data: bytes, *, tty: bool = False) -> None:
        self.buffer = io.BytesIO(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", FakeStdin(f"Piped title\n\n{BODY}".encode("utf-16")))
    article = read_article("-")
    assert (article.title, article.source) == ("Piped title", "-")
    assert article.sections[0].paragraphs == (BODY,)


def test_stdin_over_cap_and_tty_and_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", FakeStdin(b"x" * 2000))
    assert "standard input is larger, over the 1 KB input limit" in refused("-", max_bytes=1048)
    monkeypatch.setattr("sys.stdin", FakeStdin(b"", tty=True))
    assert refused("-").startswith("standard input is a terminal")
    monkeypatch.setattr("sys.stdin", FakeStdin(b" \n "))
    assert refused("-") == "standard input is empty"


# -- URLs, against a local server ------------------------------------------------------------

PAGE = (
    "<!doctype html><html><head><title>Museum reopens | City Paper</title></head><body>"
    f"<nav><a href='/'>Home</a></nav><article><h1>Museum reopens</h1><p>{BODY}</p>"
    "<h2>The new wing</h2><p>The new wing holds fossils, minerals and a whale skeleton that "
    "hung for decades in the old entrance hall, now cleaned and lit from below.</p>"
    "</article></body></html>"
).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout test)
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/article.html":
            self.send(200, PAGE, "text/html; charset=utf-8")
        elif path == "/notes":
            self.send(200, f"# Notes\n\n{BODY}\n\n## More\n\n{BODY}".encode(), "text/markdown")
        elif path == "/plain.txt":
            self.send(
                200, f"Plain title\n\n{BODY}".encode("latin-1"), "text/plain; charset=latin-1"
            )
        elif path == "/moved":
            self.send(302, b"", None, Location="/article.html")
        elif path == "/loop":
            self.send(302, b"", None, Location="/loop")
        elif path == "/to-ftp":
            self.send(302, b"", None, Location="ftp://example.org/x")
        elif path == "/image":
            self.send(200, b"\x89PNG\r\n\x1a\n", "image/png")
        elif path == "/empty-page":
            self.send(200, b"<html><body><nav>Home</nav></body></html>", "text/html")
        elif path == "/slow":
            time.sleep(1.5)
            self.send(200, PAGE, "text/html")
        elif path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
        elif path == "/big-streamed":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(40):
                    self.wfile.write(BODY.encode() * 200)
        else:
            self.send(404, b"not here", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_html(server: str) -> None:
    article = read_article(f"{server}/article.html")
    assert article.title == "Museum reopens"
    assert [s.title for s in article.sections] == ["", "The new wing"]
    assert article.source == f"{server}/article.html"


def test_url_markdown_and_plain_text_with_charset(server: str) -> None:
    notes = read_article(f"{server}/notes")
    assert (notes.title, [s.title for s in notes.sections]) == ("Notes", ["", "More"])
    plain = read_article(f"{server}/plain.txt")
    assert plain.title == "Plain title"


def test_url_redirect_is_followed(server: str) -> None:
    assert read_article(f"{server}/moved").title == "Museum reopens"


def test_url_errors(server: str) -> None:
    assert refused(f"{server}/missing") == f"cannot fetch {server}/missing: HTTP 404 Not Found"
    assert refused(f"{server}/loop") == f"cannot fetch {server}/loop: it redirects in a loop"
    assert "redirects to ftp://example.org/x" in refused(f"{server}/to-ftp")
    assert refused(f"{server}/image") == (
        f"{server}/image serves image/png, not an article (HTML, Markdown or text)"
    )
    assert refused(f"{server}/empty-page") == (
        f"{server}/empty-page is an HTML page with no article text"
    )


def test_url_timeout(server: str) -> None:
    started = time.monotonic()
    assert refused(f"{server}/slow", timeout=0.3) == (
        f"cannot fetch {server}/slow: no answer within 0.3 s"
    )
    assert time.monotonic() - started < 1.4


def test_url_size_cap(server: str) -> None:
    declared = refused(f"{server}/big-declared", max_bytes=1024 * 1024)
    assert declared.startswith(f"{server}/big-declared is 50 MB, over the 1 MB input limit")
    streamed = refused(f"{server}/big-streamed", max_bytes=1024 * 1024)
    assert streamed.startswith(f"{server}/big-streamed is larger, over the 1 MB input limit")


def test_unreachable_host() -> None:
    message = refused("http://127.0.0.1:9/", timeout=2)
    assert message.startswith("cannot fetch http://127.0.0.1:9/: ")
