"""Bare ASGI request and reply for the ingest endpoints.

SDK traffic is the hottest path Heron has; a framework's request/response objects, routing
and middleware cost more than the work itself, so ingest reads the ASGI scope directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send


class IngestRequest:
    __slots__ = ("_receive", "headers", "method", "project_id", "query", "scope")

    def __init__(self, scope: Scope, receive: Receive, project_id: str) -> None:
        self.scope = scope
        self._receive = receive
        self.project_id = project_id
        self.method: str = scope["method"]
        # Later duplicates of a header do not override the first (as Starlette does).
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        self.headers = headers
        raw_query: bytes = scope.get("query_string", b"")
        self.query = dict(parse_qsl(raw_query.decode("latin-1"))) if raw_query else {}

    @property
    def state(self) -> Any:
        return self.scope["app"].state

    @property
    def client_ip(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


class Reply:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    async def send(self, send: Send) -> None:
        headers = [
            (k.lower().encode(), v.encode("latin-1", "replace")) for k, v in self.headers.items()
        ]
        headers.append((b"content-length", str(len(self.body)).encode()))
        if self.body:
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
