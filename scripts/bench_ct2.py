"""The "CTranslate2 called directly" contender of scripts/bench.py.

It runs the same converted models precis runs (converted by precis' own
`models.inference.ct2_convert` into $PRECIS_CT2_CACHE, so conversion is not
timed here) with the same transformers tokenizers, but calls
`ctranslate2.Translator.translate_batch` itself, two ways:

- one call per section: the section's summary, then one call translating that
  summary's sentences (what Argos Translate does for a text);
- batched: all sections' summaries in batches of 8, then all summary sentences
  sorted by length in batches of 8 (what precis does).

Decoding is the checkpoint's (beam: its num_beams, length_penalty and
no_repeat_ngram_size, BART's forced <s> as the target prefix) or greedy, with the
fixed output lengths of every contender (a forced-EOS model writes n - 1 tokens
and its EOS, as in transformers). Run by bench.py in its own process:

    python scripts/bench_ct2.py --part ct2 --decoding beam|greedy [--models-dir DIR] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from bench import (  # noqa: E402  (after the path set-up above)
    RESULT,
    WARMUP,
    _folders,
    _memory,
    _per_section,
    _timed,
    decoding_options,
    section_texts,
    summary_tokens,
    translation_tokens,
    warmup_tokens,
)

from models.service.scheduler import DEFAULT_BATCH as SERVICE_BATCH  # noqa: E402


class Direct:
    """One converted model, its tokenizer and the checkpoint's decoding options."""

    def __init__(self, folder: Path, kind: str, args: argparse.Namespace) -> None:
        import ctranslate2

        from models.inference import ct2_convert
        from models.inference import lazy_torch as hf
        from models.inference.ct2_engine import _generation_config, _threads, compute_type_for

        compute_type = compute_type_for(args.device, True)
        cache = ct2_convert.default_dir()
        assert cache is not None, "PRECIS_CT2_CACHE is off"
        # Named as ModelProvider names a local folder, so precis' conversion is reused.
        out = ct2_convert.converted_folder(cache, str(folder), None, folder, compute_type)
        ct2_convert.ensure_converted(folder, out, compute_type)
        started = time.perf_counter()
        self.tokenizer = hf.transformers().AutoTokenizer.from_pretrained(str(folder))
        self.translator = ctranslate2.Translator(
            str(out), device=args.device, compute_type=compute_type, intra_threads=_threads()
        )
        self.load_s = time.perf_counter() - started
        config = _generation_config(hf.transformers(), folder)
        chosen = decoding_options(kind, args.decoding, config)  # as every other contender
        self.options: dict[str, Any] = {
            "beam_size": chosen.get("num_beams", 1),
            "length_penalty": chosen.get("length_penalty", 1.0),
            "no_repeat_ngram_size": config.no_repeat_ngram_size or 0,
            "max_batch_size": 8,
        }
        self.eos = 1 if config.forced_eos_token_id is not None else 0
        bos = config.forced_bos_token_id
        self.prefix = [self.tokenizer.convert_ids_to_tokens(bos)] if bos is not None else None

    def tokens(self, texts: list[str]) -> list[list[str]]:
        return [self.tokenizer.convert_ids_to_tokens(i) for i in self.tokenizer(texts)["input_ids"]]

    def run(self, texts: list[str], fixed: Any) -> list[str]:
        """Outputs for `texts`, in batches of 8 by length, each batch `fixed(longest)`."""
        source = self.tokens(texts)
        order = sorted(range(len(texts)), key=lambda i: len(source[i]))
        out: list[str] = [""] * len(texts)
        for start in range(0, len(order), 8):
            batch = order[start : start + 8]
            n = fixed(max(len(source[i]) - 1 for i in batch)) - self.eos
            results = self.translator.translate_batch(
                [source[i] for i in batch],
                target_prefix=[self.prefix] * len(batch) if self.prefix else None,
                min_decoding_length=n,
                max_decoding_length=n,
                **self.options,
            )
            for i, result in zip(batch, results, strict=True):
                ids = self.tokenizer.convert_tokens_to_ids(result.hypotheses[0])
                out[i] = self.tokenizer.decode(ids, skip_special_tokens=True)
        return out


def part_ct2(args: argparse.Namespace) -> dict[str, Any]:
    from models.text import split_sentences

    folders = _folders(args)
    summarizer = Direct(folders["summarizer"], "summarizer", args)
    translator = Direct(folders["translator"], "translator", args)

    def one_section(text: str, warm_up: bool = False) -> None:
        summary = summarizer.run([text], warmup_tokens if warm_up else summary_tokens)[0]
        sentences = split_sentences(summary, "en") or [summary]
        translator.run(sentences, warmup_tokens if warm_up else translation_tokens)

    def per_section(texts: list[str]) -> None:
        for text in texts:
            one_section(text)

    def batched(texts: list[str]) -> None:
        summaries = summarizer.run(texts, summary_tokens)
        sentences = [s for text in summaries for s in (split_sentences(text, "en") or [text])]
        translator.run(sentences, translation_tokens)

    def in_service_batches(texts: list[str]) -> None:
        # The batches precis' service makes (PrecisService's default batch size): the
        # raw engine "at the same batch" the issue compares precis with.
        for start in range(0, len(texts), SERVICE_BATCH):
            batched(texts[start : start + SERVICE_BATCH])

    one_section(WARMUP, warm_up=True)
    texts = section_texts(args)
    calls = _per_section([_timed(per_section, texts) for _ in range(args.passes)], len(texts))
    batches = _per_section([_timed(batched, texts) for _ in range(args.passes)], len(texts))
    same = _per_section([_timed(in_service_batches, texts) for _ in range(args.passes)], len(texts))
    import ctranslate2

    return {
        "version": ctranslate2.__version__,
        "decoding": args.decoding,
        "options": summarizer.options,
        "load_s": summarizer.load_s + translator.load_s,
        "sections": len(texts),
        "per_section_call_s": calls["s_per_section"],
        "per_section_call_cpu_s": calls["cpu_s_per_section"],
        "batched_s_per_section": batches["s_per_section"],
        "batched_cpu_s_per_section": batches["cpu_s_per_section"],
        "service_batch": SERVICE_BATCH,
        "same_batch_s_per_section": same["s_per_section"],
        "same_batch_cpu_s_per_section": same["cpu_s_per_section"],
        "passes": {"per_section_call": calls, "batched": batches, "same_batch": same},
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        **_memory(args.device),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", default="ct2")
    parser.add_argument("--decoding", default="beam", choices=["beam", "greedy"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--sections", type=int, default=0)
    args, _ = parser.parse_known_args(argv)
    print(RESULT + json.dumps(part_ct2(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
