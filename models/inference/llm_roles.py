"""Summaries and translations by an instruction-tuned LLM, behind precis's protocols.

`LLMSummarizer` fits `Summarizer` and `LLMTranslator` fits `Translator`, so the
reader, the cache and the export use a chat model like any other. Unlike
distilbart, an LLM writes the summary directly in the reader's language
(`writes_target`): the pipeline then skips the pivot and the second translation.

Each answer is cleaned (models.inference.llm_output), checked by the
degenerate-output detector and retried once with safer settings, as for seq2seq
models. A section longer than the context window is cut at sentence boundaries;
the pieces are summarized and the summaries summarized again. Requests to a server
run several at a time (`ChatBackend.concurrency`), because servers batch them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any

from models.errors import Cancelled, GenerationError
from models.inference.chat import ChatBackend, Completion
from models.inference.degenerate import degeneracy
from models.inference.llm_output import clean_output, visible_part
from models.inference.prompts import (
    PROMPT_VERSION,
    Prompt,
    Style,
    summary_prompt,
    translation_prompt,
)
from models.text import chunk_sentences, join_sentences, split_sentences
from models.types import Length, Task

# Called with (index of the text in the call, the cleaned answer so far).
OnPartial = Callable[[int, str], None]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?。！？…»\"'”’)\]]\s*$")
_MAX_LEVELS = 8  # chunk-summary levels; each shrinks its input several times


class _LLMRole:
    """What the summarizer and the translator share: the window, running prompts."""

    def __init__(self, backend: ChatBackend) -> None:
        self.backend = backend
        self.name = backend.name
        self.revision = backend.revision

    def input_budget(self, prompt: Prompt) -> int:
        """Tokens of source text that fit beside `prompt`'s instructions and its answer."""
        overhead = sum(self.backend.count_tokens(m["content"]) + 8 for m in prompt.messages)
        return self.backend.context_tokens() - overhead - prompt.max_tokens

    def run(
        self,
        prompts: Sequence[Prompt],
        sources: Sequence[str],
        *,
        task: Task,
        cancel: threading.Event,
        target_lang: str,
        source_lang: str,
        on_partial: OnPartial | None = None,
        trim: bool = True,
    ) -> list[str]:
        """One checked, cleaned answer per prompt, `backend.concurrency` at a time."""
        if cancel.is_set():
            raise Cancelled()
        workers = max(1, min(self.backend.concurrency, len(prompts)))
        # One at a time, the caller's event reaches the backend directly; several at
        # once, `inner` also stops the others when one fails.
        inner = cancel if workers == 1 else threading.Event()

        def one(i: int) -> str:
            stream = None
            if on_partial is not None:
                partial = on_partial

                def stream(text: str) -> None:
                    shown = visible_part(text)
                    if shown:
                        partial(i, shown)

            return self._answer(
                prompts[i], sources[i], task, inner, stream, source_lang, target_lang, trim
            )

        if workers == 1:
            return [one(i) for i in range(len(prompts))]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="precis-llm")
        futures: list[Future[str]] = [pool.submit(one, i) for i in range(len(prompts))]
        pending = set(futures)
        try:
            while pending:
                _, pending = wait(pending, timeout=0.05, return_when=FIRST_EXCEPTION)
                if cancel.is_set():
                    raise Cancelled()
                failed = next((f for f in futures if f.done() and f.exception()), None)
                if failed is not None:
                    raise failed.exception()  # type: ignore[misc]
        finally:
            inner.set()  # the others stop at their next piece of stream
            # Not waiting: a request that cannot be interrupted ends on its own.
            pool.shutdown(wait=not pending, cancel_futures=True)
        return [f.result() for f in futures]

    def _answer(
        self,
        prompt: Prompt,
        source: str,
        task: Task,
        cancel: threading.Event,
        stream: Callable[[str], None] | None,
        source_lang: str,
        target_lang: str,
        trim: bool,
    ) -> str:
        for retry in (False, True):
            done = self.backend.complete(prompt, cancel=cancel, on_text=stream, retry=retry)
            text = _finish(done, target_lang, trim=trim)
            reason = degeneracy(
                text, source, task=task, source_lang=source_lang, target_lang=target_lang
            )
            if reason is None:
                return text
        raise GenerationError(f"{self.name} produced {reason} twice; try another model")


class LLMSummarizer(_LLMRole):
    """A `Summarizer` that writes in any language it is asked for."""

    extractive = False
    languages: frozenset[str] | None = None  # reads any language
    writes_target = True  # summarize() takes `target_lang`: no translation afterwards
    streams = True  # summarize() takes `on_partial`

    def __init__(self, backend: ChatBackend, *, style: str = "prose") -> None:
        super().__init__(backend)
        self.style: Style = "points" if style == "points" else "prose"

    def settings_key(self, length: Length) -> str:
        return _key(
            kind="llm-summary",
            prompts=PROMPT_VERSION,
            length=Length(length).value,
            style=self.style,
            window=self.backend.context_tokens(),
            **self.backend.settings_key(),
        )

    def summarize(
        self,
        texts: Sequence[str],
        length: Length,
        *,
        lang: str = "en",
        target_lang: str | None = None,
        cancel: threading.Event | None = None,
        on_partial: OnPartial | None = None,
    ) -> list[str]:
        """One summary per text, written in `target_lang` (default: `lang`)."""
        cancel = cancel or threading.Event()
        if cancel.is_set():
            raise Cancelled()
        target = target_lang or lang
        length = Length(length)
        fitted = [self._fitted(t, lang, target, cancel) for t in texts]
        pieces = [piece for piece, _ in fitted]
        prompts = [
            summary_prompt(
                piece, source_lang=piece_lang, target_lang=target, length=length, style=self.style
            )
            for piece, piece_lang in fitted
        ]
        results = ["" for _ in texts]
        todo = [i for i, p in enumerate(pieces) if p.strip()]
        if todo:

            def partial(k: int, text: str) -> None:
                if on_partial is not None:
                    on_partial(todo[k], text)

            answers = self.run(
                [prompts[i] for i in todo],
                [pieces[i] for i in todo],
                task=Task.SUMMARY,
                cancel=cancel,
                source_lang=lang,
                target_lang=target,
                on_partial=partial if on_partial is not None else None,
                trim=self.style == "prose",
            )
            for i, answer in zip(todo, answers, strict=True):
                results[i] = answer
        return results

    def _fitted(
        self, text: str, lang: str, target: str, cancel: threading.Event
    ) -> tuple[str, str]:
        """`text`, or for one longer than the window its chunks' summaries (repeatedly,
        written in `target`), with the language it is now in."""
        probe = summary_prompt("", source_lang=lang, target_lang=target, length=Length.LONG)
        budget = max(32, self.input_budget(probe))
        tokens = self.backend.count_tokens(text)
        piece, piece_lang = text, lang
        for _ in range(_MAX_LEVELS):
            if tokens <= budget:
                return piece, piece_lang
            sentences = split_sentences(piece, piece_lang)
            chunks = chunk_sentences(
                sentences, self.backend.count_tokens, max(16, budget), lang=piece_lang
            )
            prompts = [
                summary_prompt(
                    c, source_lang=piece_lang, target_lang=target, length=Length.MEDIUM, chunk=True
                )
                for c in chunks
            ]
            summaries = self.run(
                prompts,
                chunks,
                task=Task.CHUNK_SUMMARY,
                cancel=cancel,
                source_lang=piece_lang,
                target_lang=target,
            )
            piece, piece_lang = join_sentences(summaries, target), target
            shrunk = self.backend.count_tokens(piece)
            if shrunk >= tokens:
                raise GenerationError(f"{self.name}: chunk summaries do not shorten the section")
            tokens = shrunk
        raise GenerationError(f"{self.name}: section too long to summarize")


class LLMTranslator(_LLMRole):
    """A `Translator` for one language pair over a chat model."""

    streams = True  # translate() takes `on_partial`

    def __init__(self, backend: ChatBackend, source_lang: str, target_lang: str) -> None:
        super().__init__(backend)
        self.source_lang = source_lang
        self.target_lang = target_lang

    def settings_key(self) -> str:
        return _key(
            kind="llm-translation",
            prompts=PROMPT_VERSION,
            window=self.backend.context_tokens(),
            **self.backend.settings_key(),
        )

    def translate(
        self,
        texts: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        on_partial: OnPartial | None = None,
    ) -> list[str]:
        """One translation per text; paragraphs are sent together while they fit."""
        cancel = cancel or threading.Event()
        if cancel.is_set():
            raise Cancelled()
        layout: list[list[int]] = []  # per text, its pieces' indices
        pieces: list[str] = []
        for text in texts:
            layout.append([])
            for piece in self._pieces(text):
                layout[-1].append(len(pieces))
                pieces.append(piece)
        prompts = [
            translation_prompt(
                p,
                source_lang=self.source_lang,
                target_lang=self.target_lang,
                input_tokens=self.backend.count_tokens(p),
            )
            for p in pieces
        ]
        owner = {k: t for t, ks in enumerate(layout) for k in ks}
        latest: dict[int, str] = {}  # each piece's text so far (a finished piece: all of it)

        def partial(k: int, text: str) -> None:
            if on_partial is not None:
                latest[k] = text
                shown = [latest.get(j, "") for j in layout[owner[k]] if j <= k]
                on_partial(owner[k], "\n\n".join(s for s in shown if s))

        answers = self.run(
            prompts,
            pieces,
            task=Task.TRANSLATION,
            cancel=cancel,
            source_lang=self.source_lang,
            target_lang=self.target_lang,
            on_partial=partial if on_partial is not None else None,
            trim=False,
        )
        return ["\n\n".join(answers[k] for k in ks) for ks in layout]

    def _pieces(self, text: str) -> list[str]:
        """`text` as runs of whole paragraphs that fit the window (sentences if one does
        not); a translation needs room for as many tokens again as its source."""
        probe = translation_prompt(
            "", source_lang=self.source_lang, target_lang=self.target_lang, input_tokens=0
        )
        overhead = self.backend.context_tokens() - self.input_budget(probe)
        budget = max(16, (self.backend.context_tokens() - overhead) // 3)
        out: list[str] = []
        current: list[str] = []
        size = 0
        for paragraph in _PARAGRAPH_BREAK.split(text):
            paragraph = paragraph.strip()
            if not paragraph:
                continue
            n = self.backend.count_tokens(paragraph)
            if n > budget:
                if current:
                    out.append("\n\n".join(current))
                    current, size = [], 0
                sentences = split_sentences(paragraph, self.source_lang)
                out.extend(
                    chunk_sentences(
                        sentences, self.backend.count_tokens, budget, lang=self.source_lang
                    )
                )
                continue
            if current and size + n > budget:
                out.append("\n\n".join(current))
                current, size = [], 0
            current.append(paragraph)
            size += n
        if current:
            out.append("\n\n".join(current))
        if not out and text.strip():
            out.append(text.strip())
        return out


def _finish(done: Completion, lang: str, *, trim: bool) -> str:
    """The cleaned answer; a last sentence cut off by the budget is dropped if a whole
    one remains."""
    text = clean_output(done.text)
    if not trim or not done.truncated or _SENTENCE_END.search(text):
        return text
    sentences = split_sentences(text, lang)
    return join_sentences(sentences[:-1], lang) if len(sentences) > 1 else text


def _key(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))
