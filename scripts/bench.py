"""How much faster precis is than the obvious way, measured on this machine in one run.

Real checkpoints cannot be downloaded here, so the models are random-weight
stand-ins in the exact shapes of distilbart-cnn-12-6 and opus-mt-en-de
(scripts/bench_models.py, built once into $PRECIS_BENCH_DIR or
~/.cache/precis-bench). Random weights stop at random points, so every contender
generates exactly the same number of tokens: SUMMARY_TOKENS per summary and
ceil(1.1 x input tokens) per translation (min_new_tokens = max_new_tokens).

Contenders, each in its own process so their memory peaks are separable:
  baseline  what the model cards suggest: transformers fp32, num_beams=4, one
            section at a time, summary then translation of the summary
  precis    models.service.scheduler.PrecisService with a real ModelProvider and its
            DEFAULT settings (only the output lengths are fixed, see above)
  ct2       CTranslate2 int8 on converted copies of the same weights, run the way
            precis runs (greedy, sections batched, translation per sentence)
  paint     `precis --summarizer extractive` under a pseudo-terminal, from process
            start until the article appears on screen; beside `import torch`

    python scripts/bench.py [--json] [--device cpu|cuda] [--baseline-sections N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

SUMMARY_TOKENS = 60
TRANSLATION_RATIO = 1.1
TRANSLATION_CAP = 256
RESULT = "BENCH-RESULT "


def summary_tokens(_input_tokens: int) -> int:
    """New tokens of every summary, for every contender."""
    return SUMMARY_TOKENS


def translation_tokens(input_tokens: int) -> int:
    """New tokens of a translation of `input_tokens` tokens (specials not counted)."""
    return max(1, min(TRANSLATION_CAP, math.ceil(TRANSLATION_RATIO * input_tokens)))


def bench_article(repeat: int = 1) -> Any:
    """The bundled sample; `repeat` > 1 appends numbered copies of its sections
    (different texts, so no cache or de-duplication shortcut applies)."""
    import dataclasses

    from models.ingest.sources import read_article

    article = read_article(None)
    if repeat <= 1:
        return article
    sections = list(article.sections)
    for k in range(1, repeat):
        for s in article.sections:
            paragraphs = (*s.paragraphs[:-1], f"{s.paragraphs[-1]} (Copy {k}.)")
            sections.append(
                dataclasses.replace(s, index=len(sections), paragraphs=tuple(paragraphs))
            )
    return dataclasses.replace(article, sections=tuple(sections))


# -- the contenders (each runs in its own process) -----------------------------------


def part_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """transformers fp32 + beam 4, one section at a time, as on the model cards."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    folders = _folders(args)
    started = time.perf_counter()
    s_tok = AutoTokenizer.from_pretrained(folders["summarizer"])
    s_model = AutoModelForSeq2SeqLM.from_pretrained(folders["summarizer"]).to(args.device).eval()
    t_tok = AutoTokenizer.from_pretrained(folders["translator"])
    t_model = AutoModelForSeq2SeqLM.from_pretrained(folders["translator"]).to(args.device).eval()
    load_s = time.perf_counter() - started
    sections = bench_article(args.repeat).sections[: args.baseline_sections]
    times: list[float] = []
    out_tokens = 0
    for section in sections:
        if times and sum(times) > args.baseline_budget_s:
            break  # slow machine: the median of the sections done stands for the rest
        started = time.perf_counter()
        with torch.inference_mode():
            enc = s_tok(section.text, return_tensors="pt", truncation=True).to(args.device)
            n = summary_tokens(enc["input_ids"].shape[1])
            ids = s_model.generate(**enc, num_beams=4, min_new_tokens=n, max_new_tokens=n)
            summary = s_tok.decode(ids[0], skip_special_tokens=True)
            enc = t_tok(summary, return_tensors="pt", truncation=True).to(args.device)
            m = translation_tokens(enc["input_ids"].shape[1] - 1)
            ids2 = t_model.generate(**enc, num_beams=4, min_new_tokens=m, max_new_tokens=m)
        times.append(time.perf_counter() - started)
        out_tokens += ids.shape[1] + ids2.shape[1]
    return {
        "load_s": load_s,
        "sections": len(times),
        "section_s": times,
        "s_per_section": statistics.median(times),
        "generated_tokens": out_tokens,
        **_memory(args.device),
    }


def part_precis(args: argparse.Namespace) -> dict[str, Any]:
    """The service with the default Settings, a real ModelProvider, a fresh cache."""
    import queue

    from models.cache.results import ResultCache
    from models.service.events import SUMMARY, Failure, Output, OutputKey
    from models.service.provider import ModelProvider
    from models.service.scheduler import PrecisService
    from models.settings import Settings

    folders = _folders(args)
    tmp = Path(tempfile.mkdtemp(prefix="precis-bench-cache-"))
    settings = Settings(
        summarizer=str(folders["summarizer"]),
        translator=str(folders["translator"]),
        lang="de",
        device=args.device,
        offline=True,
        cache_path=tmp / "cache.sqlite3",
    )
    calls = _count_generate_calls()
    provider = ModelProvider(settings)
    started = time.perf_counter()
    summarizer = provider.summarizer("en")
    translator = provider.translator("en", "de")
    load_s = time.perf_counter() - started
    # The benchmark's only change to precis: fixed output lengths (see the docstring),
    # by wrapping each model's generate(); precis itself is not told.
    for model, fixed in ((summarizer, summary_tokens), (translator, translation_tokens)):
        _fix_new_tokens(model.loaded.model, fixed)  # type: ignore[attr-defined]
    article = bench_article(args.repeat)
    keys = [OutputKey(s.index, "de", SUMMARY, settings.length) for s in article.sections]

    def cache(name: str) -> ResultCache:
        return ResultCache(tmp / name, max_bytes=settings.cache_max_mb * 1024 * 1024)

    # 1. The reader's first request: show() section 1 on a cold cache, wait for its
    #    Output event. Runs: the first pays one-off costs (allocator growth).
    first: list[float] = []
    first_calls: list[list[Any]] = []
    for run in range(args.runs):
        events: queue.Queue[Any] = queue.Queue()
        service = PrecisService(
            article, provider, cache(f"first{run}.sqlite3"), source_lang="en", listener=events.put
        )
        calls.clear()
        started = time.perf_counter()
        assert service.show(keys[0]) is None, "cold cache expected"
        while True:
            event = events.get(timeout=600)
            if isinstance(event, (Output, Failure)) and event.key == keys[0]:
                break
        first.append(time.perf_counter() - started)
        first_calls = list(calls)
        service.close()
        if isinstance(event, Failure):
            raise SystemExit(f"precis failed on section 1: {event.message}")

    # 2. The whole article, as export computes it (batched), each run on a cold cache.
    whole: list[float] = []
    for run in range(args.runs):
        service = PrecisService(
            article,
            provider,
            cache(f"all{run}.sqlite3"),
            source_lang="en",
            prefetch=False,
            batch_size=args.batch_size,
        )
        calls.clear()
        started = time.perf_counter()
        outputs = service.compute(keys)
        whole.append(time.perf_counter() - started)
        failed = [o.message for o in outputs if isinstance(o, Failure)]
        if failed:
            raise SystemExit(f"precis failed: {failed[0]}")
        all_calls = list(calls)
        if run < args.runs - 1:
            service.close()

    # Random weights write no sentence ends, so each summary is translated as one
    # long sentence; a real summary has two or three, which precis translates as one
    # batch. The translation step of a real summary of the same length, for scale:
    real = _real_summary(article, summarizer)
    real_sentences = []
    for _ in range(args.runs):
        started = time.perf_counter()
        translator.translate([real])
        real_sentences.append(time.perf_counter() - started)

    # 3. Cache hits: show() of computed keys (prefetch off: the hit path alone).
    hits = []
    for i in range(args.hits):
        started = time.perf_counter()
        hit = service.show(keys[i % len(keys)])
        hits.append((time.perf_counter() - started) * 1000)
        assert hit is not None and hit.from_cache
    service.close()
    summary_words = [len(o.text.split()) for o in outputs if isinstance(o, Output)]
    return {
        "load_s": load_s,
        "describe": provider.describe(),
        "first_section_s": statistics.median(first),
        "first_section_runs_s": first,
        "first_section_calls": first_calls,
        "real_summary_translation_s": statistics.median(real_sentences),
        "sections": len(keys),
        "all_sections_runs_s": whole,
        "s_per_section": statistics.median(whole) / len(keys),
        "all_calls": all_calls,
        "cache_hit_ms_p50": statistics.median(hits),
        "cache_hit_ms_p95": _p95(hits),
        "output_words_mean": statistics.mean(summary_words),
        "torch_threads": _torch_threads(),
        **_memory(args.device),
    }


def part_import_torch(_args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    import torch  # noqa: F401  (what is measured)

    return {"import_s": time.perf_counter() - started}


def _real_summary(article: Any, summarizer: Any) -> str:
    """The opening sentences of the article, SUMMARY_TOKENS summarizer tokens long:
    what a real summary looks like to the translator (sentences, real words)."""
    from models.text import split_sentences

    sentences = split_sentences(" ".join(s.text for s in article.sections), "en")
    text = ""
    for sentence in sentences:
        if text and summarizer.count_tokens(f"{text} {sentence}") > SUMMARY_TOKENS:
            break
        text = f"{text} {sentence}".strip()
    return text


def _fix_new_tokens(model: Any, fixed: Any) -> None:
    """Make `model.generate` write exactly `fixed(input tokens)` new tokens per call
    (the batch's longest input decides; its end-of-sequence token not counted),
    whatever precis asked for: random weights would stop anywhere."""
    real = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        mask = kwargs.get("attention_mask")
        tokens = int(mask.sum(dim=1).max()) - 1 if mask is not None else 1
        kwargs["min_new_tokens"] = kwargs["max_new_tokens"] = fixed(max(1, tokens))
        return real(*args, **kwargs)

    model.generate = generate


def _count_generate_calls() -> list[tuple[int, int, float]]:
    """(texts, num_beams, seconds) of every generate_texts call: shows batching,
    retries (they run with 4 beams) and where the time goes."""
    from models.inference import generate as generation

    calls: list[tuple[int, int, float]] = []
    original = generation.generate_texts

    def counted(loaded: Any, texts: Any, settings: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        out = original(loaded, texts, settings, **kwargs)
        beams = settings[0].num_beams if settings else 0
        calls.append((len(texts), beams, round(time.perf_counter() - started, 3)))
        return out

    generation.generate_texts = counted
    return calls


def _memory(device: str) -> dict[str, Any]:
    import resource

    import psutil

    out: dict[str, Any] = {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_now_mb": psutil.Process().memory_info().rss / 2**20,
    }
    if device == "cuda":
        import torch

        out["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _folders(args: argparse.Namespace) -> dict[str, Path]:
    from bench_models import REAL, TINY, build_bench_models

    return build_bench_models(args.models_dir, TINY if args.tiny else REAL)


# -- first paint -----------------------------------------------------------------


def first_paint_s(marker: str = "Viruses respect", timeout: float = 60.0) -> float:
    """Seconds from starting `precis --summarizer extractive` in a 120x40 pty until
    `marker` (a section title of the sample) is on the screen it draws."""
    import fcntl
    import pty  # noqa: F401  (documents the dependency: POSIX only)
    import re
    import select
    import struct
    import termios

    tmp = Path(tempfile.mkdtemp(prefix="precis-bench-paint-"))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "PRECIS_CONFIG": str(tmp / "config.toml"),
        "PRECIS_CACHE": str(tmp / "cache.sqlite3"),
        "PRECIS_STATE": str(tmp / "state.json"),
    }
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "--summarizer", "extractive", "--offline"],
        cwd=ROOT,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    escapes = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            if marker.encode() in escapes.sub(b"", seen):
                return time.perf_counter() - started
        raise RuntimeError(f"precis drew no {marker!r} in {timeout:.0f} s: {seen[-300:]!r}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(master)


def import_torch_s() -> float:
    """Seconds from starting `python -c "import torch"` until it exits."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - started


# -- the driver --------------------------------------------------------------------


def run_part(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one contender in a fresh process and return what it measured."""
    command = [sys.executable, __file__, "--part", name, "--device", args.device]
    command += ["--baseline-sections", str(args.baseline_sections), "--hits", str(args.hits)]
    command += ["--baseline-budget-s", str(args.baseline_budget_s), "--runs", str(args.runs)]
    command += ["--repeat", str(args.repeat), "--batch-size", str(args.batch_size or 0)]
    if args.models_dir:
        command += ["--models-dir", str(args.models_dir)]
    if args.tiny:
        command.append("--tiny")
    script = ROOT / "scripts" / ("bench_ct2.py" if name.startswith("ct2") else "bench.py")
    command[1] = str(script)
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])
    raise RuntimeError(f"{name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--baseline-sections", type=int, default=6)
    parser.add_argument(
        "--baseline-budget-s",
        type=float,
        default=240,
        help="stop the baseline after the section that passes this (its median is used)",
    )
    parser.add_argument("--runs", type=int, default=3, help="precis runs (medians)")
    parser.add_argument("--hits", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="article copies (GPU batching)")
    parser.add_argument("--batch-size", type=int, default=0, help="service batch (0: default)")
    parser.add_argument("--paint-runs", type=int, default=3)
    parser.add_argument("--no-ct2", action="store_true")
    parser.add_argument("--no-paint", action="store_true")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--tiny", action="store_true", help="tiny models (smoke test only)")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.batch_size = args.batch_size or None
    if args.part:
        parts = {"baseline": part_baseline, "precis": part_precis, "torch": part_import_torch}
        print(RESULT + json.dumps(parts[args.part](args)), flush=True)
        return 0

    started = time.perf_counter()
    _folders(args)  # built once, before anything is timed
    results: dict[str, Any] = {"device": args.device, "cpus": os.cpu_count()}
    results["loadavg_start"] = os.getloadavg()
    results["baseline"] = run_part("baseline", args)
    results["precis"] = run_part("precis", args)
    if not args.no_ct2:
        try:
            import ctranslate2

            run_part("ct2-convert", args)  # its own process: conversion loads fp32 weights
            results["ct2"] = run_part("ct2", args) | {"version": ctranslate2.__version__}
        except ImportError:
            results["ct2"] = None
    if not args.no_paint:
        paints = [first_paint_s() for _ in range(args.paint_runs)]
        torches = [import_torch_s() for _ in range(args.paint_runs)]
        results["first_paint_runs_s"] = paints
        results["import_torch_runs_s"] = torches
    results["bench_wall_s"] = time.perf_counter() - started
    results["loadavg_end"] = os.getloadavg()
    summary = _summary(results)
    if args.json:
        print(json.dumps(summary | {"details": results}, indent=1))
    else:
        print(_table(summary, results))
    return 0


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    base, precis, ct2 = r["baseline"], r["precis"], r.get("ct2")
    out: dict[str, Any] = {
        "device": r["device"],
        "baseline_s_per_section": base["s_per_section"],
        "baseline_sections": base["sections"],
        "precis_first_section_s": precis["first_section_s"],
        "precis_s_per_section": precis["s_per_section"],
        "speedup": base["s_per_section"] / precis["s_per_section"],
        "cache_hit_ms_p50": precis["cache_hit_ms_p50"],
        "cache_hit_ms_p95": precis["cache_hit_ms_p95"],
        "peak_rss_mb": precis["peak_rss_mb"],
        "rss_after_mb": precis["rss_now_mb"],
        "precis_load_s": precis["load_s"],
        "precis_models": precis["describe"],
    }
    if "cuda_max_allocated_mb" in precis:
        out["cuda_max_allocated_mb"] = precis["cuda_max_allocated_mb"]
        out["baseline_cuda_max_allocated_mb"] = base["cuda_max_allocated_mb"]
    if ct2:
        out["ct2_s_per_section"] = ct2["s_per_section"]
        out["ct2_version"] = ct2["version"]
        out["ct2_peak_rss_mb"] = ct2["peak_rss_mb"]
    if "first_paint_runs_s" in r:
        out["first_paint_s"] = statistics.median(r["first_paint_runs_s"])
        out["import_torch_s"] = statistics.median(r["import_torch_runs_s"])
    return out


def _table(s: dict[str, Any], r: dict[str, Any]) -> str:
    base, precis, ct2 = r["baseline"], r["precis"], r.get("ct2")
    rows = [
        ("contender", "decoding", "s/section", "first section s", "load s", "peak RSS MB"),
        (
            f"baseline: transformers fp32 (median of {base['sections']} sections)",
            "beam 4, batch 1",
            f"{base['s_per_section']:.2f}",
            f"{base['section_s'][0]:.2f}",
            f"{base['load_s']:.1f}",
            f"{base['peak_rss_mb']:.0f}",
        ),
        (
            f"precis: {precis['describe']}",
            f"service batches {_batches(precis['all_calls'])}",
            f"{precis['s_per_section']:.2f}",
            f"{precis['first_section_s']:.2f}",
            f"{precis['load_s']:.1f}",
            f"{precis['peak_rss_mb']:.0f} (now {precis['rss_now_mb']:.0f})",
        ),
    ]
    if ct2:
        rows.append(
            (
                f"CTranslate2 {ct2['version']} int8",
                "greedy, batched as precis",
                f"{ct2['s_per_section']:.2f}",
                f"{ct2['first_section_s']:.2f}",
                f"{ct2['load_s']:.1f}",
                f"{ct2['peak_rss_mb']:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "",
        f"device {s['device']}, {r['cpus']} CPUs; summaries {SUMMARY_TOKENS} new tokens, "
        f"translations ceil({TRANSLATION_RATIO} x input tokens), every contender alike",
        f"speedup (baseline / precis per section): {s['speedup']:.1f}x",
        f"cache hit (show of a cached key): p50 {s['cache_hit_ms_p50']:.2f} ms, "
        f"p95 {s['cache_hit_ms_p95']:.2f} ms",
        f"precis first section: runs {_fmt(precis['first_section_runs_s'])} s; generate calls "
        f"(texts, beams, s): {precis['first_section_calls']}",
        "precis first section with a real summary's sentences (estimate): summary step "
        f"{precis['first_section_calls'][0][2]:.2f} s + translation of a real {SUMMARY_TOKENS}"
        f"-token summary {precis['real_summary_translation_s']:.2f} s",
        f"precis whole article: runs {_fmt(precis['all_sections_runs_s'])} s; generate calls "
        f"(texts, beams, s): {precis['all_calls']}",
        f"baseline sections: {_fmt(base['section_s'])} s",
        f"load average (1, 5, 15 min) at start {_fmt(r['loadavg_start'])}, "
        f"at end {_fmt(r['loadavg_end'])}",
    ]
    if "cuda_max_allocated_mb" in s:
        lines.append(
            f"torch.cuda.max_memory_allocated: precis {s['cuda_max_allocated_mb']:.0f} MB, "
            f"baseline {s['baseline_cuda_max_allocated_mb']:.0f} MB"
        )
    if "first_paint_s" in s:
        lines.append(
            f"first paint (precis --summarizer extractive, pty): {s['first_paint_s']:.2f} s; "
            f"python -c 'import torch': {s['import_torch_s']:.2f} s (medians)"
        )
    lines.append(f"bench wall time: {r['bench_wall_s']:.0f} s")
    return "\n".join(lines)


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _batches(calls: list[list[Any]]) -> str:
    return " ".join(f"{n}x{'greedy' if b == 1 else f'beam{b}'}" for n, b, _ in calls)


if __name__ == "__main__":
    sys.exit(main())
