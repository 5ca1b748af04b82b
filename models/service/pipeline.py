"""The steps that turn a section into an output, each step cached on its own.

A summary in language T of a section in language S is: (pivot-translate S->en when
the summarizer only knows English) -> summarize -> translate the summary S->T.
Each step is keyed by its own input text and model, so switching the target
language reuses the summary, and switching the length reuses the pivot
translation. The finished output is also stored under a key computable without
loading any model, so the reader can ask "is it ready?" before torch is imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models.cache.keys import make_key
from models.cache.results import ResultCache
from models.errors import (
    Cancelled,
    GenerationError,
    ModelError,
    ModelMissingError,
    PrecisError,
)
from models.fidelity.annotate import Aligned, annotate
from models.hub.fingerprint import model_fingerprint
from models.inference.decoding import model_label
from models.inference.device import device_key
from models.inference.engines import expected_engine
from models.inference.extractive import covers_whole
from models.ingest.article import Article, Section
from models.language_names import language_name
from models.logs import log
from models.sanitize import safe_model_text
from models.service.events import SUMMARY, TRANSLATION, Failure, Output, OutputKey
from models.service.llm_settings import output_key_part
from models.service.model_source import EngineAware, ModelSource
from models.text import format_size
from models.types import Length, Summarizer, Task, Translator

# v2: outputs carry fidelity flags and support links. v3: output text is cleaned of
# escapes, controls and bidi overrides before it is checked and stored, so a flag's
# offsets index the text shown; v2 outputs hold raw text and are not read again.
OUTPUT_FORMAT = "output-v3"
PIVOT = "en"
CHEAP_BATCH = 128  # outputs per batch when no model runs (see Pipeline.batch_limit)
_PICKED_BYTES = 8 * 1024 * 1024  # extractive steps kept in memory (see _cached)


@dataclass(frozen=True)
class _Chosen:
    """The summarizer a batch uses, and why when it is not the configured one."""

    summarizer: Summarizer
    note: str | None = None
    cacheable: bool = True  # False for a fallback: do not store it as the final output
    missing: ModelMissingError | None = None  # the model a download would bring back


class Pipeline:
    """Computes outputs for batches of keys; thread-confined to the service's worker."""

    def __init__(
        self,
        article: Article,
        provider: ModelSource,
        cache: ResultCache,
        source_lang: str,
        *,
        fallback_extractive: bool = True,
    ) -> None:
        self.article = article
        self.provider = provider
        self.cache = cache
        self.source_lang = source_lang
        self.fallback_extractive = fallback_extractive
        # Texts whose translation kept sentences unchanged, and how many (see _kept_note).
        self._kept_copies: dict[str, int] = {}
        self._model_parts: dict[tuple[str, str], str] = {}  # (kind, lang) -> models' part
        self._settings_part: str | None = None
        # Hashing a section for its key costs more than the lookup: once per key, until
        # the models change (forget_models).
        self._output_keys: dict[OutputKey, str] = {}
        self._picked = ResultCache(None, max_bytes=_PICKED_BYTES)  # extractive steps
        # Where the growing text of an output computed alone goes (see `run`).
        self._partial: Callable[[OutputKey, str], None] | None = None

    # -- the top-level key: computable without loading a model ----------------

    def output_cache_key(self, key: OutputKey) -> str:
        known = self._output_keys.get(key)
        if known is not None:
            return known
        section = self.article.sections[key.section]
        settings = self.provider.settings
        # Fingerprints read the disk: once per session and (kind, language), so that a
        # key press costs one cache lookup and no stat() of model folders.
        models = self._model_parts.get((key.kind, key.lang))
        if models is None:
            fingerprint = model_fingerprint(settings.summarizer)
            mark = self._engine_mark(settings.summarizer)
            parts = [f"summarizer={settings.summarizer}@{fingerprint}{mark}"]
            if key.kind == SUMMARY and self.source_lang != PIVOT:
                parts.append(self._translator_part(self.source_lang, PIVOT))
            if key.lang != self.source_lang:
                parts.append(self._translator_part(self.source_lang, key.lang))
            models = self._model_parts[(key.kind, key.lang)] = "|".join(parts)
        if self._settings_part is None:  # resolving the device may look for torch: once
            self._settings_part = (
                f"{OUTPUT_FORMAT}|dev={device_key(settings.device, settings.quantize)}"
                + f"|dec={settings.decoding}"
                + f"|eng={expected_engine(settings.engine, settings.device)}"
                + output_key_part(settings)
            )
        made = self._output_keys[key] = make_key(
            text=section.text,
            task=Task.SUMMARY if key.kind == SUMMARY else Task.TRANSLATION,
            source_lang=self.source_lang,
            target_lang=key.lang,
            length=key.length,
            model=models,
            revision=None,
            settings=self._settings_part,
        )
        return made

    def batch_limit(self, key: OutputKey) -> int | None:
        """How many outputs like `key` one batch may hold when no model makes them (the
        extractive summarizer, or the original text); None: the service's batch size.

        Batches sized for a model's memory cost an export of 100,000 sections two cache
        transactions and a queue round trip every four sections (issue 17 item 10)."""
        if key.lang != self.source_lang:
            return None  # a translator runs
        if key.kind == SUMMARY and self.provider.settings.summarizer != "extractive":
            return None
        return CHEAP_BATCH

    def forget_models(self) -> None:
        """Read the models' fingerprints again (a model was downloaded or removed)."""
        self._model_parts.clear()
        self._output_keys.clear()

    def _translator_part(self, source: str, target: str) -> str:
        try:
            spec = self.provider.translator_id(source, target)
        except PrecisError:
            spec = "none"
        return f"{source}>{target}={spec}@{model_fingerprint(spec)}{self._engine_mark(spec)}"

    def _engine_mark(self, spec: str) -> str:
        # "" unless a model of `spec` runs on transformers although `eng=` names
        # CTranslate2 (a failed conversion; the service forgets these parts when one
        # falls back mid-run), so its outputs are never cached as the other engine's.
        return self.provider.engine_mark(spec) if isinstance(self.provider, EngineAware) else ""

    def lookup(self, key: OutputKey, *, disk: bool = True) -> Output | None:
        """The finished output from the cache, or None. Never computes. `disk=False`:
        only what this process made lately (ResultCache.get)."""
        raw = self.cache.get(self.output_cache_key(key), disk=disk)
        return Output.from_json(key, raw) if raw is not None else None

    def lookup_many(self, keys: Sequence[OutputKey]) -> dict[OutputKey, Output]:
        """`lookup` for many keys, reading the cache file in chunks."""
        names = {self.output_cache_key(key): key for key in keys}
        found = {}
        for name, raw in self.cache.get_many(list(names)).items():
            out = Output.from_json(names[name], raw)
            if out is not None:
                found[names[name]] = out
        return found

    # -- computing ------------------------------------------------------------

    def run(
        self,
        keys: Sequence[OutputKey],
        cancel: threading.Event,
        *,
        force: bool = False,
        on_partial: Callable[[OutputKey, str], None] | None = None,
    ) -> list[Output | Failure]:
        """Outputs for `keys`, which must share kind, lang and length. Raises Cancelled.

        `on_partial(key, text)` gets the growing text of a model that streams (an LLM)
        when one key is computed alone; it is never cached."""
        if not keys:
            return []
        self._partial = on_partial if len(keys) == 1 else None
        first = keys[0]
        if any((k.kind, k.lang, k.length) != (first.kind, first.lang, first.length) for k in keys):
            raise ValueError("a batch must share kind, language and length")
        try:
            if first.kind == TRANSLATION:
                outputs = self._translations(keys, cancel, force)
            else:
                outputs = self._summaries(keys, cancel, force)
        except Cancelled:
            raise
        except ModelMissingError as exc:
            return [Failure(k, str(exc), exc.model_id, exc.size_bytes) for k in keys]
        except PrecisError as exc:
            if isinstance(exc, GenerationError) and len(keys) > 1:
                # One section's degenerate output must not fail the others: each alone.
                return [out for k in keys for out in self.run([k], cancel, force=force)]
            return [Failure(k, str(exc)) for k in keys]
        return [o if isinstance(o, Failure) else self._annotated(o) for o in outputs]

    def _translations(
        self, keys: Sequence[OutputKey], cancel: threading.Event, force: bool
    ) -> list[Output | Failure]:
        lang = keys[0].lang
        sections = [self.article.sections[k.section] for k in keys]
        if lang == self.source_lang:
            return [
                Output(k, s.paragraphs, note="original language")
                for k, s in zip(keys, sections, strict=True)
            ]
        texts, models = self._translate(
            [s.text for s in sections], self.source_lang, lang, cancel, force, stream=keys[0]
        )
        outputs = [
            Output(k, _paragraphs(t), models, note=_kept_note(self._kept_copies.get(s.text)))
            for k, s, t in zip(keys, sections, texts, strict=True)
        ]
        self._store(outputs)
        return list(outputs)

    def _summaries(
        self, keys: Sequence[OutputKey], cancel: threading.Event, force: bool
    ) -> list[Output | Failure]:
        lang, length = keys[0].lang, keys[0].length
        assert length is not None
        sections = [self.article.sections[k.section] for k in keys]
        results: dict[int, Output] = {}

        whole = [
            i for i, s in enumerate(sections) if covers_whole(s.text, length, self.source_lang)
        ]
        if whole:
            originals = [sections[i].text for i in whole]
            untranslated: ModelMissingError | None = None
            try:
                texts, models = self._translate(originals, self.source_lang, lang, cancel, force)
            except ModelMissingError as exc:
                if not self.fallback_extractive:
                    raise
                texts, models, untranslated = originals, (), exc
            fallback = _untranslated(untranslated, lang, self.source_lang)
            for i, text in zip(whole, texts, strict=True):
                # `whole` says it once; no note repeating it.
                results[i] = Output(keys[i], _paragraphs(text), models, whole=True, **fallback)
            if untranslated is None:
                self._store([results[i] for i in whole])

        todo = [i for i in range(len(keys)) if i not in results]
        if todo:
            self._summarize_into(results, todo, keys, sections, length, lang, cancel, force)
        outputs: list[Output | Failure] = [results[i] for i in range(len(keys))]
        return outputs

    def _summarize_into(
        self,
        results: dict[int, Output],
        todo: list[int],
        keys: Sequence[OutputKey],
        sections: Sequence[Section],
        length: Length,
        lang: str,
        cancel: threading.Event,
        force: bool,
    ) -> None:
        chosen = self._choose_summarizer()
        summarizer = chosen.summarizer
        texts = [sections[i].text for i in todo]
        text_lang = self.source_lang
        models: tuple[str, ...] = ()
        note = chosen.note
        # An LLM summarizer writes in the reader's language itself (issue 16): no pivot,
        # no translation of its summary afterwards.
        direct = {"target_lang": lang} if getattr(summarizer, "writes_target", False) else {}
        if summarizer.languages is not None and text_lang not in summarizer.languages:
            try:
                texts, models = self._translate(texts, text_lang, PIVOT, cancel, force)
                text_lang = PIVOT
            except ModelError as exc:
                summarizer = self.provider.extractive()
                note = f"extractive: cannot pivot {text_lang}->{PIVOT} ({exc})"
                chosen = _Chosen(summarizer, note, cacheable=False)
                models = ()
        written = lang if direct else text_lang
        stream = self._streaming(summarizer, keys[todo[0]]) if direct else {}
        summaries = self._cached(
            texts,
            task=Task.SUMMARY,
            source=text_lang,
            target=written,
            length=length,
            model=summarizer,
            settings=summarizer.settings_key(length),
            compute=lambda batch: summarizer.summarize(
                batch, length, lang=text_lang, cancel=cancel, **direct, **stream
            ),
            force=force,
        )
        models = (*models, model_label(summarizer))
        shown: str | None = None
        try:
            final, more = self._translate(summaries, written, lang, cancel, force)
        except ModelMissingError as exc:
            # The reader shows the summary in the language it was written in, and says
            # what the language asked for needs, rather than nothing at all.
            if not self.fallback_extractive:
                raise
            final, more, shown = list(summaries), (), written
            fallback = _untranslated(exc, lang, written)
            note = "; ".join(n for n in (fallback["note"], note) if n)
            chosen = replace(chosen, cacheable=False, missing=exc)
        models = (*models, *more)
        missing = chosen.missing
        outputs = [
            Output(
                keys[i],
                _paragraphs(t),
                models,
                extractive=summarizer.extractive,
                note=note,
                missing_model=missing.model_id if missing else None,
                missing_size=missing.size_bytes if missing else None,
                shown_lang=shown,
            )
            for i, t in zip(todo, final, strict=True)
        ]
        if written == text_lang != lang:
            # Support links from the summary before translation, against the section in
            # the same language (itself, or its pivot translation): better than across.
            pivoted = text_lang != self.source_lang
            outputs = [
                self._annotated(
                    out,
                    Aligned(_paragraphs(before), text_lang, _paragraphs(t) if pivoted else None),
                )
                for out, before, t in zip(outputs, summaries, texts, strict=True)
            ]
        if chosen.cacheable:
            self._store(outputs)
        results.update(zip(todo, outputs, strict=True))

    def _choose_summarizer(self) -> _Chosen:
        try:
            return _Chosen(self.provider.summarizer(self.source_lang))
        except ModelError as exc:
            if not self.fallback_extractive:
                raise
            note = f"extractive: {exc}"
            missing = exc if isinstance(exc, ModelMissingError) else None
            return _Chosen(self.provider.extractive(), note, cacheable=False, missing=missing)

    def _translate_batch(
        self,
        translator: Translator,
        batch: list[str],
        cancel: threading.Event,
        stream: OutputKey | None,
    ) -> list[str]:
        """One translation step; remembers which texts kept sentences as they were
        (names, numbers, quotes already in the target language) to say so."""
        detailed = getattr(translator, "translate_detailed", None)
        if not callable(detailed):
            return translator.translate(batch, cancel=cancel, **self._streaming(translator, stream))
        results = detailed(batch, cancel=cancel)
        for text, result in zip(batch, results, strict=True):
            if result.kept_copies:
                self._kept_copies[text] = result.kept_copies
        return [result.text for result in results]

    def _streaming(self, model: object, key: OutputKey | None) -> dict[str, Any]:
        """`on_partial` for a model that streams, while `key` is computed alone."""
        sink = self._partial
        if sink is None or key is None or not getattr(model, "streams", False):
            return {}
        return {"on_partial": lambda _index, text: sink(key, text)}

    def _translate(
        self,
        texts: list[str],
        source: str,
        target: str,
        cancel: threading.Event,
        force: bool,
        *,
        stream: OutputKey | None = None,
    ) -> tuple[list[str], tuple[str, ...]]:
        """`texts` in `target`, and the names of the models used (none if no change)."""
        if source == target or not texts:
            return list(texts), ()
        translator: Translator = self.provider.translator(source, target)
        out = self._cached(
            texts,
            task=Task.TRANSLATION,
            source=source,
            target=target,
            length=None,
            model=translator,
            settings=translator.settings_key(),
            compute=lambda batch: self._translate_batch(translator, batch, cancel, stream),
            force=force,
        )
        return out, (model_label(translator),)

    def _cached(
        self,
        texts: Sequence[str],
        *,
        task: Task,
        source: str,
        target: str,
        length: Length | None,
        model: Summarizer | Translator,
        settings: str,
        compute: Callable[[list[str]], list[str]],
        force: bool,
    ) -> list[str]:
        """Run one step over `texts`, computing only what the cache does not hold.

        An extractive summary is kept as a step in memory only: picking sentences again
        costs less than a round trip to the cache file, and the finished output is
        stored there anyway."""
        stored = not getattr(model, "extractive", False)
        steps = self.cache if stored else self._picked
        keys = [
            make_key(
                text=t,
                task=task,
                source_lang=source,
                target_lang=target,
                length=length,
                model=model.name,
                revision=model.revision,
                settings=settings,
            )
            if stored
            else "\0".join((settings, source, target, t))
            for t in texts
        ]
        values: list[str | None] = [None if force else steps.get(k) for k in keys]
        missing: dict[str, list[int]] = {}
        for i, value in enumerate(values):
            if value is None:
                missing.setdefault(keys[i], []).append(i)
        if missing:
            order = list(missing)
            batch = [texts[missing[k][0]] for k in order]
            try:
                produced = compute(batch)
            except (PrecisError, Cancelled):
                raise
            except Exception as exc:
                # The model libraries' own errors (a tokenizer that cannot decode ids its
                # model produced, a backend fault) are model failures, not precis bugs.
                log.warning("%s failed", model.name, exc_info=exc)
                message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
                raise ModelError(
                    f"{model.name} failed: {type(exc).__name__}: {message}".rstrip(": ")
                ) from exc
            if len(produced) != len(batch):
                raise ModelError(
                    f"{model.name} returned {len(produced)} outputs for {len(batch)} inputs"
                )
            rows = []
            for k, value in zip(order, produced, strict=True):
                for i in missing[k]:
                    values[i] = value
                if value.strip():
                    rows.append((k, value, task.value, model.name))
            steps.put_many(rows)
        return [v or "" for v in values]

    def _store(self, outputs: Sequence[Output]) -> None:
        rows = []
        for out in map(self._annotated, outputs):
            if out.text.strip():
                rows.append(
                    (self.output_cache_key(out.key), out.to_json(), "output", "|".join(out.models))
                )
        self.cache.put_many(rows)

    def _annotated(self, out: Output, aligned: Aligned | None = None) -> Output:
        """`out` with its fidelity flags and support links (models.fidelity)."""
        if out.flags or out.support:
            return out
        section = self.article.sections[out.key.section]
        flags, support = annotate(
            out.paragraphs,
            section.paragraphs,
            translation=out.key.kind == TRANSLATION or out.whole,
            lang=out.key.lang,
            source_lang=self.source_lang,
            aligned=aligned,
        )
        if flags == out.flags and support == out.support:
            return out  # nothing to add (checked before, or nothing found): no copy
        return replace(out, flags=flags, support=support)


def _untranslated(missing: ModelMissingError | None, lang: str, shown: str) -> dict[str, Any]:
    """The fields of an output shown in `shown` because the translator into `lang` is
    missing: a one-line note and the model a download would bring."""
    if missing is None:
        return {}
    size = format_size(missing.size_bytes)
    needs = f"{missing.model_id} ({size})" if size else missing.model_id
    return {
        "note": f"{language_name(lang)} needs {needs}; shown in {language_name(shown)}",
        "missing_model": missing.model_id,
        "missing_size": missing.size_bytes,
        "shown_lang": shown,
    }


def _kept_note(kept: int | None) -> str | None:
    if not kept:
        return None
    sentences = "1 sentence" if kept == 1 else f"{kept} sentences"
    return (
        f"{sentences} kept as written: only names, numbers or code, or already in the "
        "target language"
    )


def _paragraphs(text: str) -> tuple[str, ...]:
    """A model's text as an output's paragraphs, cleaned (models.sanitize) once here,
    before flags and support links are computed on it and before it is cached."""
    text = safe_model_text(text)
    parts = tuple(p.strip() for p in text.split("\n\n") if p.strip())
    return parts or (text.strip(),)
