"""scripts/eval_pages.py: the metric on hand-made pages, and a smoke run on 5 corpus pages."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "readability"
sys.path[:0] = [str(ROOT / "scripts")]

import eval_pages  # noqa: E402

# Real articles in four languages (the corpus's first pages are synthetic edge cases).
SMOKE_PAGES = ("aclu", "bbc-1", "lemonde-1", "heise", "qq")

BODY = (
    "The regional council voted on Thursday to close three branch libraries next year, "
    "despite a petition signed by more than eight thousand residents of the valley."
)
MORE = (
    "Council members said the branches cost too much to run and that a mobile library "
    "bus would reach more people, including those in the smallest villages."
)


def test_words_are_lower_cased_and_cjk_characters_count_one_each() -> None:
    assert eval_pages.words("The cat, the HAT.") == Counter({"the": 2, "cat": 1, "hat": 1})
    assert eval_pages.words("公交 bus") == Counter({"公": 1, "交": 1, "bus": 1})


def test_overlap_is_recall_and_precision_of_bags() -> None:
    found = Counter({"a": 2, "b": 1, "x": 1})
    expected = Counter({"a": 1, "b": 1, "c": 2})
    recall, precision = eval_pages.overlap(found, expected)
    assert recall == pytest.approx(2 / 4)
    assert precision == pytest.approx(2 / 4)


@pytest.mark.parametrize(
    ("found", "expected", "agrees"),
    [
        ("Mozilla", "Mozilla - Wikipedia", True),
        ("Wikipedia", "Mozilla - Wikipedia", False),
        ("宇航员喝酒会怎么样", "宇航员喝酒会怎么样 _探索者 _光明网", True),
        ("Live departures and arrivals", "Rail | Live departures and arrivals", True),
        ("Lorem", "Base URL test", False),
        ("", "Anything", False),
    ],
)
def test_title_agreement(found: str, expected: str, agrees: bool) -> None:
    assert eval_pages.title_agrees(found, expected) is agrees


@pytest.mark.parametrize(
    ("found", "expected", "agrees"),
    [
        ("By Jane Doe", "Jane Doe", True),
        ("By Jane Doe, BBC News", "Jane Doe", True),
        ("By Username", "By Erin Cunningham", False),
        (None, "Jane Doe", False),
    ],
)
def test_byline_agreement(found: str | None, expected: str, agrees: bool) -> None:
    assert eval_pages.byline_agrees(found, expected) is agrees


def _page(root: Path, name: str, source: str, expected: str, meta: dict[str, str]) -> None:
    page = root / name
    page.mkdir()
    (page / "source.html").write_text(source, encoding="utf-8")
    (page / "expected.html").write_text(expected, encoding="utf-8")
    (page / "expected-metadata.json").write_text(json.dumps(meta), encoding="utf-8")


def test_a_hand_made_corpus_scores_as_computed_by_hand(tmp_path: Path) -> None:
    source = (
        "<html><head><title>Libraries to close | Valley News</title>"
        "<meta name='author' content='Jane Doe'></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Libraries to close</h1><p>{BODY}</p><h2>The cost</h2><p>{MORE}</p>"
        "</article><footer>Contact us</footer></body></html>"
    )
    expected = f"<div><p>{BODY}</p><h2>The cost</h2><p>{MORE}</p><h3>Missing heading</h3></div>"
    _page(tmp_path, "p1", source, expected, {"title": "Libraries to close", "byline": "Jane Doe"})
    result = eval_pages.run(tmp_path)
    ours = result["precis"]
    assert isinstance(ours, dict)
    # Everything but "missing heading" is shown; nothing else is.
    total = sum(eval_pages.words(f"{BODY} The cost {MORE} Missing heading").values())
    assert ours["median_recall"] == pytest.approx(1 - 2 / total)
    assert ours["median_precision"] == 1.0
    assert ours["heading_recall"] == pytest.approx(1 / 2)
    assert (ours["title_ok"], ours["titles"], ours["byline_ok"], ours["bylines"]) == (1, 1, 1, 1)
    assert ours["refused"] == 0


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared readability corpus is not here")
def test_smoke_run_on_five_corpus_pages() -> None:
    command = [sys.executable, str(ROOT / "scripts" / "eval_pages.py"), str(CORPUS)]
    done = subprocess.run(
        [*command, *(f"--page={p}" for p in SMOKE_PAGES), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    for side in ("precis", "trafilatura"):
        figures = result[side]
        assert figures["pages"] == 5
        assert 0.0 <= figures["median_recall"] <= 1.0
        assert 0.0 <= figures["median_precision"] <= 1.0
    assert len(result["pages"]["precis"]) == 5
    # precis reads these news pages: most of each reference article is found.
    assert result["precis"]["median_recall"] > 0.9
    assert result["precis"]["refused"] == 0


def test_a_missing_corpus_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_pages.py"), str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "no such folder" in done.stderr
