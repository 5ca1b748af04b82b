"""Build tiny random-weight seq2seq models for tests, offline, in about a second.

Tests must exercise the real loading and generation path (Auto classes,
safetensors, tokenizers, `generate()`) without network or real weights. These
models have the real architectures (BART, Marian, M2M100) at toy sizes, with
tokenizers trained here on a small built-in English and German corpus. Their
output is gibberish, so tests assert on contracts (one output per input, lengths,
chunk sizes, cancellation), never on wording.

They are built by scripts/stand_in_models.py (the one builder, also used for the
real-size benchmark stand-ins) at its TINY shape, and carry the real checkpoints'
configuration fields, so tests take the code paths the real models take:
- summarizer: like sshleifer/distilbart-cnn-12-6 (no generation_config.json; beams,
  lengths, forced BOS/EOS and no_repeat_ngram_size in config.json).
- translator: like Helsinki-NLP/opus-mt-en-de's generation_config.json.
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

import sys
from pathlib import Path
from types import ModuleType

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

    build = _builder()
    logging.disable_progress_bar()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    spm_bytes = build.train_sentencepiece(CORPUS * 4, 320)
    tiny = build.TINY
    marian = {"window": TRANSLATOR_WINDOW}
    summarizer = build.build_bart(
        out / "summarizer", CORPUS, tiny, bpe_vocab=600, window=SUMMARIZER_WINDOW
    )
    translator = build.build_marian(out / "translator", spm_bytes, tiny, **marian)
    multitarget = build.build_marian(
        out / "multitarget", spm_bytes, tiny, targets=TARGET_TOKENS, **marian
    )
    m2m = build.m2m100_tokenizer(spm_bytes, TRANSLATOR_WINDOW)
    # Language tokens (__de__ ...) and made-up words sit after the spm vocabulary.
    m2m_vocab = len(m2m.encoder) + len(m2m.lang_code_to_id) + m2m.num_madeup_words
    multilingual = build.build_m2m100(
        out / "multilingual",
        m2m,
        tiny,
        window=TRANSLATOR_WINDOW,
        vocab_size=m2m_vocab,
        generation=M2M100_GENERATION,
    )
    nllb = build.nllb_tokenizer(CORPUS, 400, TRANSLATOR_WINDOW)
    nllb_folder = build.build_m2m100(
        out / "nllb",
        nllb,
        tiny,
        window=TRANSLATOR_WINDOW,
        vocab_size=len(nllb),
        generation=NLLB_GENERATION,
    )
    pickle_only = build.build_marian(out / "pickle_only", spm_bytes, tiny, **marian)
    return {
        "summarizer": summarizer,
        "translator": translator,
        "multitarget": multitarget,
        "multilingual": multilingual,
        "nllb": nllb_folder,
        "pickle_only": _pickle_only(pickle_only),
    }


# facebook/m2m100_418M's and facebook/nllb-200-distilled-600M's generation settings
# (their token ids come from the tokenizer).
M2M100_GENERATION = {"early_stopping": True, "max_length": 200, "num_beams": 5}
NLLB_GENERATION = {"max_length": 200}


def _builder() -> ModuleType:
    """scripts/stand_in_models.py, the one builder (this module is also loaded by path)."""
    scripts = str(Path(__file__).resolve().parent)
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import stand_in_models

    return stand_in_models


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
