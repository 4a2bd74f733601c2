"""Composes the one ASGI app: ingest routes, the REST API and the web pages."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from heron import api, ingest, web
from heron.bootstrap import secret_key
from heron.inbox import open_inbox
from heron.settings import Config, load
from heron.store import Database

log = logging.getLogger("heron")


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


class HeronApp(FastAPI):
    """The FastAPI app, with SDK ingest requests dispatched before any middleware."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = ingest.match(scope)
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await endpoint(scope, receive, send)


def create_app(config: Config | None = None, *, db: Database | None = None) -> FastAPI:
    config = config or load()
    database = db or Database(config.effective_database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        inbox = open_inbox(database, config)
        app.state.inbox = inbox
        inbox.start()
        digest_stop = None
        if config.digest_in_process:
            from heron.digest import run_in_thread

            _thread, digest_stop = run_in_thread(config)
        try:
            yield
        finally:
            if digest_stop is not None:
                digest_stop.set()
            inbox.stop()
            if db is None:
                database.dispose()

    app = HeronApp(
        title="Heron",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/0/docs",
        redoc_url=None,
        openapi_url="/api/0/openapi.json",
    )
    app.state.config = config
    app.state.db = database
    app.state.key_cache = ingest.KeyCache(database)
    app.state.rate_limiter = ingest.RateLimiter()

    app.router.routes.insert(0, Route("/healthz", _health, methods=["GET"]))
    api.install(app)
    web.install(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(database, config),
        session_cookie="heron_session",
        same_site="lax",
        https_only=config.effective_public_url.startswith("https://"),
    )
    return app


def app_from_env() -> FastAPI:
    """The app as uvicorn's factory builds it in each worker process."""
    app = create_app(load())
    # Everything built so far lives as long as the process: keep the collector off it, and
    # collect less often (ingest allocates many short-lived, acyclic JSON containers).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    return app
