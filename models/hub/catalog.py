"""Which model translates which language pair, and how big a download it is.

precis offers a fixed set of target languages. For each one this table names the model
that translates English into it and the one that translates it into English (a
non-English article is pivoted through English), with an approximate download size so
that the reader and `precis models` can say what a download costs before it starts.

The defaults are Helsinki-NLP's Marian models (opus-mt, ~300 MB each) where a good one
exists. Where none does (Japanese, Korean, Portuguese) the multilingual
`facebook/m2m100_418M` is used with its target-language token forced as the first
generated token. Some opus-mt models are trained for several target variants and need
a sentence-initial `>>id<<` token (en-zh, en-ar): `ModelSpec.prefix` carries it.

Users override the default per target language in the config
(`[models.translators] de = "..."`) or for the chosen language with `--translator`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import ModelError
from models.language_names import language_name
from models.text import MB, format_size

if TYPE_CHECKING:
    from models.settings import Settings

ORIGINAL = "original"  # the picker entry that shows the article in its own language

MARIAN_SIZE = 300 * MB  # opus-mt: 74M parameters, float32 weights + tokenizer
M2M100_418M = "facebook/m2m100_418M"
M2M100_SIZE = 1_940 * MB
MUL_EN = "Helsinki-NLP/opus-mt-mul-en"

# Sizes of models people are likely to name, for messages before a download.
KNOWN_SIZES: dict[str, int] = {
    "sshleifer/distilbart-cnn-12-6": 1_220 * MB,
    "facebook/bart-large-cnn": 1_630 * MB,
    "google/pegasus-xsum": 2_280 * MB,
    M2M100_418M: M2M100_SIZE,
    "facebook/m2m100_1.2B": 4_960 * MB,
}


@dataclass(frozen=True)
class ModelSpec:
    """One translation model for one direction, as precis will load it."""

    model_id: str  # hub id or local folder
    kind: str  # "marian" | "m2m100" | "seq2seq" (any other encoder-decoder)
    source_lang: str
    target_lang: str
    forced_bos_lang: str | None = None  # m2m100: the language code whose token starts output
    prefix: str | None = None  # opus-mt multi-target models: ">>id<<" before each input
    approx_size_bytes: int | None = None

    @property
    def size_text(self) -> str:
        return format_size(self.approx_size_bytes)


@dataclass(frozen=True)
class LanguageEntry:
    """A language the reader can show, with the models to reach it from English."""

    code: str  # ISO 639-1, or ORIGINAL
    english: str
    native: str
    from_english: ModelSpec | None = None  # en -> code
    to_english: ModelSpec | None = None  # code -> en (pivot for articles in this language)

    @property
    def label(self) -> str:
        """What a picker shows: "German · Deutsch", or just "original"."""
        if self.english == self.native:
            return self.english
        return f"{self.english} · {self.native}"


def _marian(source: str, target: str, *, name: str | None = None, prefix: str | None = None):
    model = f"Helsinki-NLP/opus-mt-{name or f'{source}-{target}'}"
    return ModelSpec(model, "marian", source, target, prefix=prefix, approx_size_bytes=MARIAN_SIZE)


def _m2m100(source: str, target: str) -> ModelSpec:
    return ModelSpec(
        M2M100_418M,
        "m2m100",
        source,
        target,
        forced_bos_lang=target,
        approx_size_bytes=M2M100_SIZE,
    )


# code, English name, native name, en -> code, code -> en.
# Checked against the hub's public model pages: opus-mt-en-{de,fr,es,ru,it,hi,zh,ar} and
# opus-mt-{de,fr,es,ru,ar,zh,it,hi,ja,ko}-en exist. opus-mt-en-zh and opus-mt-en-ar are
# multi-target and need >>cmn_Hans<< / >>ara<<. There is no usable en-ja (opus-mt-en-jap
# is a Bible-only model), en-ko (opus-mt-tc-big-en-ko ships a wrong tokenizer) or plain
# en-pt / pt-en Marian model, so those go through m2m100.
_TABLE: tuple[LanguageEntry, ...] = (
    LanguageEntry("en", "English", "English"),
    LanguageEntry(
        "zh", "Chinese", "中文", _marian("en", "zh", prefix=">>cmn_Hans<<"), _marian("zh", "en")
    ),
    LanguageEntry("es", "Spanish", "Español", _marian("en", "es"), _marian("es", "en")),
    LanguageEntry("fr", "French", "Français", _marian("en", "fr"), _marian("fr", "en")),
    LanguageEntry("de", "German", "Deutsch", _marian("en", "de"), _marian("de", "en")),
    LanguageEntry("ru", "Russian", "Русский", _marian("en", "ru"), _marian("ru", "en")),
    LanguageEntry(
        "ar", "Arabic", "العربية", _marian("en", "ar", prefix=">>ara<<"), _marian("ar", "en")
    ),
    LanguageEntry("ja", "Japanese", "日本語", _m2m100("en", "ja"), _marian("ja", "en")),
    LanguageEntry("pt", "Portuguese", "Português", _m2m100("en", "pt"), _m2m100("pt", "en")),
    LanguageEntry("it", "Italian", "Italiano", _marian("en", "it"), _marian("it", "en")),
    LanguageEntry("hi", "Hindi", "हिन्दी", _marian("en", "hi"), _marian("hi", "en")),
    LanguageEntry("ko", "Korean", "한국어", _m2m100("en", "ko"), _marian("ko", "en")),
)
_BY_CODE = {entry.code: entry for entry in _TABLE}
ORIGINAL_ENTRY = LanguageEntry(ORIGINAL, "original", "original")


def languages() -> list[LanguageEntry]:
    """The picker's choices: "original" first, then every supported language."""
    return [ORIGINAL_ENTRY, *_TABLE]


def language(code: str) -> LanguageEntry | None:
    """The entry for an ISO 639-1 code, or None when precis does not offer it."""
    return _BY_CODE.get(code)


def approx_size(model_id: str) -> int | None:
    """A download-size estimate for messages; None for models precis knows nothing about."""
    if model_id in KNOWN_SIZES:
        return KNOWN_SIZES[model_id]
    if model_id.startswith("Helsinki-NLP/opus-mt-tc-big-"):
        return 600 * MB
    if model_id.startswith("Helsinki-NLP/opus-mt-"):
        return MARIAN_SIZE
    return None


def translation_model(source: str, target: str, settings: Settings) -> ModelSpec:
    """The one model that translates `source` into `target` directly.

    An override for `target` (the `--translator` flag for the chosen language, else the
    config's `[models.translators]`) wins; it is used for whatever the source is, since
    only the user knows what the model they named can read. Without one, the catalog
    covers English to and from every language in the table. Other pairs raise
    `ModelError`; `translation_route` pivots them through English.
    """
    if source == target:
        raise ModelError(f"no translation needed from {language_name(source)} to itself")
    override = _override(target, settings)
    if override is not None:
        return _spec_for(override, source, target)
    if source == "en":
        entry = _BY_CODE.get(target)
        if entry is not None and entry.from_english is not None:
            return entry.from_english
    elif target == "en":
        entry = _BY_CODE.get(source)
        if entry is not None and entry.to_english is not None:
            return entry.to_english
        # Any other source language: the multilingual opus model reads 100+ languages.
        return ModelSpec(MUL_EN, "marian", source, "en", approx_size_bytes=MARIAN_SIZE)
    raise ModelError(
        f"precis has no model to translate {language_name(source)} into {language_name(target)}"
        f'; name one with --translator or [models.translators] {target} = "MODEL"'
    )


def translation_route(source: str, target: str, settings: Settings) -> list[ModelSpec]:
    """The models to chain for `source` -> `target`: one, or two through English."""
    if source == target:
        return []
    override = _override(target, settings)
    if override is not None:
        spec = translation_model(source, target, settings)
        if source != "en" and _declared_source(override) == "en":
            # An English-only model named for the target: pivot into English first.
            return [translation_model(source, "en", settings), spec]
        return [spec]
    if "en" in (source, target):
        return [translation_model(source, target, settings)]
    first = translation_model(source, "en", settings)
    if first.kind == "m2m100" and first.model_id == M2M100_418M:
        entry = _BY_CODE.get(target)
        if entry is not None and entry.from_english and entry.from_english.kind == "m2m100":
            # One multilingual model covers both ends: translate directly.
            return [_m2m100(source, target)]
    return [first, translation_model("en", target, settings)]


def _override(target: str, settings: Settings) -> str | None:
    if settings.translator and (settings.lang is None or settings.lang == target):
        return settings.translator
    return settings.translators.get(target)


def _spec_for(model: str, source: str, target: str) -> ModelSpec:
    """A spec for a model the user named: its kind from its config, else from its name."""
    kind = _kind_from_config(model) or _kind_from_name(model)
    if kind == "m2m100":
        return ModelSpec(
            model,
            kind,
            source,
            target,
            forced_bos_lang=target,
            approx_size_bytes=approx_size(model),
        )
    return ModelSpec(model, kind, source, target, approx_size_bytes=approx_size(model))


def _kind_from_config(model: str) -> str | None:
    config = Path(model).expanduser() / "config.json"
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None
    if model_type in ("marian", "m2m_100"):
        return "m2m100" if model_type == "m2m_100" else "marian"
    return "seq2seq" if model_type else None


def _declared_source(model: str) -> str | None:
    """The source language an opus-mt name declares ("opus-mt-en-de" -> "en")."""
    match = re.search(r"opus-mt-(?:tc-big-)?([a-z]+)-[a-zA-Z_]+$", model)
    return match.group(1) if match else None


def _kind_from_name(model: str) -> str:
    name = model.lower()
    if "m2m100" in name or "m2m_100" in name:
        return "m2m100"
    if "opus-mt" in name or "marian" in name:
        return "marian"
    return "seq2seq"
