"""A fake OpenAI and Anthropic API on loopback, for the real ``openai`` and ``anthropic``
clients (pointed at it with ``base_url``), so an app's model calls cost nothing and report
a usage fixed per model: tests compute the expected tokens and costs by hand.

Endpoints: OpenAI ``POST /v1/chat/completions`` (JSON, or SSE chunks when ``stream`` is set,
ending with a usage chunk only when ``stream_options.include_usage`` asks for one) and
``POST /v1/responses`` (JSON); Anthropic ``POST /v1/messages`` (JSON, or the SSE event
sequence ``message_start`` … ``message_stop`` when ``stream`` is set). Each answer names a
dated snapshot of the model asked for, as the real providers do (so pricing has to find the
model's family). A model not in the tables gets a 404.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

REPLY = "Fixed answer from the fake provider."
U = TypeVar("U")


@dataclass(frozen=True)
class OpenAIUsage:
    """As OpenAI reports it: totals include their subsets (cached in prompt, reasoning in
    completion)."""

    snapshot: str
    prompt: int
    cached: int
    completion: int
    reasoning: int


@dataclass(frozen=True)
class AnthropicUsage:
    """As Anthropic reports it: ``input`` is the uncached input only; cache reads and
    writes are counted apart from it."""

    snapshot: str
    input: int
    cache_read: int
    cache_write: int
    output: int


OPENAI: dict[str, OpenAIUsage] = {
    "o3": OpenAIUsage("o3-2025-04-16", prompt=1200, cached=1000, completion=300, reasoning=200),
    "gpt-4o": OpenAIUsage(
        "gpt-4o-2024-08-06", prompt=2000, cached=1024, completion=150, reasoning=0
    ),
    "gpt-5": OpenAIUsage(
        "gpt-5-2025-08-07", prompt=5000, cached=4096, completion=700, reasoning=512
    ),
}
ANTHROPIC: dict[str, AnthropicUsage] = {
    "claude-sonnet-4-5": AnthropicUsage(
        "claude-sonnet-4-5-20250929", input=40, cache_read=1000, cache_write=200, output=100
    ),
    "claude-haiku-4-5": AnthropicUsage(
        "claude-haiku-4-5-20251001", input=30, cache_read=2000, cache_write=500, output=250
    ),
    # Newer Anthropic models answer under their own name, without a snapshot date.
    "claude-opus-4-7": AnthropicUsage(
        "claude-opus-4-7", input=300, cache_read=0, cache_write=0, output=60
    ),
}


class FakeProvider:
    """The fake API in a daemon thread; ``requests`` keeps every (path, JSON body) it got."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.provider = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest treats stray output as noise

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        provider: FakeProvider = self.server.provider  # type: ignore[attr-defined]
        provider.requests.append((self.path, body))
        route = {
            "/v1/chat/completions": self._chat_completion,
            "/v1/responses": self._openai_response,  # not ``responses``: see BaseHTTPRequestHandler
            "/v1/messages": self._anthropic_message,
        }.get(self.path.split("?", 1)[0])
        if route is None:
            self._json(404, {"error": {"type": "not_found", "message": self.path}})
            return
        route(body)

    # --- OpenAI -------------------------------------------------------------------------

    def _chat_completion(self, body: dict[str, Any]) -> None:
        usage = self._known(OPENAI, body)
        if usage is None:
            return
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", 1_700_000_000
        if not body.get("stream"):
            self._json(
                200,
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": usage.snapshot,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": REPLY},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": _chat_usage(usage),
                },
            )
            return
        chunk = {"id": ident, "object": "chat.completion.chunk", "created": created}
        chunk["model"] = usage.snapshot

        def choice(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        events = [choice({"role": "assistant", "content": ""}, None)]
        events += [choice({"content": word}, None) for word in _words(REPLY)]
        events.append(choice({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**chunk, "choices": [], "usage": _chat_usage(usage)})
        self._sse((None, json.dumps(e)) for e in events)

    def _openai_response(self, body: dict[str, Any]) -> None:
        usage = self._known(OPENAI, body)
        if usage is None:
            return
        self._json(
            200,
            {
                "id": f"resp_{uuid.uuid4().hex}",
                "object": "response",
                "created_at": 1_700_000_000,
                "status": "completed",
                "model": usage.snapshot,
                "output": [
                    {
                        "type": "message",
                        "id": f"msg_{uuid.uuid4().hex}",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": REPLY, "annotations": []}],
                    }
                ],
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "usage": {
                    "input_tokens": usage.prompt,
                    "input_tokens_details": {"cached_tokens": usage.cached},
                    "output_tokens": usage.completion,
                    "output_tokens_details": {"reasoning_tokens": usage.reasoning},
                    "total_tokens": usage.prompt + usage.completion,
                },
            },
        )

    # --- Anthropic ----------------------------------------------------------------------

    def _anthropic_message(self, body: dict[str, Any]) -> None:
        usage = self._known(ANTHROPIC, body)
        if usage is None:
            return
        message: dict[str, Any] = {
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "role": "assistant",
            "model": usage.snapshot,
            "stop_reason": "end_turn",
            "stop_sequence": None,
        }
        counts = {
            "input_tokens": usage.input,
            "cache_creation_input_tokens": usage.cache_write,
            "cache_read_input_tokens": usage.cache_read,
        }
        if not body.get("stream"):
            content = [{"type": "text", "text": REPLY}]
            self._json(
                200,
                {**message, "content": content, "usage": {**counts, "output_tokens": usage.output}},
            )
            return
        # The stream opens with the input usage (and one output token so far); the last
        # message_delta carries the cumulative output count.
        start = {**message, "content": [], "stop_reason": None}
        start["usage"] = {**counts, "output_tokens": 1}
        events: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
        ]
        for word in _words(REPLY):
            delta = {"type": "text_delta", "text": word}
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            )
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": usage.output},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        self._sse((name, json.dumps(data)) for name, data in events)

    # --- HTTP ---------------------------------------------------------------------------

    def _known(self, table: dict[str, U], body: dict[str, Any]) -> U | None:
        usage = table.get(str(body.get("model")))
        if usage is None:
            self._json(404, {"error": {"type": "not_found", "message": "unknown model"}})
        return usage

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Iterator[tuple[str | None, str]]) -> None:
        """Server-sent events, then OpenAI's ``[DONE]`` sentinel (Anthropic's client
        ignores what follows ``message_stop``); the connection closes at the end."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, data in events:
            head = f"event: {name}\n" if name else ""
            self.wfile.write(f"{head}data: {data}\n\n".encode())
            self.wfile.flush()
        if self.path.startswith("/v1/chat/"):
            self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


def _chat_usage(usage: OpenAIUsage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt,
        "completion_tokens": usage.completion,
        "total_tokens": usage.prompt + usage.completion,
        "prompt_tokens_details": {"cached_tokens": usage.cached},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning},
    }


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else f" {w}" for i, w in enumerate(words)]
