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

Random weights emit random ids: mostly fillers, which decode to nothing useful
and would make every output "degenerate" for precis' output checks. So each
model's `final_logits_bias` (a buffer both BART and Marian have, and which
CTranslate2's converter carries over) favours the tokens that are whole English
words, plus a little for "." so outputs have sentences. Output lengths are fixed
by the benchmark (min_new_tokens = max_new_tokens), not by the weights.

    python scripts/bench_models.py [OUT_DIR]   # default: $PRECIS_BENCH_DIR or
                                               # ~/.cache/precis-bench; built once
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 1234
BUILD_VERSION = "3"  # bump when what is built changes: a stale folder is rebuilt


@dataclass(frozen=True)
class Sizes:
    """The shapes built. REAL: the default checkpoints'. TINY: for the smoke test."""

    name: str
    bart_vocab: int
    bart_d_model: int
    bart_layers: tuple[int, int]
    bart_heads: int
    bart_ffn: int
    bart_positions: int
    marian_vocab: int
    marian_spm_vocab: int
    marian_d_model: int
    marian_layers: tuple[int, int]
    marian_heads: int
    marian_ffn: int
    marian_positions: int
    corpus_chars: int  # how much English text the tokenizers are trained on


REAL = Sizes(
    name="real",
    bart_vocab=50264,
    bart_d_model=1024,
    bart_layers=(12, 6),
    bart_heads=16,
    bart_ffn=4096,
    bart_positions=1024,
    marian_vocab=58101,
    marian_spm_vocab=32000,
    marian_d_model=512,
    marian_layers=(6, 6),
    marian_heads=8,
    marian_ffn=2048,
    marian_positions=512,
    corpus_chars=4_000_000,
)

TINY = Sizes(
    name="tiny",
    bart_vocab=1200,
    bart_d_model=32,
    bart_layers=(1, 1),
    bart_heads=2,
    bart_ffn=64,
    bart_positions=1024,  # the real windows: no chunking the real run would not do
    marian_vocab=1500,
    marian_spm_vocab=600,
    marian_d_model=32,
    marian_layers=(1, 1),
    marian_heads=2,
    marian_ffn=64,
    marian_positions=512,
    corpus_chars=200_000,
)

WORD_BIAS = 8.0  # added to whole-word tokens: dominates random logits (std ~0.6)
PERIOD_BIAS = 9.0  # ".": a few sentence ends per 60 tokens (measured at real size)


def default_dir() -> Path:
    env = os.environ.get("PRECIS_BENCH_DIR")
    return Path(env) if env else Path.home() / ".cache" / "precis-bench"


def build_bench_models(out: Path | None = None, sizes: Sizes = REAL) -> dict[str, Path]:
    """{"summarizer": BART folder, "translator": Marian folder} under `out`/sizes.name,
    built only when missing (or built by another BUILD_VERSION)."""
    root = Path(out or default_dir()) / sizes.name
    folders = {"summarizer": root / "distilbart-cnn-12-6", "translator": root / "opus-mt-en-de"}
    stamp = root / "built.json"
    want = {"version": BUILD_VERSION, "sizes": sizes.__dict__}
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
    _build_bart(folders["summarizer"], sizes, corpus)
    _build_marian(folders["translator"], sizes, corpus)
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


# -- BART ---------------------------------------------------------------------------


def _build_bart(folder: Path, sizes: Sizes, corpus: list[str]) -> None:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus, vocab_size=sizes.bart_vocab, min_frequency=2, special_tokens=specials
    )
    merges = json.loads(bpe._tokenizer.to_str())["model"]["merges"]
    tokenizer = BartTokenizer(
        vocab=bpe.get_vocab(),
        merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges],
        model_max_length=sizes.bart_positions,
    )
    trained = len(tokenizer)
    # Fillers never occur in text, so they change no token count; they only make
    # the tokenizer's ids cover the embedding table, as the real one does.
    tokenizer.add_tokens([f"<extra_{i}>" for i in range(sizes.bart_vocab - trained)])
    config = BartConfig(
        vocab_size=sizes.bart_vocab,
        d_model=sizes.bart_d_model,
        encoder_layers=sizes.bart_layers[0],
        decoder_layers=sizes.bart_layers[1],
        encoder_attention_heads=sizes.bart_heads,
        decoder_attention_heads=sizes.bart_heads,
        encoder_ffn_dim=sizes.bart_ffn,
        decoder_ffn_dim=sizes.bart_ffn,
        max_position_embeddings=sizes.bart_positions,
        activation_function="gelu",
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = BartForConditionalGeneration(config)
    vocab = tokenizer.get_vocab()
    words = [i for t, i in vocab.items() if i < trained and re.fullmatch(r"Ġ[a-z]{2,}", t)]
    _bias(model, words, vocab.get("."), torch)
    _save(folder, model, tokenizer)
    # As sshleifer/distilbart-cnn-12-6: no generation_config.json; its generation
    # settings (beams, length_penalty, forced BOS/EOS, demo lengths) sit in config.json.
    (folder / "generation_config.json").unlink()
    _update_json(
        folder / "config.json",
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        num_beams=4,
        length_penalty=2.0,
        min_length=56,
        max_length=142,
        no_repeat_ngram_size=3,
        early_stopping=True,
    )


# -- Marian -------------------------------------------------------------------------


def _build_marian(folder: Path, sizes: Sizes, corpus: list[str]) -> None:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=buffer,
        vocab_size=sizes.marian_spm_vocab,
        hard_vocab_limit=False,
        model_type="unigram",
        normalization_rule_name="identity",
        character_coverage=1.0,
        num_threads=os.cpu_count() or 1,
        minloglevel=2,
    )
    proc = spm.SentencePieceProcessor(model_proto=buffer.getvalue())
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    trained = len(vocab)
    for i in range(sizes.marian_vocab - 1 - trained):
        vocab[f"<extra_{i}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)  # Marian: pad last, and decoding starts from it
    assert len(vocab) == sizes.marian_vocab
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = Path(tmp) / "spm.model"
        spm_path.write_bytes(buffer.getvalue())
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab), encoding="utf-8")
        tokenizer = MarianTokenizer(
            source_spm=str(spm_path),
            target_spm=str(spm_path),
            vocab=str(vocab_path),
            source_lang="en",
            target_lang="de",
            model_max_length=sizes.marian_positions,
        )
        pad = vocab["<pad>"]
        config = MarianConfig(
            vocab_size=sizes.marian_vocab,
            d_model=sizes.marian_d_model,
            encoder_layers=sizes.marian_layers[0],
            decoder_layers=sizes.marian_layers[1],
            encoder_attention_heads=sizes.marian_heads,
            decoder_attention_heads=sizes.marian_heads,
            encoder_ffn_dim=sizes.marian_ffn,
            decoder_ffn_dim=sizes.marian_ffn,
            activation_function="swish",
            max_position_embeddings=sizes.marian_positions,
            scale_embedding=True,
            static_position_embeddings=True,
            share_encoder_decoder_embeddings=True,
            tie_word_embeddings=True,
            pad_token_id=pad,
            eos_token_id=0,
            decoder_start_token_id=pad,
            forced_eos_token_id=0,
        )
        model = MarianMTModel(config)
        words = [i for t, i in vocab.items() if i < trained and re.fullmatch(r"▁[a-z]{2,}", t)]
        _bias(model, words, vocab.get("."), torch)
        _save(folder, model, tokenizer)
    # As Helsinki-NLP/opus-mt-en-de's generation_config.json.
    (folder / "generation_config.json").write_text(
        json.dumps(
            {
                "bad_words_ids": [[pad]],
                "bos_token_id": 0,
                "decoder_start_token_id": pad,
                "eos_token_id": 0,
                "forced_eos_token_id": 0,
                "max_length": sizes.marian_positions,
                "num_beams": 4,
                "pad_token_id": pad,
                "renormalize_logits": True,
            },
            indent=2,
        ),
        encoding="utf-8",
    )


# -- shared -------------------------------------------------------------------------


def _bias(model: Any, words: list[int], period: int | None, torch: Any) -> None:
    if not words:
        raise RuntimeError("no whole-word tokens learned: corpus too small")
    bias = torch.zeros_like(model.final_logits_bias)
    bias[0, words] = WORD_BIAS
    if period is not None:
        bias[0, period] = PERIOD_BIAS
    model.final_logits_bias.copy_(bias)


def _update_json(path: Path, **fields: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(fields)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _save(folder: Path, model: Any, tokenizer: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else None
    for kind, path in build_bench_models(out).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
