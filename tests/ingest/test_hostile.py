"""Malformed and hostile requests against the live ingest endpoints.

Every refused request gets its exact status, an ``X-Sentry-Error`` reason and the CORS
headers a browser SDK needs to read them; none may hurt the server. After the corpus the
server must still be healthy, still ingest, and have logged no traceback.
"""

from __future__ import annotations

import base64
import functools
import gzip
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import brotli
import httpx
import orjson
import pytest
from sqlalchemy import update

from heron.store import tables
from tests.live import LiveServer, run_cli
from tests.sdk.helpers import (
    database,
    envelope,
    error_event,
    event_envelope,
    marker,
    post_envelope,
    stored_event,
)

MiB = 1024 * 1024
UNKNOWN_KEY = "f" * 32


@dataclass(frozen=True)
class Target:
    """What a case may refer to: the server and two more projects made for this module."""

    server: LiveServer
    other_project: int
    other_key: str
    disabled_project: int
    disabled_key: str


Body = bytes | Callable[[Target], bytes]


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    body: Body
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/api/{project}/envelope/"
    key: str = "own"  # whose X-Sentry-Auth header to send: "own", "disabled" or "none"


def _event_bytes(**fields: object) -> bytes:
    return orjson.dumps(error_event(marker("hostile"), **fields))


def _valid() -> bytes:
    return event_envelope(error_event(marker("hostile")))


def _stream(wbits: int, size: int) -> bytes:
    """``size`` zero bytes through zlib (wbits 31 = gzip, 15 = zlib), built in slices."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = b"\0" * MiB
    return b"".join([packer.compress(zeros) for _ in range(size // MiB)] + [packer.flush()])


@functools.cache
def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates past the 100 MiB envelope limit."""
    return _stream(31, 101 * MiB)


@functools.cache
def deflate_bomb() -> bytes:
    return _stream(15, 101 * MiB)


@functools.cache
def brotli_bomb() -> bytes:
    packer = brotli.Compressor(quality=1)
    zeros = b"\0" * MiB
    return b"".join([packer.process(zeros) for _ in range(101)] + [packer.finish()])


def _header_event(length: object) -> bytes:
    item = orjson.dumps({"type": "event", "length": length})
    return b'{"event_id":"' + uuid.uuid4().hex.encode() + b'"}\n' + item + b"\n{}\n"


CASES = [
    # --- framing ---------------------------------------------------------------------------
    Case("not_json", 400, b"this is not an envelope\n"),
    Case("empty_body", 400, b""),
    Case("header_is_array", 400, b'[1, 2]\n{"type":"event"}\n{}\n'),
    Case("header_is_string", 400, b'"event"\n'),
    Case("item_header_not_json", 400, b"{}\nnot json at all\n{}\n"),
    Case("item_header_is_array", 400, b'{}\n["event"]\n{}\n'),
    Case("item_length_past_the_end", 400, _header_event(5000)),
    Case("item_length_negative", 400, _header_event(-1)),
    Case("item_length_float", 400, _header_event(2.5)),
    Case("item_length_string", 400, _header_event("2")),
    Case("item_without_type", 400, b'{}\n{"length":2}\n{}\n'),
    Case("item_with_empty_type", 400, b'{}\n{"type":"","length":2}\n{}\n'),
    Case("payload_not_followed_by_newline", 400, b'{}\n{"type":"event","length":2}\n{}xyz\n'),
    # --- item payloads -------------------------------------------------------------------------
    Case("event_item_is_array", 400, envelope({}, ({"type": "event"}, b"[1, 2, 3]"))),
    Case("event_item_is_string", 400, envelope({}, ({"type": "event"}, b'"boom"'))),
    Case("event_item_invalid_json", 400, envelope({}, ({"type": "event"}, b'{"a": '))),
    Case("event_item_empty", 400, envelope({}, ({"type": "event"}, b""))),
    Case("transaction_item_is_array", 400, envelope({}, ({"type": "transaction"}, b"[]"))),
    Case("session_item_invalid_json", 400, envelope({}, ({"type": "session"}, b"{oops"))),
    Case(
        "event_item_over_1mib",
        413,
        lambda t: event_envelope(error_event(marker("big"), extra={"blob": "x" * (MiB + 10)})),
    ),
    # --- content encoding ----------------------------------------------------------------------
    Case(
        "truncated_gzip",
        400,
        lambda t: gzip.compress(_valid())[:-12],
        {"Content-Encoding": "gzip"},
    ),
    Case("garbage_gzip", 400, b"\x1f\x8b this is not gzip" * 10, {"Content-Encoding": "gzip"}),
    Case("garbage_deflate", 400, b"not deflate at all" * 10, {"Content-Encoding": "deflate"}),
    Case("garbage_brotli", 400, b"\xff\xfe not brotli" * 10, {"Content-Encoding": "br"}),
    Case("plain_body_labelled_gzip", 400, lambda t: _valid(), {"Content-Encoding": "gzip"}),
    Case("unknown_encoding", 415, lambda t: _valid(), {"Content-Encoding": "snappy"}),
    Case("gzip_bomb", 413, lambda t: gzip_bomb(), {"Content-Encoding": "gzip"}),
    Case(
        "nested_gzip_bomb",
        413,
        lambda t: gzip.compress(gzip_bomb()),
        {"Content-Encoding": "gzip, gzip"},
    ),
    Case("deflate_bomb", 413, lambda t: deflate_bomb(), {"Content-Encoding": "deflate"}),
    Case("brotli_bomb", 413, lambda t: brotli_bomb(), {"Content-Encoding": "br"}),
    Case("body_over_20mib", 413, lambda t: b"x" * (20 * MiB + 1)),
    # --- credentials and projects ----------------------------------------------------------------
    Case("missing_credentials", 401, lambda t: _valid(), key="none"),
    Case(
        "auth_header_without_key",
        401,
        lambda t: _valid(),
        {"X-Sentry-Auth": "Sentry sentry_version=7, sentry_client=evil/1.0"},
        key="none",
    ),
    Case(
        "unknown_key",
        403,
        lambda t: _valid(),
        {"X-Sentry-Auth": f"Sentry sentry_key={UNKNOWN_KEY}, sentry_version=7"},
        key="none",
    ),
    Case(
        "unknown_key_in_query",
        403,
        lambda t: _valid(),
        path=f"/api/{{project}}/envelope/?sentry_key={UNKNOWN_KEY}&sentry_version=7",
        key="none",
    ),
    Case(
        "unknown_key_in_envelope_dsn",
        403,
        lambda t: envelope(
            {"dsn": f"http://{UNKNOWN_KEY}@127.0.0.1:{t.server.port}/{t.server.project_id}"},
            ({"type": "event"}, _event_bytes()),
        ),
        key="none",
    ),
    Case(
        "malformed_envelope_dsn",
        401,
        lambda t: envelope({"dsn": "not a dsn"}, ({"type": "event"}, _event_bytes())),
        key="none",
    ),
    Case("key_of_another_project", 403, lambda t: _valid(), path="/api/{other}/envelope/"),
    Case("disabled_key", 403, lambda t: _valid(), path="/api/{disabled}/envelope/", key="disabled"),
    Case("unknown_project", 404, lambda t: _valid(), path="/api/987654/envelope/"),
    Case("non_numeric_project", 404, lambda t: _valid(), path="/api/default/envelope/"),
    Case(
        "conflicting_header_and_query_keys",
        400,
        lambda t: _valid(),
        path=f"/api/{{project}}/envelope/?sentry_key={UNKNOWN_KEY}",
    ),
    Case(
        "conflicting_auth_headers",
        400,
        lambda t: _valid(),
        {"Authorization": f"Sentry sentry_key={UNKNOWN_KEY}, sentry_version=7"},
    ),
    Case(
        "envelope_dsn_conflicts_with_header",
        400,
        lambda t: envelope(
            {"dsn": f"http://{UNKNOWN_KEY}@127.0.0.1:{t.server.port}/{t.server.project_id}"},
            ({"type": "event"}, _event_bytes()),
        ),
    ),
    # --- the legacy /store/ endpoint ------------------------------------------------------------
    Case("store_invalid_json", 400, b'{"message": "half', path="/api/{project}/store/"),
    Case("store_json_array", 400, b"[1, 2]", path="/api/{project}/store/"),
    Case("store_not_base64", 400, b"%%% not base64 %%%", path="/api/{project}/store/"),
    Case("store_missing_credentials", 401, b"{}", path="/api/{project}/store/", key="none"),
]


@pytest.fixture(scope="module")
def target(server: LiveServer) -> Target:
    """The server, plus a second project and a project whose only key is disabled."""
    other_dsn = run_cli(server.env, "project", "create", marker("other")).stdout.strip()
    disabled_dsn = run_cli(server.env, "project", "create", marker("off")).stdout.strip()
    other_project = int(other_dsn.rsplit("/", 1)[1])
    disabled_project = int(disabled_dsn.rsplit("/", 1)[1])
    with database(server) as db, db.write() as conn:
        conn.execute(
            update(tables.project_keys)
            .where(tables.project_keys.c.project_id == disabled_project)
            .values(is_active=False)
        )
    return Target(
        server,
        other_project,
        other_dsn.split("//", 1)[1].split("@", 1)[0],
        disabled_project,
        disabled_dsn.split("//", 1)[1].split("@", 1)[0],
    )


def _send(t: Target, case: Case) -> httpx.Response:
    server = t.server
    path = case.path.format(
        project=server.project_id, other=t.other_project, disabled=t.disabled_project
    )
    key = {"own": server.public_key, "disabled": t.disabled_key, "none": ""}[case.key]
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"} if key else {}
    headers.update(case.headers)
    body = case.body(t) if callable(case.body) else case.body
    return httpx.post(server.url + path, content=body, headers=headers, timeout=60)


def assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers.get("x-sentry-error"), response.headers
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-sentry-error" in response.headers["access-control-expose-headers"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_request_is_refused(target: Target, case: Case) -> None:
    started = time.monotonic()
    response = _send(target, case)
    assert_refused(response, case.status)
    assert time.monotonic() - started < 10, "refusing must be quick (bombs are not inflated)"


def test_store_accepts_legacy_base64_zlib_body(server: LiveServer) -> None:
    event = error_event(marker("legacy"))
    body = base64.b64encode(zlib.compress(orjson.dumps(event)))
    response = httpx.post(
        server.ingest_url("store"), content=body, headers=server.auth_header(), timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    assert stored_event(server, event["event_id"])["message"] == event["message"]


def test_store_accepts_a_plain_json_event(server: LiveServer) -> None:
    event = error_event(marker("store"))
    response = httpx.post(
        server.ingest_url("store"),
        content=orjson.dumps(event),
        headers={**server.auth_header(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    stored_event(server, event["event_id"])


@pytest.mark.parametrize("where", ["x-sentry-auth", "authorization", "query", "envelope_dsn"])
def test_every_credential_location_is_accepted(server: LiveServer, where: str) -> None:
    event = error_event(marker("auth"))
    header: dict[str, object] = {"event_id": event["event_id"]}
    headers: dict[str, str] = {}
    url = server.ingest_url()
    auth = f"Sentry sentry_key={server.public_key}, sentry_version=7, sentry_client=test/1.0"
    if where == "x-sentry-auth":
        headers["X-Sentry-Auth"] = auth
    elif where == "authorization":
        headers["Authorization"] = auth
    elif where == "query":
        url += f"?sentry_version=7&sentry_key={server.public_key}"
    else:
        header["dsn"] = server.dsn
    body = envelope(header, ({"type": "event"}, orjson.dumps(event)))
    response = httpx.post(url, content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    stored_event(server, event["event_id"])


def test_envelope_with_only_unknown_items_is_accepted(server: LiveServer) -> None:
    body = envelope(
        {},
        ({"type": "heron_from_the_future"}, b'{"whatever": 1}'),
        ({"type": "binary_thing", "content_type": "application/octet-stream"}, b"\x00\n\xff"),
    )
    response = post_envelope(server, body)
    assert response.status_code == 200, response.text
    assert response.json() == {}


def test_items_with_and_without_length_in_one_envelope(server: LiveServer) -> None:
    event = error_event(marker("mixed"))
    report = {"timestamp": time.time(), "discarded_events": []}
    attachment = b"line one\nline two\n\x00binary\n"
    header = orjson.dumps({"event_id": event["event_id"]})
    body = b"\n".join(
        [
            header,
            b'{"type":"event"}',  # no length: runs to the next newline (as @sentry/node sends)
            orjson.dumps(event),
            orjson.dumps({"type": "attachment", "length": len(attachment), "filename": "a.txt"}),
            attachment,
            b'{"type":"client_report"}',
            orjson.dumps(report),
        ]
    )
    response = post_envelope(server, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    assert stored_event(server, event["event_id"])["message"] == event["message"]


def test_chunked_body_without_content_length(server: LiveServer) -> None:
    event = error_event(marker("chunked"))
    body = event_envelope(event)

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    request = httpx.Request(
        "POST", server.ingest_url(), content=pieces(), headers=server.auth_header()
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    with httpx.Client(timeout=30) as client:
        response = client.send(request)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event["event_id"]}
    stored_event(server, event["event_id"])


def test_chunked_body_over_the_limit_is_refused(server: LiveServer) -> None:
    def pieces() -> Iterator[bytes]:
        for _ in range(21):
            yield b"x" * MiB

    response = httpx.post(
        server.ingest_url(), content=pieces(), headers=server.auth_header(), timeout=60
    )
    assert_refused(response, 413)


@pytest.mark.parametrize("endpoint", ["envelope", "store"])
def test_cors_preflight(server: LiveServer, endpoint: str) -> None:
    response = httpx.options(
        server.ingest_url(endpoint),
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-sentry-auth, content-type, content-encoding",
        },
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://shop.example.com")
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"x-sentry-auth", "content-type", "content-encoding", "authorization"} <= allowed
    assert int(response.headers["access-control-max-age"]) > 0


def test_responses_expose_sentry_headers_to_browsers(server: LiveServer) -> None:
    accepted = post_envelope(server, _valid(), {"Origin": "https://shop.example.com"})
    refused = post_envelope(server, b"nope", {"Origin": "https://shop.example.com"})
    assert accepted.status_code == 200
    assert refused.status_code == 400
    for response in (accepted, refused):
        assert response.headers["access-control-allow-origin"] in ("*", "https://shop.example.com")
        exposed = {
            h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
        }
        assert {"x-sentry-error", "x-sentry-rate-limits", "retry-after"} <= exposed


def test_server_is_healthy_after_the_corpus(server: LiveServer) -> None:
    """Runs after the cases above (pytest keeps file order per server)."""
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    event = error_event(marker("after"))
    response = post_envelope(
        server, gzip.compress(event_envelope(event)), {"Content-Encoding": "gzip"}
    )
    assert response.status_code == 200, response.text
    assert stored_event(server, event["event_id"])["message"] == event["message"]
    assert server.unexpected_errors() == []
