"""HTML parsing: main content via trafilatura, headings as sections, page furniture gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import InputError
from models.ingest.formats.html import page_title, parse_html

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
P1 = (
    "The regional council voted on Thursday to close three branch libraries next year, "
    "despite a petition signed by more than eight thousand residents of the valley."
)
P2 = (
    "Council members said the branches cost too much to run and that a mobile library "
    "bus would reach more people, including those in the smallest villages."
)
P3 = (
    "Librarians warned that older residents without cars would be cut off, and asked the "
    "council to delay the decision until a full survey of users has been completed."
)


def page(body: str, head: str = "<title>Libraries to close | Valley News</title>") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}"
        "<script>var tracking = 'script text must not appear';</script>"
        "<style>.x { color: red }</style></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        f"<article>{body}</article>"
        "<footer><p>Copyright 2024 Valley News. All rights reserved.</p>"
        "<a href='/privacy'>Privacy</a></footer></body></html>"
    )


def test_fixture_page_sections_and_metadata() -> None:
    html = (FIXTURES / "glacier-report.html").read_text(encoding="utf-8")
    article = parse_html(html, source="glacier.html")
    assert article.title == "Alpine glaciers lost a record share of ice this summer"
    assert article.byline == "By Lukas Meier"
    assert article.dateline == "2024-09-17"
    assert [s.title for s in article.sections] == [
        "",
        "A thin layer of snow",
        "Measuring the loss",
        "What it means for the valleys",
    ]
    assert article.sections[0].paragraphs[0].startswith("Swiss glaciers lost about four percent")
    everything = " ".join(s.text for s in article.sections)
    for furniture in (
        "Subscribe now",
        "tracking code",
        "font-family",
        "Privacy policy",
        "Ten best hiking trails",
        "All rights reserved",
        "By Lukas Meier",
    ):
        assert furniture not in everything
    # The figure's caption, not the image's alt text (a description for the blind).
    assert article.sections[2].captions == ("The tongue of a glacier in the Bernese Alps.",)


def test_headings_start_sections_and_title_falls_back_to_the_title_tag() -> None:
    html = page(
        f"<p>{P1}</p><h2>Why the branches close</h2><p>{P2}</p><h2>Objections</h2><p>{P3}</p>"
    )
    article = parse_html(html)
    assert article.title == "Libraries to close"
    assert [s.title for s in article.sections] == ["", "Why the branches close", "Objections"]
    assert [s.paragraphs for s in article.sections] == [(P1,), (P2,), (P3,)]


def test_text_is_literal_entities_decoded_and_inline_tags_flattened() -> None:
    odd = (
        "The motion &amp; its <b>amendments</b> say [bold red]nothing[/] about "
        "[@click=app.quit] closures, \x1b[31mwhich\x1b[0m surprised several members of the council."
    )
    article = parse_html(page(f"<p>{P1}</p><p>{odd}</p>"))
    assert article.sections[0].paragraphs[1] == (
        "The motion & its amendments say [bold red]nothing[/] about [@click=app.quit] "
        "closures, which surprised several members of the council."
    )


def test_lists_become_paragraphs() -> None:
    article = parse_html(
        page(
            f"<p>{P1}</p><ul><li>Northfield branch, open since 1962</li>"
            f"<li>Eastgate branch, in the old school</li></ul><p>{P2}</p>"
        )
    )
    paragraphs = article.sections[0].paragraphs
    assert "Northfield branch, open since 1962" in paragraphs
    assert "Eastgate branch, in the old school" in paragraphs


def test_read_more_and_notes_in_html() -> None:
    article = parse_html(
        page(
            f"<p>{P1}</p><p>Read more:</p><p>Five libraries that found new money</p>"
            f"<p>{P2}</p><p>(With input from local agencies)</p>"
        )
    )
    assert article.sections[0].paragraphs == (P1, P2)
    assert article.notes == ("(With input from local agencies)",)


@pytest.mark.parametrize(
    "html",
    [
        "<!doctype html><html><head><title>Home</title></head><body><nav><a href='/'>Home</a>"
        "</nav><footer>© 2024</footer></body></html>",
        "<html><body></body></html>",
        "<html><head><script>alert('x')</script></head></html>",
    ],
)
def test_page_without_article_is_an_input_error(html: str) -> None:
    with pytest.raises(InputError) as error:
        parse_html(html, source="https://example.org/")
    message = str(error.value)
    assert message == "https://example.org/ is an HTML page with no article text"


def test_page_title_strips_site_name() -> None:
    assert page_title("<title>Big news &amp; more — The Daily</title>") == "Big news & more"
    assert page_title("<p>no title</p>") == ""
