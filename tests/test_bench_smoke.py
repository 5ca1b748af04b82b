"""The benchmark's building blocks work: scripts/bench.py run at tiny sizes.

Not a timing test: it proves that the stand-in models build with tokenizers that
cover their ids, that every contender runs to the end with the fixed output
lengths (the service honours them, all outputs succeed, cache hits are hits), and
that the first-paint probe sees the reader draw the sample article.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts")]

import bench  # noqa: E402
from bench_models import TINY, build_bench_models  # noqa: E402


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-models")
    build_bench_models(out, TINY)
    return out


def _part(name: str, models_dir: Path, *extra: str) -> dict:
    script = ROOT / "scripts" / ("bench_ct2.py" if name == "ct2" else "bench.py")
    command = [sys.executable, str(script), "--part", name, "--tiny"]
    command += ["--models-dir", str(models_dir), *extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=240)
    lines = [x for x in done.stdout.splitlines() if x.startswith(bench.RESULT)]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1][len(bench.RESULT) :])


def test_models_have_tokenizers_covering_their_ids(models_dir: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    folders = build_bench_models(models_dir, TINY)  # second call: reused, not rebuilt
    stamp = (models_dir / "tiny" / "built.json").stat().st_mtime
    assert build_bench_models(models_dir, TINY) == folders
    assert (models_dir / "tiny" / "built.json").stat().st_mtime == stamp
    for kind, vocab in (("summarizer", TINY.bart_vocab), ("translator", TINY.marian_vocab)):
        tokenizer = AutoTokenizer.from_pretrained(folders[kind])
        assert AutoConfig.from_pretrained(folders[kind]).vocab_size == vocab
        assert max(tokenizer.get_vocab().values()) + 1 == vocab
        words = len(bench.bench_article().sections[1].text.split())
        tokens = len(tokenizer(bench.bench_article().sections[1].text)["input_ids"])
        assert words < tokens < 4 * words  # real subwords, not characters


def test_fixed_lengths() -> None:
    assert bench.summary_tokens(500) == bench.SUMMARY_TOKENS
    assert bench.translation_tokens(10) == 11
    assert bench.translation_tokens(10_000) == bench.TRANSLATION_CAP


def test_baseline_and_precis_parts_run(models_dir: Path) -> None:
    base = _part("baseline", models_dir, "--baseline-sections", "2")
    assert base["sections"] == 2 and len(base["section_s"]) == 2
    # Every summary and translation generated exactly its fixed length (+1 start token).
    assert base["generated_tokens"] > 2 * (bench.SUMMARY_TOKENS + 1)
    precis = _part("precis", models_dir, "--hits", "50")
    n = len(bench.bench_article().sections)
    assert precis["sections"] == n
    assert precis["first_section_s"] > 0 and precis["s_per_section"] > 0
    assert precis["cache_hit_ms_p95"] >= precis["cache_hit_ms_p50"] > 0
    assert precis["peak_rss_mb"] > 50
    # No degenerate-output retries (they would run with 4 beams) and greedy by default.
    assert {beams for _, beams, _ in precis["all_calls"]} == {1}
    assert "greedy" in precis["describe"]
    assert precis["output_words_mean"] > 10


def test_ct2_part_runs(models_dir: Path) -> None:
    pytest.importorskip("ctranslate2")
    ct2 = _part("ct2", models_dir)
    assert ct2["sections"] == len(bench.bench_article().sections)
    assert ct2["s_per_section"] > 0 and ct2["output_words_mean"] > 10


def test_first_paint_probe_sees_the_article() -> None:
    assert 0 < bench.first_paint_s(timeout=120) < 120
