"""Why an event is in its issue: the grouping variants stored with it, and what they hashed.

Events store each variant's hash, hint and contributing values (``_grouping``), not the
component tree. For labels ("function", "context-line"…) the tree is rebuilt from the stored
event with the project's rules; it is only shown when it reproduces the stored hash, so the
page never explains a hash with values that did not make it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from heron.grouping import Component, GroupingConfig, GroupingError, get_grouping
from heron.query.models import Event
from heron.store import Database, tables


@dataclass(frozen=True)
class Contribution:
    """One value that went into a hash, and where in the event it came from."""

    path: tuple[str, ...]  # component ids, e.g. exception, stacktrace, frame, function
    value: str

    @property
    def label(self) -> str:
        """The innermost component ("function", "context-line"…), "" when unknown."""
        return self.path[-1] if self.path else ""


@dataclass(frozen=True)
class VariantView:
    name: str
    hash: str | None
    contributes: bool
    hint: str
    values: list[Contribution]
    routed: bool  # this variant's hash is the one that put the event in its issue


@dataclass(frozen=True)
class GroupedBy:
    strategy: str
    fingerprint: list[str]
    routing_hash: str | None
    variants: list[VariantView] = field(default_factory=list)


def grouped_by(db: Database, event: Event, *, labels: bool = True) -> GroupedBy | None:
    """The event's grouping explained, or None when it was stored without grouping data."""
    grouping = event.data.get("_grouping")
    if not isinstance(grouping, dict) or not isinstance(grouping.get("variants"), dict):
        return None
    strategy = str(grouping.get("strategy") or "")
    trees = _trees(db, event, strategy) if labels else {}
    variants = []
    for name, raw in grouping["variants"].items():
        if not isinstance(raw, dict):
            continue
        variant_hash = raw.get("hash") if isinstance(raw.get("hash"), str) else None
        tree = trees.get(str(name))
        if tree is not None and tree[0] == variant_hash:
            values = _leaves(tree[1])
        else:
            values = [Contribution((), str(v)) for v in raw.get("values") or []]
        variants.append(
            VariantView(
                name=str(name),
                hash=variant_hash,
                contributes=bool(raw.get("contributes")) and variant_hash is not None,
                hint=str(raw.get("hint") or ""),
                values=values,
                routed=variant_hash is not None and variant_hash == event.hash,
            )
        )
    fingerprint = grouping.get("fingerprint")
    return GroupedBy(
        strategy=strategy,
        fingerprint=[str(f) for f in fingerprint] if isinstance(fingerprint, list) else [],
        routing_hash=event.hash,
        variants=variants,
    )


def _trees(db: Database, event: Event, strategy: str) -> dict[str, tuple[str | None, Component]]:
    p = tables.projects
    with db.read() as conn:
        rules = conn.execute(
            select(p.c.fingerprinting_rules, p.c.grouping_enhancements).where(
                p.c.id == event.project_id
            )
        ).first()
    config = GroupingConfig(
        strategy=strategy,
        fingerprint_rules=rules.fingerprinting_rules if rules else "",
        enhancements=rules.grouping_enhancements if rules else "",
    )
    data: dict[str, Any] = {k: v for k, v in event.data.items() if k != "_grouping"}
    try:
        result = get_grouping(data, config)
    except GroupingError:
        # A strategy or rule text this version no longer reads: the stored values remain.
        return {}
    return {
        name: (v.hash, v.component)
        for name, v in result.variants.items()
        if v.component is not None
    }


def _leaves(root: Component) -> list[Contribution]:
    """The contributing leaf values under ``root``, in hash order, with their paths."""
    out: list[Contribution] = []

    def walk(node: Component, path: list[str]) -> None:
        if not node.contributes:
            return
        for value in node.values:
            if isinstance(value, str):
                out.append(Contribution(tuple(path), value))
            else:
                walk(value, [*path, value.id])

    walk(root, [])
    return out
