"""What ingest hands to the inbox."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


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
