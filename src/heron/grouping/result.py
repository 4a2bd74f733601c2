"""What grouping hands back: configuration in, variants and hashes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from heron.grouping.component import Component

GROUPING_STRATEGY: Final = "newstyle:2023-01-11"


@dataclass(frozen=True)
class GroupingConfig:
    """Per-project grouping settings; rule texts use Sentry's syntax."""

    strategy: str = GROUPING_STRATEGY
    fingerprint_rules: str = ""  # one rule per line ("" = none)
    enhancements: str = ""  # project stack-trace rules, applied after the built-in ones


@dataclass
class Variant:
    """One way of hashing an event (``app``, ``system``, ``custom_fingerprint``…)."""

    name: str
    hash: str | None
    contributes: bool
    values: list[str]  # what was hashed, in order (or the fingerprint values)
    component: Component | None
    hint: str | None
    info: dict[str, Any] = field(default_factory=dict)  # fingerprint provenance

    def to_dict(self, *, tree: bool = True) -> dict[str, Any]:
        """JSON-able form; ``tree=False`` leaves out the component tree (what events store:
        the tree is large and can be rebuilt from the stored event at any time)."""
        out: dict[str, Any] = {
            "name": self.name,
            "hash": self.hash,
            "contributes": self.contributes,
            "hint": self.hint,
            "values": list(self.values),
        }
        if tree:
            out["component"] = self.component.to_dict() if self.component is not None else None
        if self.info:
            out["info"] = self.info
        return out


@dataclass
class GroupingResult:
    strategy: str
    variants: dict[str, Variant]  # in variant order
    hashes: list[str]  # distinct hashes of contributing variants, primary first
    fingerprint: list[str]  # effective fingerprint ("{{ default }}" kept as is)
    title_override: str | None  # from a fingerprint rule's title= attribute

    @property
    def primary_hash(self) -> str:
        return self.hashes[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "hashes": list(self.hashes),
            "fingerprint": list(self.fingerprint),
            "title_override": self.title_override,
            "variants": {name: v.to_dict() for name, v in self.variants.items()},
        }
