"""Build a tiny random-weight Qwen2-style chat LM for tests, offline, in about a second.

It has the real architecture (Qwen2ForCausalLM) at a toy size, a byte-level BPE
tokenizer trained here on the same small corpus as the other tiny models, and a
ChatML chat template like Qwen2.5-Instruct's (<|im_start|>role ... <|im_end|>), so
tests drive precis's real loading, chat-template and generation path. Its output is
gibberish: tests assert on contracts, never on wording.

    python scripts/make_tiny_llm.py OUT_DIR      # writes OUT_DIR/llm
"""

from __future__ import annotations

import sys
from pathlib import Path

LLM_WINDOW = 1024  # small enough that tests reach chunking with a few paragraphs

# Qwen2.5-Instruct's template, less the tool-calling branches.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EXTRA = [
    "You are a careful assistant inside a terminal article reader.",
    "Summarize the following text in German, in one sentence.",
    "Translate the following text from English into German. Reply with the translation only.",
    "List the key points of the following text as bullet points.",
]


def build_tiny_llm(out: Path, corpus: list[str] | None = None, seed: int = 1234) -> Path:
    """Write the tiny chat LM to `out`/llm and return that folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
    from transformers.utils import logging

    logging.disable_progress_bar()

    if corpus is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from make_tiny_models import CORPUS

        corpus = CORPUS
    torch.manual_seed(seed)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        min_frequency=1,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([*corpus, *EXTRA] * 2, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        model_max_length=LLM_WINDOW,
        chat_template=CHAT_TEMPLATE,
    )
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=LLM_WINDOW,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    folder = Path(out) / "llm"
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # safetensors
    tokenizer.save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: make_tiny_llm.py OUT_DIR", file=sys.stderr)
        return 2
    print(f"llm: {build_tiny_llm(Path(args[0]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
