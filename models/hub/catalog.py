"""Which model translates which language pair, and how big a download it is.

precis offers a fixed set of target languages. For each one this table names the model
that translates English into it and the one that translates it into English (a
non-English article is pivoted through English), with an approximate download size so
that the reader and `precis models` can say what a download costs before it starts.

The defaults are Helsinki-NLP's Marian models (opus-mt, ~300 MB each; the larger
opus-mt-tc-big where it scores clearly better) where a good one exists. Where none does
(English to Japanese and Korean, Portuguese to English) the multilingual
`facebook/m2m100_418M` is used with its target-language token forced as the first
generated token. Some opus-mt models are trained for several target variants and need
a sentence-initial `>>id<<` token (en-zh, en-ar, en-pt): `ModelSpec.prefix` carries it,
and the provider checks at load that it is one token of the model's vocabulary.

Users override the default per target language in the config
(`[models.translators] de = "..."`, or `de = { model = "...", prefix = ">>deu<<" }`)
or for the chosen language with `--translator`. What such a model is (Marian, M2M100,
NLLB, another seq2seq) is read from its config.json (`model_type`, `architectures`)
and tokenizer_config.json, not guessed from its name, whenever it is on disk: NLLB
needs Flores-200 codes ("deu_Latn") where M2M100 takes "de".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.errors import ModelError, PrecisError
from models.hub import local_models
from models.hub.sizes import (
    KNOWN_SIZES,
    M2M100_418M,
    M2M100_SIZE,
    MARIAN_SIZE,
    TC_BIG_SIZE,
    approx_size,
)
from models.language_names import language_name
from models.text import MB, format_size

if TYPE_CHECKING:
    from models.settings import Settings

__all__ = [
    "KNOWN_SIZES",
    "M2M100_418M",
    "M2M100_SIZE",
    "MARIAN_SIZE",
    "MB",
    "NLLB_CODES",
    "ORIGINAL",
    "LanguageEntry",
    "ModelSpec",
    "approx_size",
    "language",
    "languages",
    "model_kind",
    "nllb_code",
    "translation_model",
    "translation_route",
]

ORIGINAL = "original"  # the picker entry that shows the article in its own language
MUL_EN = "Helsinki-NLP/opus-mt-mul-en"
_CONFIG_LIMIT = 8 * MB  # no real config.json comes near: a bigger one is not read

# Flores-200 codes that NLLB models take, for the languages people are likely to ask.
NLLB_CODES: dict[str, str] = {
    "en": "eng_Latn",
    "zh": "zho_Hans",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "de": "deu_Latn",
    "ru": "rus_Cyrl",
    "ar": "arb_Arab",
    "ja": "jpn_Jpan",
    "pt": "por_Latn",
    "it": "ita_Latn",
    "hi": "hin_Deva",
    "ko": "kor_Hang",
    "nl": "nld_Latn",
    "pl": "pol_Latn",
    "tr": "tur_Latn",
    "uk": "ukr_Cyrl",
    "sv": "swe_Latn",
    "cs": "ces_Latn",
    "vi": "vie_Latn",
    "id": "ind_Latn",
    "fa": "pes_Arab",
    "he": "heb_Hebr",
    "el": "ell_Grek",
    "ro": "ron_Latn",
    "hu": "hun_Latn",
    "da": "dan_Latn",
    "fi": "fin_Latn",
    "no": "nob_Latn",
    "th": "tha_Thai",
    "bn": "ben_Beng",
}


@dataclass(frozen=True)
class ModelSpec:
    """One translation model for one direction, as precis will load it."""

    model_id: str  # hub id or local folder
    kind: str  # "marian" | "m2m100" | "nllb" | "seq2seq" (any other encoder-decoder)
    source_lang: str
    target_lang: str
    forced_bos_lang: str | None = None  # m2m100/nllb: the code whose token starts output
    prefix: str | None = None  # opus-mt multi-target models: ">>id<<" before each input
    approx_size_bytes: int | None = None
    src_lang_code: str | None = None  # nllb: the source's code in its scheme ("deu_Latn")

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


def _marian(source: str, target: str, *, prefix: str | None = None) -> ModelSpec:
    model = f"Helsinki-NLP/opus-mt-{source}-{target}"
    return ModelSpec(model, "marian", source, target, prefix=prefix, approx_size_bytes=MARIAN_SIZE)


def _tc_big(source: str, target: str, *, prefix: str | None = None) -> ModelSpec:
    model = f"Helsinki-NLP/opus-mt-tc-big-{source}-{target}"
    return ModelSpec(model, "marian", source, target, prefix=prefix, approx_size_bytes=TC_BIG_SIZE)


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
# Checked against the hub's public model pages: opus-mt-en-{de,fr,es,ru,it,hi,zh} and
# opus-mt-{de,fr,es,ru,zh,it,hi,ja}-en exist. opus-mt-en-zh is multi-target and needs
# >>cmn_Hans<<. Arabic uses opus-mt-tc-big-en-ar (Flores-101 BLEU 29.4, multi-target:
# >>ara<<) and opus-mt-tc-big-ar-en (42.6), far above opus-mt-en-ar (Tatoeba 14.4).
# Portuguese: opus-mt-tc-big-en-pt (Flores 50.4; two target variants, >>por<<). Korean
# to English: opus-mt-tc-big-ko-en (Flores 27.7). There is no usable en-ja
# (opus-mt-en-jap is a Bible-only model), en-ko (opus-mt-tc-big-en-ko ships a wrong
# tokenizer) or pt-en Marian model, so those go through m2m100.
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
        "ar", "Arabic", "العربية", _tc_big("en", "ar", prefix=">>ara<<"), _tc_big("ar", "en")
    ),
    LanguageEntry("ja", "Japanese", "日本語", _m2m100("en", "ja"), _marian("ja", "en")),
    LanguageEntry(
        "pt", "Portuguese", "Português", _tc_big("en", "pt", prefix=">>por<<"), _m2m100("pt", "en")
    ),
    LanguageEntry("it", "Italian", "Italiano", _marian("en", "it"), _marian("it", "en")),
    LanguageEntry("hi", "Hindi", "हिन्दी", _marian("en", "hi"), _marian("hi", "en")),
    LanguageEntry("ko", "Korean", "한국어", _m2m100("en", "ko"), _tc_big("ko", "en")),
)
_BY_CODE = {entry.code: entry for entry in _TABLE}
ORIGINAL_ENTRY = LanguageEntry(ORIGINAL, "original", "original")


def languages() -> list[LanguageEntry]:
    """The picker's choices: "original" first, then every supported language."""
    return [ORIGINAL_ENTRY, *_TABLE]


def language(code: str) -> LanguageEntry | None:
    """The entry for an ISO 639-1 code, or None when precis does not offer it."""
    return _BY_CODE.get(code)


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
        return _spec_for(override, source, target, prefix=_override_prefix(target, settings))
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


def _override_prefix(target: str, settings: Settings) -> str | None:
    prefixes = getattr(settings, "translator_prefixes", None) or {}
    prefix = prefixes.get(target)
    return str(prefix) if prefix else None


def _spec_for(model: str, source: str, target: str, *, prefix: str | None = None) -> ModelSpec:
    """A spec for a model the user named: its kind from its config on disk, else from its
    name. Raises ModelError when an NLLB model has no code for a language."""
    kind = model_kind(model)
    size = approx_size(model)
    if kind == "nllb":
        return ModelSpec(
            model,
            kind,
            source,
            target,
            forced_bos_lang=nllb_code(target, model),
            prefix=prefix,
            approx_size_bytes=size,
            src_lang_code=nllb_code(source, model),
        )
    if kind == "m2m100":
        return ModelSpec(
            model,
            kind,
            source,
            target,
            forced_bos_lang=target,
            prefix=prefix,
            approx_size_bytes=size,
        )
    return ModelSpec(model, kind, source, target, prefix=prefix, approx_size_bytes=size)


def nllb_code(lang: str, model: str = "NLLB") -> str:
    """The Flores-200 code NLLB takes for an ISO 639-1 code ("de" -> "deu_Latn"); a code
    already in that form passes. Raises ModelError for a language not in NLLB_CODES."""
    if re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", lang):
        return lang
    code = NLLB_CODES.get(lang)
    if code is None:
        raise ModelError(
            f"precis does not know the NLLB code of {language_name(lang)} ({lang}) for {model}"
        )
    return code


def model_kind(model: str) -> str:
    """ "marian" | "m2m100" | "nllb" | "seq2seq": from the model's config.json and
    tokenizer_config.json when it is on disk (a folder, or a hub id in the cache), else
    from its name."""
    folder = _folder_of(model)
    if folder is not None:
        kind = _kind_from_config(folder)
        if kind is not None:
            return kind
    return _kind_from_name(model)


def _folder_of(model: str) -> Path | None:
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    try:
        found = local_models.cached(model) if local_models.looks_like_hub_id(model) else None
    except (OSError, PrecisError):
        return None
    return found.local_dir if found is not None else None


def _kind_from_config(folder: Path) -> str | None:
    config = _read_json(folder / "config.json")
    if config is None:
        return None
    model_type = str(config.get("model_type") or "").lower()
    architectures = " ".join(str(a) for a in config.get("architectures") or []).lower()
    tokenizer = _read_json(folder / "tokenizer_config.json") or {}
    tokenizer_class = str(tokenizer.get("tokenizer_class") or "").lower()
    if "nllb" in model_type or "nllb" in tokenizer_class:
        return "nllb"  # NLLB is an m2m_100 model with Flores-200 language codes
    if model_type == "m2m_100" or "m2m100" in architectures:
        return "m2m100"
    if model_type == "marian" or "marian" in architectures:
        return "marian"
    return "seq2seq" if model_type else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > _CONFIG_LIMIT:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _declared_source(model: str) -> str | None:
    """The source language an opus-mt name declares ("opus-mt-en-de" -> "en")."""
    match = re.search(r"opus-mt-(?:tc-big-)?([a-z]+)-[a-zA-Z_]+$", model)
    return match.group(1) if match else None


def _kind_from_name(model: str) -> str:
    name = model.lower()
    if "nllb" in name:
        return "nllb"
    if "m2m100" in name or "m2m_100" in name:
        return "m2m100"
    if "opus-mt" in name or "marian" in name:
        return "marian"
    return "seq2seq"
