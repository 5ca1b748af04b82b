"""Time to first shown word and decode speed of a local LLM at Qwen2.5-0.5B size.

The hub is unreachable here, so the model is Qwen2.5-0.5B-Instruct's architecture with
random weights (24 layers, hidden 896, 14 heads / 2 KV heads, MLP 4864), driven through
precis's real chat backend (models.inference.causal_lm.CausalLMChat: chat template,
streaming callback, cancel criteria). Its vocabulary is the tiny test tokenizer's (700
tokens) so that random output decodes: the real 152k-token embedding and LM head are
left out, which makes each decoded token cheaper than the real model's (the LM head is
~136M of its 494M parameters), so decode figures here are optimistic; prefill is
dominated by the transformer body and is representative.

    python scripts/bench_causal_lm.py [--words 300] [--new 48] [--int8] [--device cpu]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_tiny_llm import build_tiny_llm  # noqa: E402

from models.errors import Cancelled  # noqa: E402
from models.inference import lazy_torch as hf  # noqa: E402
from models.inference.causal_lm import CausalLMChat  # noqa: E402
from models.inference.loader import LoadedModel, _prepare  # noqa: E402
from models.inference.prompts import summary_prompt  # noqa: E402
from models.types import Length  # noqa: E402

SENTENCE = "The city council met on Monday to discuss the new budget for schools and roads."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=300, help="words in the section")
    parser.add_argument("--new", type=int, default=48, help="new tokens per answer")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--int8", action="store_true", help="dynamic int8 (CPU)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    torch = hf.torch()
    transformers = hf.transformers()
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(build_tiny_llm(Path(tmp))))
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        rope_theta=1_000_000.0,
        tie_word_embeddings=True,
    )
    started = time.perf_counter()
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = None  # random weights: a fixed length per answer
    precision = "int8" if args.int8 else ("fp32" if args.device == "cpu" else "bf16")
    if precision == "bf16":
        model = model.to(torch.bfloat16)
    model = _prepare(model, args.device, precision)
    built = time.perf_counter() - started
    loaded = LoadedModel(
        name="qwen2.5-0.5b-size",
        revision=None,
        device=args.device,
        precision=precision,
        max_input_tokens=32768,
        tokenizer=tokenizer,
        model=model,
        load_seconds=built,
    )
    chat = CausalLMChat(loaded)
    words = " ".join([SENTENCE] * (args.words // len(SENTENCE.split()) + 1)).split()
    section = " ".join(words[: args.words])
    prompt = summary_prompt(section, source_lang="en", target_lang="de", length=Length.MEDIUM)
    prompt = type(prompt)(prompt.messages, args.new)
    encoded = tokenizer.apply_chat_template(
        list(prompt.messages), add_generation_prompt=True, return_dict=True
    )
    prompt_tokens = len(encoded["input_ids"])
    firsts, totals = [], []
    for _ in range(args.runs):
        begun = time.perf_counter()
        chat.complete(prompt, cancel=threading.Event(), on_text=lambda _t: None)
        total = time.perf_counter() - begun
        totals.append(total)
        # The first callback is the first finished word; time it on a second pass
        # rather than inside the callback to keep the callback free.
        first_begun = time.perf_counter()
        seen = threading.Event()
        cancel = threading.Event()

        def on_text(
            _text: str, seen: threading.Event = seen, cancel: threading.Event = cancel
        ) -> None:
            if not seen.is_set():
                seen.set()
                cancel.set()  # stop at the first word: its time is the time to first word

        with contextlib.suppress(Cancelled):  # as asked, at the first word
            chat.complete(prompt, cancel=cancel, on_text=on_text)
        firsts.append(time.perf_counter() - first_begun)
    decode = (statistics.median(totals) - statistics.median(firsts)) / max(1, args.new - 1)
    print(
        f"Qwen2.5-0.5B-size random weights, {precision} on {args.device}, "
        f"{torch.get_num_threads()} threads; built in {built:.1f} s"
    )
    print(f"section {args.words} words, prompt {prompt_tokens} tokens, {args.new} new tokens")
    print(f"time to first word: {statistics.median(firsts) * 1000:.0f} ms (median of {args.runs})")
    print(f"whole answer:       {statistics.median(totals) * 1000:.0f} ms")
    print(f"decode:             {decode * 1000:.0f} ms per token ({1 / decode:.1f} tokens/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
