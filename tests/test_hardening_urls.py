"""Issue 17 items 3, 6, 8: hostile URLs and servers give one line and exit 2, in time.

Every server is `corpus.serve()`, on 127.0.0.1 only; each path misbehaves one way
(corpus.HOSTILE). The fetch runs through the real `read_article` and, for the exit
code and stderr, through the real command line (`tui.cli.main`, in process).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import corpus
import pytest

from models.errors import InputError
from models.ingest.sources import read_article
from tui.cli import main


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with corpus.serve() as url:
        yield url


def refused(url: str, timeout: float = 5.0) -> str:
    with pytest.raises(InputError) as caught:
        read_article(url, timeout=timeout)
    message = str(caught.value)
    corpus.check_refusal(message)
    return message


def cli(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[int, str]:
    monkeypatch.setenv("PRECIS_CACHE", str(tmp_path / "c.db"))
    monkeypatch.setenv("PRECIS_CONFIG", str(tmp_path / "none.toml"))
    code = main(["export", *args, "--summarizer", "extractive"])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://127.0.0.1:abc/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("http://127.0.0.1/a b", "contains a space or a control character"),
        ("http://127.0.0.1/a\x01b\x1b[2J", "contains a space or a control character"),
        ("http:///nohost", "names no host"),
    ],
)
def test_malformed_urls_are_one_line(url: str, needle: str) -> None:
    assert needle in refused(url)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/bad-status", "answer is not HTTP"),
        ("/long-header", "too long"),
        ("/many-headers", "malformed"),
        ("/broken-chunk", "broke off"),
        ("/short-body", "closed after"),
        ("/to-file", "redirects to file:///etc/passwd, which is not http(s)"),
        ("/to-data", "redirects to data:text/plain,hello, which is not http(s)"),
        ("/no-location", "HTTP 302 redirect without a Location"),
        ("/status-300", "HTTP 300 Multiple Choices: a redirect precis does not follow"),
        ("/escape-reason", "HTTP 500 Oops"),
        ("/escape-type", "not an article"),
    ],
)
def test_hostile_servers_are_one_line(server: str, path: str, needle: str) -> None:
    message = refused(server + path)
    assert needle in message
    assert "more than 5 redirects" not in message
    assert "52;c" not in message or "\x1b" not in message


def test_a_server_trickling_the_status_line_is_cut_at_the_deadline(server: str) -> None:
    start = time.monotonic()
    message = refused(f"{server}/trickle-status", timeout=0.5)
    elapsed = time.monotonic() - start
    assert "no complete answer within 2 s" in message
    assert elapsed < 4, elapsed  # the bound is 4 x timeout, connect to last byte


def test_https_is_bounded_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = tmp_path / "ca.pem"
    with corpus.serve_tls(ca) as base:
        # Not trusted yet: the certificate is refused in one line.
        assert "certificate" in refused(f"{base}/escapes.html")
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        assert read_article(f"{base}/escapes.html").title.startswith("Title")  # TLS works
        start = time.monotonic()
        message = refused(f"{base}/trickle-status", timeout=0.5)
        elapsed = time.monotonic() - start
    assert "no complete answer within 2 s" in message
    assert elapsed < 4, elapsed


def test_a_tls_handshake_that_never_comes_is_cut() -> None:
    with corpus.serve_silence() as base:
        start = time.monotonic()
        message = refused(f"{base}/", timeout=0.5)
        elapsed = time.monotonic() - start
    assert "within" in message
    assert elapsed < 4, elapsed


def test_charset_undefined_falls_back_to_detection(server: str, tmp_path: Path) -> None:
    assert "Caf\u00e9" in read_article(f"{server}/charset-undefined").title
    page = tmp_path / "page.html"
    page.write_bytes(corpus.LATIN1_PAGE.replace(b"<head>", b'<head><meta charset="undefined">'))
    assert "Caf\u00e9" in read_article(str(page)).title


def test_a_password_is_sent_but_never_shown(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    article = read_article(f"http://reader:s3cret%20pass@127.0.0.1:{port}/auth")
    assert article.title == "Members"
    assert "s3cret" not in article.source and "reader:***@" in article.source
    message = refused(f"http://reader:s3cret@127.0.0.1:{port}/bad-status")
    assert "s3cret" not in message and "reader:***@127.0.0.1" in message


@pytest.mark.parametrize(
    "path",
    ["/bad-status", "/long-header", "/broken-chunk", "/escape-reason", "/escape-type", "/to-file"],
)
def test_the_command_line_exits_2_with_one_safe_line(
    server: str,
    path: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    code, err = cli([server + path], tmp_path, monkeypatch, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("precis: "), err
    corpus.check_refusal(lines[0])
    assert "\x1b" not in err and "\x07" not in err


def test_bad_urls_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for url in ("http://127.0.0.1:abc/", "http://[::1/", "http://127.0.0.1:99999/"):
        code, err = cli([url], tmp_path, monkeypatch, capsys)
        assert code == 2 and err.count("\n") == 1 and "not a valid URL" in err, err
