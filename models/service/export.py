"""Export an article's summaries (and translations) as JSON or Markdown.

The export goes through the same service as the reader, so it fills and reuses the
same cache; its JSON reports how many outputs were computed and how many came from
the cache, which makes the effect of the cache visible.

Like the reader, it never leaves the user with nothing while something useful can be
made: without the abstractive model the summaries are extractive (`extractive: true`),
and without the translator to the target language they come in the article's own
language. Each such fallback is one line in `warnings`, which the CLI prints on stderr;
`strict` turns a missing model into an error instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from models.atomic_file import write_text_atomic
from models.errors import ModelMissingError, PrecisError
from models.fidelity.flags import Flag, describe
from models.fidelity.support import sentence_spans
from models.language_names import language_name
from models.sanitize import safe_line, safe_message, safe_text
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
    strict: bool = False,
    unavailable: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The export as a JSON-ready dict; raises ExportError on the first failure.

    A missing translator is no failure unless `strict`: the summaries come in the
    article's language and `warnings` says which model the target language needs.
    `unavailable` maps a model that could not be downloaded to why, for those lines.
    """
    article = service.article
    source = service.source_lang
    requested = lang or source
    unavailable = unavailable or {}
    warnings: list[str] = []
    computed_before, cached_before = service.stats.computed, service.stats.from_cache
    target = requested
    by_key, missing = _outputs(service, target, length, full_translation, cancel)
    if missing is not None and missing.model_id != service.provider.settings.summarizer:
        if strict or target == source:
            raise _missing_error(missing)
        # The translator to `target` is missing: the summaries in the article's language.
        reason = unavailable.get(missing.model_id or "", missing.message)
        warnings.append(
            f"summaries in {language_name(source)}, not {language_name(target)}: {reason}"
        )
        target = source
        by_key, missing = _outputs(service, target, length, full_translation, cancel)
    if missing is not None:
        raise _missing_error(missing)
    sections = []
    models: list[str] = []
    for output in by_key.values():
        if output.missing_model and output.extractive:
            # The reader's fallback (the export's unless strict): extractive summaries.
            reason = unavailable.get(output.missing_model) or (output.note or "").removeprefix(
                "extractive: "
            )
            line = f"summaries are extractive: {reason}"
            if line not in warnings:
                warnings.append(line)
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
        entry["flags"] = [{**f.to_dict(), "text": safe_line(f.text)} for f in summary.flags]
        entry["support"] = [list(links) for links in summary.support]
        entry["sentences"] = [
            safe_text(s.text) for s in sentence_spans(section.paragraphs, service.source_lang)
        ]
        if full_translation:
            translated = by_key[OutputKey(section.index, target, TRANSLATION)]
            entry["translation"] = safe_text(translated.text)
            entry["translation_flags"] = [
                {**f.to_dict(), "text": safe_line(f.text)} for f in translated.flags
            ]
        sections.append(entry)
    return {
        "title": article.title,
        "source": article.source,
        "dateline": article.dateline,
        "byline": article.byline,
        "source_language": service.source_lang,
        "target_language": target,
        "requested_language": requested,
        "length": length.value,
        "extractive": any(s["extractive"] for s in sections),
        "models": models,
        "warnings": [safe_message(w, limit=1000) for w in warnings],
        "sections": sections,
        "notes": list(article.notes),
        # The whole article summarized from the section summaries (models.service.brief).
        "brief": brief_entry(service, target, length, cancel) if brief else None,
        "stats": {
            "computed": service.stats.computed - computed_before,
            "from_cache": service.stats.from_cache - cached_before,
        },
    }


def _outputs(
    service: PrecisService,
    target: str,
    length: Length,
    full_translation: bool,
    cancel: threading.Event | None,
) -> tuple[dict[OutputKey, Output], Failure | None]:
    """Every section's summary (and translation) in `target`, and the first failure
    for a missing model if there was one; other failures raise ExportError.

    An output the service could only give in another language (its translator is
    missing; `shown_lang`) counts as that model's failure too: the export says so
    rather than label the article's language as `target`.
    """
    n = len(service.article.sections)
    keys = [OutputKey(i, target, SUMMARY, length) for i in range(n)]
    if full_translation:
        keys += [OutputKey(i, target, TRANSLATION) for i in range(n)]
    by_key: dict[OutputKey, Output] = {}
    missing: Failure | None = None
    for result in service.compute(keys, cancel):
        if isinstance(result, Failure):
            if not result.model_id:
                raise ExportError(f"section {result.key.section + 1}: {result.message}")
            missing = missing or result
            continue
        shown = getattr(result, "shown_lang", None)
        if shown is not None and shown != target and result.missing_model:
            missing = missing or Failure(
                result.key,
                result.note or f"{result.missing_model} is not downloaded",
                result.missing_model,
                result.missing_size,
            )
            continue
        by_key[result.key] = result
    return by_key, missing


def _missing_error(failure: Failure) -> ModelMissingError:
    return ModelMissingError(
        failure.message, model_id=failure.model_id or "", size_bytes=failure.size_bytes
    )


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
    for warning in data.get("warnings", []):
        lines += [f"> Note: {_md_line(warning)}", ""]
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
