"""Export an article's summaries (and translations) as JSON or Markdown.

The export goes through the same service as the reader, so it fills and reuses the
same cache; its JSON reports how many outputs were computed and how many came from
the cache, which makes the effect of the cache visible.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from models.atomic_file import write_text_atomic
from models.errors import ModelMissingError, PrecisError
from models.fidelity.flags import Flag, describe
from models.fidelity.support import sentence_spans
from models.sanitize import safe_line, safe_text
from models.service.brief import BRIEF_TITLE, brief_entry
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
from models.service.scheduler import PrecisService
from models.types import Length


class ExportError(PrecisError):
    """A section could not be summarized or translated during an export."""


def export_data(
    service: PrecisService,
    *,
    lang: str | None = None,
    length: Length = Length.SHORT,
    full_translation: bool = False,
    cancel: threading.Event | None = None,
    brief: bool = False,
) -> dict[str, Any]:
    """The export as a JSON-ready dict; raises ExportError on the first failure."""
    article = service.article
    target = lang or service.source_lang
    n = len(article.sections)
    keys = [OutputKey(i, target, SUMMARY, length) for i in range(n)]
    if full_translation:
        keys += [OutputKey(i, target, TRANSLATION) for i in range(n)]
    computed_before, cached_before = service.stats.computed, service.stats.from_cache
    results = service.compute(keys, cancel)
    by_key: dict[OutputKey, Output] = {}
    for result in results:
        if isinstance(result, Failure):
            if result.model_id:
                raise ModelMissingError(
                    result.message, model_id=result.model_id, size_bytes=result.size_bytes
                )
            raise ExportError(f"section {result.key.section + 1}: {result.message}")
        by_key[result.key] = result
    sections = []
    models: list[str] = []
    for section in article.sections:
        summary = by_key[OutputKey(section.index, target, SUMMARY, length)]
        for name in summary.models:
            if safe_line(name) not in models:
                models.append(safe_line(name))
        # Model outputs and article text reach a terminal when the export is printed
        # or viewed: no escape sequences or controls (models.sanitize).
        entry: dict[str, Any] = {
            "index": section.index,
            "title": safe_line(section.title),
            "text": safe_text(section.text),
            "summary": safe_text(summary.text),
            "extractive": summary.extractive,
            "whole": summary.whole,
        }
        if summary.note:
            entry["note"] = summary.note
        if section.captions:
            entry["captions"] = list(section.captions)
        # Fidelity (models.fidelity): spans of the summary the section does not state, and
        # per summary sentence the indexes into `sentences` of the sentences behind it.
        entry["flags"] = [f.to_dict() for f in summary.flags]
        entry["support"] = [list(links) for links in summary.support]
        entry["sentences"] = [
            safe_text(s.text) for s in sentence_spans(section.paragraphs, service.source_lang)
        ]
        if full_translation:
            translated = by_key[OutputKey(section.index, target, TRANSLATION)]
            entry["translation"] = safe_text(translated.text)
            entry["translation_flags"] = [f.to_dict() for f in translated.flags]
        sections.append(entry)
    return {
        "title": article.title,
        "source": article.source,
        "dateline": article.dateline,
        "byline": article.byline,
        "source_language": service.source_lang,
        "target_language": target,
        "length": length.value,
        "models": models,
        "sections": sections,
        "notes": list(article.notes),
        # The whole article summarized from the section summaries (models.service.brief).
        "brief": brief_entry(service, target, length, cancel) if brief else None,
        "stats": {
            "computed": service.stats.computed - computed_before,
            "from_cache": service.stats.from_cache - cached_before,
        },
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_markdown(data: dict[str, Any]) -> str:
    """A readable Markdown document: each section's title, summary and translation."""
    lines = [f"# {_md_line(data['title'])}", ""]
    meta = [m for m in (data.get("dateline"), data.get("byline")) if m]
    if meta:
        lines += [_md_line(" · ".join(meta)), ""]
    lines += [
        f"*Summaries ({data['length']}) in {data['target_language']}; "
        f"source language {data['source_language']}; models: "
        f"{', '.join(data['models']) or 'none'}.*",
        "",
    ]
    if data.get("brief"):
        lines += [f"## {BRIEF_TITLE}", "", data["brief"]["summary"], ""]
    for section in data["sections"]:
        title = section["title"] or "Lead"
        lines += [f"## {section['index'] + 1}. {_md_line(title)}", ""]
        marks = []
        if section.get("extractive"):
            marks.append("extractive")
        if section.get("whole"):
            marks.append("whole section")
        prefix = f"*({', '.join(marks)})* " if marks else ""
        lines += [prefix + section["summary"], ""]
        if section.get("flags"):  # "check: 3 million not in the section"
            lines += [f"*{describe([Flag.from_dict(f) for f in section['flags']])}*", ""]
        if "translation" in section:
            lines += ["### Translation", "", section["translation"], ""]
    if data.get("notes"):
        lines += ["---", ""] + [f"{_md_line(n)}  " for n in data["notes"]] + [""]
    return "\n".join(lines)


def _md_line(text: str) -> str:
    return " ".join(text.split())


def export_to_file(
    service: PrecisService,
    path: Path | None,
    *,
    lang: str | None,
    length: Length,
    fmt: str = "md",
    full_translation: bool = False,
) -> Path:
    """Write the export to `path` (default: a dated file in the current folder)."""
    data = export_data(service, lang=lang, length=length, full_translation=full_translation)
    body = to_markdown(data) if fmt == "md" else to_json(data)
    if path is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path.cwd() / f"precis-{stamp}-{data['target_language']}-{length.value}.{fmt}"
    # Temporary file, fsync, rename: the old file survives a failed write.
    return write_text_atomic(path, body)
