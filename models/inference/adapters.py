"""Adapters that compose models: a chain of translators through a pivot language, and
a tokenizer that adds a target-language token (`>>id<<`) before every text, with the
checks that such a token exists in the model's vocabulary.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from typing import Any

from models.errors import ModelError
from models.types import Translator


class ChainedTranslator:
    """Two or more translators run one after the other (German -> English -> French)."""

    def __init__(self, hops: Sequence[Translator]) -> None:
        self.hops = list(hops)
        self.name: str = "+".join(h.name for h in self.hops)
        self.revision: str | None = "+".join(h.revision or "-" for h in self.hops)
        self.source_lang: str = self.hops[0].source_lang
        self.target_lang: str = self.hops[-1].target_lang

    def settings_key(self) -> str:
        return json.dumps([h.settings_key() for h in self.hops], separators=(",", ":"))

    def translate(
        self, texts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> list[str]:
        out = list(texts)
        for hop in self.hops:
            out = hop.translate(out, cancel=cancel)
        return out


class PrefixingTokenizer:
    """A tokenizer that puts a target-language token before every text it encodes.

    Multi-target opus-mt models (en-zh, en-ar) pick the output language from a
    sentence-initial `>>id<<` token; Seq2SeqTranslator encodes each sentence on its
    own, so the token is added where every sentence is encoded. Token counts include
    it, which is right: it takes a place in the model's window. Everything else is the
    wrapped tokenizer's.
    """

    def __init__(self, tokenizer: Any, prefix: str) -> None:
        object.__setattr__(self, "_tokenizer", tokenizer)
        object.__setattr__(self, "_prefix", prefix.strip() + " ")

    @property
    def prefix(self) -> str:
        """The target-language token, e.g. ">>por<<"."""
        return str(self._prefix).strip()

    def __call__(self, text: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(text, str):
            text = self._prefix + text
        elif isinstance(text, (list, tuple)):
            text = [self._prefix + t if isinstance(t, str) else t for t in text]
        return self._tokenizer(text, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._tokenizer, name, value)


# ISO 639-3 (and script) forms of target tokens that multi-target opus-mt models use,
# most specific first: opus-mt-en-zh takes >>cmn_Hans<<, tc-big-en-pt >>por<<.
_TARGET_TOKEN_NAMES: dict[str, tuple[str, ...]] = {
    "zh": ("cmn_Hans", "zho_Hans", "cmn", "zho", "zh"),
    "ar": ("ara", "arb", "ar"),
    "pt": ("por", "pt"),
    "de": ("deu", "de"),
    "fr": ("fra", "fr"),
    "es": ("spa", "es"),
    "it": ("ita", "it"),
    "ru": ("rus", "ru"),
    "ja": ("jpn", "ja"),
    "ko": ("kor", "ko"),
    "hi": ("hin", "hi"),
    "en": ("eng", "en"),
    "nl": ("nld", "nl"),
}
_TARGET_TOKEN = re.compile(r"^>>[\w-]+<<$")


def target_tokens(tokenizer: Any) -> list[str]:
    """The `>>id<<` tokens in a tokenizer's vocabulary (empty for one-target models)."""
    try:
        vocab = tokenizer.get_vocab()
    except Exception:  # a tokenizer without a vocabulary to list: nothing to find
        return []
    return sorted(t for t in vocab if isinstance(t, str) and _TARGET_TOKEN.match(t))


def target_token_for(tokenizer: Any, target_lang: str, model: str) -> str | None:
    """The `>>id<<` token a multi-target model needs for `target_lang`; None for a model
    with one target. Raises ModelError when it has target tokens but none for the
    language (the config can name it: prefix = ">>id<<")."""
    tokens = target_tokens(tokenizer)
    if not tokens:
        return None
    for name in _TARGET_TOKEN_NAMES.get(target_lang, (target_lang,)):
        if f">>{name}<<" in tokens:
            return f">>{name}<<"
    raise ModelError(
        f"model {model} translates into several languages and has no target token for "
        f"{target_lang} (it has {', '.join(tokens[:6])}{'...' if len(tokens) > 6 else ''}); "
        f'name one in the config: {target_lang} = {{ model = "{model}", prefix = ">>id<<" }}'
    )


def check_target_token(tokenizer: Any, prefix: str, model: str) -> None:
    """Raises ModelError unless `prefix` (">>cmn_Hans<<") is one token of the vocabulary:
    otherwise the model would see pieces of it, or <unk>, and pick a language at random."""
    prefix = prefix.strip()
    token_id = None
    try:
        token_id = tokenizer.convert_tokens_to_ids(prefix)
        ids = tokenizer(prefix + " a", add_special_tokens=False)["input_ids"]
    except Exception:  # a tokenizer that cannot even encode it: not a token either
        ids = []
    unknown = getattr(tokenizer, "unk_token_id", None)
    if not isinstance(token_id, int) or token_id == unknown or not ids or ids[0] != token_id:
        raise ModelError(
            f"model {model} has no token {prefix} in its vocabulary: it is not one of this "
            "model's target tokens (see its model card for the >>id<< tokens it knows)"
        )
