"""Replay every captured SDK request against the live server, in four encodings.

The captures (``shared/conformance/envelopes/captured``, read at test time, never copied)
are byte-exact envelopes from the official Python and Node SDKs with the request headers
they were sent with. Each is re-sent plain, gzip, deflate and brotli with the live server's
key and project swapped in, and must be answered like Relay answers it. Replaying the same
event four times must store it once.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import brotli
import httpx
import orjson
import pytest
from tests.live import CAPTURED, LiveServer
from tests.sdk.helpers import stored_event

from heron.protocol import parse_envelope

FAKE_KEY = "0123456789abcdef0123456789abcdef"
FAKE_PROJECT = "42"
DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "host"}
ENCODINGS = {
    "plain": lambda body: body,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}

CAPTURES = sorted(CAPTURED.glob("**/[0-9][0-9][0-9]-*.envelope"))


def _capture_id(path: Path) -> str:
    return str(path.relative_to(CAPTURED).with_suffix(""))


def _envelope_header(body: bytes) -> dict[str, Any]:
    header: dict[str, Any] = orjson.loads(body.split(b"\n", 1)[0])
    return header


def _item_types(body: bytes) -> list[str]:
    return [item.type for item in parse_envelope(body).items]


def _request_for(path: Path, server: LiveServer) -> tuple[str, dict[str, str], bytes]:
    """The captured request with the live server's project and key in place of the fake ones."""
    meta = json.loads(path.with_name(path.name.replace(".envelope", ".request.json")).read_text())
    url_path = meta["path"].replace(f"/api/{FAKE_PROJECT}/", f"/api/{server.project_id}/", 1)
    url_path = url_path.replace(FAKE_KEY, server.public_key)
    headers = {
        name: value.replace(FAKE_KEY, server.public_key)
        for name, value in meta["headers"].items()
        if name not in DROPPED_HEADERS
    }
    body = path.read_bytes()
    first, _, rest = body.partition(b"\n")
    header = orjson.loads(first)
    if "dsn" in header:
        header["dsn"] = server.dsn
    if isinstance(header.get("trace"), dict) and "public_key" in header["trace"]:
        header["trace"]["public_key"] = server.public_key
    return server.url + url_path, headers, orjson.dumps(header) + b"\n" + rest


def test_captures_are_present() -> None:
    assert len(CAPTURES) >= 30, f"captured envelopes missing under {CAPTURED}"


@pytest.mark.parametrize("capture", CAPTURES, ids=_capture_id)
def test_replayed_capture_is_accepted_once(server: LiveServer, capture: Path) -> None:
    url, headers, body = _request_for(capture, server)
    header = _envelope_header(body)
    expected = {"id": uuid.UUID(header["event_id"]).hex} if "event_id" in header else {}
    for encoding, compress in ENCODINGS.items():
        sent = dict(headers)
        if encoding != "plain":
            sent["content-encoding"] = encoding
        response = httpx.post(url, content=compress(body), headers=sent, timeout=30)
        assert response.status_code == 200, (encoding, response.headers, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == expected, encoding

    if "event" not in _item_types(body):
        return
    event = stored_event(server, expected["id"])
    assert event["eventID"] == expected["id"]
    _assert_issue_counts_its_events_once(server, event["groupID"], expected["id"])


def _assert_issue_counts_its_events_once(server: LiveServer, issue_id: str, event_id: str) -> None:
    """The issue's count equals its distinct stored events (replays are not double counted).

    Other captures may land in the same issue meanwhile, so compare a settled pair of reads.
    """
    deadline = time.monotonic() + 30
    while True:
        count = int(server.api(f"/api/0/issues/{issue_id}/").json()["count"])
        listed = server.api(f"/api/0/issues/{issue_id}/events/", params={"limit": 100}).json()
        ids = [e["eventID"] for e in listed]
        recount = int(server.api(f"/api/0/issues/{issue_id}/").json()["count"])
        if count == recount or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ids.count(event_id) == 1
    assert len(ids) == len(set(ids))
    assert count == len(ids)
