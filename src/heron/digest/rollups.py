"""What one batch adds to the pre-aggregated tables: events per issue and hour, and the
releases and environments each project has seen (in events or transactions).

Collected in memory while the batch's events are routed, written with one upsert per table,
so charts and release pickers never scan events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from heron.store import tables, upsert

HOUR = 3600


def hour_bucket(timestamp: float) -> int:
    """The start of the hour ``timestamp`` falls in (epoch seconds), the issue_counts bucket."""
    return int(timestamp // HOUR * HOUR)


def short(value: Any, size: int) -> str | None:
    """A release or environment as stored: truncated to its column, empty as NULL."""
    return str(value)[:size] if value not in (None, "") else None


@dataclass
class Rollups:
    """One project's share of a batch."""

    counts: dict[tuple[int, int], int] = field(default_factory=dict)  # (issue, hour) → events
    releases: dict[str, tuple[float, float]] = field(default_factory=dict)  # first, last received
    environments: set[str] = field(default_factory=set)

    def add(
        self,
        issue_id: int,
        timestamp: float,
        received_at: float,
        release: str | None,
        environment: str | None,
    ) -> None:
        key = (issue_id, hour_bucket(timestamp))
        self.counts[key] = self.counts.get(key, 0) + 1
        self.saw(received_at, release, environment)

    def saw(self, received_at: float, release: str | None, environment: str | None) -> None:
        """A release and environment in use (by an event or a transaction)."""
        if release:
            # Received, not the event's own timestamp: "first seen" means first seen by Heron,
            # so a late event carrying an old clock cannot make a release look older.
            first, last = self.releases.get(release, (received_at, received_at))
            self.releases[release] = (min(first, received_at), max(last, received_at))
        if environment:
            self.environments.add(environment)


def save_rollups(conn: Connection, project_id: int, rollups: Rollups) -> None:
    """Fold the batch into the rollup tables (rows in key order, so concurrent writers on
    PostgreSQL lock them in the same order)."""
    upsert(
        conn,
        tables.issue_counts,
        [
            {"issue_id": issue_id, "bucket": bucket, "count": count}
            for (issue_id, bucket), count in sorted(rollups.counts.items())
        ],
        keys=("issue_id", "bucket"),
        add=("count",),
    )
    upsert(
        conn,
        tables.releases,
        [
            {"project_id": project_id, "version": version, "first_seen": first, "last_seen": last}
            for version, (first, last) in sorted(rollups.releases.items())
        ],
        keys=("project_id", "version"),
        set_min=("first_seen",),
        set_max=("last_seen",),
    )
    upsert(
        conn,
        tables.environments,
        [{"project_id": project_id, "name": name} for name in sorted(rollups.environments)],
        keys=("project_id", "name"),
    )
