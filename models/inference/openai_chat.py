"""Chat completions from any OpenAI-compatible server (Ollama, llama.cpp, vLLM, TGI...).

This is how precis uses a model it does not run itself, and how it scales past one
machine: point it at a vLLM or TGI deployment and prefetch requests go several at a
time, which such servers batch. It uses the maintained `openai` client for the
protocol, streaming, timeouts and retries (429 with Retry-After is waited out and
retried by the client), and turns each failure into one line that names the server
but never the API key. The client is imported on first use: `import openai` costs
about 1.7 s on the project's machines.

Privacy: article text goes where the base URL points. With no base URL configured
it is a local Ollama (127.0.0.1), never a public endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from models.errors import Cancelled, ModelError, one_line
from models.inference.chat import Completion, OnText
from models.inference.prompts import Prompt

PREFIX = "openai:"
DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible endpoint
DEFAULT_CONTEXT_TOKENS = 4096  # Ollama's default num_ctx is 2048-4096: stay inside it
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_openai_spec(model: str | None) -> bool:
    """Whether a --summarizer / --translator value names a server model ("openai:M")."""
    return bool(model) and str(model).startswith(PREFIX) and len(str(model)) > len(PREFIX)


def model_of(spec: str) -> str:
    return spec[len(PREFIX) :]


def check_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash; `ModelError` (one line) when it is not
    http(s)://HOST[:PORT][/path]."""
    url = base_url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and (parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number, or out of range
        valid = False
    if not valid:
        raise ModelError(
            f"the OpenAI base URL must look like http://HOST:PORT/v1, not {base_url!r}"
        )
    if parts.username or parts.password:  # said without echoing the URL: it holds a secret
        raise ModelError("the OpenAI base URL must not hold credentials: set OPENAI_API_KEY")
    return url


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return host in _LOOPBACK or host.startswith("127.")


def server_label(base_url: str) -> str:
    """ "host:port" of a base URL, for messages and the status line."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        return base_url
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def estimate_tokens(text: str) -> int:
    """Tokens of `text` without the server's tokenizer: UTF-8 bytes / 3 errs long for
    English (~4 bytes a token) and about right for CJK (3 bytes a character)."""
    return max(1, len(text.encode("utf-8")) // 3) if text else 0


class OpenAIChat:
    """A `ChatBackend` over one model of an OpenAI-compatible server."""

    revision: str | None = None  # a server model has no revision precis can see

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        concurrency: int = 4,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    ) -> None:
        if not model:
            raise ModelError("name the server's model: openai:MODEL")
        self.model = model
        self.name = PREFIX + model
        self.base_url = check_base_url(base_url or DEFAULT_BASE_URL)
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.concurrency = max(1, concurrency)
        self._context = context_tokens
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"OpenAIChat({self.model!r}, base_url={self.base_url!r})"

    # -- ChatBackend --------------------------------------------------------------

    def settings_key(self) -> dict[str, Any]:
        # The server decides the output, so it is part of the key; the key is not.
        return {"server": self.base_url, "temperature": 0}

    def context_tokens(self) -> int:
        return self._context

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def describe(self) -> str:
        return f"{self.name} @ {server_label(self.base_url)}"

    def complete(
        self,
        prompt: Prompt,
        *,
        cancel: threading.Event,
        on_text: OnText | None = None,
        retry: bool = False,
    ) -> Completion:
        if cancel.is_set():
            raise Cancelled()
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in prompt.messages],
            "max_tokens": prompt.max_tokens,
            "temperature": 0,
        }
        if retry:
            request["frequency_penalty"] = 0.5  # the retry after a repetition loop
        client = self._openai_client()
        if on_text is None:
            return self._plain(client, request, cancel)
        return self._streamed(client, request, cancel, on_text)

    # -- internals ----------------------------------------------------------------

    def _openai_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import openai  # ~1.7 s: httpx, pydantic models of the whole API

                self._client = openai.OpenAI(
                    base_url=self.base_url,
                    # Local servers need no key, but the client insists on one.
                    api_key=self._api_key or "no-key",
                    timeout=self.timeout_s,
                    max_retries=self.max_retries,
                )
            return self._client

    def _plain(self, client: Any, request: dict[str, Any], cancel: threading.Event) -> Completion:
        # The request runs in a helper thread so that `cancel` is seen within 50 ms; a
        # cancelled request is left to finish (or time out) on its own.
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                box["response"] = client.chat.completions.create(**request)
            except Exception as exc:
                box["error"] = exc

        helper = threading.Thread(target=call, name="precis-openai", daemon=True)
        helper.start()
        while helper.is_alive():
            helper.join(0.05)
            if cancel.is_set():
                raise Cancelled()
        if "error" in box:
            raise self._error(box["error"])
        response = box["response"]
        choices = getattr(response, "choices", None) or []
        if not choices or choices[0].message is None:
            raise ModelError(f"{self.describe()} answered without a message")
        text = choices[0].message.content or ""
        return Completion(text, truncated=choices[0].finish_reason == "length")

    def _streamed(
        self,
        client: Any,
        request: dict[str, Any],
        cancel: threading.Event,
        on_text: Callable[[str], None],
    ) -> Completion:
        try:
            stream = client.chat.completions.create(**request, stream=True)
        except Exception as exc:
            raise self._error(exc) from None
        parts: list[str] = []
        finish: str | None = None
        try:
            for chunk in stream:
                if cancel.is_set():
                    raise Cancelled()
                for choice in chunk.choices or []:
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    if delta:
                        parts.append(delta)
                        on_text("".join(parts))
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except Cancelled:
            raise
        except Exception as exc:  # the connection dropped, a malformed event
            raise ModelError(
                f"{self.describe()}: the stream was cut off mid-way ({self._scrub(one_line(exc))})"
            ) from None
        finally:
            stream.close()  # cancelled: the server stops generating for us
        if cancel.is_set():
            raise Cancelled()
        if finish is None:
            raise ModelError(f"{self.describe()}: the stream was cut off mid-way")
        return Completion("".join(parts), truncated=finish == "length")

    def _error(self, exc: BaseException) -> ModelError:
        """One line for a failed request; names the server and the model, never the key."""
        import openai

        where = server_label(self.base_url)
        status = getattr(exc, "status_code", None)
        detail = self._scrub(one_line(_server_message(exc), limit=160))
        if isinstance(exc, openai.APITimeoutError):
            message = f"the server at {where} did not answer within {self.timeout_s:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"cannot reach the OpenAI-compatible server at {where} ({_reason(exc)})"
        elif status == 401 or isinstance(exc, openai.AuthenticationError):
            message = (
                f"the server at {where} refused the API key (401): set OPENAI_API_KEY "
                "or [openai] api_key in the config"
            )
        elif status == 403:
            message = f"the server at {where} does not allow this (403): {detail}"
        elif status == 404:
            message = f"the server at {where} has no model {self.model!r} (404)"
        elif status == 429:
            message = (
                f"the server at {where} is still rate-limiting (429) after "
                f"{self.max_retries} retries; try again later"
            )
        elif isinstance(status, int):
            message = f"the server at {where} failed ({status}): {detail}"
        else:
            message = f"request to {where} failed: {detail}"
        return ModelError(message)

    def _scrub(self, text: str) -> str:
        key = self._api_key
        return text.replace(key, "***") if key else text


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


def _reason(exc: BaseException) -> str:
    """ "connection refused" rather than the client's generic "Connection error."."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 8:
        text = str(cause).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service not known" in text or "nodename nor servname" in text:
            return "unknown host"
        if "timed out" in text:
            return "timed out"
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return "connection failed"
