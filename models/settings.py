"""Typed settings: defaults, overridden by the TOML config, then by env and flags.

The config file lives at `platformdirs.user_config_dir("precis")/config.toml`
(or `$PRECIS_CONFIG`); the cache database at `user_cache_dir("precis")/cache.sqlite3`
(or `$PRECIS_CACHE`). Nothing is read at import time: `load_settings()` does it once.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from models.errors import PrecisError
from models.types import DEVICES, Length

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


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file at `path` (if it exists), then `overrides`."""
    path = path or default_config_path()
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config {path}: {exc}") from None
        values = _from_toml(data, path)
    settings = Settings(**values).replace(**overrides)
    _validate(settings)
    return settings


def _from_toml(data: dict[str, Any], path: Path) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise SettingsError(f"{path}: [models] must be a table")
    if "summarizer" in models:
        values["summarizer"] = str(models["summarizer"])
    if "translators" in models:
        if not isinstance(models["translators"], dict):
            raise SettingsError(f"{path}: [models.translators] must map language codes to models")
        values["translators"] = {str(k): str(v) for k, v in models["translators"].items()}
    for key, value in data.get("reader", {}).items():
        if key not in known:
            raise SettingsError(f"{path}: unknown setting [reader] {key}")
        values[key] = value
    if "cache" in data:
        cache = data["cache"]
        if "path" in cache:
            values["cache_path"] = Path(str(cache["path"])).expanduser()
        if "max_mb" in cache:
            values["cache_max_mb"] = cache["max_mb"]
    if "openai" in data:  # [openai] base_url, api_key, concurrency, timeout_s, context_tokens
        openai = data["openai"]
        if not isinstance(openai, dict):
            raise SettingsError(f"{path}: [openai] must be a table")
        for key, value in openai.items():
            name = {"base_url": "openai_base_url", "api_key": "openai_api_key"}.get(key)
            name = name or f"llm_{key}"
            if name not in known:
                raise SettingsError(f"{path}: unknown setting [openai] {key}")
            values[name] = value
    if "keys" in data:
        values["keymap"] = {str(k): str(v) for k, v in data["keys"].items()}
    if "length" in values:
        try:
            values["length"] = Length(values["length"])
        except ValueError:
            raise SettingsError(f"{path}: length must be short, medium or long") from None
    return values


def _validate(settings: Settings) -> None:
    if settings.device not in DEVICES:
        raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {settings.device!r}")
    if settings.length is not None and not isinstance(settings.length, Length):
        raise SettingsError("length must be short, medium or long")
    if settings.max_input_mb <= 0 or settings.cache_max_mb <= 0:
        raise SettingsError("size limits must be positive")
    if not isinstance(settings.llm_concurrency, int) or not 1 <= settings.llm_concurrency <= 64:
        raise SettingsError("openai concurrency must be a whole number from 1 to 64")
    if settings.llm_style not in ("prose", "points"):
        raise SettingsError("llm_style must be prose or points")
