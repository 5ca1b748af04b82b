"""scripts/eval_extractive.py runs and its figures mean what they say (on the sample)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import eval_extractive  # noqa: E402

from models.ingest.sources import read_article  # noqa: E402


def test_near_duplicate_measure() -> None:
    lead = "Floods forced three thousand people from their homes in the Arno valley on Monday."
    caption = "Floods forced people from homes in the Arno valley, Monday."
    other = "Schools and two hospitals were closed, and trains between Florence and Pisa stopped."
    assert eval_extractive.has_near_duplicate([lead, other, caption])
    assert not eval_extractive.has_near_duplicate([lead, other])


def test_sample_figures() -> None:
    figures = eval_extractive.measure([("sample", read_article(None))])
    assert figures["sections"] == 6
    words = figures["mean_words"]
    assert words["short"] < words["medium"] < words["long"]
    assert figures["equal_pct"]["long=medium"] == 0.0
    assert figures["near_duplicate_pct"]["medium"] == 0.0


def test_main_prints_a_table(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["eval_extractive.py", "--corpus", str(tmp_path / "none")])
    assert eval_extractive.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("sample: 1 articles, 6 sections")
    assert "near_duplicate_pct" in out
