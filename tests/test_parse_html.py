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


# Defect classes seen on real pages, with pages written here in several languages.

DE1 = (
    "Die Stadt will bis zum Jahr 2030 alle Busse auf Strom umstellen, teilte der "
    "Verkehrsbetrieb am Montag mit, und die ersten zwanzig Fahrzeuge sind bereits bestellt."
)
DE2 = (
    "Kritiker bemängeln, dass die Ladestationen in den Außenbezirken noch fehlen und der "
    "Zeitplan deshalb kaum zu halten sei, wie mehrere Fachleute im Ausschuss sagten."
)
ZH1 = "记者近日从市交通局获悉，今年全市将新增公交专用道五十公里，进一步缓解早晚高峰的拥堵状况。"
ZH2 = "交通局负责人表示，新增专用道将优先覆盖客流量大的主干道，并配套建设智能信号系统。"
ZH3 = (
    "据介绍，去年全市公交日均客运量已恢复到疫情前的九成以上，但高峰时段的准点率仍不理想，"
    "部分线路在早高峰的平均车速不足每小时十五公里，乘客对缩短候车时间的呼声较高。"
)
ZH4 = (
    "市民王女士告诉记者，她每天乘坐公交上下班，单程要花一个多小时，希望专用道建成后"
    "能够节省时间。交通局表示，将在年底前公布第一批专用道的具体路段，并征求市民意见。"
)


def everything(article: object) -> str:
    sections = article.sections  # type: ignore[attr-defined]
    return "\n".join("\n".join([s.title, *s.paragraphs, *s.captions]) for s in sections)


def test_page_furniture_lines_are_not_body() -> None:
    furniture = [
        "Advertisement",
        "Print Print this page",
        "Watch video 02:17",
        "Date 19.01.2020",
        "Keywords Climate, Energy, Policy",
        "Permalink https://example.org/p/3WRtP",
        "Feedback: Send us your feedback.",
        "Sign up here.",
        "Our Standards: The Thomson Reuters Trust Principles.",
        "© 2024 Valley News. All rights reserved.",
    ]
    body = f"<p>{P1}</p>" + "".join(f"<p>{f}</p>" for f in furniture) + f"<p>{P2}</p><p>{P3}</p>"
    article = parse_html(page(body))
    assert article.sections[0].paragraphs == (P1, P2, P3)


def test_german_furniture_and_contributed_line() -> None:
    body = (
        f"<p>{DE1}</p><p>Anzeige</p><p>| mehr</p><p>Video ansehen 01:12</p><p>{DE2}</p>"
        "<p>Mit Material von dpa und AFP</p>"
    )
    article = parse_html(page(body, "<title>Busse | Stadtanzeiger</title>"))
    assert article.sections[0].paragraphs == (DE1, DE2)
    assert article.notes == ("Mit Material von dpa und AFP",)


def test_contributed_to_this_report_is_a_note() -> None:
    line = "Associated Press writer Jane Doe in Denver contributed to this report."
    article = parse_html(page(f"<p>{P1}</p><p>{P2}</p><p>{line}</p>"))
    assert article.sections[0].paragraphs == (P1, P2)
    assert article.notes == (line,)


def test_teaser_lists_and_related_links_are_dropped() -> None:
    body = (
        f"<p>{P1}</p>"
        "<p><a href='/guide'>A SIMPLE GUIDE: How do I protect myself?</a></p>"
        f"<p>{P2}</p>"
        "<h2>Top 5</h2><ul><li><a href='/1'>Mayor resigns after vote</a></li>"
        "<li><a href='/2'>Storm closes the harbour</a></li>"
        "<li><a href='/3'>Five cafés worth the trip</a></li></ul>"
        f"<h2>Objections</h2><p>{P3}</p>"
    )
    article = parse_html(page(body))
    text = everything(article)
    for teaser in ("SIMPLE GUIDE", "Top 5", "Mayor resigns", "Storm closes", "Five cafés"):
        assert teaser not in text
    assert [s.title for s in article.sections] == ["", "Objections"]


def test_bold_paragraphs_are_subheads() -> None:
    body = (
        f"<p>{P1}</p><p><strong>Why the branches close</strong></p><p>{P2}</p>"
        f"<p><b>Was die Kritiker sagen</b></p><p>{P3}</p>"
    )
    article = parse_html(page(body))
    assert [s.title for s in article.sections] == [
        "",
        "Why the branches close",
        "Was die Kritiker sagen",
    ]
    assert "Part 2" not in [s.title for s in article.sections]


def test_a_bold_sentence_is_not_a_subhead() -> None:
    bold = "<p><strong>The council will meet again on Friday.</strong></p>"
    article = parse_html(page(f"<p>{P1}</p>{bold}<p>{P2}</p>"))
    assert [s.title for s in article.sections] == [""]
    assert "The council will meet again on Friday." in article.sections[0].paragraphs


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ("By Nada Tawfik, BBC News, New York", "By Nada Tawfik, BBC News, New York"),
        (
            "Von Anna Schmidt, Jan Meier und Eva Roth, NDR",
            "Von Anna Schmidt, Jan Meier und Eva Roth, NDR",
        ),
        ("半月谈记者 史卫燕", "半月谈记者 史卫燕"),
    ],
)
def test_bylines_in_the_body_become_the_byline(line: str, byline: str) -> None:
    paragraphs = (ZH1, ZH2, ZH3, ZH4) if "记者" in line else (P1, P2)
    body = f"<p>{line}</p>" + "".join(f"<p>{p}</p>" for p in paragraphs)
    head = "<title>News</title><meta name='author' content='Deutsche Welle'>"
    article = parse_html(page(body, head))
    assert article.byline == byline
    assert article.sections[0].paragraphs == paragraphs


@pytest.mark.parametrize(
    "author",
    ["DW", "facebook.com/vegolosi", "责任编辑：王明", "Username", "tagesschau.de"],
)
def test_author_metadata_that_names_no_person_is_not_a_byline(author: str) -> None:
    head = (
        "<title>Busse | DW</title><meta property='og:site_name' content='DW'>"
        f"<meta name='author' content='{author}'>"
    )
    article = parse_html(page(f"<p>{DE1}</p><p>{DE2}</p>", head))
    assert article.byline is None


def test_author_metadata_naming_a_person_is_the_byline() -> None:
    head = "<title>Busse | DW</title><meta name='author' content='Lea Brandt'>"
    article = parse_html(page(f"<p>{DE1}</p><p>{DE2}</p>", head))
    assert article.byline == "By Lea Brandt"


def test_photo_credits_are_not_body_and_bare_images_have_no_caption() -> None:
    body = (
        f"<p>{P1}</p><p>REUTERS/Kai Pfaffenbach</p><p>(AP Photo/David J. Phillip, File)</p>"
        "<figure><img src='/a.jpg' alt='A library reading room'></figure>"
        "<figure><img src='/b.jpg' alt='x'><figcaption>Readers in the Northfield branch. "
        "Foto: Stuttgart Marketing</figcaption></figure>"
        f"<p>{P2}</p><p>Getty</p><p>FILE PHOTO:</p><p>{P3}</p><p>李尕 摄</p>"
    )
    article = parse_html(page(body))
    assert article.sections[0].paragraphs == (P1, P2, P3)
    assert article.sections[0].captions == (
        "Readers in the Northfield branch. Foto: Stuttgart Marketing",
    )


def test_line_breaks_and_inline_runs_keep_their_spacing() -> None:
    body = (
        f"<p>{P1}</p>"
        "<p>Tilbudet er helt kostnadsfritt.<br>– TINE har over tusen gårder med i ordningen, "
        "sier Bjerketvedt.<br/>NFF har ikke svart på henvendelsen fra avisen.</p>"
        "<p>Die <b>NDR</b>-Recherchen zeigen, dass das <a href='/t'>Ticket</a> before "
        "the <i>show</i> sold out, wie mehrere Quellen bestätigten.</p>"
    )
    paragraphs = parse_html(page(body)).sections[0].paragraphs
    assert paragraphs[1] == (
        "Tilbudet er helt kostnadsfritt. – TINE har over tusen gårder med i ordningen, "
        "sier Bjerketvedt. NFF har ikke svart på henvendelsen fra avisen."
    )
    assert "NDR-Recherchen" in paragraphs[2]
    assert "Ticket before the show" in paragraphs[2]


def test_code_blocks_keep_their_lines() -> None:
    code = "def greet(name):\n    return f'hello {name}'\n\nprint(greet('x'))"
    article = parse_html(page(f"<p>{P1}</p><pre><code>{code}</code></pre><p>{P2}</p>"))
    assert code in article.sections[0].paragraphs


@pytest.mark.parametrize(
    ("head", "title"),
    [
        (
            "<title>Busse fahren elektrisch | DW | 19.01.2020</title>"
            "<meta property='og:site_name' content='DW'>",
            "Busse fahren elektrisch",
        ),
        (
            "<title>Pasta al forno con verdure di stagione - Vegolosi.it</title>",
            "Pasta al forno con verdure di stagione",
        ),
        ("<title>全市新增公交专用道五十公里-新华网</title>", "全市新增公交专用道五十公里"),
        (
            "<title>National Rail Enquiries - Live departures and arrivals</title>"
            "<meta property='og:site_name' content='National Rail Enquiries'>",
            "Live departures and arrivals",
        ),
        (
            "<title>Libraries to close | Valley News</title>"
            "<meta property='og:title' content='Three valley libraries to close next year'>",
            "Three valley libraries to close next year",
        ),
    ],
)
def test_titles_lose_site_names(head: str, title: str) -> None:
    assert parse_html(page(f"<p>{P1}</p><p>{P2}</p>", head)).title == title


PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("front-page-de.html", "a list of links"),
        ("faq-en.html", "a list of questions and answers (an FAQ)"),
        ("shop-fr.html", "a shop's list of products"),
    ],
)
def test_pages_that_are_not_articles_say_so_in_one_line(name: str, kind: str) -> None:
    from models.ingest.page_kind import NotAnArticleError
    from models.ingest.sources import read_article

    with pytest.raises(NotAnArticleError) as error:
        read_article(str(PAGES / name))
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        f"{PAGES / name} looks like {kind}, not an article; to read it anyway, use --read-anyway"
    )
    article = read_article(str(PAGES / name), read_anyway=True)
    assert article.sections


def test_an_interview_full_of_questions_is_an_article() -> None:
    article = parse_html((PAGES / "interview-de.html").read_text(encoding="utf-8"))
    assert [s.title for s in article.sections][:3] == [
        "",
        "Warum haben Sie das Projekt begonnen?",
        "Was war die größte Schwierigkeit?",
    ]


def test_cli_refuses_a_page_that_is_not_an_article_in_one_line() -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tui", "export", str(PAGES / "faq-en.html")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "looks like a list of questions and answers (an FAQ)" in lines[0]
    assert "--read-anyway" in lines[0]


def test_a_heading_straight_over_another_is_kept_in_the_title() -> None:
    body = f"<p>{P1}</p><h2>Part One</h2><h3>The branches</h3><p>{P2}</p><h3>Costs</h3><p>{P3}</p>"
    article = parse_html(page(body))
    assert [s.title for s in article.sections] == ["", "Part One — The branches", "Costs"]


def test_hidden_elements_are_not_read() -> None:
    body = (
        f"<p>{P1}</p><p hidden>Teaser copy that the page hides.</p>"
        "<div style='display: none'><p>A template nobody sees.</p></div>"
        "<p><span aria-hidden='true'>Icon label</span>Visible words stay here.</p>"
        f"<p style='visibility:hidden'>Invisible line.</p><p>{P2}</p>"
    )
    text = everything(parse_html(page(body)))
    for hidden in ("Teaser copy", "A template", "Icon label", "Invisible line"):
        assert hidden not in text
    assert "Visible words stay here." in text
    assert P1 in text and P2 in text


def test_inline_runs_that_touch_keep_the_space_between_them() -> None:
    runs = (
        "<p>The film <em>is streaming on</em> <a href='/n'><em>Netflix</em></a> "
        "<em>and available to rent on</em> <a href='/g'><em>Google Play</em></a><em>,</em> "
        "<a href='/y'><em>YouTube</em></a> <em>and</em> <a href='/v'><em>Vudu</em></a> "
        "for members of the public library in the valley this winter.</p>"
    )
    paragraphs = parse_html(page(f"<p>{P1}</p>{runs}<p>{P2}</p>")).sections[0].paragraphs
    assert paragraphs[1].startswith(
        "The film is streaming on Netflix and available to rent on Google Play, YouTube "
        "and Vudu for members"
    )


def test_subheads_the_extractor_dropped_come_back_above_their_text() -> None:
    from lxml import html as lxml_html

    from models.ingest.article import Block
    from models.ingest.formats.html import _restore_subheads, _subheads

    tree = lxml_html.fromstring(
        f"<html><body><h2>Why the branches close</h2><p>{P2}</p>"
        "<h2>Most read</h2><ul><li>Mayor resigns after vote</li></ul>"
        f"<h3>business</h3><p>{P3}</p></body></html>"
    )
    blocks = [Block("paragraph", P1), Block("paragraph", P2), Block("paragraph", P3)]
    restored = _restore_subheads(blocks, _subheads(tree))
    assert [(b.kind, b.text) for b in restored] == [
        ("paragraph", P1),
        ("heading", "Why the branches close"),
        ("paragraph", P2),
        ("paragraph", P3),  # "business" is a section label, not a subhead
    ]
