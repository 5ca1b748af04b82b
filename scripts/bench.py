"""How fast precis is against the obvious ways, each engine and decoding, in one run.

Real checkpoints cannot be downloaded here, so the models are random-weight
stand-ins in the exact shapes and generation configs of distilbart-cnn-12-6 and
opus-mt-en-de (scripts/bench_models.py, built once into $PRECIS_BENCH_DIR or
~/.cache/precis-bench). Random weights stop at random points, so every contender
generates the same number of tokens: SUMMARY_TOKENS per summary and
ceil(1.1 x input tokens) per translation (the longest input of a batch decides).

Every contender runs at the product's default decoding ("beam": the checkpoints'
own beams and length_penalty) and at greedy, each in its own process, on the six
sections of the bundled sample, summary then translation of the summary into
German. The statistic is the same on every side: after one warm-up call on a
short sentence (WARMUP_TOKENS new tokens), the wall time of one pass over the
sections divided by the number of sections (the median of `--passes` passes).
The naive runs, most of the benchmark's time, take `--naive-sections` (2)
sections whose mean length is the article's (`naive_sections`); with fixed
output lengths their cost per section hardly depends on which. precis' rows
count its model.generate() batches and the texts it retried: the stand-ins
write no degenerate output, so there are none.

  naive       transformers fp32, the checkpoint's generate() (greedy: num_beams=1),
              one section at a time: what the model cards suggest ("card": the
              checkpoints' own decoding; "beam": precis' default, for equal decoding)
  hf-int8     transformers with dynamic int8 and all sections in one batch: what
              one-argument settings give, without precis
  precis      models.service.scheduler.PrecisService with a real ModelProvider and
              default settings, on each engine (transformers, ctranslate2)
  ct2         CTranslate2 on the same converted models, called directly: one call
              per section (as Argos Translate does), and all sections batched
  reader      `precis` in a pseudo-terminal, process start until the first summary
              is on screen, models on disk (`--cold-runs`, 1); and before it the
              first run (int8 / converted caches empty), with the peak RSS of the
              process tree
  cache hits  show() through the reader's path (prefetch on), and after a restart
              from SQLite only
  paint       `precis --summarizer extractive` to the first screen, beside `import torch`

Every cache (results, state, int8 weights, CTranslate2 conversions, hub) lives in a
temporary folder: the benchmark never writes into the user's caches.

    python scripts/bench.py [--json] [--device cpu|cuda] [--passes N] [--tiny]

The stand-ins are built once (about a minute) into $PRECIS_BENCH_DIR or
~/.cache/precis-bench before anything is timed; `bench_wall_s` counts from there.
"""

from __future__ import annotations

import argparse
import contextlib
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
DECODINGS = ("beam", "greedy")
ENGINES = ("transformers", "ctranslate2")
WARMUP = "The council met on Monday to discuss the budget."
# New tokens of every warm-up output, on every side: the warm-up pays one-off first-call
# costs (allocator, kernel choice); full-length warm-ups only made the run longer.
WARMUP_TOKENS = 8


def summary_tokens(_input_tokens: int) -> int:
    """New tokens of every summary, for every contender."""
    return SUMMARY_TOKENS


def warmup_tokens(_input_tokens: int) -> int:
    """New tokens of every warm-up output (summary or translation), for every contender."""
    return WARMUP_TOKENS


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


def article_for(args: argparse.Namespace) -> Any:
    """The benchmark's article: `--repeat` copies, cut to the first `--sections`."""
    import dataclasses

    article = bench_article(args.repeat)
    if getattr(args, "sections", 0):
        article = dataclasses.replace(article, sections=article.sections[: args.sections])
    return article


def section_texts(args: argparse.Namespace) -> list[str]:
    return [s.text for s in article_for(args).sections]


def naive_sections(texts: list[str], count: int) -> list[int]:
    """Which sections the naive (fp32, one section at a time) contenders run: `count`
    of them (0: all) whose mean length in words is closest to the whole article's.

    The naive runs take most of the benchmark's time, and their cost per section hardly
    depends on which sections: every output has a fixed length (a summary is
    SUMMARY_TOKENS tokens, its translation ~1.1x that), only the encoder pass grows with
    the section. Their statistic is the same as every other contender's: one pass over
    the sections run, divided by their number."""
    import itertools

    if count <= 0 or count >= len(texts):
        return list(range(len(texts)))
    words = [len(t.split()) for t in texts]
    mean = statistics.mean(words)
    best = min(
        itertools.combinations(range(len(texts)), count),
        key=lambda pick: abs(statistics.mean(words[i] for i in pick) - mean),
    )
    return list(best)


# -- transformers without precis --------------------------------------------------


def part_naive(args: argparse.Namespace) -> dict[str, Any]:
    """transformers fp32, the checkpoint's generate(), one section at a time."""
    return _transformers_part(args, quantize=False, batched=False)


def part_hf_int8(args: argparse.Namespace) -> dict[str, Any]:
    """transformers with dynamic int8, all sections in one batch."""
    return _transformers_part(args, quantize=args.device == "cpu", batched=True)


def _transformers_part(args: argparse.Namespace, *, quantize: bool, batched: bool) -> dict:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    folders = _folders(args)
    started = time.perf_counter()
    models = {}
    for kind in ("summarizer", "translator"):
        tokenizer = AutoTokenizer.from_pretrained(folders[kind])
        model = AutoModelForSeq2SeqLM.from_pretrained(folders[kind]).to(args.device).eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, torch.qint8)
        models[kind] = (tokenizer, model)
    load_s = time.perf_counter() - started
    options = {
        k: decoding_options(k, args.decoding, m.generation_config) for k, (_, m) in models.items()
    }

    def generate(kind: str, texts: list[str], fixed: Any) -> list[str]:
        tokenizer, model = models[kind]
        enc = tokenizer(texts, return_tensors="pt", padding=True, truncation=True)
        n = fixed(int(enc["attention_mask"].sum(dim=1).max()) - 1)
        with torch.inference_mode():
            ids = model.generate(
                **enc.to(args.device), min_new_tokens=n, max_new_tokens=n, **options[kind]
            )
        return tokenizer.batch_decode(ids, skip_special_tokens=True)

    def run(texts: list[str], warm_up: bool = False) -> None:
        groups = [texts] if batched else [[t] for t in texts]
        for group in groups:
            summaries = generate("summarizer", group, warmup_tokens if warm_up else summary_tokens)
            generate("translator", summaries, warmup_tokens if warm_up else translation_tokens)

    run([WARMUP], warm_up=True)
    every = section_texts(args)
    picked = naive_sections(every, args.naive_sections) if not batched else list(range(len(every)))
    texts = [every[i] for i in picked]
    passes = [_timed(run, texts) for _ in range(args.passes)]
    return {
        "load_s": load_s,
        "sections": len(texts),
        "section_indices": picked,
        "section_words_mean": statistics.mean(len(t.split()) for t in texts),
        "article_words_mean": statistics.mean(len(t.split()) for t in every),
        **_per_section(passes, len(texts)),
        "decoding_options": options,
        **_memory(args.device),
    }


def decoding_options(kind: str, decoding: str, generation_config: Any) -> dict[str, Any]:
    """generate() arguments for `decoding` of a "summarizer" or "translator":
    "card" (the checkpoint's own generate(), as the model cards show), "beam"
    (precis' default: models.inference.decoding) or "greedy"."""
    from models.inference.decoding import (
        checkpoint_decoding,
        summary_decoding,
        translation_decoding,
    )

    if decoding == "card":
        return {}
    mode = "fast" if decoding == "greedy" else "beam"
    policy = summary_decoding if kind == "summarizer" else translation_decoding
    chosen = policy(mode, checkpoint_decoding(generation_config))
    return {"num_beams": chosen.num_beams, "length_penalty": chosen.length_penalty}


# -- precis ------------------------------------------------------------------------


def part_precis(args: argparse.Namespace) -> dict[str, Any]:
    """The service with default settings (engine and decoding as asked), a real
    ModelProvider, fresh result caches."""
    import queue

    from models.cache.results import ResultCache
    from models.errors import GenerationError
    from models.service.events import SUMMARY, Failure, Output, OutputKey
    from models.service.provider import ModelProvider
    from models.service.scheduler import PrecisService
    from models.settings import Settings

    folders = _folders(args)
    tmp = Path(tempfile.mkdtemp(prefix="precis-bench-results-"))
    settings = Settings(
        summarizer=str(folders["summarizer"]),
        translator=str(folders["translator"]),
        lang="de",
        device=args.device,
        offline=True,
        cache_path=tmp / "cache.sqlite3",
        engine=args.engine,
        decoding="fast" if args.decoding == "greedy" else "beam",
    )
    provider = ModelProvider(settings)
    started = time.perf_counter()
    summarizer: Any = provider.summarizer("en")
    translator: Any = provider.translator("en", "de")
    load_s = time.perf_counter() - started
    # The benchmark's only change to precis: fixed output lengths (see the docstring),
    # by wrapping each model's generate(); precis itself is not told.
    batches = {"summarizer": 0, "translator": 0}
    warming = [True]
    for kind, model, fixed in (
        ("summarizer", summarizer, summary_tokens),
        ("translator", translator, translation_tokens),
    ):
        _fix_new_tokens(model.loaded.model, _unless(warming, fixed), _counter(batches, kind))
    # The stand-ins are built never to write degenerate output (bench_models), so precis
    # makes no retry; should one happen, it is timed like any other work and counted
    # (`retried_texts`, `failed_outputs`).
    with contextlib.suppress(GenerationError):
        summarizer.summarize([WARMUP], settings.length or _short())
    with contextlib.suppress(GenerationError):
        translator.translate([WARMUP])
    warming[0] = False
    rss_loaded_mb = _rss_mb()
    calls = _count_generate_calls()
    article = article_for(args)
    n = len(article.sections)
    keys = [OutputKey(s.index, "de", SUMMARY, _short()) for s in article.sections]

    def cache(name: str) -> ResultCache:
        return ResultCache(tmp / name, max_bytes=settings.cache_max_mb * 1024 * 1024)

    # 1. The reader's first request: show() of section 1 on a cold cache, until its
    #    Output (summary and its translation) arrives.
    first: list[float] = []
    first_failed = 0
    calls.clear()
    for run in range(args.passes):
        events: queue.Queue[Any] = queue.Queue()
        service = PrecisService(
            article, provider, cache(f"first{run}.sqlite3"), source_lang="en", listener=events.put
        )
        started = time.perf_counter()
        assert service.show(keys[0]) is None, "cold cache expected"
        while True:
            event = events.get(timeout=900)
            if isinstance(event, (Output, Failure)) and event.key == keys[0]:
                break
        first.append(time.perf_counter() - started)
        service.close()
        first_failed += isinstance(event, Failure)
    first_calls = list(calls)

    # 2. The whole article in the background, batched (as prefetch and export run it).
    whole: list[tuple[float, float]] = []
    for run in range(args.passes):
        service = PrecisService(
            article, provider, cache(f"all{run}.sqlite3"), source_lang="en", prefetch=False
        )
        calls.clear()
        batches.update(dict.fromkeys(batches, 0))
        clock = _clock()
        outputs = service.compute(keys)
        whole.append(_since(clock))
        service.close()
    counts = _call_counts(list(calls), batches)
    failed = [o.message for o in outputs if isinstance(o, Failure)]
    done = [k for k, o in zip(keys, outputs, strict=True) if isinstance(o, Output)]

    # 3. Cache hits through the reader's path: show() with prefetch on.
    service = PrecisService(article, provider, cache("all0.sqlite3"), source_lang="en")
    hits = []
    for i in range(args.hits if done else 0):
        started = time.perf_counter()
        hit = service.show(done[i % len(done)])
        hits.append((time.perf_counter() - started) * 1000)
        assert hit is not None and hit.from_cache
    service.close()
    # 4. After a restart: a new cache object on the same file (its memory layer empty),
    #    each key's first show() answered from SQLite.
    restarted: list[float] = []
    for _ in range(max(1, args.hits // (10 * n)) if done else 0):
        service = PrecisService(article, provider, cache("all0.sqlite3"), source_lang="en")
        for key in done:
            started = time.perf_counter()
            hit = service.show(key)
            restarted.append((time.perf_counter() - started) * 1000)
            assert hit is not None and hit.from_cache
        service.close()
    words = [len(o.text.split()) for o in outputs if isinstance(o, Output)]
    return {
        "engine": args.engine,
        "decoding": args.decoding,
        "describe": provider.describe(),
        "engine_notes": list(provider.engines.notes),
        "load_s": load_s,
        "first_section_runs_s": first,
        "first_section_s": statistics.median(first),
        "sections": n,
        **_per_section(whole, n),
        **counts,
        "first_section_retried_texts": _call_counts(first_calls, {})["retried_texts"],
        "failed_outputs": len(failed),
        "failed_first_section": first_failed,
        "failures": sorted(set(failed))[:3],
        "cache_hit_ms_p50": statistics.median(hits) if hits else None,
        "cache_hit_ms_p95": _p95(hits) if hits else None,
        "sqlite_hit_ms_p95": _p95(restarted) if restarted else None,
        "sqlite_hits": len(restarted),
        "output_words_mean": statistics.mean(words) if words else 0,
        "rss_loaded_mb": rss_loaded_mb,
        **_memory(args.device),
    }


def part_import_torch(_args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    import torch  # noqa: F401  (what is measured)

    return {"import_s": time.perf_counter() - started}


def _short() -> Any:
    from models.types import Length

    return Length.SHORT


def _fix_new_tokens(model: Any, fixed: Any, on_call: Any = None) -> None:
    """Make `model.generate` write exactly `fixed(input tokens)` new tokens per call
    (the batch's longest input decides; its end-of-sequence token not counted),
    whatever precis asked for: random weights would stop anywhere. Works on both
    engines: a CTranslate2 model answers the same generate() (ct2_engine.Ct2Model).
    `on_call()` is called once per generate() (one batch)."""
    real = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        if on_call is not None:
            on_call()
        mask = kwargs.get("attention_mask")
        tokens = int(mask.sum(dim=1).max()) - 1 if mask is not None else 1
        kwargs["min_new_tokens"] = kwargs["max_new_tokens"] = fixed(max(1, tokens))
        return real(*args, **kwargs)

    model.generate = generate


def _unless(warming: list[bool], fixed: Any) -> Any:
    """`fixed`, or `warmup_tokens` while `warming[0]` is set."""

    def tokens(input_tokens: int) -> int:
        return warmup_tokens(input_tokens) if warming[0] else int(fixed(input_tokens))

    return tokens


def _counter(counts: dict[str, int], key: str) -> Any:
    def count() -> None:
        counts[key] += 1

    return count


def _count_generate_calls() -> list[tuple[int, int, float, bool]]:
    """(texts, num_beams, seconds, retry) of every generate_texts call: shows batching,
    where the time goes and retries. A retry is a second generate_texts call inside one
    generate_checked (precis refused some outputs as degenerate and runs them again):
    work no other contender does, so the benchmark's stand-ins must never cause one."""
    import threading

    from models.inference import generate as generation
    from models.inference import seq2seq

    calls: list[tuple[int, int, float, bool]] = []
    local = threading.local()
    original_texts = generation.generate_texts
    original_checked = seq2seq.generate_checked

    def checked(*args: Any, **kwargs: Any) -> Any:
        local.nth = 0
        try:
            return original_checked(*args, **kwargs)
        finally:
            local.nth = None

    def counted(loaded: Any, texts: Any, settings: Any, **kwargs: Any) -> Any:
        nth = getattr(local, "nth", None)
        if nth is not None:
            local.nth = nth + 1
        started = time.perf_counter()
        out = original_texts(loaded, texts, settings, **kwargs)
        beams = settings[0].num_beams if settings else 0
        seconds = round(time.perf_counter() - started, 3)
        calls.append((len(texts), beams, seconds, bool(nth)))
        return out

    generation.generate_texts = counted
    seq2seq.generate_checked = checked
    return calls


def _call_counts(
    calls: list[tuple[int, int, float, bool]], batches: dict[str, int]
) -> dict[str, Any]:
    """What precis ran: generate_texts calls, model.generate() batches per model, and
    the texts it ran again (retries)."""
    return {
        "generate_calls": calls,
        "generate_batches": dict(batches),
        "first_pass_texts": sum(n for n, _, _, retry in calls if not retry),
        "retried_texts": sum(n for n, _, _, retry in calls if retry),
    }


# -- shared helpers ------------------------------------------------------------------


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(clock: tuple[float, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all its threads) since `clock`."""
    return time.perf_counter() - clock[0], time.process_time() - clock[1]


def _timed(fn: Any, *args: Any) -> tuple[float, float]:
    clock = _clock()
    fn(*args)
    return _since(clock)


def _per_section(passes: list[tuple[float, float]], n: int) -> dict[str, Any]:
    """The statistic of every contender: the median pass, wall time / sections; beside
    it the CPU time it used (robust to other load on a shared machine)."""
    walls = [wall / n for wall, _ in passes]
    return {
        "passes_s_per_section": walls,
        "s_per_section": statistics.median(walls),
        "cpu_s_per_section": statistics.median(cpu / n for _, cpu in passes),
    }


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss / 2**20)


def _memory(device: str) -> dict[str, Any]:
    import resource

    out: dict[str, Any] = {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_now_mb": _rss_mb(),
    }
    if device == "cuda":
        import torch

        # torch's allocator only: CTranslate2 allocates outside it, so also ask the driver.
        out["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
        out["cuda_process_used_mb"] = _cuda_used_mb()
    return out


def _cuda_used_mb() -> float | None:
    """GPU memory this process holds now, as nvidia-smi reports it (None without it)."""
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in done.stdout.splitlines():
        pid, _, used = line.partition(",")
        if pid.strip() == str(os.getpid()):
            return float(used)
    return None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _folders(args: argparse.Namespace) -> dict[str, Path]:
    from bench_models import REAL, TINY, build_bench_models

    return build_bench_models(args.models_dir, TINY if args.tiny else REAL)


# -- the driver --------------------------------------------------------------------

PARTS = {
    "naive": part_naive,
    "hf-int8": part_hf_int8,
    "precis": part_precis,
    "torch": part_import_torch,
}


def run_part(name: str, args: argparse.Namespace, **extra: str) -> dict[str, Any]:
    """Run one contender in a fresh process and return what it measured (also kept in
    `args.partial`, so a run cut short still leaves what it measured)."""
    started = time.perf_counter()
    result = _run_part(name, args, **extra)
    # Process start, imports, loading and warm-up included: where the benchmark's time goes.
    result["part_wall_s"] = time.perf_counter() - started
    partial = getattr(args, "partial", None)
    if partial is not None:
        with partial.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"part": name, **extra, "result": result}) + "\n")
    return result


def _run_part(name: str, args: argparse.Namespace, **extra: str) -> dict[str, Any]:
    script = "bench_ct2.py" if name.startswith("ct2") else "bench.py"
    command = [sys.executable, str(ROOT / "scripts" / script), "--part", name]
    command += ["--device", args.device, "--passes", str(args.passes), "--hits", str(args.hits)]
    command += ["--repeat", str(args.repeat), "--sections", str(args.sections)]
    command += ["--naive-sections", str(args.naive_sections)]
    for flag, value in extra.items():
        command += [f"--{flag}", value]
    if args.models_dir:
        command += ["--models-dir", str(args.models_dir)]
    if args.tiny:
        command.append("--tiny")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=args.env)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line[len(RESULT) :])
            return result
    raise RuntimeError(f"{name} {extra} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def isolated_env(root: Path) -> dict[str, str]:
    """The environment of every part: all of precis' caches under `root`."""
    env = dict(os.environ)
    env.update(
        {
            "PRECIS_CACHE": str(root / "results.sqlite3"),
            "PRECIS_STATE": str(root / "state.json"),
            "PRECIS_CONFIG": str(root / "config.toml"),
            "PRECIS_INT8_CACHE": str(root / "int8"),
            "PRECIS_CT2_CACHE": str(root / "ct2"),
            "PRECIS_CONVERTED_DIR": str(root / "converted"),
            "HF_HOME": str(root / "hf"),
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--passes", type=int, default=1, help="passes per contender (median)")
    parser.add_argument("--hits", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=1, help="article copies (GPU batching)")
    parser.add_argument(
        "--sections", type=int, default=0, help="only the first N sections (0: all)"
    )
    parser.add_argument(
        "--naive-sections",
        type=int,
        default=2,
        help="sections the naive fp32 runs take, closest to the mean length (0: all)",
    )
    parser.add_argument(
        "--cold-runs", type=int, default=1, help="reader cold starts after the first run"
    )
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--decodings", default=",".join(DECODINGS))
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--no-card", action="store_true", help="skip naive at the model cards' own decoding"
    )
    parser.add_argument("--no-reader", action="store_true", help="skip the pty runs")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--tiny", action="store_true", help="tiny models (smoke test only)")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--decoding", default="beam", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.part:
        print(RESULT + json.dumps(PARTS[args.part](args)), flush=True)
        return 0
    results = run_all(args)
    summary = summarize(results)
    if args.json:
        print(json.dumps(summary | {"details": results}, indent=1))
        print(table(summary, results), file=sys.stderr)  # the same figures, for people
    else:
        print(table(summary, results))
    return 0


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    import bench_reader

    building = time.perf_counter()
    _folders(args)  # built once (reused by later runs), before anything is timed
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="precis-bench-"))
    args.env = isolated_env(root)
    args.partial = root / "parts.jsonl"
    print(f"bench: temporary caches and per-part results in {root}", file=sys.stderr)
    engines = [e for e in args.engines.split(",") if e]
    decodings = [d for d in args.decodings.split(",") if d]
    if "ctranslate2" in engines and not _ct2_installed():
        engines.remove("ctranslate2")
    r: dict[str, Any] = {"device": args.device, "cpus": os.cpu_count(), "tmp": str(root)}
    r["build_models_s"] = started - building
    r["loadavg_start"] = os.getloadavg()
    r["engines"], r["decodings"] = engines, decodings
    if not args.no_reader and args.device == "cpu":
        # First: the first runs (int8 / converted caches still empty), then the same
        # with those caches filled. Everything after loads from the filled caches.
        r["reader"] = {}
        for engine in engines:
            started_reader = time.perf_counter()
            r["reader"][engine] = bench_reader.cold_starts(args, engine, root)
            r["reader"][engine]["part_wall_s"] = time.perf_counter() - started_reader
            with args.partial.open("a", encoding="utf-8") as out:
                out.write(
                    json.dumps({"part": "reader", "engine": engine, "result": r["reader"][engine]})
                    + "\n"
                )
    if not args.no_naive and not args.no_card:
        r["naive/card"] = run_part("naive", args, decoding="card")
    for decoding in decodings:
        if not args.no_naive:
            r[f"naive/{decoding}"] = run_part("naive", args, decoding=decoding)
        r[f"hf-int8/{decoding}"] = run_part("hf-int8", args, decoding=decoding)
        for engine in engines:
            r[f"precis/{engine}/{decoding}"] = run_part(
                "precis", args, engine=engine, decoding=decoding
            )
        if "ctranslate2" in engines:
            r[f"ct2/{decoding}"] = run_part("ct2", args, decoding=decoding)
    if not args.no_reader:
        started_paint = time.perf_counter()
        r["first_paint_runs_s"] = [bench_reader.first_paint_s(args.env) for _ in range(3)]
        r["import_torch_runs_s"] = [bench_reader.import_torch_s(args.env) for _ in range(3)]
        r["paint_and_torch_wall_s"] = time.perf_counter() - started_paint
    r["bench_wall_s"] = time.perf_counter() - started
    r["loadavg_end"] = os.getloadavg()
    return r


def _ct2_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ctranslate2") is not None


def summarize(r: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for, one row per (engine, decoding)."""
    rows = []
    for decoding in r["decodings"]:
        naive = r.get(f"naive/{decoding}")
        card = r.get("naive/card")
        ct2 = r.get(f"ct2/{decoding}")
        for engine in r["engines"]:
            precis = r[f"precis/{engine}/{decoding}"]
            reader = r.get("reader", {}).get(engine, {}) if decoding == "beam" else {}
            row: dict[str, Any] = {
                "engine": engine,
                "decoding": decoding,
                "describe": precis["describe"],
                "baseline_s_per_section": naive["s_per_section"] if naive else None,
                "baseline_card_s_per_section": card["s_per_section"] if card else None,
                "hf_int8_batched_s_per_section": r[f"hf-int8/{decoding}"]["s_per_section"],
                "precis_first_section_s": precis["first_section_s"],
                "precis_s_per_section": precis["s_per_section"],
                "speedup": naive["s_per_section"] / precis["s_per_section"] if naive else None,
                "ct2_direct_s_per_section": ct2["batched_s_per_section"] if ct2 else None,
                "ct2_per_section_call_s": ct2["per_section_call_s"] if ct2 else None,
                "ct2_same_batch_s_per_section": ct2["same_batch_s_per_section"] if ct2 else None,
                "cold_start_s": reader.get("cold_start_s"),
                "cold_start_peak_rss_mb": reader.get("cold_start_peak_rss_mb"),
                "first_run_s": reader.get("first_run_s"),
                "first_run_peak_rss_mb": reader.get("first_run_peak_rss_mb"),
                "peak_rss_mb": precis["peak_rss_mb"],
                "rss_loaded_mb": precis["rss_loaded_mb"],
                "precis_load_s": precis["load_s"],
                "cache_hit_ms_p95": precis["cache_hit_ms_p95"],
                "sqlite_hit_ms_p95": precis["sqlite_hit_ms_p95"],
                "engine_notes": precis["engine_notes"],
                "baseline_sections": naive["section_indices"] if naive else None,
                "precis_generate_batches": precis["generate_batches"],
                "precis_retried_texts": precis["retried_texts"],
                "precis_failed_outputs": precis["failed_outputs"],
                # The same statistics in CPU seconds of each contender's process (all its
                # threads): less sensitive to other load on a shared machine.
                "cpu": {
                    "baseline_s_per_section": naive["cpu_s_per_section"] if naive else None,
                    "hf_int8_batched_s_per_section": r[f"hf-int8/{decoding}"]["cpu_s_per_section"],
                    "precis_s_per_section": precis["cpu_s_per_section"],
                    "ct2_direct_s_per_section": ct2["batched_cpu_s_per_section"] if ct2 else None,
                    "ct2_per_section_call_s": ct2["per_section_call_cpu_s"] if ct2 else None,
                },
            }
            rows.append(row)
    out: dict[str, Any] = {"device": r["device"], "rows": rows}
    if "first_paint_runs_s" in r:
        out["first_paint_s"] = statistics.median(r["first_paint_runs_s"])
        out["import_torch_s"] = statistics.median(r["import_torch_runs_s"])
    out["bench_wall_s"] = r["bench_wall_s"]
    out["part_wall_s"] = {
        **{f"reader/{e}": v.get("part_wall_s") for e, v in r.get("reader", {}).items()},
        **{k: v["part_wall_s"] for k, v in r.items() if isinstance(v, dict) and "part_wall_s" in v},
    }
    out["build_models_s"] = r["build_models_s"]
    return out


def table(s: dict[str, Any], r: dict[str, Any]) -> str:
    def f(value: Any, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    head = (
        "engine",
        "decoding",
        "naive s/sec",
        "hf int8 batched",
        "precis first s",
        "precis s/sec",
        "speedup",
        "ct2 direct batched",
        "ct2 at precis' batch",
        "ct2 per-section call",
        "cold start s",
        "first run s (peak MB)",
        "precis peak / loaded RSS MB",
        "hit p95 ms (sqlite)",
    )
    rows = [head]
    for row in s["rows"]:
        rows.append(
            (
                row["engine"],
                row["decoding"],
                f(row["baseline_s_per_section"]),
                f(row["hf_int8_batched_s_per_section"]),
                f(row["precis_first_section_s"]),
                f(row["precis_s_per_section"]),
                f(row["speedup"], 1) + ("x" if row["speedup"] else ""),
                f(row["ct2_direct_s_per_section"]),
                f(row["ct2_same_batch_s_per_section"]),
                f(row["ct2_per_section_call_s"]),
                f(row["cold_start_s"]),
                f"{f(row['first_run_s'])} ({f(row['first_run_peak_rss_mb'], 0)})",
                f"{f(row['peak_rss_mb'], 0)} / {f(row['rss_loaded_mb'], 0)}",
                f"{f(row['cache_hit_ms_p95'], 3)} ({f(row['sqlite_hit_ms_p95'], 3)})",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "",
        f"device {s['device']}, {r['cpus']} CPUs; s/sec: seconds per section (summary and "
        "its translation): one pass over all sections / sections; summaries "
        f"{SUMMARY_TOKENS} new tokens, translations "
        f"ceil({TRANSLATION_RATIO} x input tokens), every contender alike",
        "ct2 direct batched: all sections in one batch; ct2 at precis' batch: in batches "
        "of the service's size (models.service.scheduler.DEFAULT_BATCH)",
        "first run: reader start to first summary with the int8 (transformers) or converted "
        "(CTranslate2) caches empty: a user's first run; cold start: the same with them filled",
    ]
    for row in s["rows"]:
        cpu = row["cpu"]
        lines.append(
            f"CPU s/section {row['engine']}/{row['decoding']}: naive "
            f"{f(cpu['baseline_s_per_section'])}, hf int8 batched "
            f"{f(cpu['hf_int8_batched_s_per_section'])}, precis "
            f"{f(cpu['precis_s_per_section'])}, ct2 direct batched "
            f"{f(cpu['ct2_direct_s_per_section'])}, ct2 per-section call "
            f"{f(cpu['ct2_per_section_call_s'])}"
        )
    if r.get("naive/card"):
        card = r["naive/card"]
        lines.append(
            f"naive at the model cards' decoding (4 beams each): {card['s_per_section']:.2f} "
            f"s/section (CPU {card['cpu_s_per_section']:.2f})"
        )
    naive = next((r[k] for k in r if k.startswith("naive/")), None)
    if naive:
        lines.append(
            f"naive runs: sections {naive['section_indices']} of the article (mean "
            f"{naive['section_words_mean']:.0f} words; all sections "
            f"{naive['article_words_mean']:.0f}), s/sec over those; every other contender "
            "runs every section"
        )
    for key in sorted(k for k in r if k.startswith("precis/")):
        p = r[key]
        lines.append(
            f"{key}: {p['describe']}; model.generate batches {p['generate_batches']} for "
            f"{p['first_pass_texts']} texts; retried texts {p['retried_texts']} (first "
            f"section: {p['first_section_retried_texts']}); failed outputs "
            f"{p['failed_outputs']} {p['failures']}"
        )
        lines.append(f"  generate_texts calls (texts, beams, s, retry): {p['generate_calls']}")
        if r[key]["engine_notes"]:
            lines.append(f"  notes: {r[key]['engine_notes']}")
    if "first_paint_s" in s:
        lines.append(
            f"first paint (precis --summarizer extractive, pty): {s['first_paint_s']:.2f} s; "
            f"python -c 'import torch': {s['import_torch_s']:.2f} s (medians of 3)"
        )
    spent = [(f"reader/{e}", v["part_wall_s"]) for e, v in r.get("reader", {}).items()]
    spent += [
        (k, v["part_wall_s"]) for k, v in r.items() if isinstance(v, dict) and "part_wall_s" in v
    ]
    if "paint_and_torch_wall_s" in r:
        spent.append(("first paint and import torch", r["paint_and_torch_wall_s"]))
    lines.append("where the time went (s): " + ", ".join(f"{k} {v:.0f}" for k, v in spent))
    lines.append(
        f"load average at start {r['loadavg_start']}, at end {r['loadavg_end']}; "
        f"bench wall time {r['bench_wall_s']:.0f} s (building the stand-ins before it "
        f"{r['build_models_s']:.0f} s); temporary caches in {r['tmp']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
