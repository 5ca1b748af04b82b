"""What `precis models list|pull|remove` do, as functions that return text.

The CLI (tui/cli.py) parses the arguments, downloads through `ModelProvider.download`
and prints what these return; keeping the work here lets tests call it without a
subprocess and keeps the CLI free of hub logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelError
from models.hub import catalog
from models.hub import local_models as hub
from models.hub.llm_models import KNOWN_LLMS, PULL_NAME, RECOMMENDED_LLM
from models.settings import Settings
from models.text import format_size


@dataclass(frozen=True)
class ModelRow:
    """One model precis may use, and whether it is on this machine."""

    model_id: str
    role: str  # "summarizer", "en→de, en→fr", ...
    present: bool
    disk_bytes: int  # in the hub cache (or the local folder); 0 when absent
    approx_bytes: int | None  # the download size estimate


def list_models(settings: Settings, *, cache_dir: Path | None = None) -> list[ModelRow]:
    """The configured summarizer, every override and every catalog model, in that order."""
    roles: dict[str, list[str]] = {}

    def add(model: str, role: str) -> None:
        if role not in roles.setdefault(model, []):
            roles[model].append(role)

    if settings.summarizer != "extractive":
        add(settings.summarizer, "summarizer")
    if settings.translator:
        add(settings.translator, f"en→{settings.lang}" if settings.lang else "translator")
    for lang, model in settings.translators.items():
        add(model, f"en→{lang}")
    for entry in catalog.languages():
        if entry.from_english is not None:
            add(entry.from_english.model_id, f"en→{entry.code}")
        if entry.to_english is not None:
            add(entry.to_english.model_id, f"{entry.code}→en")
    add(catalog.MUL_EN, "other→en")
    add(RECOMMENDED_LLM, "llm: summaries, translations (pull llm)")
    return [_row(model, ", ".join(r), cache_dir) for model, r in roles.items()]


def _row(model: str, role: str, cache_dir: Path | None) -> ModelRow:
    if hub.is_local_folder(model):
        path = Path(model).expanduser()
        return ModelRow(model, role, (path / "config.json").is_file(), hub.folder_size(path), None)
    present = hub.cached(model, cache_dir) is not None
    size = hub.disk_size(model, cache_dir)
    approx = catalog.approx_size(model) or KNOWN_LLMS.get(model)
    return ModelRow(model, role, present, size, approx)


def format_rows(rows: list[ModelRow]) -> str:
    """A plain-text table for the terminal (no markup)."""
    header = ("MODEL", "USED FOR", "ON DISK", "SIZE")
    lines = [
        (
            row.model_id,
            row.role,
            "yes" if row.present else ("partial" if row.disk_bytes else "no"),
            _size(row.disk_bytes) if row.disk_bytes else format_size(row.approx_bytes),
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in (header, *lines)) for i in range(3)]
    out = []
    for cells in (header, *lines):
        out.append(
            "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths, strict=True)) + "  " + cells[3]
        )
    return "\n".join(out)


def list_text(settings: Settings, *, cache_dir: Path | None = None) -> str:
    """`precis models list`: the table and where the hub cache is."""
    rows = list_models(settings, cache_dir=cache_dir)
    where = hub.hub_cache_dir() if cache_dir is None else cache_dir
    return f"{format_rows(rows)}\n\nhub cache: {where}"


def pull_targets(name: str, settings: Settings) -> list[str]:
    """The hub ids `precis models pull NAME` fetches.

    NAME is a hub id, "summarizer", "llm" (Qwen2.5-0.5B-Instruct, ~1 GB: summaries and
    translations in any language), or a language code: a language's models are the
    ones that translate English into it and it into English (for its articles).
    Local folders are never pulled.
    """
    if name == PULL_NAME:  # "llm": the recommended small instruction-tuned model
        return [RECOMMENDED_LLM]
    if name == "summarizer":
        if settings.summarizer == "extractive":
            raise ModelError("the summarizer is extractive: it needs no download")
        ids = [settings.summarizer]
    elif "/" not in name and catalog.language(name) is not None:
        if name == "en":
            raise ModelError("English needs no translation model: name another language")
        ids = [spec.model_id for spec in catalog.translation_route("en", name, settings)]
        ids += [spec.model_id for spec in catalog.translation_route(name, "en", settings)]
    else:
        ids = [name]
    unique = list(dict.fromkeys(ids))
    local = [i for i in unique if hub.is_local_folder(i)]
    if local and len(local) == len(unique):
        raise ModelError(f"{local[0]} is a local folder: nothing to download")
    for model_id in unique:
        if not hub.is_local_folder(model_id) and not hub.looks_like_hub_id(model_id):
            raise ModelError(f"{model_id} is neither a hub model id nor a language code")
    return [i for i in unique if not hub.is_local_folder(i)]


def remove(name: str, settings: Settings, *, cache_dir: Path | None = None) -> str:
    """`precis models remove NAME`: delete from the hub cache; returns the line to print."""
    present = [i for i in pull_targets(name, settings) if hub.repo_folder(i, cache_dir).is_dir()]
    if not present:
        raise ModelError(f"no model for {name} is downloaded")
    lines = [f"removed {i} ({_size(hub.remove(i, cache_dir))} freed)" for i in present]
    return "\n".join(lines)


def _size(size: int) -> str:
    return format_size(size).lstrip("~")
