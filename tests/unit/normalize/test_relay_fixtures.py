"""Relay's own normaliser fixtures, checked where Relay's semantics and ours coincide."""

import json
from typing import Any

from heron.normalize import normalize_event

from .conftest import RELAY_FIXTURES, require

NOW = 1795381800.0


def load(name: str) -> Any:
    return json.loads((require(RELAY_FIXTURES) / name).read_text())


def test_basic_event_matches_relay_output() -> None:
    expected = load("basic-event-output.json")
    event = normalize_event(load("basic-event-input.json"), received_at=NOW)
    assert event["fingerprint"] == expected["fingerprint"] == ["42"]
    # Relay keeps the string under the legacy name; ours lives in logentry.
    assert event["logentry"]["formatted"] == expected["message"]
    assert event["title"] == "Hello World!"
    assert event["type"] == "default"


def test_legacy_raven_python_payload() -> None:
    raw = load("legacy_python.json")
    event = normalize_event(raw, received_at=NOW)
    assert event["event_id"] == raw["event_id"]
    assert event["level"] == "error"  # raven sent 40
    assert event["timestamp"] == 1532526567.0
    assert event["platform"] == "python"
    assert event["type"] == "error"
    assert "message" not in event
    assert event["logentry"]["formatted"] == "ZeroDivisionError: division by zero"
    (exc,) = event["exception"]["values"]
    assert (exc["type"], exc["value"], exc["module"]) == (
        "ZeroDivisionError",
        "division by zero",
        "builtins",
    )
    (frame,) = exc["stacktrace"]["frames"]
    assert frame["in_app"] is False
    assert frame["lineno"] == 1
    assert frame["vars"]["__doc__"] is None
    assert event["title"] == "ZeroDivisionError: division by zero"
    assert event["culprit"] == "__main__ in <module>"
    assert event["metadata"]["in_app_frame_mix"] == "system-only"
    assert ["server_name", "apfeltasche.local"] in event["tags"]
    # Unknown raven-era keys pass through untouched.
    assert event["time_spent"] is None
    assert event["repos"] == {}
    assert event["sdk"] == {"name": "raven-python", "version": "6.9.0"}
