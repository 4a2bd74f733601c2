"""The component tree that every grouping variant is built from.

A variant's hash is the md5 of its contributing leaf values joined without a
separator; a leaf contributes only when every node on its path contributes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


def md5_hex(values: Iterable[str]) -> str:
    """md5 over the UTF-8 encoding of ``values`` concatenated in order."""
    # One update of the joined text: the same digest as one update per value, and cheaper.
    return hashlib.md5("".join(values).encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(slots=True, eq=False)
class Component:
    """One node of a grouping tree; ``values`` holds child nodes and/or leaf strings."""

    id: str
    values: list[Component | str] = field(default_factory=list)
    contributes: bool = True
    hint: str | None = None
    # The values below this node that count when it contributes, known in advance for a
    # node whose children never change (a cached stack trace); None: walk the children.
    known_values: tuple[str, ...] | None = None

    def iter_contributing_values(self) -> Iterator[str]:
        """Leaf strings under this node that count toward the hash (tree order)."""
        if not self.contributes:
            return
        if self.known_values is not None:
            yield from self.known_values
            return
        for value in self.values:
            if isinstance(value, str):
                yield value
            else:
                yield from value.iter_contributing_values()

    def contributing_values(self) -> list[str]:
        out: list[str] = []
        if self.contributes:
            collect_values(self, out)
        return out

    def has_contributing_child(self) -> bool:
        """True when some leaf below would count if this node itself contributed."""
        if self.known_values is not None:
            return bool(self.known_values)
        for value in self.values:
            if isinstance(value, str):
                return True
            if value.contributes and (
                (value.values and isinstance(value.values[0], str))
                or value.has_contributing_child()
            ):
                return True
        return False

    def find(self, component_id: str) -> Component | None:
        """First descendant (or self) with the given id, depth first."""
        if self.id == component_id:
            return self
        for value in self.values:
            if isinstance(value, Component):
                found = value.find(component_id)
                if found is not None:
                    return found
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "contributes": self.contributes,
            "hint": self.hint,
            "values": [v if isinstance(v, str) else v.to_dict() for v in self.values],
        }


def collect_values(node: Component, out: list[str]) -> None:
    """Append the values below ``node`` that count if ``node`` itself contributes."""
    if node.known_values is not None:
        out.extend(node.known_values)
        return
    for value in node.values:
        if isinstance(value, str):
            out.append(value)
        elif value.contributes:
            inner = value.values
            if value.known_values is not None:
                out.extend(value.known_values)
            elif len(inner) == 1 and isinstance(inner[0], str):  # a leaf: skip the call
                out.append(inner[0])
            else:
                collect_values(value, out)


def leaf(
    component_id: str, value: str, contributes: bool = True, hint: str | None = None
) -> Component:
    """A node holding a single string value."""
    return Component(component_id, [value], contributes, hint)


def container(
    component_id: str, children: list[Component | str], hint: str | None = None
) -> Component:
    """A node that contributes exactly when one of its children does."""
    node = Component(component_id, children, True, hint)
    node.contributes = node.has_contributing_child()
    return node
