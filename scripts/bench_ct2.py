"""The CTranslate2 int8 contender of scripts/bench.py (optional: `pip install ctranslate2`).

It converts the same random-weight folders that bench.py builds (int8, cached
beside them) and runs the same work the way precis runs it: all sections'
summaries in one greedy batch, then every summary sentence translated in one
greedy batch, with the same fixed output lengths as every other contender.
Tokenization uses the same transformers tokenizers. Run by bench.py in its own
process, so its memory peak is its own:

    python scripts/bench_ct2.py --part ct2 [--models-dir DIR] [--tiny]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from bench import (  # noqa: E402  (after the path set-up above)
    RESULT,
    _memory,
    bench_article,
    summary_tokens,
    translation_tokens,
)


def convert(folder: Path) -> Path:
    """`folder` converted to CTranslate2 int8 (once; kept in `folder`-ct2-int8)."""
    import ctranslate2
    from transformers import AutoTokenizer

    out = folder.with_name(folder.name + "-ct2-int8")
    if (out / "model.bin").is_file():
        return out

    class Converter(ctranslate2.converters.TransformersConverter):
        # The converter picks a tokenizer class by architecture; the benchmark's
        # tokenizers are saved with the model, so load them the way precis does.
        def load_tokenizer(self, tokenizer_class: Any, path: str, **kwargs: Any) -> Any:
            return AutoTokenizer.from_pretrained(path)

        def load_model(self, model_class: Any, path: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, path, **kwargs)
            # transformers v5 dropped these BART config fields that the converter
            # reads; BART is post-norm with a layer norm on the embeddings.
            for name, value in (("normalize_before", False), ("normalize_embedding", True)):
                if not hasattr(model.config, name):
                    setattr(model.config, name, value)
            return model

    Converter(str(folder)).convert(str(out), quantization="int8", force=True)
    return out


def part_ct2(models_dir: Path | None, tiny: bool, repeat: int) -> dict[str, Any]:
    import ctranslate2
    from bench_models import REAL, TINY, build_bench_models
    from transformers import AutoTokenizer
    from transformers.utils import logging

    from models.text import split_sentences

    logging.set_verbosity_error()
    folders = build_bench_models(models_dir, TINY if tiny else REAL)
    converted = {kind: convert(path) for kind, path in folders.items()}
    threads = os.cpu_count() or 1
    started = time.perf_counter()
    s_tok = AutoTokenizer.from_pretrained(folders["summarizer"])
    t_tok = AutoTokenizer.from_pretrained(folders["translator"])
    options = {"device": "cpu", "compute_type": "int8", "intra_threads": threads}
    summarizer = ctranslate2.Translator(str(converted["summarizer"]), **options)
    translator = ctranslate2.Translator(str(converted["translator"]), **options)
    load_s = time.perf_counter() - started
    sections = [s.text for s in bench_article(repeat).sections]

    def run(texts: list[str]) -> list[str]:
        tokens = [s_tok.convert_ids_to_tokens(s_tok(t)["input_ids"]) for t in texts]
        n = summary_tokens(0)
        # BART starts from </s> and is forced to <s> first, as in transformers.
        results = summarizer.translate_batch(
            tokens,
            target_prefix=[["<s>"]] * len(tokens),
            beam_size=1,
            min_decoding_length=n,
            max_decoding_length=n,
            no_repeat_ngram_size=3,
            max_batch_size=8,
        )
        summaries = [
            s_tok.decode(s_tok.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True)
            for r in results
        ]
        sentences = [(i, s) for i, text in enumerate(summaries) for s in split_sentences(text)]
        src = [t_tok.convert_ids_to_tokens(t_tok(s)["input_ids"]) for _, s in sentences]
        lengths = [translation_tokens(len(t) - 1) for t in src]
        # One length per batch in CTranslate2: group sentences by their length.
        out: dict[int, list[str]] = {}
        for length in sorted(set(lengths)):
            group = [k for k, m in enumerate(lengths) if m == length]
            done = translator.translate_batch(
                [src[k] for k in group],
                beam_size=1,
                min_decoding_length=length,
                max_decoding_length=length,
                no_repeat_ngram_size=4,
                max_batch_size=8,
            )
            for k, r in zip(group, done, strict=True):
                out.setdefault(sentences[k][0], []).append(
                    t_tok.convert_tokens_to_string(r.hypotheses[0])
                )
        return [" ".join(out.get(i, [])) for i in range(len(texts))]

    started = time.perf_counter()
    run(sections[:1])
    first_s = time.perf_counter() - started
    times = []
    for _ in range(2):
        started = time.perf_counter()
        outputs = run(sections)
        times.append(time.perf_counter() - started)
    return {
        "load_s": load_s,
        "first_section_s": first_s,
        "sections": len(sections),
        "s_per_section": statistics.median(times) / len(sections),
        "output_words_mean": statistics.mean(len(o.split()) for o in outputs),
        **_memory("cpu"),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="ct2")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args, _ = parser.parse_known_args(argv)
    if args.part == "ct2-convert":
        from bench_models import REAL, TINY, build_bench_models

        folders = build_bench_models(args.models_dir, TINY if args.tiny else REAL)
        print(RESULT + json.dumps({k: str(convert(v)) for k, v in folders.items()}), flush=True)
        return 0
    print(RESULT + json.dumps(part_ct2(args.models_dir, args.tiny, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
