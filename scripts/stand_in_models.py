"""The one builder of random-weight stand-in models, for tests and for benchmarks.

precis' tests and benchmarks need models with the real architectures (BART, Marian,
M2M100/NLLB), the real checkpoints' configuration fields and working tokenizers, but
no network and no trained weights. The tiny test models (scripts/make_tiny_models.py)
and the real-size benchmark stand-ins (scripts/bench_models.py, also used by
scripts/bench_seq2seq.py) differ only in their sizes, their training text and a few
options, so they are built here by the same functions, with a `Shape` as the size
parameter.

The configuration fields copied from the real checkpoints (public configs, Dec 2026):
- distilbart-cnn-12-6: no generation_config.json; config.json sets forced BOS 0 and
  forced EOS 2, 4 beams, length_penalty 2.0, min_length 56, max_length 142,
  no_repeat_ngram_size 3.
- opus-mt-en-de's generation_config.json: 4 beams, forced EOS 0 (its </s>), pad as
  decoder start and as a bad word, max_length 512.
- facebook/m2m100_418M: 5 beams, max_length 200, early stopping; nllb-200: max_length 200.

Options for benchmark stand-ins (random weights write random ids; see `word_bias` and
`successor_cycle`) change weights only, never shapes, so the work per token is that
of the real models.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Shape:
    """The sizes of a transformer: the size parameter of every builder."""

    d_model: int
    layers: tuple[int, int]  # encoder, decoder
    heads: int
    ffn: int

    def config(self) -> dict[str, Any]:
        """The transformers config fields these sizes set (BART, Marian, M2M100 alike)."""
        return {
            "d_model": self.d_model,
            "encoder_layers": self.layers[0],
            "decoder_layers": self.layers[1],
            "encoder_attention_heads": self.heads,
            "decoder_attention_heads": self.heads,
            "encoder_ffn_dim": self.ffn,
            "decoder_ffn_dim": self.ffn,
        }


TINY = Shape(d_model=32, layers=(1, 1), heads=2, ffn=64)
DISTILBART_CNN_12_6 = Shape(d_model=1024, layers=(12, 6), heads=16, ffn=4096)
OPUS_MT = Shape(d_model=512, layers=(6, 6), heads=8, ffn=2048)

# distilbart-cnn-12-6's generation settings, which sit in its config.json.
DISTILBART_GENERATION = {
    "num_beams": 4,
    "length_penalty": 2.0,
    "min_length": 56,
    "max_length": 142,
    "no_repeat_ngram_size": 3,
    "early_stopping": True,
}
WORD_BIAS = 8.0  # added to whole-word tokens: dominates random logits (std ~0.6)
PERIOD_BIAS = 9.0  # ".": a few sentence ends per 60 tokens (measured at real size)


# -- tokenizers -----------------------------------------------------------------------


def train_sentencepiece(corpus: list[str], vocab_size: int, *, threads: int | None = None) -> bytes:
    """A sentencepiece unigram model trained in memory on `corpus`."""
    import sentencepiece as spm

    model = io.BytesIO()
    more = {} if threads is None else {"num_threads": threads}
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type="unigram",
        normalization_rule_name="identity",  # keeps the model file small
        character_coverage=1.0,
        minloglevel=2,
        **more,
    )
    return model.getvalue()


def spm_vocab(spm_bytes: bytes, specials: list[str]) -> dict[str, int]:
    """`specials` first, then the sentencepiece model's pieces, as Marian numbers them."""
    import sentencepiece as spm

    proc = spm.SentencePieceProcessor(model_proto=spm_bytes)
    vocab = {token: i for i, token in enumerate(specials)}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    return vocab


def _bpe_merges(data: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in data["model"]["merges"]
    ]


def _fillers(count: int) -> list[str]:
    """Tokens that never occur in text: they change no token count, they only make a
    tokenizer's ids cover an embedding table of the real size."""
    return [f"<extra_{i}>" for i in range(count)]


# -- BART (distilbart-cnn-12-6) ---------------------------------------------------------


def build_bart(
    folder: Path,
    corpus: list[str],
    shape: Shape,
    *,
    bpe_vocab: int,
    window: int,
    min_frequency: int = 1,
    fill_to: int | None = None,
    word_bias: bool = False,
) -> Path:
    """A BART summarizer like distilbart-cnn-12-6 at `shape`: a byte-level BPE trained on
    `corpus` to `bpe_vocab` tokens (then filler tokens up to `fill_to`), `window` positions.
    `word_bias`: favour whole English words and "." (see `_favour`)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus, vocab_size=bpe_vocab, min_frequency=min_frequency, special_tokens=specials
    )
    # v5 takes vocab= and merges= (vocab_file= is silently ignored: a 4-token vocabulary).
    tokenizer = BartTokenizer(
        vocab=bpe.get_vocab(),
        merges=_bpe_merges(json.loads(bpe._tokenizer.to_str())),
        model_max_length=window,
    )
    trained = len(tokenizer)
    if fill_to is not None:
        tokenizer.add_tokens(_fillers(fill_to - trained))
    config = BartConfig(
        vocab_size=len(tokenizer),
        **shape.config(),
        max_position_embeddings=window,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = BartForConditionalGeneration(config)
    if word_bias:
        vocab = tokenizer.get_vocab()
        _favour(model, _word_ids(vocab, "Ġ", trained), vocab.get("."))
    save(folder, model, tokenizer)
    # distilbart-cnn-12-6 has no generation_config.json: its generation settings sit in
    # config.json, and transformers builds the generation config from them.
    (folder / "generation_config.json").unlink()
    update_json(
        folder / "config.json",
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        **DISTILBART_GENERATION,
    )
    return folder


# -- Marian (opus-mt) -------------------------------------------------------------------


def build_marian(
    folder: Path,
    spm_bytes: bytes,
    shape: Shape,
    *,
    window: int,
    targets: tuple[str, ...] = (),
    fill_to: int | None = None,
    config: dict[str, Any] | None = None,
    successor_cycle: bool = False,
) -> Path:
    """A Marian translator like opus-mt-en-de at `shape`: the same sentencepiece model as
    source and target spm, `targets` (">>xx<<" tokens) after </s> and <unk>, filler
    tokens up to `fill_to`, pad last (Marian decodes from it). `config`: more config
    fields. `successor_cycle`: outputs that never repeat (see `_successor_cycle`)."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    vocab = spm_vocab(spm_bytes, ["</s>", "<unk>", *targets])
    trained = len(vocab)
    if fill_to is not None:
        for token in _fillers(fill_to - 1 - trained):
            vocab[token] = len(vocab)
    vocab["<pad>"] = len(vocab)
    pad, eos = vocab["<pad>"], vocab["</s>"]
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = Path(tmp) / "spm.model"
        spm_path.write_bytes(spm_bytes)
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab), encoding="utf-8")
        tokenizer = MarianTokenizer(
            source_spm=str(spm_path),
            target_spm=str(spm_path),
            vocab=str(vocab_path),
            source_lang="en",
            target_lang="de",
            model_max_length=window,
        )
        model = MarianMTModel(
            MarianConfig(
                vocab_size=len(vocab),
                **shape.config(),
                max_position_embeddings=window,
                pad_token_id=pad,
                eos_token_id=eos,
                decoder_start_token_id=pad,
                forced_eos_token_id=eos,
                scale_embedding=True,
                **(config or {}),
            )
        )
        if successor_cycle:
            _successor_cycle(model, _word_ids(vocab, "▁", trained))
        save(folder, model, tokenizer)
    # opus-mt-en-de's generation_config.json, with this vocabulary's ids.
    write_json(
        folder / "generation_config.json",
        bad_words_ids=[[pad]],
        bos_token_id=0,
        decoder_start_token_id=pad,
        eos_token_id=eos,
        forced_eos_token_id=eos,
        max_length=512,
        num_beams=4,
        pad_token_id=pad,
        renormalize_logits=True,
    )
    return folder


# -- M2M100 and NLLB ----------------------------------------------------------------


def m2m100_tokenizer(spm_bytes: bytes, window: int) -> Any:
    """An M2M100Tokenizer (facebook/m2m100_418M's kind) over `spm_bytes`, en -> de."""
    from transformers import M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    vocab = spm_vocab(spm_bytes, ["<s>", "<pad>", "</s>", "<unk>"])
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = Path(tmp) / "sentencepiece.bpe.model"
        spm_path.write_bytes(spm_bytes)
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab), encoding="utf-8")
        return M2M100Tokenizer(
            vocab_file=str(vocab_path),
            spm_file=str(spm_path),
            src_lang="en",
            tgt_lang="de",
            model_max_length=window,
            # As in facebook/m2m100_418M's tokenizer_config: the constructor alone does
            # not register the language tokens as special, so decoding would keep them.
            additional_special_tokens=[f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]],
        )


def nllb_tokenizer(corpus: list[str], bpe_vocab: int, window: int) -> Any:
    """An NllbTokenizer (Flores-200 codes, "deu_Latn") with a BPE trained on `corpus`."""
    from tokenizers import SentencePieceBPETokenizer
    from transformers import NllbTokenizer

    bpe = SentencePieceBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe.train_from_iterator(corpus, vocab_size=bpe_vocab, min_frequency=1, special_tokens=specials)
    data = json.loads(bpe._tokenizer.to_str())
    # The Flores-200 language tokens (eng_Latn, deu_Latn, ...) are added after the vocabulary.
    return NllbTokenizer(
        vocab=data["model"]["vocab"],
        merges=_bpe_merges(data),
        src_lang="eng_Latn",
        tgt_lang="deu_Latn",
        model_max_length=window,
    )


def build_m2m100(
    folder: Path,
    tokenizer: Any,
    shape: Shape,
    *,
    window: int,
    vocab_size: int,
    generation: dict[str, Any],
) -> Path:
    """An m2m_100 model (M2M100 or NLLB, by `tokenizer`) at `shape`, with the
    checkpoint's generation config: the ids of `tokenizer` plus `generation`."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    ids = {
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "decoder_start_token_id": tokenizer.eos_token_id,
    }
    config = M2M100Config(
        vocab_size=vocab_size, **shape.config(), max_position_embeddings=window, **ids
    )
    save(folder, M2M100ForConditionalGeneration(config), tokenizer)
    write_json(folder / "generation_config.json", **ids, **generation)
    return folder


# -- weights of benchmark stand-ins -----------------------------------------------------


def _word_ids(vocab: dict[str, int], marker: str, below: int) -> list[int]:
    """Ids (under `below`: trained, not fillers) of tokens that are whole English words."""
    word = re.compile(re.escape(marker) + r"[a-z]{2,}")
    return sorted(i for t, i in vocab.items() if i < below and word.fullmatch(t))


def _favour(model: Any, words: list[int], period: int | None) -> None:
    """Random weights emit random ids, mostly fillers that decode to nothing, which
    precis' output checks would refuse. `final_logits_bias` (a buffer BART and Marian
    have, which CTranslate2's converter carries over) then favours whole words and "."."""
    import torch

    if not words:
        raise RuntimeError("no whole-word tokens learned: corpus too small")
    bias = torch.zeros_like(model.final_logits_bias)
    bias[0, words] = WORD_BIAS
    if period is not None:
        bias[0, period] = PERIOD_BIAS
    model.final_logits_bias.copy_(bias)


def _successor_cycle(model: Any, words: list[int], seed: int = 1234) -> None:
    """Make a random-weight Marian write a long cycle of distinct words, never a loop.

    With random weights and tied embeddings, a token's own embedding dominates the last
    hidden state, so greedy and beam search repeat one word ("assess assess ...") and
    precis rightly refuses the output and retries: work no other contender does. Here
    the weights are nudged, shapes unchanged (so the work per token is the same):
    - up to `ffn` word tokens are put in a random cycle; their embeddings (tied with the
      output layer) get a norm large enough to dominate the position signal, and only
      they get the word bias;
    - the decoder layers' self-attention and feed-forward outputs are scaled down (x0.1),
      so the previous token stays readable in the residual stream;
    - the last decoder layer's feed-forward becomes a key-value table: neuron k fires on
      cycle word k (fc1 row = its direction, bias below the chance level) and writes
      the direction of word k+1 (fc2 column), which the tied output layer then picks.
    The first word (after the pad start token, whose embedding is zero) comes from the
    random part (in practice the same word whatever the input), then the cycle is
    followed: an output as long as the cycle (min(ffn, word tokens): 2048 at opus-mt
    size) never repeats. Outputs are alike across inputs; their lengths are fixed by
    the benchmark anyway, and no contender de-duplicates outputs."""
    import torch

    decoder = model.model.decoder
    last = decoder.layers[-1]
    d_model, ffn = last.fc1.in_features, last.fc1.out_features
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(words), generator=generator)[:ffn].tolist()
    cycle = [words[i] for i in order]
    if len(cycle) < 16:
        raise RuntimeError("too few whole-word tokens for a successor cycle")
    with torch.no_grad():
        shared = model.model.shared.weight
        # Token norm x sqrt(d) (scale_embedding) = 4 x the sinusoid's norm sqrt(d / 2).
        norm = 4 / 2**0.5
        directions = shared[cycle] / shared[cycle].norm(dim=1, keepdim=True)
        shared[cycle] = directions * norm
        for layer in decoder.layers:
            outputs = [layer.self_attn.out_proj] + ([layer.fc2] if layer is not last else [])
            for linear in outputs:
                linear.weight.mul_(0.1)
                linear.bias.mul_(0.1)
        keys = torch.zeros(ffn, d_model)
        values = torch.zeros(d_model, ffn)
        keys[: len(cycle)] = directions * 2.0
        values[:, : len(cycle)] = directions.roll(-1, dims=0).T * 20.0
        last.fc1.weight.copy_(keys)
        # A matching key gives about 2 x sqrt(d) x 0.9; chance about 2 x N(0, 1).
        last.fc1.bias.fill_(-0.6 * 2.0 * d_model**0.5)
        last.fc2.weight.copy_(values)
        last.fc2.bias.zero_()
        bias = torch.zeros_like(model.final_logits_bias)
        bias[0, cycle] = WORD_BIAS
        model.final_logits_bias.copy_(bias)


# -- files ----------------------------------------------------------------------------


def update_json(path: Path, **fields: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(fields)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_json(path: Path, **fields: Any) -> None:
    path.write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def save(folder: Path, model: Any, tokenizer: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # safetensors by default
    tokenizer.save_pretrained(folder)
    return folder
