"""Real SDK envelopes: every event item normalises and scrubs to the canonical guarantees."""

import json
import re
from typing import Any

import pytest

from heron.normalize import event_tags, normalize_event, scrub_event, user_key
from heron.normalize.levels import LEVELS

from .conftest import CAPTURED, captured_events, require

NOW = 1795381800.0
EVENTS = captured_events() if CAPTURED.exists() else []


def all_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    stacks = [event.get("stacktrace")]
    for key in ("exception", "threads"):
        for value in event.get(key, {}).get("values", []):
            stacks += [value.get("stacktrace"), value.get("raw_stacktrace")]
    return [frame for stack in stacks if stack for frame in stack["frames"]]


def process(raw: dict[str, Any], envelope_id: str | None) -> dict[str, Any]:
    event = normalize_event(raw, received_at=NOW, client_ip="203.0.113.9", event_id=envelope_id)
    return scrub_event(event)


def test_the_corpus_is_there() -> None:
    require(CAPTURED)
    assert len(EVENTS) >= 10
    assert {name.split("/")[0] for name, _, _ in EVENTS} == {
        "node-sentry-node-11.12.0",
        "python-sentry-sdk-2.75.0",
    }


@pytest.mark.parametrize(("name", "envelope_id", "raw"), EVENTS, ids=[e[0] for e in EVENTS])
def test_canonical_guarantees(name: str, envelope_id: str | None, raw: dict[str, Any]) -> None:
    event = process(raw, envelope_id)
    assert event["event_id"] == envelope_id
    assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
    assert isinstance(event["timestamp"], float)
    assert abs(event["timestamp"] - NOW) < 86400  # captured the same day as NOW
    assert event["received"] == NOW
    assert event["level"] in LEVELS
    assert event["platform"] in ("python", "node")
    assert event["title"]
    assert event["title"] != "<unlabeled event>"
    assert isinstance(event["culprit"], str)
    assert isinstance(event["metadata"], dict)
    assert event["type"] == ("error" if "exception" in event else "default")
    for frame in all_frames(event):
        assert isinstance(frame["in_app"], bool)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event_tags(event))
    assert ("environment", "capture") in event_tags(event)
    assert isinstance(event["breadcrumbs"]["values"], list)
    for crumb in event["breadcrumbs"]["values"]:
        assert isinstance(crumb["timestamp"], float)
    json.dumps(event)  # storable as JSON


def find(name: str) -> dict[str, Any]:
    for event_name, envelope_id, raw in EVENTS:
        if event_name == name:
            return process(raw, envelope_id)
    pytest.skip(f"{name} not in the corpus")


def test_python_handled_exception_is_scrubbed() -> None:
    event = find("python-sentry-sdk-2.75.0/basic/001-attachment+event.envelope")
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    charge = frames[-1]
    assert charge["function"] == "charge"
    # password was filtered by the SDK, api_token (not on its exact-name list) by us.
    assert charge["vars"]["password"] == "[Filtered]"
    assert charge["vars"]["api_token"] == "[Filtered]"
    assert charge["vars"]["order_id"] == "'o-1'"
    # Source lines stay readable.
    assert 'api_token = "abc"' in charge["pre_context"][-1]
    frame_meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]["1"]["vars"]
    assert frame_meta["password"] == {"": {"rem": [["!config", "s"]]}}
    assert frame_meta["api_token"] == {"": {"rem": [["@password:filter", "s"]], "len": 5}}
    assert event["title"] == "ZeroDivisionError: division by zero"
    assert event["culprit"] == "__main__ in charge"
    assert user_key(event) == "id:u-1"
    tags = dict(event_tags(event))
    assert tags["feature"] == "checkout"
    assert tags["handled"] == "yes"
    assert tags["runtime"] == "CPython 3.11.7"


def test_python_logging_message() -> None:
    event = find("python-sentry-sdk-2.75.0/basic/002-event.envelope")
    assert event["logentry"]["message"] == "Order %s failed after %d retries"
    assert event["title"] == "Order o-42 failed after 3 retries"
    assert dict(event_tags(event))["logger"] == "shop.orders"


def test_node_exception() -> None:
    event = find("node-sentry-node-11.12.0/basic/007-event.envelope")
    assert event["title"] == "TypeError: Cannot read properties of null (reading 'total')"
    assert event["culprit"] == "charge(/srv/app/scen.js)"
    assert event["metadata"]["in_app_frame_mix"] == "mixed"
    assert event["breadcrumbs"]["values"][0]["type"] == "default"
    assert dict(event_tags(event))["os"] == "Debian 12.11"
