"""Time the seq2seq layer: loading and one section, tiny and real-size models.

Real checkpoints cannot be downloaded here, so real-size models are the
benchmark's random-weight stand-ins in the exact distilbart-cnn-12-6 and
opus-mt-en-de shapes (scripts/bench_models.py), loaded through `ModelLoader`, the
path precis uses.
Generation is forced to `--new-tokens` tokens (random weights stop at arbitrary
points) from a `--section-tokens`-token section.

    python scripts/bench_seq2seq.py [--device cpu] [--real] [--reps 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.inference.budgets import GenerationSettings
from models.inference.generate import generate_texts
from models.inference.loader import LoadedModel, ModelLoader

clock = time.perf_counter

TEXT = (
    "The city council met on Monday to discuss the new budget for schools and roads. "
    "Scientists say the vaccine trial will take at least another eighteen months. "
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--real", action="store_true", help="also real-size random models")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--section-tokens", type=int, default=400)
    parser.add_argument("--new-tokens", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None, help="keep built models here")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time, robust to other load (use with OMP_NUM_THREADS=1)",
    )
    args = parser.parse_args()
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    started = time.perf_counter()
    from models.inference import lazy_torch as hf

    hf.transformers()
    print(f"import torch+transformers: {time.perf_counter() - started:.2f} s")
    out = args.out or Path(tempfile.mkdtemp(prefix="precis-bench-"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_tiny_models import build_tiny_models

    folders = build_tiny_models(out / "tiny")
    rows: list[dict[str, Any]] = []
    for kind in ("summarizer", "translator"):
        rows += bench(f"tiny {kind}", folders[kind], args, quantize_options=(False,))
    if args.real:
        for kind in ("distilbart-cnn-12-6", "opus-mt-en-de"):
            folder = build_real_size(kind, out / kind)
            # Dynamic int8 is a CPU kernel: elsewhere `quantize` changes nothing.
            options = (False, True) if args.device == "cpu" else (False,)
            rows += bench(kind, folder, args, quantize_options=options)
    print("\n| model | precision | load s | greedy b1 | beam4 b1 | greedy b8 (per section) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['precision']} | {r['load_s']:.2f} | {r['greedy_b1_ms']:.0f} ms "
            f"| {r['beam4_b1_ms']:.0f} ms | {r['greedy_b8_ms']:.0f} ms |"
        )
    (out / "bench.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def bench(name: str, folder: Path, args: Any, quantize_options: tuple[bool, ...]) -> list[dict]:
    rows = []
    for quantize in quantize_options:
        started = clock()
        loaded = ModelLoader().load(str(folder), device=args.device, quantize=quantize)
        load_s = clock() - started
        section = section_text(loaded, args.section_tokens)
        greedy = GenerationSettings(args.new_tokens, args.new_tokens, num_beams=1)
        beam = GenerationSettings(args.new_tokens, args.new_tokens, num_beams=4)
        row = {
            "model": name,
            "precision": loaded.precision,
            "device": loaded.device,
            "load_s": load_s,
            "greedy_b1_ms": per_section(loaded, section, greedy, 1, args.reps),
            "beam4_b1_ms": per_section(loaded, section, beam, 1, args.reps),
            "greedy_b8_ms": per_section(loaded, section, greedy, 8, 1),
        }
        print(json.dumps(row))
        rows.append(row)
        del loaded
        gc.collect()
    return rows


def per_section(
    loaded: LoadedModel, section: str, settings: GenerationSettings, batch: int, reps: int
) -> float:
    # One untimed call per shape: the first call of a new shape pays one-off costs
    # (allocator growth on CPU, kernel selection on CUDA).
    generate_texts(loaded, [section] * batch, [settings] * batch, batch_size=batch)
    times = []
    for _ in range(reps):
        started = clock()
        generate_texts(loaded, [section] * batch, [settings] * batch, batch_size=batch)
        times.append((clock() - started) * 1000 / batch)
    return statistics.median(times)


def section_text(loaded: LoadedModel, tokens: int) -> str:
    text = TEXT
    while len(loaded.tokenizer(text)["input_ids"]) < tokens:
        text += TEXT
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"][: tokens - 2]
    return loaded.tokenizer.decode(ids)


def build_real_size(kind: str, folder: Path) -> Path:
    """The benchmark's random-weight stand-in for `kind` ("distilbart-cnn-12-6" or
    "opus-mt-en-de"): real shapes, a real-size tokenizer, the checkpoint's generation
    config (scripts/bench_models.py, built by the one builder, scripts/stand_in_models.py),
    built once under `folder`'s parent."""
    from bench_models import REAL, build_bench_models

    folders = build_bench_models(folder.parent, REAL)
    return folders["summarizer" if kind == "distilbart-cnn-12-6" else "translator"]
