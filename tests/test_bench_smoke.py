"""The benchmark's building blocks work: scripts/bench.py run at tiny sizes.

Not a timing test: it proves that the stand-in models build with tokenizers that
cover their ids and the checkpoints' generation configs, that every contender runs
to the end with the fixed output lengths on both engines (the service honours
them, all outputs succeed, cache hits are hits, from memory and from SQLite), and
that the pty probes see the reader draw the article and a computed summary.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts")]

import bench  # noqa: E402
from bench_models import TINY, build_bench_models  # noqa: E402

from models.inference.budgets import DEFAULT_BATCH_SIZE  # noqa: E402

needs_ct2 = pytest.mark.skipif(not bench._ct2_installed(), reason="ctranslate2 not installed")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-models")
    build_bench_models(out, TINY)
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return bench.isolated_env(tmp_path_factory.mktemp("bench-caches"))


def _part(name: str, models_dir: Path, env: dict[str, str], *extra: str) -> dict:
    script = ROOT / "scripts" / ("bench_ct2.py" if name == "ct2" else "bench.py")
    command = [sys.executable, str(script), "--part", name, "--tiny"]
    command += ["--models-dir", str(models_dir), *extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    lines = [x for x in done.stdout.splitlines() if x.startswith(bench.RESULT)]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1][len(bench.RESULT) :])


def test_models_have_tokenizers_covering_their_ids(models_dir: Path) -> None:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

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
    # The checkpoints' decoding, as transformers reads it: distilbart's from config.json.
    bart = AutoModelForSeq2SeqLM.from_pretrained(folders["summarizer"]).generation_config
    assert (bart.num_beams, bart.length_penalty, bart.forced_bos_token_id) == (4, 2.0, 0)
    assert not (folders["summarizer"] / "generation_config.json").exists()
    marian = AutoModelForSeq2SeqLM.from_pretrained(folders["translator"]).generation_config
    assert (marian.num_beams, marian.forced_eos_token_id) == (4, 0)


def test_fixed_lengths() -> None:
    assert bench.summary_tokens(500) == bench.SUMMARY_TOKENS
    assert bench.translation_tokens(10) == 11
    assert bench.translation_tokens(10_000) == bench.TRANSLATION_CAP


def test_naive_sections_are_closest_to_the_mean_length() -> None:
    texts = ["word " * n for n in (10, 90, 50, 30, 75)]  # mean 51 words
    assert bench.naive_sections(texts, 1) == [2]
    assert bench.naive_sections(texts, 2) == [0, 1]  # 50 words; [3, 4] would be 52.5
    assert bench.naive_sections(texts, 0) == bench.naive_sections(texts, 9) == [0, 1, 2, 3, 4]


def test_every_cache_is_in_the_temporary_folder(tmp_path: Path) -> None:
    env = bench.isolated_env(tmp_path)
    for name in ("PRECIS_CACHE", "PRECIS_STATE", "PRECIS_CONFIG", "PRECIS_INT8_CACHE"):
        assert env[name].startswith(str(tmp_path))
    for name in ("PRECIS_CT2_CACHE", "PRECIS_CONVERTED_DIR", "HF_HOME"):
        assert env[name].startswith(str(tmp_path))


def test_transformers_contenders_run(models_dir: Path, env: dict[str, str]) -> None:
    naive = _part("naive", models_dir, env, "--decoding", "greedy")
    texts = [s.text for s in bench.bench_article().sections]
    # The naive runs take the 2 sections closest to the article's mean length.
    assert naive["sections"] == 2 and naive["s_per_section"] > 0
    assert naive["section_indices"] == bench.naive_sections(texts, 2)
    assert abs(naive["section_words_mean"] - naive["article_words_mean"]) < 10
    batched = _part("hf-int8", models_dir, env, "--decoding", "beam")
    assert batched["decoding_options"] == {
        "summarizer": {"num_beams": 2, "length_penalty": 2.0},
        "translator": {"num_beams": 4, "length_penalty": 1.0},
    }
    assert batched["s_per_section"] > 0


@pytest.mark.parametrize("engine", ["transformers", pytest.param("ctranslate2", marks=needs_ct2)])
def test_precis_part_runs(models_dir: Path, env: dict[str, str], engine: str) -> None:
    precis = _part("precis", models_dir, env, "--engine", engine, "--hits", "60")
    assert precis["sections"] == len(bench.bench_article().sections)
    assert precis["first_section_s"] > 0 and precis["s_per_section"] > 0
    assert precis["cache_hit_ms_p95"] >= precis["cache_hit_ms_p50"] > 0
    assert precis["sqlite_hits"] >= 6 and precis["sqlite_hit_ms_p95"] > 0
    assert precis["peak_rss_mb"] >= precis["rss_loaded_mb"] > 50
    assert f"{engine} int8" in precis["describe"] and "beam 2" in precis["describe"]
    assert precis["engine_notes"] == []
    # The default decoding: summaries with 2 beams, translations with the checkpoint's 4.
    calls = precis["generate_calls"]
    assert {beams for _, beams, _, _ in calls} == {2, 4}
    assert precis["output_words_mean"] > 5
    # Equal work: the stand-ins write no degenerate output, so precis retries nothing
    # and runs exactly one model.generate() per batch of its first pass.
    assert precis["retried_texts"] == precis["first_section_retried_texts"] == 0
    assert precis["failed_outputs"] == 0 and not any(retry for *_, retry in calls)
    batches = precis["generate_batches"]
    assert sum(batches.values()) == sum(math.ceil(n / DEFAULT_BATCH_SIZE) for n, *_ in calls)
    assert batches["summarizer"] >= 1 and batches["translator"] >= 1


@needs_ct2
def test_ct2_direct_part_runs(models_dir: Path, env: dict[str, str]) -> None:
    ct2 = _part("ct2", models_dir, env, "--decoding", "beam")
    assert ct2["sections"] == len(bench.bench_article().sections)
    # precis' default decoding of summaries: 2 beams, the checkpoint's length_penalty.
    assert ct2["options"]["beam_size"] == 2 and ct2["options"]["length_penalty"] == 2.0
    assert ct2["per_section_call_s"] > 0 and ct2["batched_s_per_section"] > 0


def test_reader_probes_see_the_article_and_a_summary(
    models_dir: Path, env: dict[str, str], tmp_path: Path
) -> None:
    import bench_reader

    assert 0 < bench_reader.first_paint_s(env) < 60
    folders = build_bench_models(models_dir, TINY)
    command = [sys.executable, "-m", "tui", "--offline"]
    command += ["--summarizer", str(folders["summarizer"])]
    command += ["--translator", str(folders["translator"])]
    config = tmp_path / "config.toml"
    config.write_text('[reader]\nengine = "transformers"\n', encoding="utf-8")
    run_env = {**env, "PRECIS_CONFIG": str(config), "PRECIS_CACHE": str(tmp_path / "r.sqlite3")}
    run_env["PRECIS_STATE"] = str(tmp_path / "state.json")
    found = bench_reader.first_summary(command, run_env, tmp_path / "r.sqlite3")
    assert found["s"] >= found["cached_s"] > 0 and len(found["words"]) == 2
    assert found["peak_rss_mb"] > 100
    assert os.path.getsize(tmp_path / "r.sqlite3") > 0
