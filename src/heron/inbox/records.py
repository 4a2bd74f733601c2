"""What ingest hands to the inbox."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import orjson


@dataclass(frozen=True)
class OutcomeRecord:
    """A count of items that something happened to (accepted, rate_limited, invalid…)."""

    project_id: int
    outcome: str
    category: str
    reason: str
    quantity: int = 1
    timestamp: float = field(default_factory=time.time)

    @property
    def bucket(self) -> int:
        return int(self.timestamp // 60) * 60


@dataclass(frozen=True)
class InboxRecord:
    project_id: int
    body: bytes
    kind: str = "envelope"
    client_ip: str | None = None
    received_at: float = field(default_factory=time.time)


def outcomes_record(outcomes: Sequence[OutcomeRecord]) -> InboxRecord:
    """Outcome counters travel through the inbox like envelopes, so the digest is the one
    writer of the ``outcomes`` table and ingest touches only the inbox."""
    return InboxRecord(0, orjson.dumps([asdict(o) for o in outcomes]), kind="outcomes")


def read_outcomes(body: bytes) -> list[OutcomeRecord]:
    return [OutcomeRecord(**entry) for entry in orjson.loads(body)]
