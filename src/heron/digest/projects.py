"""Per-project grouping settings, read once a batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from heron.grouping import (
    GROUPING_STRATEGY,
    GroupingConfig,
    GroupingRuleError,
    parse_enhancements,
    parse_fingerprint_rules,
)
from heron.store import Database, tables

log = logging.getLogger("heron.digest")


@dataclass(frozen=True)
class ProjectGrouping:
    primary: GroupingConfig
    secondary: GroupingConfig | None = None  # the previous strategy, during an upgrade


DEFAULT = ProjectGrouping(GroupingConfig())


def grouping_configs(db: Database, project_ids: Iterable[int]) -> dict[int, ProjectGrouping]:
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    p = tables.projects
    with db.read() as conn:
        rows = conn.execute(
            select(
                p.c.id,
                p.c.fingerprinting_rules,
                p.c.grouping_enhancements,
                p.c.grouping_config,
                p.c.secondary_grouping_config,
                p.c.secondary_grouping_expiry,
            ).where(p.c.id.in_(ids))
        ).all()
    now = time.time()
    configs = {}
    for row in rows:
        fingerprints, enhancements = _valid_rules(
            row.id, row.fingerprinting_rules or "", row.grouping_enhancements or ""
        )
        primary = GroupingConfig(
            row.grouping_config or GROUPING_STRATEGY, fingerprints, enhancements
        )
        secondary = None
        expiry = row.secondary_grouping_expiry
        if row.secondary_grouping_config and (expiry is None or expiry > now):
            secondary = GroupingConfig(row.secondary_grouping_config, fingerprints, enhancements)
        configs[row.id] = ProjectGrouping(primary, secondary)
    return configs


def _valid_rules(project_id: int, fingerprints: str, enhancements: str) -> tuple[str, str]:
    """Rules are checked when people save them; a rule that no longer parses (say, after an
    upgrade) is dropped with a warning rather than failing every event of the project."""
    try:
        parse_fingerprint_rules(fingerprints)
    except GroupingRuleError as exc:
        log.warning("project %d: fingerprint rules ignored: %s", project_id, exc)
        fingerprints = ""
    try:
        parse_enhancements(enhancements)
    except GroupingRuleError as exc:
        log.warning("project %d: stack-trace rules ignored: %s", project_id, exc)
        enhancements = ""
    return fingerprints, enhancements
