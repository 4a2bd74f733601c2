"""The ingest endpoints: ``/api/<project_id>/envelope/`` and ``/api/<project_id>/store/``.

The hot path: authenticate, cap sizes, decompress, check framing, apply rate limits, append
the raw envelope to the inbox, answer. No normalization or grouping happens here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from heron.inbox import InboxRecord, InboxUnavailable, InboxWriter, OutcomeRecord
from heron.ingest import accept
from heron.ingest.asgi import IngestRequest, Reply
from heron.ingest.decode import decode_body, decode_store_body, read_body
from heron.ingest.errors import (
    BadRequest,
    Forbidden,
    IngestError,
    ProjectNotFound,
    RateLimited,
    Unauthorized,
)
from heron.ingest.keys import KeyCache
from heron.ingest.ratelimit import Quota, RateLimiter, rate_limit_header
from heron.protocol import AuthError, Envelope, parse_auth_header, parse_dsn
from heron.settings import Config
from heron.store.projects import IngestKey

log = logging.getLogger("heron.ingest")

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
}
_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
        "content-type, authentication, authorization, content-encoding, transfer-encoding, "
        "baggage, sentry-trace"
    ),
    "Access-Control-Max-Age": "3600",
}


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, orjson.dumps(body), {**_CORS, **(headers or {})})


def _error(exc: IngestError) -> Reply:
    message = exc.message.replace("\n", " ")[:500]
    headers = {"X-Sentry-Error": message, **exc.headers}
    return _json(exc.status, {"detail": message, "causes": []}, headers)


def _request_key(request: IngestRequest) -> str | None:
    """The public key from the X-Sentry-Auth / Authorization header or the query string."""
    keys = set()
    for header in ("x-sentry-auth", "authorization"):
        value = request.headers.get(header)
        if value and value[:7].lower() == "sentry ":
            key = parse_auth_header(value).get("sentry_key")
            if key:
                keys.add(key)
    query_key = request.query.get("sentry_key")
    if query_key:
        keys.add(query_key)
    if len(keys) > 1:
        raise BadRequest("conflicting credentials")
    return keys.pop() if keys else None


async def _resolve_key(cache: KeyCache, public_key: str, project_id: int) -> IngestKey:
    hit, key = cache.cached_key(public_key)
    if not hit:
        key = await run_in_threadpool(cache.lookup_key, public_key)
    if key is None or key.project_id != project_id:
        if not await run_in_threadpool(cache.project_exists, project_id):
            raise ProjectNotFound(f"unknown project {project_id}")
        if key is None:
            raise Forbidden("unknown public key")
        raise Forbidden("public key does not belong to this project")
    if not key.is_active:
        raise Forbidden("public key is disabled")
    return key


def _project_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ProjectNotFound(f"unknown project {raw!r}") from None


async def _ingest(request: IngestRequest, kind: str) -> Reply:
    state = request.state
    config: Config = state.config
    cache: KeyCache = state.key_cache
    inbox: InboxWriter = state.inbox
    try:
        project_id = _project_id(request.project_id)
        public_key = _request_key(request)
        key = await _resolve_key(cache, public_key, project_id) if public_key else None
        raw = await read_body(
            request.stream(), request.headers.get("content-length"), config.max_request_bytes
        )
        body = decode_body(raw, request.headers.get("content-encoding"), config.max_envelope_bytes)
        envelope: Envelope
        if kind == "store":
            body = decode_store_body(body, config.max_envelope_bytes)
            envelope = accept.store_to_envelope(body, config.max_event_bytes)
            payload_id = None  # the store body's id is already in the header
        else:
            envelope, payload_id = accept.check_envelope(body, config.max_event_bytes)
        if key is None:
            key = await _resolve_key(cache, _envelope_key(envelope), project_id)
        else:
            _check_envelope_dsn(envelope, key.public_key)
        event_id, changed = accept.assign_event_id(envelope, payload_id)
        refused_by, outcomes, headers = _rate_limit(state.rate_limiter, key, envelope)
        changed = changed or refused_by is not None
        if envelope.items:
            stored = accept.reserialize(envelope) if changed or kind == "store" else body
            record = InboxRecord(project_id, stored, client_ip=request.client_ip)
            await inbox.append(record, tuple(outcomes))
        else:
            inbox.count(tuple(outcomes))
        if refused_by and not any(i.type != "client_report" for i in envelope.items):
            raise RateLimited(f"rate limited: {refused_by.scope} quota exceeded", headers)
        return _json(200, {"id": event_id} if event_id else {}, headers)
    except IngestError as exc:
        return _error(exc)
    except InboxUnavailable as exc:
        log.error("inbox unavailable: %s", exc)
        return _json(503, {"detail": "inbox unavailable"}, {"X-Sentry-Error": "inbox unavailable"})


def _rate_limit(
    limiter: RateLimiter, key: IngestKey, envelope: Envelope
) -> tuple[Quota | None, list[OutcomeRecord], dict[str, str]]:
    """Drop the events beyond the project's or the key's quota from the envelope.

    Returns the quota that refused some (None: all admitted), their outcomes and the
    response headers that tell the SDK to back off.
    """
    quotas = _quotas(key)
    wanted = accept.limited_quantity(envelope) if quotas else 0
    if not wanted:
        return None, [], {}
    admission = limiter.admit(quotas, wanted)
    quota = admission.bound_by
    if quota is None:
        return None, [], {}
    _dropped, outcomes = accept.limit_items(
        envelope, key.project_id, admission.admitted, quota.reason
    )
    headers = {
        "X-Sentry-Rate-Limits": rate_limit_header(admission.retry_after, quota),
        "Retry-After": str(admission.retry_after),
    }
    return quota, outcomes, headers


def _quotas(key: IngestKey) -> list[Quota]:
    """The limits a request with this key is held to: its project's, then its own."""
    quotas = []
    if key.rate_limit is not None:
        quotas.append(Quota("project", key.project_id, key.rate_limit))
    if key.key_rate_limit is not None:
        quotas.append(Quota("key", key.key_id, key.key_rate_limit))
    return quotas


def _envelope_key(envelope: Envelope) -> str:
    dsn = envelope.headers.get("dsn")
    if not isinstance(dsn, str) or not dsn:
        raise Unauthorized("missing authentication: no sentry_key in header, query or dsn")
    try:
        return parse_dsn(dsn).public_key
    except AuthError as exc:
        raise Unauthorized(str(exc)) from None


def _check_envelope_dsn(envelope: Envelope, public_key: str) -> None:
    """An envelope ``dsn`` naming another key than the request's is ambiguous: refuse it."""
    dsn = envelope.headers.get("dsn")
    if not isinstance(dsn, str) or not dsn:
        return
    try:
        dsn_key = parse_dsn(dsn).public_key
    except AuthError:
        return  # the request's own credentials decide; a broken dsn header is ignored
    if dsn_key != public_key:
        raise BadRequest("conflicting credentials: the envelope dsn names another key")


async def _preflight_or_ingest(request: IngestRequest, kind: str) -> Reply:
    if request.method == "OPTIONS":
        return Reply(200, b"", _PREFLIGHT)
    if request.method != "POST":
        return _json(405, {"detail": "method not allowed"}, {"Allow": "POST, OPTIONS"})
    return await _ingest(request, kind)


_INGEST_PATH = re.compile(r"^/api/([^/]+)/(envelope|store)/?$")


def match(scope: Scope) -> ASGIApp | None:
    """The ingest endpoint for this request, or None when it is not an ingest request.

    The app calls this before its middleware stack: SDK traffic needs no sessions, no
    routing table and no exception middleware, and skipping them is most of the hot path.
    """
    if scope["type"] != "http":
        return None
    found = _INGEST_PATH.match(scope["path"])
    if found is None:
        return None
    project_id, kind = found.group(1), found.group(2)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        request = IngestRequest(scope, receive, project_id)
        reply = await _preflight_or_ingest(request, kind)
        await reply.send(send)

    return endpoint
