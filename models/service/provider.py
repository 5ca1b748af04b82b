"""Hands the service the summarizer and translators it asks for, loading each once.

This is where the catalog (which model for which pair), the hub (is it on disk?) and
the loader (put it on a device) meet. It decides offline or online before anything
imports transformers, resolves every model to a folder on disk before loading (so a
missing model fails at once, and the loader never reaches for the network), and keeps
what it built: one summarizer, one translator per language pair.

Multi-step pairs (German to French) chain two translators through English.

A model may run on transformers or CTranslate2 (models.inference.engines). The
provider says which before it loads one (`engine_mark`, for output cache keys) and
passes on what the engine loader reports while it loads, a CTranslate2 conversion's
progress and a fallback's one-line reason, to its listener as `ConversionProgress`
events (the service's listener: the reader shows them as it shows downloads).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.errors import ModelError, ModelMissingError
from models.hub import catalog
from models.hub import download as hub_download
from models.hub import local_models as hub
from models.hub.catalog import ModelSpec
from models.hub.llm_models import KNOWN_LLMS
from models.inference.adapters import (
    ChainedTranslator,
    PrefixingTokenizer,
    check_target_token,
    target_token_for,
)
from models.inference.decoding import CheckpointDecoding, DecodingPolicy, summary_decoding
from models.inference.llm_spec import is_causal_lm_folder
from models.inference.openai_chat import is_openai_spec
from models.ingest.language import detect_language
from models.service.events import ConversionProgress, ServiceEvent
from models.settings import Settings
from models.types import Summarizer, Translator

if TYPE_CHECKING:
    from models.inference.chat import ChatBackend
    from models.inference.engines import EngineLoader, EngineReport
    from models.inference.loader import LoadedModel, ModelLoader

EXTRACTIVE = "extractive"


class ModelProvider:
    """Builds and keeps the models one run of precis uses."""

    def __init__(
        self,
        settings: Settings,
        *,
        loader: ModelLoader | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.offline = hub.is_offline(settings)
        # Before any transformers import: HF_HUB_OFFLINE is read once, at import.
        hub.configure_environment(self.offline)
        self._loader = loader
        self._engines: EngineLoader | None = None
        self._cache_dir = cache_dir
        self._lock = threading.RLock()
        self._summarizer: Summarizer | None = None
        self._extractive: Summarizer | None = None
        self._hops: dict[ModelSpec, Translator] = {}
        self._translators: dict[tuple[str, str], Translator] = {}
        self._chats: dict[str, ChatBackend] = {}  # LLM backends by model spec (issue 16)
        self._is_llm: dict[str, bool] = {}
        self._listener: Callable[[ServiceEvent], None] | None = None

    def set_listener(self, listener: Callable[[ServiceEvent], None] | None) -> None:
        """Where conversion progress and engine fallbacks go, as `ConversionProgress`;
        called on the thread that loads the model (the service's worker)."""
        self._listener = listener

    @property
    def loader(self) -> ModelLoader:
        if self._loader is None:
            from models.inference.loader import ModelLoader  # cheap: torch loads on first load()

            self._loader = ModelLoader()
        return self._loader

    # -- what the service asks for -----------------------------------------------------

    def summarizer(self, lang: str) -> Summarizer:
        """The configured summarizer (it says which languages it reads; the service
        pivots others through English). Raises ModelMissingError / ModelError."""
        if self.settings.summarizer == EXTRACTIVE:
            return self.extractive()
        with self._lock:
            if self._summarizer is None and self.is_llm(self.settings.summarizer):
                from models.inference.llm_roles import LLMSummarizer

                style = "points" if self.settings.llm_style == "points" else "prose"
                self._summarizer = LLMSummarizer(self._chat(self.settings.summarizer), style=style)
            if self._summarizer is None:
                from models.inference.seq2seq import Seq2SeqSummarizer

                loaded = self._load(self._resolve(self.settings.summarizer, "--summarizer"))
                self._summarizer = Seq2SeqSummarizer(loaded, decoding=self.settings.decoding)
            return self._summarizer

    def extractive(self) -> Summarizer:
        """The model-free summarizer: always available, any language."""
        with self._lock:
            if self._extractive is None:
                from models.inference.extractive import ExtractiveSummarizer

                self._extractive = ExtractiveSummarizer()
            return self._extractive

    def translator(self, source: str, target: str) -> Translator:
        """A translator from `source` to `target`, direct or through English.

        Every model of the route is found on disk before any is loaded, so a missing
        second model fails without the cost of loading the first.
        """
        with self._lock:
            found = self._translators.get((source, target))
            if found is not None:
                return found
            llm = self._llm_translator(target)
            if llm is not None:
                from models.inference.llm_roles import LLMTranslator

                built_llm = LLMTranslator(self._chat(llm), source, target)
                self._translators[(source, target)] = built_llm
                return built_llm
            route = self.route(source, target)
            if not route:
                raise ModelError(f"no translation needed from {source} to {target}")
            resolved = [self._resolve(spec.model_id, "--translator") for spec in route]
            hops = [self._hop(spec, where) for spec, where in zip(route, resolved, strict=True)]
            built = hops[0] if len(hops) == 1 else ChainedTranslator(hops)
            self._translators[(source, target)] = built
            return built

    def route(self, source: str, target: str) -> list[ModelSpec]:
        """The models that `translator(source, target)` chains; loads nothing."""
        return catalog.translation_route(source, target, self.settings)

    def translator_id(self, source: str, target: str) -> str:
        """The model ids of the route, "+"-joined: names the translation in cache keys
        without loading anything. Raises ModelError for an unsupported pair."""
        llm = self._llm_translator(target)
        if llm is not None and source != target:
            return llm
        route = self.route(source, target)
        if not route:
            raise ModelError(f"no translation needed from {source} to {target}")
        return "+".join(spec.model_id for spec in route)

    def missing_models(self, source: str, targets: str | Iterable[str]) -> list[ModelSpec]:
        """Models not on disk that summaries and translations of an article in `source`
        into `targets` (one language or several) need. Loads nothing; pairs without a
        route are skipped (they fail with their own message when asked for)."""
        langs = [targets] if isinstance(targets, str) else list(targets)
        wanted: list[ModelSpec] = []
        if self.is_llm(self.settings.summarizer):
            if not is_openai_spec(self.settings.summarizer):  # a server has nothing to pull
                name = self.settings.summarizer
                size = catalog.approx_size(name) or KNOWN_LLMS.get(name)
                wanted.append(
                    ModelSpec(self.settings.summarizer, "llm", "en", "en", approx_size_bytes=size)
                )
        elif self.settings.summarizer != EXTRACTIVE:
            size = catalog.approx_size(self.settings.summarizer)
            wanted.append(
                ModelSpec(
                    self.settings.summarizer, "summarizer", "en", "en", approx_size_bytes=size
                )
            )
            if source != "en":
                wanted.extend(self._route_or_none(source, "en"))
        for lang in langs:
            if lang in (source, catalog.ORIGINAL):
                continue
            llm = self._llm_translator(lang)
            if llm is not None:
                if not is_openai_spec(llm):
                    wanted.append(ModelSpec(llm, "llm", source, lang))
                continue
            wanted.extend(self._route_or_none("en", lang))
            wanted.extend(self._route_or_none(source, lang))
        missing: dict[str, ModelSpec] = {}
        for spec in wanted:
            if spec.model_id in missing:
                continue
            try:
                self._resolve(spec.model_id)
            except ModelMissingError:
                missing[spec.model_id] = spec
            except ModelError:
                continue  # a bad local folder: reported when it is used
        return list(missing.values())

    def require(self, model: ModelSpec | str) -> hub.ResolvedModel:
        """The model on disk, or the ModelMissingError that says how to get it."""
        model_id = model.model_id if isinstance(model, ModelSpec) else model
        return self._resolve(model_id, self._flag_for(model_id))

    def _flag_for(self, model_id: str) -> str:
        """The flag that would replace `model_id` with a local folder."""
        if model_id == self.settings.summarizer:
            return "--summarizer"
        return "--translator"

    def download(
        self,
        model_id: str,
        progress: Callable[[int, int | None], None],
        cancel: threading.Event,
    ) -> None:
        """Fetch `model_id` into the hub cache (see `hub_download.download`); a model
        already there is not fetched again."""
        if hub.cached(model_id, self._cache_dir) is not None:
            return
        hub_download.download(
            model_id,
            progress=progress,
            cancel=cancel,
            offline=self.offline,
            cache_dir=self._cache_dir,
        )

    # -- what the status line shows ------------------------------------------------

    def device_name(self) -> str:
        """Where models run: the device of a loaded model, else the setting resolved
        (without importing torch for it when nothing has loaded it yet)."""
        for loaded in self._loaded():
            return str(loaded.device)
        # Resolved from the start (without importing torch): the status line showed
        # "auto" until a model loaded, then "cpu".
        from models.inference.device import predict_device

        return predict_device(self.settings.device)

    def describe_summarizer(self) -> str:
        """E.g. "distilbart-cnn-12-6 · int8 · greedy" (or "extractive")."""
        if self.settings.summarizer == EXTRACTIVE:
            return EXTRACTIVE
        if is_openai_spec(self.settings.summarizer):
            return self._chat(self.settings.summarizer).describe()  # where outputs come from
        summarizer: Any = self._summarizer
        backend = getattr(summarizer, "backend", None)
        if backend is not None:
            return str(backend.describe())
        if summarizer is None and not self._on_disk(self.settings.summarizer):
            # The service falls back to extractive summaries until it is downloaded.
            return f"{EXTRACTIVE} ({_short_name(self.settings.summarizer)} not downloaded)"
        parts = [_short_name(self.settings.summarizer)]
        loaded = getattr(summarizer, "loaded", None)
        if loaded is not None:
            from models.inference.engines import engine_of

            parts.append(f"{engine_of(loaded)} {loaded.precision}")
        elif self.device_name() == "cpu":
            # The engine it will load on: transformers after a failed conversion.
            engine = self.engine_for(self.settings.summarizer)
            if engine is not None:
                parts.append(f"{engine} {'int8' if self.settings.quantize else 'fp32'}")
        parts.append(self._decoding_label(summarizer))
        return " · ".join(parts)

    def describe(self) -> str:
        """One line: summarizer | translators in use | device."""
        parts = [self.describe_summarizer()]
        names = sorted(
            {_short_name(n) for t in self._translators.values() for n in t.name.split("+")}
            - {_short_name(h.name) for h in self._hops.values()}
            | {_translator_label(h) for h in self._hops.values()}
        )
        if names:
            parts.append(", ".join(names))
        parts.append(self.device_name())
        return " | ".join(parts)

    # -- engines: which one runs a model, and what loading on it reports ------------

    def engine_for(self, model: str) -> str | None:
        """The engine `model` will run on ("transformers" or "ctranslate2"), decided
        without loading it (engines.EngineLoader.expected); None for a model that is
        not a seq2seq model on disk (extractive, an LLM, not downloaded)."""
        if model == EXTRACTIVE or self.is_llm(model):
            return None
        try:
            resolved = self._resolve(model)
        except ModelError:
            return None
        return self.engines.expected(
            Path(resolved.local_dir),
            name=resolved.model_id,
            revision=resolved.revision,
            engine=self.settings.engine,
            device=self.settings.device,
            quantize=self.settings.quantize,
        )

    def engine_mark(self, spec: str) -> str:
        """What an output cache key adds for the models of `spec` (ids, "+"-joined):
        "" when each runs on the engine the settings predict for all (the key's
        `engines.expected_engine`), else "~" and each one's engine, e.g.
        "~transformers" for a model whose CTranslate2 conversion failed. Outputs are
        then keyed by the engine that makes them, never cached under the other."""
        from models.inference.engines import expected_engine

        default = expected_engine(self.settings.engine, self.settings.device)
        used = [self.engine_for(part) or default for part in spec.split("+")]
        if all(engine == default for engine in used):
            return ""
        return "~" + "+".join(used)

    def skip_conversions(self) -> list[str]:
        """Stop the CTranslate2 conversions running now; their models run on
        transformers for the rest of this run. The models whose conversion stops."""
        if self._engines is None:
            return []
        return self._engines.skip_conversions()

    def _engine_report(self, report: EngineReport) -> None:
        listener = self._listener
        if listener is not None:
            listener(
                ConversionProgress(
                    report.model, report.done, report.total, report.finished, report.note
                )
            )

    # -- instruction-tuned LLMs (issue 16) ----------------------------------------

    def is_llm(self, model: str | None) -> bool:
        """Whether `model` is a server model ("openai:M") or a causal LM (by its config
        on disk, or by name for a known LLM not downloaded yet). Loads nothing."""
        if not model or model == EXTRACTIVE:
            return False
        if is_openai_spec(model):
            return True
        known = self._is_llm.get(model)
        if known is None:  # asked for every cache key: read the config once
            try:
                known = is_causal_lm_folder(self._resolve(model).local_dir)
            except ModelError:
                return model in KNOWN_LLMS  # not on disk (yet): not remembered
            self._is_llm[model] = known
        return known

    def _llm_translator(self, target: str) -> str | None:
        """The LLM that translates into `target`: a translator named for it, or else the
        LLM summarizer (an LLM translates as well as it summarizes); None for seq2seq."""
        settings = self.settings
        if settings.translator and (settings.lang is None or settings.lang == target):
            named: str | None = settings.translator
        else:
            named = settings.translators.get(target)
        if named is not None:
            return named if self.is_llm(named) else None
        return settings.summarizer if self.is_llm(settings.summarizer) else None

    def _chat(self, model: str) -> ChatBackend:
        """The chat backend for `model`, built (and for a local LM, loaded) once."""
        with self._lock:
            found = self._chats.get(model)
            if found is not None:
                return found
            built: ChatBackend
            if is_openai_spec(model):
                from models.inference.openai_chat import OpenAIChat, model_of

                settings = self.settings
                built = OpenAIChat(
                    model_of(model),
                    base_url=settings.openai_base_url,
                    api_key=settings.openai_api_key,
                    timeout_s=settings.llm_timeout_s,
                    concurrency=settings.llm_concurrency,
                    context_tokens=settings.llm_context_tokens,
                )
            else:
                from models.inference.causal_lm import CausalLMChat, load_causal_lm
                from models.inference.device import resolve_device

                resolved = self._resolve(model)
                loaded = load_causal_lm(
                    model,
                    resolved.local_dir,
                    device=resolve_device(self.settings.device),
                    quantize=self.settings.quantize,
                    name=resolved.model_id,
                    revision=resolved.revision,
                )
                built = CausalLMChat(loaded)
            self._chats[model] = built
            return built

    # -- internals -------------------------------------------------------------------

    def _on_disk(self, model: str) -> bool:
        try:
            hub.resolve(model, offline=True, cache_dir=self._cache_dir)
        except ModelError:
            return False
        return True

    def _resolve(self, model: str, flag: str = hub.BOTH_FLAGS) -> hub.ResolvedModel:
        return hub.resolve(model, offline=self.offline, cache_dir=self._cache_dir, flag=flag)

    @property
    def engines(self) -> EngineLoader:
        """Loads each model on the engine `settings.engine` picks (transformers or
        CTranslate2, models.inference.engines); its `notes` say why a fallback happened."""
        if self._engines is None:
            from models.inference.engines import EngineLoader

            self._engines = EngineLoader(self.loader, report=self._engine_report)
        return self._engines

    def _load(self, resolved: hub.ResolvedModel) -> LoadedModel:
        # Loaded from the snapshot folder, but named as the user named it: the name is
        # shown and is part of every cache key, and must not change with the cache path.
        return self.engines.load(
            Path(resolved.local_dir),
            name=resolved.model_id,
            revision=resolved.revision,
            engine=self.settings.engine,
            device=self.settings.device,
            quantize=self.settings.quantize,
        )

    def _hop(self, spec: ModelSpec, resolved: hub.ResolvedModel) -> Translator:
        found = self._hops.get(spec)
        if found is not None:
            return found
        from models.inference.seq2seq import Seq2SeqTranslator

        loaded = self._load(resolved)
        # Multi-target models need a >>id<< token: the catalog's or the config's, else
        # the one of the model's own tokens that names the target language.
        prefix = spec.prefix or target_token_for(loaded.tokenizer, spec.target_lang, spec.model_id)
        if prefix:
            check_target_token(loaded.tokenizer, prefix, spec.model_id)
            loaded = dataclasses.replace(
                loaded, tokenizer=PrefixingTokenizer(loaded.tokenizer, prefix)
            )
        built = Seq2SeqTranslator(
            loaded,
            spec.source_lang,
            spec.target_lang,
            forced_bos_lang=spec.forced_bos_lang,
            src_lang_code=spec.src_lang_code,
            decoding=self.settings.decoding,
            detect=detect_language,
        )
        self._hops[spec] = built
        return built

    def _decoding_label(self, model: Any) -> str:
        """How the summarizer decodes ("beam 2"): its own policy, else the setting's."""
        decoding = getattr(model, "decoding", None)
        if isinstance(decoding, DecodingPolicy):
            return decoding.label
        return summary_decoding(self.settings.decoding, CheckpointDecoding()).label

    def _route_or_none(self, source: str, target: str) -> list[ModelSpec]:
        try:
            return self.route(source, target)
        except ModelError:
            return []

    def _loaded(self) -> list[Any]:
        items: list[Any] = [self._summarizer, *self._hops.values(), *self._chats.values()]
        return [t.loaded for t in items if getattr(t, "loaded", None) is not None]


def _translator_label(translator: Translator) -> str:
    """The model and how it decodes, e.g. "opus-mt-en-de · beam 4"."""
    decoding = getattr(translator, "decoding", None)
    name = _short_name(translator.name)
    return f"{name} · {decoding.label}" if isinstance(decoding, DecodingPolicy) else name


def _short_name(model: str) -> str:
    return model.rstrip("/").rsplit("/", 1)[-1] or model
