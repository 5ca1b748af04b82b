"""scripts/bench_openai.py runs end to end and measures what it says (small and fast here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_reports_first_word_and_throughput_at_both_concurrencies() -> None:
    spec = importlib.util.spec_from_file_location("bench_openai", ROOT / "scripts/bench_openai.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.run(sections=8, latency=0.1, token_delay=0.0)
    assert [r["concurrency"] for r in rows] == [1, 4]
    one, four = rows
    for row in rows:
        assert 100 <= row["first_word_ms"] <= row["output_ms"] < 2000
    assert (one["max_in_flight"], four["max_in_flight"]) == (1, 4)
    assert four["sections_per_s"] > 2 * one["sections_per_s"]  # requests overlap
