"""Typed settings: defaults, overridden by the TOML config, then by env and flags.

The config file lives at `platformdirs.user_config_dir("precis")/config.toml`
(or `$PRECIS_CONFIG`); the cache database at `user_cache_dir("precis")/cache.sqlite3`
(or `$PRECIS_CACHE`). Nothing is read at import time: `load_settings()` does it once.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import platformdirs

from models.errors import PrecisError, one_line
from models.types import DEVICES, Device, Length

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

APP_NAME = "precis"
DEFAULT_SUMMARIZER = "sshleifer/distilbart-cnn-12-6"


class SettingsError(PrecisError):
    """The config file or a flag holds a value precis cannot use."""


def default_config_path() -> Path:
    env = os.environ.get("PRECIS_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_cache_path() -> Path:
    env = os.environ.get("PRECIS_CACHE")
    return Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME)) / "cache.sqlite3"


def default_state_path() -> Path:
    env = os.environ.get("PRECIS_STATE")
    return Path(env) if env else Path(platformdirs.user_state_dir(APP_NAME)) / "state.json"


@dataclass(frozen=True)
class Settings:
    """Everything a run of precis can be told. Frozen: build a new one to change it."""

    summarizer: str = DEFAULT_SUMMARIZER  # hub id, local folder, or "extractive"
    translator: str | None = None  # hub id or folder for the chosen target language
    translators: Mapping[str, str] = field(default_factory=dict)  # lang -> model, from config
    # lang -> target token for a multi-target model (">>deu<<"), from the same config table
    translator_prefixes: Mapping[str, str] = field(default_factory=dict)
    lang: str | None = None  # target language; None means the article's own language
    length: Length | None = None  # None: the reader's remembered length, else short
    device: str = "auto"
    offline: bool = False
    quantize: bool = True  # dynamic int8 on CPU
    cache_path: Path = field(default_factory=default_cache_path)
    cache_max_mb: int = 500
    max_input_mb: float = 20.0
    url_timeout_s: float = 15.0
    keymap: Mapping[str, str] = field(default_factory=dict)  # binding id -> keys
    theme: str | None = None
    export_dir: str | None = None  # where the reader's `e` writes; None: Documents/precis
    decoding: Literal["beam", "fast"] = "beam"  # beam search as the checkpoints, or greedy
    # Inference engine (models.inference.engines): auto = CTranslate2 on CPU when installed
    engine: Literal["auto", "transformers", "ctranslate2"] = "auto"
    # LLM backends (issue 16): an OpenAI-compatible server for "openai:MODEL" models.
    openai_base_url: str | None = None  # None: a local Ollama at 127.0.0.1:11434
    openai_api_key: str | None = field(default=None, repr=False)  # never shown or logged
    llm_concurrency: int = 4  # server requests in flight at once (servers batch them)
    llm_timeout_s: float = 60.0
    llm_context_tokens: int = 4096  # the server model's window (Ollama's default)
    llm_style: str = "prose"  # "prose" | "points" (key points as bullets)

    @property
    def max_input_bytes(self) -> int:
        return int(self.max_input_mb * 1024 * 1024)

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied; None values are ignored (unset flags)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)


MAX_CONFIG_BYTES = 1_000_000  # a config file is a few hundred bytes; never read a huge one


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file at `path` (if it exists), then `overrides`.

    Every error names the file, the key and what is expected, in one line.
    """
    path = path or default_config_path()
    values: dict[str, Any] = {}
    text = _read_config(path)
    if text is not None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config {path}: {one_line(exc)}") from None
        values = _from_toml(data, path)
    settings = Settings(**values).replace(**overrides)
    _validate(settings)
    return settings


def _read_config(path: Path) -> str | None:
    """The config file's text; None when there is none. Refuses what is not a small
    regular file (a FIFO would block, /dev/zero would never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"cannot read config {path}: {one_line(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SettingsError(f"config {path} is not a regular file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise SettingsError(f"config {path} is larger than {MAX_CONFIG_BYTES // 1000} kB")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read config {path}: {one_line(exc)}") from None


# -- the config file's schema: msgspec validates types strictly and rejects unknown keys -----


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A TOML table: unknown keys are errors, missing keys keep the defaults."""


class _TranslatorEntry(_Table):
    model: str
    prefix: str | None = None  # target token of a multi-target model (">>deu<<")


class _ModelsTable(_Table):
    summarizer: str | None = None
    translators: dict[str, str | _TranslatorEntry] = msgspec.field(default_factory=dict)


class _ReaderTable(_Table):
    lang: str | None = None
    length: Literal["short", "medium", "long"] | None = None
    device: Device | None = None
    offline: bool | None = None
    quantize: bool | None = None
    theme: str | None = None
    decoding: Literal["beam", "fast"] | None = None
    engine: Literal["auto", "transformers", "ctranslate2"] | None = None
    max_input_mb: float | None = None
    url_timeout_s: float | None = None
    export_dir: str | None = None


class _CacheTable(_Table):
    path: str | None = None
    max_mb: int | None = None


class _OpenAITable(_Table):
    base_url: str | None = None
    api_key: str | None = None
    concurrency: int | None = None
    timeout_s: float | None = None
    context_tokens: int | None = None
    style: Literal["prose", "points"] | None = None


class _ConfigFile(_Table):
    models: _ModelsTable = msgspec.field(default_factory=_ModelsTable)
    reader: _ReaderTable = msgspec.field(default_factory=_ReaderTable)
    cache: _CacheTable = msgspec.field(default_factory=_CacheTable)
    openai: _OpenAITable = msgspec.field(default_factory=_OpenAITable)
    keys: dict[str, str] = msgspec.field(default_factory=dict)


_PATH = re.compile(r"\$((?:\.\w+|\[[^\]]*\])*)")


def _from_toml(data: dict[str, Any], path: Path) -> dict[str, Any]:
    try:
        config = msgspec.convert(data, _ConfigFile, strict=True)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"config {path}: {_explain(str(exc))}") from None
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    if config.models.summarizer is not None:
        values["summarizer"] = config.models.summarizer
    translators: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for lang, entry in config.models.translators.items():
        if isinstance(entry, str):
            translators[lang] = entry
        else:
            translators[lang] = entry.model
            if entry.prefix:
                prefixes[lang] = entry.prefix
    if translators:
        values["translators"] = translators
    if prefixes:
        values["translator_prefixes"] = prefixes
    for key, value in msgspec.structs.asdict(config.reader).items():
        if value is not None and key in known:
            values[key] = Length(value) if key == "length" else value
    if config.cache.path is not None:
        values["cache_path"] = Path(config.cache.path).expanduser()
    if config.cache.max_mb is not None:
        values["cache_max_mb"] = config.cache.max_mb
    openai_names = {"base_url": "openai_base_url", "api_key": "openai_api_key"}
    for key, value in msgspec.structs.asdict(config.openai).items():
        name = openai_names.get(key, f"llm_{key}")
        if value is not None and name in known:
            values[name] = value
    if config.keys:
        values["keymap"] = dict(config.keys)
    return values


def _explain(message: str) -> str:
    """msgspec's "Expected `bool | null`, got `str` - at `$.reader.offline`" as
    "[reader] offline: expected bool, got str"."""
    text, _, where = message.partition(" - at ")
    text = text.replace(" | null", "").replace("`", "")
    unknown = re.match(r"Object contains unknown field (\S+)", text)
    match = _PATH.match(where.strip("`")) if where else None
    parts = re.findall(r"\.(\w+)|\[([^\]]*)\]", match.group(1)) if match else []
    names = [a or (b.strip("'\"") if b != "..." else "*") for a, b in parts]
    if unknown:
        table = ".".join(names)
        return (
            f"unknown key [{table}] {unknown.group(1)}"
            if table
            else (f"unknown table [{unknown.group(1)}]")
        )
    if not names:
        return text
    key = names[-1]
    table = ".".join(names[:-1])
    where_text = f"[{table}] {key}" if table else key
    allowed = _allowed_values(names)
    if allowed and text.startswith("Invalid enum value"):
        text = f"expected one of {', '.join(allowed)}, got {text.rsplit(' ', 1)[-1]}"
    return f"{where_text}: {text[0].lower()}{text[1:]}"


def _allowed_values(names: list[str]) -> list[str]:
    """The values a Literal-typed config key accepts, found through the schema."""
    kind: Any = _ConfigFile
    for name in names:
        fields = (
            {f.name: f.type for f in msgspec.structs.fields(kind)}
            if (isinstance(kind, type) and issubclass(kind, msgspec.Struct))
            else {}
        )
        if name not in fields:
            return []
        kind = fields[name]
    options = [a for arg in typing.get_args(kind) for a in (typing.get_args(arg) or (arg,))]
    return [str(o) for o in options if isinstance(o, str)]


def _validate(settings: Settings) -> None:
    if settings.device not in DEVICES:
        raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {settings.device!r}")
    if settings.length is not None and not isinstance(settings.length, Length):
        raise SettingsError("length must be short, medium or long")
    if settings.max_input_mb <= 0 or settings.cache_max_mb <= 0:
        raise SettingsError("size limits must be positive")
    if not isinstance(settings.llm_concurrency, int) or not 1 <= settings.llm_concurrency <= 64:
        raise SettingsError("openai concurrency must be a whole number from 1 to 64")
    if not settings.llm_timeout_s > 0 or settings.llm_context_tokens < 1:
        raise SettingsError("openai timeout_s and context_tokens must be positive")
    if settings.llm_style not in ("prose", "points"):
        raise SettingsError("llm_style must be prose or points")
    if settings.engine not in ("auto", "transformers", "ctranslate2"):
        raise SettingsError(
            f"engine must be auto, transformers or ctranslate2, not {settings.engine!r}"
        )
