"""Real-size random-weight stand-ins for distilbart-cnn-12-6 and opus-mt-en-de.

The hub is not reachable from the machines precis is benchmarked on, and speed
and memory depend on shapes, not on trained weights. So the benchmark builds
models in the exact shapes of the two default checkpoints, with tokenizers
trained here on English prose found on the machine (Python's own documentation,
package descriptions, the bundled sample) so that token counts of real English
text are close to the real tokenizers':

- BART: a byte-level BPE trained to the real vocabulary size where the text
  allows, the rest filled with filler tokens that never match real text;
- Marian: a sentencepiece unigram model (about the size of opus-mt's English
  source.spm) mapped to the real 58101 ids, filler pieces after it, pad last.

Both are built by scripts/stand_in_models.py, the one builder (the tiny test
models come from it too). Random weights emit random ids, mostly fillers that
precis' output checks would refuse, and they loop. So the weights (never the
shapes) are nudged: BART's `final_logits_bias` favours whole English words and "."
(its checkpoint's no_repeat_ngram_size 3 keeps it from looping), and Marian writes
a long cycle of distinct words (`stand_in_models._successor_cycle`), so that no
output is degenerate and precis makes no retry another contender would not make.
Output lengths are fixed by the benchmark (min_new_tokens = max_new_tokens), not by
the weights.

    python scripts/bench_models.py [OUT_DIR]   # default: $PRECIS_BENCH_DIR or
                                               # ~/.cache/precis-bench; built once
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stand_in_models import (
    DISTILBART_CNN_12_6,
    OPUS_MT,
    Shape,
    build_bart,
    build_marian,
    train_sentencepiece,
)

SEED = 1234
# opus-mt-en-de's config fields beyond its sizes: swish, sinusoidal positions, one
# embedding table shared by encoder, decoder and output layer.
OPUS_MT_CONFIG = {
    "activation_function": "swish",
    "static_position_embeddings": True,
    "share_encoder_decoder_embeddings": True,
    "tie_word_embeddings": True,
}
BUILD_VERSION = "4"  # bump when what is built changes: a stale folder is rebuilt


@dataclass(frozen=True)
class Sizes:
    """What is built. REAL: the default checkpoints' shapes. TINY: for the smoke test."""

    name: str
    bart: Shape
    bart_vocab: int
    bart_positions: int
    marian: Shape
    marian_vocab: int
    marian_spm_vocab: int
    marian_positions: int
    corpus_chars: int  # how much English text the tokenizers are trained on


REAL = Sizes(
    name="real",
    bart=DISTILBART_CNN_12_6,
    bart_vocab=50264,
    bart_positions=1024,
    marian=OPUS_MT,
    marian_vocab=58101,
    marian_spm_vocab=32000,
    marian_positions=512,
    corpus_chars=4_000_000,
)

TINY = Sizes(
    name="tiny",
    bart=Shape(d_model=32, layers=(1, 1), heads=2, ffn=64),
    bart_vocab=1200,
    bart_positions=1024,  # the real windows: no chunking the real run would not do
    # Wide enough for a successor cycle of every word its vocabulary has.
    marian=Shape(d_model=128, layers=(1, 1), heads=2, ffn=512),
    marian_vocab=1500,
    marian_spm_vocab=600,
    marian_positions=512,
    corpus_chars=200_000,
)


def default_dir() -> Path:
    env = os.environ.get("PRECIS_BENCH_DIR")
    return Path(env) if env else Path.home() / ".cache" / "precis-bench"


def build_bench_models(out: Path | None = None, sizes: Sizes = REAL) -> dict[str, Path]:
    """{"summarizer": BART folder, "translator": Marian folder} under `out`/sizes.name,
    built only when missing (or built by another BUILD_VERSION)."""
    root = Path(out or default_dir()) / sizes.name
    folders = {"summarizer": root / "distilbart-cnn-12-6", "translator": root / "opus-mt-en-de"}
    stamp = root / "built.json"
    want = {"version": BUILD_VERSION, "sizes": dataclasses.asdict(sizes)}
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == json.loads(
        json.dumps(want)
    ):
        return folders
    import torch
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    torch.manual_seed(SEED)
    corpus = english_corpus(sizes.corpus_chars)
    build_bart(
        folders["summarizer"],
        corpus,
        sizes.bart,
        bpe_vocab=sizes.bart_vocab,
        window=sizes.bart_positions,
        min_frequency=2,
        fill_to=sizes.bart_vocab,
        word_bias=True,
    )
    spm_bytes = train_sentencepiece(corpus, sizes.marian_spm_vocab, threads=os.cpu_count() or 1)
    build_marian(
        folders["translator"],
        spm_bytes,
        sizes.marian,
        window=sizes.marian_positions,
        fill_to=sizes.marian_vocab,
        config=OPUS_MT_CONFIG,
        successor_cycle=True,
    )
    stamp.write_text(json.dumps(want), encoding="utf-8")
    return folders


# -- training text -----------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_PROSE = re.compile(r"[A-Z][A-Za-z ,;:'()\-]{30,}[a-z][.!?]")


def english_corpus(limit: int) -> list[str]:
    """Sentences of English prose from what is on this machine, up to `limit` chars."""
    from models.data import SAMPLE_ARTICLE

    lines: list[str] = SAMPLE_ARTICLE.read_text(encoding="utf-8").split("\n") * 20
    size = sum(map(len, lines))
    for path in _prose_files():
        try:
            text = path.read_text(encoding="utf-8", errors="ignore")
        except OSError:
            continue
        # Wrapped paragraphs (docstrings, READMEs): join lines, then cut sentences.
        for paragraph in re.split(r"\n\s*\n|\\n\\n", text):
            for sentence in _SENTENCE.split(" ".join(paragraph.split())):
                if _PROSE.fullmatch(sentence):
                    lines.append(sentence)
                    size += len(sentence)
        if size >= limit:
            break
    return [line for line in lines if line.strip()]


def _prose_files() -> Iterator[Path]:
    import pydoc_data
    import sysconfig

    yield Path(pydoc_data.__file__).parent / "topics.py"  # the Python manual's prose
    site = Path(sysconfig.get_paths()["purelib"])
    yield from sorted(site.glob("*.dist-info/METADATA"))
    # Docstrings: the standard library's, then the installed packages'.
    yield from sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    yield from sorted(site.rglob("*.py"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else None
    for kind, path in build_bench_models(out).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
