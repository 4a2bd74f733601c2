"""Error and message events: normalize → scrub → group (pure), then save in bulk.

Saving is batch-shaped on purpose: one statement per table for the whole batch (dedup,
hash lookup, events, tag counters, users), one UPDATE per touched issue. A batch of a few
hundred events is a handful of round trips, which keeps SQLite's single write lock short.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from heron.digest.issue_state import IssueDelta, update_issues
from heron.digest.rollups import Rollups, save_rollups, short
from heron.grouping import GroupingConfig, get_grouping
from heron.normalize import event_tags, normalize_event, scrub_event, user_key
from heron.store import allocate_short_id, pack, tables, upsert

_TAG_MAX = 200


# The event fields issues and the events table need; the rest lives only in ``data``.
_SUMMARY_KEYS = (
    "event_id",
    "timestamp",
    "type",
    "title",
    "culprit",
    "level",
    "platform",
    "logger",
    "release",
    "environment",
    "metadata",
)


@dataclass
class PreparedEvent:
    """An event ready to store: a small summary plus the compressed full event.

    Small on purpose: a batch may be prepared in worker processes and sent back pickled.
    """

    project_id: int
    event: dict[str, Any]  # the summary (_SUMMARY_KEYS)
    hashes: list[str]
    strategy: str
    secondary_hashes: list[str]  # from the previous strategy while a project upgrades
    user_key: str | None
    tags: list[tuple[str, str]]
    data: bytes
    received_at: float
    # The issue's type when it differs from the event's (a performance issue's event is
    # its transaction; events.type is too narrow for the issue type anyway).
    issue_type: str | None = None

    @property
    def event_id(self) -> str:
        return str(self.event["event_id"])

    @property
    def timestamp(self) -> float:
        return float(self.event["timestamp"])


def prepare_event(
    raw: dict[str, Any],
    *,
    project_id: int,
    received_at: float,
    client_ip: str | None,
    event_id: str | None,
    grouping_config: GroupingConfig | None = None,
    secondary_config: GroupingConfig | None = None,
) -> PreparedEvent:
    """The pure part: canonical, scrubbed, grouped."""
    event = normalize_event(raw, received_at=received_at, client_ip=client_ip, event_id=event_id)
    event = scrub_event(event)
    grouping = get_grouping(event, grouping_config)
    secondary = get_grouping(event, secondary_config).hashes if secondary_config else []
    if grouping.title_override:
        event["title"] = grouping.title_override
    event["_grouping"] = {
        "strategy": grouping.strategy,
        "hashes": grouping.hashes,
        "fingerprint": grouping.fingerprint,
        "variants": {name: v.to_dict(tree=False) for name, v in grouping.variants.items()},
    }
    summary = {k: event.get(k) for k in _SUMMARY_KEYS}
    summary["trace_id"] = _trace_id(event)
    return PreparedEvent(
        project_id,
        summary,
        grouping.hashes,
        grouping.strategy,
        [h for h in secondary if h not in grouping.hashes],
        user_key(event),
        event_tags(event),
        pack(event),
        received_at,
    )


def _trace_id(event: dict[str, Any]) -> str | None:
    """The event's trace (``contexts.trace.trace_id``) when it is one: links errors to traces."""
    contexts = event.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    value = trace.get("trace_id") if isinstance(trace, dict) else None
    if not isinstance(value, str):
        return None
    value = value.replace("-", "").lower()
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        return None
    return value


def _existing_event_ids(conn: Connection, project_id: int, ids: list[str]) -> set[str]:
    t = tables.events
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            select(t.c.event_id).where(t.c.project_id == project_id, t.c.event_id.in_(chunk))
        )
        found.update(r[0] for r in rows)
    return found


def _hash_owners(conn: Connection, project_id: int, hashes: list[str]) -> dict[str, int]:
    t = tables.issue_hashes
    owners: dict[str, int] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        rows = conn.execute(
            select(t.c.hash, t.c.issue_id).where(t.c.project_id == project_id, t.c.hash.in_(chunk))
        )
        owners.update({r[0]: int(r[1]) for r in rows})
    return owners


def _new_issue(conn: Connection, p: PreparedEvent) -> int:
    short_id = allocate_short_id(conn, p.project_id)
    e = p.event
    result = conn.execute(
        tables.issues.insert().values(
            project_id=p.project_id,
            short_id=short_id,
            strategy=p.strategy,
            type=p.issue_type or str(e.get("type") or "error"),
            title=str(e.get("title") or "<unlabeled event>"),
            culprit=str(e.get("culprit") or ""),
            level=str(e.get("level") or "error"),
            platform=str(e.get("platform") or "other"),
            logger=e.get("logger"),
            status="unresolved",
            substatus="new",
            first_seen=p.timestamp,
            last_seen=p.timestamp,
            times_seen=0,
            user_count=0,
            first_release=e.get("release"),
            last_release=e.get("release"),
            metadata=orjson.dumps(e.get("metadata") or {}).decode(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def save_events(conn: Connection, prepared: list[PreparedEvent]) -> tuple[int, int]:
    """Store events and fold them into issues; return (saved, duplicates)."""
    by_project: dict[int, list[PreparedEvent]] = defaultdict(list)
    for p in prepared:
        by_project[p.project_id].append(p)
    saved = duplicates = 0
    for project_id, group in by_project.items():
        fresh = _drop_duplicates(conn, project_id, group)
        duplicates += len(group) - len(fresh)
        if fresh:
            _save_project_events(conn, project_id, fresh)
            saved += len(fresh)
    return saved, duplicates


def _drop_duplicates(
    conn: Connection, project_id: int, group: list[PreparedEvent]
) -> list[PreparedEvent]:
    seen = _existing_event_ids(conn, project_id, [p.event_id for p in group])
    fresh = []
    for p in group:
        if p.event_id in seen:
            continue
        seen.add(p.event_id)
        fresh.append(p)
    return fresh


def _save_project_events(conn: Connection, project_id: int, events: list[PreparedEvent]) -> None:
    all_hashes = sorted({h for p in events for h in (*p.hashes, *p.secondary_hashes)})
    owners = _hash_owners(conn, project_id, all_hashes)
    new_hashes: list[dict[str, Any]] = []
    deltas: dict[int, IssueDelta] = {}
    rollups = Rollups()
    created: set[int] = set()
    event_rows: list[dict[str, Any]] = []
    tag_counts: dict[tuple[int, str, str], list[float]] = {}
    user_rows: set[tuple[int, str]] = set()

    for p in events:
        # The current strategy's hashes first; then, during an upgrade, the previous
        # strategy's, so existing issues keep their events and learn the new hashes.
        routing = next((h for h in (*p.hashes, *p.secondary_hashes) if h in owners), None)
        if routing is None:
            issue_id = _new_issue(conn, p)
            created.add(issue_id)
            routing = p.hashes[0] if p.hashes else None
        else:
            issue_id = owners[routing]
        for h in p.hashes:
            if h not in owners:
                owners[h] = issue_id
                new_hashes.append(
                    {
                        "project_id": project_id,
                        "hash": h,
                        "issue_id": issue_id,
                        "strategy": p.strategy,
                    }
                )
        e = p.event
        release, environment = short(e.get("release"), 250), short(e.get("environment"), 64)
        delta = deltas.setdefault(issue_id, IssueDelta(issue_id))
        delta.saw(e, p.timestamp, p.received_at, release)
        rollups.add(issue_id, p.timestamp, p.received_at, release, environment)
        ukey = p.user_key
        if ukey:
            user_rows.add((issue_id, ukey[:300]))
        for key, value in p.tags:
            slot = tag_counts.setdefault(
                (issue_id, key[:_TAG_MAX], value[:_TAG_MAX]), [0, p.timestamp, p.timestamp]
            )
            slot[0] += 1
            slot[1] = min(slot[1], p.timestamp)
            slot[2] = max(slot[2], p.timestamp)
        event_rows.append(
            {
                "project_id": project_id,
                "event_id": p.event_id,
                "issue_id": issue_id,
                "type": str(e.get("type") or "error"),
                "timestamp": p.timestamp,
                "received_at": p.received_at,
                "level": str(e.get("level") or "error"),
                "title": str(e.get("title") or ""),
                "release": release,
                "environment": environment,
                "user_key": ukey[:300] if ukey else None,
                "hash": routing,
                "trace_id": e.get("trace_id"),
                "data": p.data,
            }
        )

    if new_hashes:
        upsert(conn, tables.issue_hashes, new_hashes, keys=("project_id", "hash"))
    conn.execute(tables.events.insert(), event_rows)
    upsert(
        conn,
        tables.issue_tags,
        [
            {
                "issue_id": i,
                "key": k,
                "value": v,
                "times_seen": c[0],
                "first_seen": c[1],
                "last_seen": c[2],
            }
            for (i, k, v), c in sorted(tag_counts.items())
        ],
        keys=("issue_id", "key", "value"),
        add=("times_seen",),
        set_min=("first_seen",),
        set_max=("last_seen",),
    )
    upsert(
        conn,
        tables.issue_users,
        [{"issue_id": i, "user_key": u} for i, u in sorted(user_rows)],
        keys=("issue_id", "user_key"),
    )
    save_rollups(conn, project_id, rollups)  # before the issues: regressions read releases
    update_issues(conn, project_id, deltas, created)
