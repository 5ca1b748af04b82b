"""Build tiny random-weight seq2seq models for tests, offline, in about a second.

Tests must exercise the real loading and generation path (Auto classes,
safetensors, tokenizers, `generate()`) without network or real weights. These
models have the real architectures (BART, Marian, M2M100) at toy sizes, with
tokenizers trained here on a small built-in English and German corpus. Their
output is gibberish, so tests assert on contracts (one output per input, lengths,
chunk sizes, cancellation), never on wording.

They carry the real checkpoints' configuration fields, so tests take the code paths
the real models take (checked against the public configs, Dec 2026):
- summarizer: like sshleifer/distilbart-cnn-12-6, no generation_config.json; its
  config.json sets forced BOS 0 and forced EOS 2, 4 beams, length_penalty 2.0,
  min_length 56, max_length 142, no_repeat_ngram_size 3.
- translator: like Helsinki-NLP/opus-mt-en-de's generation_config.json: 4 beams,
  forced EOS 0 (its </s>), pad as decoder start and as a bad word, max_length 512.
- multitarget: a multi-target opus-mt (like opus-mt-en-zh or tc-big-en-pt) whose
  vocabulary holds `>>xx<<` target tokens.
- multilingual: like facebook/m2m100_418M: 5 beams, max_length 200, early stopping.
- nllb: like facebook/nllb-200-distilled-600M: an m2m_100 model whose NllbTokenizer takes
  Flores-200 codes ("deu_Latn"), not M2M100's "de".
- pickle_only: the translator saved only as pytorch_model.bin (as opus-mt-en-de's and
  m2m100_418M's main branches are).

    python scripts/make_tiny_models.py OUT_DIR

writes OUT_DIR/<each name above>.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

SEED = 1234

# Sizes: tiny, but with windows small enough that tests hit chunking quickly.
SUMMARIZER_WINDOW = 256
TRANSLATOR_WINDOW = 128

CORPUS = [
    "The city council met on Monday to discuss the new budget for schools and roads.",
    "Scientists say the vaccine trial will take at least another eighteen months.",
    "The company reported higher profits in the third quarter, beating expectations.",
    "Heavy rain caused flooding in several villages along the river on Sunday.",
    "The minister said the government would support small businesses during the crisis.",
    "Thousands of people gathered in the square to celebrate the national holiday.",
    "Researchers found that the new material conducts heat twice as well as copper.",
    "The team won the championship after a dramatic final match in the capital.",
    "Prices for food and energy rose sharply last year, according to official data.",
    "Doctors warn that hospitals are running out of beds as infections increase.",
    "The museum will reopen next month with an exhibition of modern paintings.",
    "Global solidarity is needed to fight the pandemic, the health agency said.",
    "Exports fell by ten percent while imports stayed roughly the same.",
    "The president will visit three countries in Asia and Europe next week.",
    "Teachers and parents asked for clearer rules about the school year.",
    "A new bridge connects the two halves of the old town for the first time.",
    "Der Stadtrat traf sich am Montag, um den neuen Haushalt zu besprechen.",
    "Wissenschaftler sagen, dass die Studie noch mindestens achtzehn Monate dauert.",
    "Das Unternehmen meldete im dritten Quartal höhere Gewinne als erwartet.",
    "Starker Regen verursachte am Sonntag Überschwemmungen in mehreren Dörfern.",
    "Der Minister sagte, die Regierung werde kleine Unternehmen unterstützen.",
    "Tausende Menschen versammelten sich auf dem Platz, um den Feiertag zu feiern.",
    "Forscher fanden heraus, dass das neue Material Wärme doppelt so gut leitet.",
    "Die Mannschaft gewann die Meisterschaft nach einem dramatischen Finale.",
    "Die Preise für Lebensmittel und Energie stiegen im letzten Jahr stark an.",
    "Ärzte warnen, dass den Krankenhäusern die Betten ausgehen.",
    "Das Museum öffnet nächsten Monat wieder mit einer Ausstellung moderner Malerei.",
    "Globale Solidarität ist nötig, um die Pandemie zu bekämpfen, sagte die Behörde.",
    "Die Exporte fielen um zehn Prozent, während die Importe gleich blieben.",
    "Der Präsident besucht nächste Woche drei Länder in Asien und Europa.",
    "Lehrer und Eltern forderten klarere Regeln für das Schuljahr.",
    "Eine neue Brücke verbindet zum ersten Mal die beiden Hälften der Altstadt.",
]


# Target-language tokens of the multi-target Marian, as in opus-mt-en-zh,
# opus-mt-en-ar and opus-mt-tc-big-en-pt.
TARGET_TOKENS = (">>cmn_Hans<<", ">>cmn_Hant<<", ">>ara<<", ">>por<<", ">>deu<<")


def build_tiny_models(out: Path) -> dict[str, Path]:
    """Write the tiny models under `out`; returns {"summarizer", "translator",
    "multitarget", "multilingual", "nllb", "pickle_only"} -> folder. Deterministic for a
    given torch version."""
    # Imported here so that importing this module (e.g. from conftest) stays cheap.
    import torch
    from transformers.utils import logging

    logging.disable_progress_bar()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    spm_bytes = _train_sentencepiece()
    return {
        "summarizer": _build_bart(out / "summarizer"),
        "translator": _build_marian(out / "translator", spm_bytes),
        "multitarget": _build_marian(out / "multitarget", spm_bytes, targets=TARGET_TOKENS),
        "multilingual": _build_m2m100(out / "multilingual", spm_bytes),
        "nllb": _build_nllb(out / "nllb"),
        "pickle_only": _pickle_only(_build_marian(out / "pickle_only", spm_bytes)),
    }


def _train_sentencepiece() -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4),
        model_writer=model,
        vocab_size=320,
        hard_vocab_limit=False,
        model_type="unigram",
        normalization_rule_name="identity",  # keeps the model file ~10 KB
        character_coverage=1.0,
        minloglevel=2,
    )
    return model.getvalue()


def _spm_vocab(spm_bytes: bytes, specials: list[str]) -> dict[str, int]:
    import sentencepiece as spm

    proc = spm.SentencePieceProcessor(model_proto=spm_bytes)
    vocab = {token: i for i, token in enumerate(specials)}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    return vocab


def _build_bart(folder: Path) -> Path:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=600, min_frequency=1, special_tokens=specials)
    merges = json.loads(bpe._tokenizer.to_str())["model"]["merges"]
    # v5 takes vocab= and merges= (vocab_file= is silently ignored: a 4-token vocabulary, no error).
    tokenizer = BartTokenizer(
        vocab=bpe.get_vocab(),
        merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges],
        model_max_length=SUMMARIZER_WINDOW,
    )
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=SUMMARIZER_WINDOW,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = BartForConditionalGeneration(config)
    _save(folder, model, tokenizer)
    # distilbart-cnn-12-6 has no generation_config.json: its generation settings sit in
    # config.json, and transformers builds the generation config from them. precis must
    # override the lengths (min_length 56 would make every short summary long).
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
    return folder


def _build_marian(folder: Path, spm_bytes: bytes, *, targets: tuple[str, ...] = ()) -> Path:
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    vocab = _spm_vocab(spm_bytes, ["</s>", "<unk>", *targets])
    vocab["<pad>"] = len(vocab)  # Marian puts pad last and starts decoding from it
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
            model_max_length=TRANSLATOR_WINDOW,
        )
        pad = vocab["<pad>"]
        config = MarianConfig(
            vocab_size=len(vocab),
            d_model=32,
            encoder_layers=1,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            max_position_embeddings=TRANSLATOR_WINDOW,
            pad_token_id=pad,
            eos_token_id=vocab["</s>"],
            decoder_start_token_id=pad,
            forced_eos_token_id=vocab["</s>"],
            scale_embedding=True,
        )
        model = MarianMTModel(config)
        _save(folder, model, tokenizer)
    # opus-mt-en-de's generation_config.json, with this vocabulary's ids.
    _write_json(
        folder / "generation_config.json",
        bad_words_ids=[[pad]],
        bos_token_id=0,
        decoder_start_token_id=pad,
        eos_token_id=vocab["</s>"],
        forced_eos_token_id=vocab["</s>"],
        max_length=512,
        num_beams=4,
        pad_token_id=pad,
        renormalize_logits=True,
    )
    return folder


def _build_m2m100(folder: Path, spm_bytes: bytes) -> Path:
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    vocab = _spm_vocab(spm_bytes, ["<s>", "<pad>", "</s>", "<unk>"])
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = Path(tmp) / "sentencepiece.bpe.model"
        spm_path.write_bytes(spm_bytes)
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab), encoding="utf-8")
        tokenizer = M2M100Tokenizer(
            vocab_file=str(vocab_path),
            spm_file=str(spm_path),
            src_lang="en",
            tgt_lang="de",
            model_max_length=TRANSLATOR_WINDOW,
            # As in facebook/m2m100_418M's tokenizer_config: the constructor alone does
            # not register the language tokens as special, so decoding would keep them.
            additional_special_tokens=[f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]],
        )
        # Language tokens (__de__ ...) and made-up words sit after the spm vocabulary.
        vocab_size = len(vocab) + len(tokenizer.lang_code_to_id) + tokenizer.num_madeup_words
        config = M2M100Config(
            vocab_size=vocab_size,
            d_model=32,
            encoder_layers=1,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            max_position_embeddings=TRANSLATOR_WINDOW,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.eos_token_id,
        )
        model = M2M100ForConditionalGeneration(config)
        _save(folder, model, tokenizer)
    # facebook/m2m100_418M's generation_config.json.
    _write_json(
        folder / "generation_config.json",
        bos_token_id=tokenizer.bos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        early_stopping=True,
        eos_token_id=tokenizer.eos_token_id,
        max_length=200,
        num_beams=5,
        pad_token_id=tokenizer.pad_token_id,
    )
    return folder


def _build_nllb(folder: Path) -> Path:
    from tokenizers import SentencePieceBPETokenizer
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    bpe = SentencePieceBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe.train_from_iterator(CORPUS, vocab_size=400, min_frequency=1, special_tokens=specials)
    data = json.loads(bpe._tokenizer.to_str())
    merges = [
        tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in data["model"]["merges"]
    ]
    # The Flores-200 language tokens (eng_Latn, deu_Latn, ...) are added after the vocabulary.
    tokenizer = NllbTokenizer(
        vocab=data["model"]["vocab"],
        merges=merges,
        src_lang="eng_Latn",
        tgt_lang="deu_Latn",
        model_max_length=TRANSLATOR_WINDOW,
    )
    config = M2M100Config(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=TRANSLATOR_WINDOW,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
    )
    _save(folder, M2M100ForConditionalGeneration(config), tokenizer)
    # facebook/nllb-200-distilled-600M's generation_config.json.
    _write_json(
        folder / "generation_config.json",
        bos_token_id=tokenizer.bos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        max_length=200,
        pad_token_id=tokenizer.pad_token_id,
    )
    return folder


def _pickle_only(folder: Path) -> Path:
    """Replace the safetensors weights with a pickle `pytorch_model.bin`, written as the
    old checkpoints were (torch.save of the state dict, tied weights sharing storage):
    what many checkpoints on the hub still are."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(str(folder))
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


def _update_json(path: Path, **fields: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(fields)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_json(path: Path, **fields: Any) -> None:
    path.write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _save(folder: Path, model: Any, tokenizer: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # safetensors by default
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_llm(out: Path) -> Path:
    """The tiny Qwen2-style chat LM (scripts/make_tiny_llm.py) at `out`/llm, trained on
    the same corpus. Separate from `build_tiny_models`: only the LLM tests need it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_tiny_llm import build_tiny_llm as build

    return build(Path(out), CORPUS, seed=SEED)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: make_tiny_models.py OUT_DIR", file=sys.stderr)
        return 2
    for kind, path in build_tiny_models(Path(args[0])).items():
        print(f"{kind}: {path}")
    print(f"llm: {build_tiny_llm(Path(args[0]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
