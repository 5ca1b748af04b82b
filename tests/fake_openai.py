"""A local OpenAI-compatible chat-completions server on 127.0.0.1, for tests and the benchmark.

It speaks the real wire protocol (JSON bodies, server-sent events for `stream: true`,
OpenAI-shaped error bodies), so precis's backend is tested through the real `openai`
client over real HTTP. Each error precis must report is a `mode`: 401, 404 (unknown
model), 429 with Retry-After (then success), 500, a stream cut mid-way, and a server
that never answers. Every request is recorded (body and headers) for assertions.

    with FakeOpenAI(reply="Hallo.") as server:
        server.base_url  # http://127.0.0.1:PORT/v1

Run alone (`python tests/fake_openai.py --latency 0.2`) it serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = "Der Stadtrat hat den neuen Haushalt für Schulen und Straßen beschlossen."
MODES = ("ok", "401", "404", "429", "500", "cut", "hang")


class FakeOpenAI:
    """The server; `mode`, `reply`, `latency_s` may be changed between requests."""

    def __init__(
        self,
        *,
        reply: str | Callable[[dict[str, Any]], str] = DEFAULT_REPLY,
        model: str = "test",
        mode: str = "ok",
        latency_s: float = 0.0,
        token_delay_s: float = 0.0,
        rate_limited: int = 1,
        retry_after_s: float = 0.2,
        api_key: str | None = None,
        port: int = 0,
    ) -> None:
        self.reply = reply
        self.model = model
        self.mode = mode
        self.latency_s = latency_s
        self.token_delay_s = token_delay_s
        self.rate_limited = rate_limited  # 429s answered before a success, in mode "429"
        self.retry_after_s = retry_after_s
        self.api_key = api_key  # when set, other keys get 401
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.times: list[float] = []  # perf_counter at each request's arrival
        self.active = 0
        self.max_active = 0  # the most requests in flight at once
        self.closed_early = 0  # streams the client closed before the end
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def text_for(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply


def _words(text: str) -> list[str]:
    """The reply in stream pieces: each word with its following space."""
    pieces = text.split(" ")
    return [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read `server.requests` instead

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with server._lock:
                server.times.append(time.perf_counter())
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                server.active += 1
                server.max_active = max(server.max_active, server.active)
            try:
                self._answer(raw)
            finally:
                with server._lock:
                    server.active -= 1

        def _answer(self, raw: bytes) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._error(404, f"no route {self.path}", "not_found")
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(400, "body is not JSON", "invalid_request_error")
            with server._lock:
                server.requests.append(body)
            mode = server.mode
            if mode == "hang":
                time.sleep(3600)
                return None
            if server.latency_s:
                time.sleep(server.latency_s)
            auth = self.headers.get("Authorization", "")
            if mode == "401" or (server.api_key and auth != f"Bearer {server.api_key}"):
                # Like some real servers, the error echoes what it was given.
                return self._error(
                    401, f"Incorrect API key provided: {auth[7:]}", "invalid_api_key"
                )
            if mode == "404" or body.get("model") != server.model:
                return self._error(
                    404, f"The model `{body.get('model')}` does not exist", "model_not_found"
                )
            if mode == "429":
                with server._lock:
                    limited = server.rate_limited > 0
                    server.rate_limited -= 1
                if limited:
                    return self._error(
                        429,
                        "Rate limit reached",
                        "rate_limit_exceeded",
                        {"Retry-After": f"{server.retry_after_s:g}"},
                    )
            if mode == "500":
                return self._error(500, "The server had an error", "server_error")
            text = server.text_for(body)
            if body.get("stream"):
                return self._stream(text, cut=mode == "cut")
            return self._json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": server.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )

        def _stream(self, text: str, *, cut: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            # No length: the body ends when the connection closes.
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = _words(text)
            if cut:
                pieces = pieces[: max(1, len(pieces) // 2)]
            try:
                for piece in pieces:
                    self._event({"role": "assistant", "content": piece}, None)
                    if server.token_delay_s:
                        time.sleep(server.token_delay_s)
                if not cut:  # cut: no finish_reason, no [DONE], the connection just ends
                    self._event({}, "stop")
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                with server._lock:
                    server.closed_early += 1
            self.close_connection = True

        def _event(self, delta: dict[str, Any], finish: str | None) -> None:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": server.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()

        def _error(
            self, status: int, message: str, code: str, headers: dict[str, str] | None = None
        ) -> None:
            self._json(
                status,
                {"error": {"message": message, "type": code, "param": None, "code": code}},
                headers,
            )

        def _json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    args = parser.parse_args()
    server = FakeOpenAI(reply=args.reply, mode=args.mode, latency_s=args.latency, port=args.port)
    server.start()
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
