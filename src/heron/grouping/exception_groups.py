"""Which exceptions of a chain take part in grouping.

Plain chains: all of them.  Exception groups (``mechanism.is_exception_group``
with ``exception_id`` / ``parent_id``): the subtrees under the top group are
deduplicated by what they contribute; one distinct subtree stands alone,
several are grouped together with the group exception itself.  A malformed
tree (duplicate or missing ids, unknown parents, cycles) is treated as a plain
chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from heron.grouping.component import Component


def _ids(exception: Mapping[str, Any]) -> tuple[int | None, int | None, bool]:
    mechanism = exception.get("mechanism")
    if not isinstance(mechanism, Mapping):
        return None, None, False
    exc_id, parent = mechanism.get("exception_id"), mechanism.get("parent_id")
    return (
        exc_id if isinstance(exc_id, int) and not isinstance(exc_id, bool) else None,
        parent if isinstance(parent, int) and not isinstance(parent, bool) else None,
        mechanism.get("is_exception_group") is True,
    )


def exception_tree(exceptions: Sequence[Mapping[str, Any]]) -> tuple[int, list[list[int]]] | None:
    """(index of the top group, index lists of each child subtree) or None."""
    info = [_ids(e) for e in exceptions]
    if len(info) < 2 or any(exc_id is None for exc_id, _, _ in info):
        return None
    by_id = {exc_id: idx for idx, (exc_id, _, _) in enumerate(info)}
    if len(by_id) != len(info):
        return None  # duplicate ids
    roots = [idx for idx, (_, parent, _) in enumerate(info) if parent is None]
    if len(roots) != 1 or not info[roots[0]][2]:
        return None
    children: dict[int, list[int]] = {idx: [] for idx in range(len(info))}
    for idx, (_, parent, _) in enumerate(info):
        if parent is not None:
            if parent not in by_id:
                return None
            children[by_id[parent]].append(idx)
    root = roots[0]
    reached: set[int] = set()
    stack = [root]
    while stack:  # every exception must hang below the root, once
        idx = stack.pop()
        if idx in reached:
            return None
        reached.add(idx)
        stack.extend(children[idx])
    if len(reached) != len(info):
        return None

    def subtree(idx: int) -> list[int]:
        out = [idx]
        for child in children[idx]:
            out.extend(subtree(child))
        return out

    return root, [sorted(subtree(child)) for child in sorted(children[root])]


def select_exceptions(
    exceptions: Sequence[Mapping[str, Any]], nodes: list[Component]
) -> list[Component]:
    tree = exception_tree(exceptions)
    if tree is None:
        return nodes
    root, subtrees = tree
    distinct: dict[tuple[str, ...], list[int]] = {}
    for indexes in subtrees:
        key = tuple(v for i in indexes for v in nodes[i].iter_contributing_values())
        distinct.setdefault(key, indexes)
    if len(distinct) == 1:
        keep = next(iter(distinct.values()))
    else:
        keep = [i for indexes in distinct.values() for i in indexes] + [root]
    return [nodes[i] for i in sorted(keep)]
