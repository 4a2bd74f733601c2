"""Shared helpers: where the conformance data lives and a minimal envelope splitter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENVELOPES = Path("/work/shared/conformance/envelopes")
CAPTURED = ENVELOPES / "captured"
RELAY_FIXTURES = ENVELOPES / "relay-fixtures"


def require(path: Path) -> Path:
    """Skip the calling test when the shared conformance data is not mounted."""
    if not path.exists():
        pytest.skip(f"conformance data not available at {path}")
    return path


def split_envelope(data: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Yield ``(item_header, payload)`` pairs; both ``length`` and newline framing."""
    end = data.find(b"\n")
    position = len(data) if end < 0 else end + 1
    while position < len(data):
        end = data.find(b"\n", position)
        end = len(data) if end < 0 else end
        line = data[position:end]
        position = end + 1
        if not line.strip():
            continue
        header = json.loads(line)
        if "length" in header:
            payload = data[position : position + header["length"]]
            position += header["length"] + 1
        else:
            end = data.find(b"\n", position)
            end = len(data) if end < 0 else end
            payload = data[position:end]
            position = end + 1
        yield header, payload


def captured_events() -> list[tuple[str, str | None, dict[str, Any]]]:
    """Every ``event`` item of every captured envelope: ``(name, envelope event_id, payload)``."""
    events = []
    for path in sorted(CAPTURED.rglob("*.envelope")):
        data = path.read_bytes()
        envelope_id = json.loads(data.split(b"\n", 1)[0]).get("event_id")
        for header, payload in split_envelope(data):
            if header.get("type") == "event":
                name = str(path.relative_to(CAPTURED))
                events.append((name, envelope_id, json.loads(payload)))
    return events
