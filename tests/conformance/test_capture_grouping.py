"""Every error event the real SDKs sent (shared/conformance captures) groups by its stack.

Read from ../shared at test time; nothing of it is copied into the repository.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from tests.live import CAPTURED

from heron.grouping import get_grouping
from heron.normalize import normalize_event
from heron.protocol import parse_envelope


def _captured_events() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CAPTURED.glob("*/*/*.envelope")):
        for item in parse_envelope(path.read_bytes()).items:
            if item.type == "event":
                found.append((f"{path.parent.parent.name}/{path.name}", orjson.loads(item.payload)))
    return found


EVENTS = _captured_events()


def test_the_captures_hold_events() -> None:
    assert len(EVENTS) >= 10


@pytest.mark.parametrize(("name", "raw"), EVENTS, ids=[name for name, _ in EVENTS])
def test_captured_event_groups(name: str, raw: dict[str, Any]) -> None:
    event = normalize_event(raw, received_at=time.time())
    result = get_grouping(event)
    assert result.hashes, name
    assert "fallback" not in [n for n, v in result.variants.items() if v.contributes]
    contributing = [v for v in result.variants.values() if v.contributes]
    if event.get("exception"):
        # An exception groups by its stack trace (or type) — never by the message text alone.
        values = " ".join(" ".join(v.values) for v in contributing)
        last = event["exception"]["values"][-1]
        # (@sentry/node sends messages with a stack as a type-less exception.)
        assert last.get("type", "") in values, (name, values)
    else:
        assert contributing[0].name in ("default", "custom_fingerprint"), name
    # Grouping is a pure function of the event: the same input, the same hashes.
    assert get_grouping(normalize_event(raw, received_at=time.time())).hashes == result.hashes
