"""Time the seq2seq layer: loading and one section, tiny and real-size models.

Real checkpoints cannot be downloaded here, so real-size models are built with
random weights in the exact distilbart-cnn-12-6 and opus-mt-en-de shapes
(d_model, layers, heads, ffn and vocabulary of the real configs), saved as
safetensors and loaded back through `ModelLoader`, the path precis uses.
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
    """Random weights in the real shapes, with a stand-in tokenizer of the real size."""
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        MarianConfig,
        MarianMTModel,
    )

    torch.manual_seed(0)
    tiny = Path(folder).parent / "tiny"
    if kind == "distilbart-cnn-12-6":
        vocab_size = 50264
        config = BartConfig(
            vocab_size=vocab_size,
            d_model=1024,
            encoder_layers=12,
            decoder_layers=6,
            encoder_attention_heads=16,
            decoder_attention_heads=16,
            encoder_ffn_dim=4096,
            decoder_ffn_dim=4096,
            max_position_embeddings=1024,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            decoder_start_token_id=2,
            forced_bos_token_id=0,
            forced_eos_token_id=2,
        )
        model = BartForConditionalGeneration(config)
        tokenizer = _padded_tokenizer(tiny / "summarizer", vocab_size, 1024)
    else:
        vocab_size = 58101
        config = MarianConfig(
            vocab_size=vocab_size,
            d_model=512,
            encoder_layers=6,
            decoder_layers=6,
            encoder_attention_heads=8,
            decoder_attention_heads=8,
            encoder_ffn_dim=2048,
            decoder_ffn_dim=2048,
            activation_function="swish",
            max_position_embeddings=512,
            scale_embedding=True,
            static_position_embeddings=True,
            pad_token_id=vocab_size - 1,
            eos_token_id=0,
            decoder_start_token_id=vocab_size - 1,
            forced_eos_token_id=0,
        )
        model = MarianMTModel(config)
        tokenizer = _padded_tokenizer(tiny / "translator", vocab_size, 512)
    print(f"{kind}: {sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters")
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _padded_tokenizer(tiny_folder: Path, vocab_size: int, window: int) -> Any:
    """The tiny tokenizer, its vocabulary padded with filler tokens to the real size."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_folder, model_max_length=window)
    filler = [f"<extra_{i}>" for i in range(vocab_size - len(tokenizer))]
    tokenizer.add_tokens(filler)
    return tokenizer


if __name__ == "__main__":
    sys.exit(main())
