"""Entry point: strategy registry and ``get_grouping``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from heron.grouping.builtin_rules import BUILTIN_ENHANCEMENTS
from heron.grouping.component import Component, md5_hex
from heron.grouping.enhancements import Enhancements, parse_enhancements
from heron.grouping.errors import UnknownStrategyError
from heron.grouping.eventview import event_facts, fingerprint_variables, prepare
from heron.grouping.fingerprinting import (
    BUILTIN_FINGERPRINT_RULES,
    DEFAULT_FINGERPRINT,
    EventFacts,
    FingerprintRule,
    FingerprintRules,
    is_default_value,
    parse_fingerprint_rules,
    resolve_variables,
)
from heron.grouping.newstyle import build_trees, mark_system_duplicate
from heron.grouping.result import GROUPING_STRATEGY, GroupingConfig, GroupingResult, Variant

_MD5_RE: Final = re.compile(r"[0-9a-fA-F]{32}")
EMPTY_HASH: Final = md5_hex([])


@dataclass(frozen=True)
class Strategy:
    """A named, frozen grouping algorithm; stored ids keep meaning forever."""

    id: str
    description: str
    compute: Callable[[Mapping[str, Any], GroupingConfig], GroupingResult]


@lru_cache(maxsize=256)
def _project_enhancements(text: str) -> Enhancements:
    return BUILTIN_ENHANCEMENTS + parse_enhancements(text) if text.strip() else BUILTIN_ENHANCEMENTS


@lru_cache(maxsize=256)
def _project_fingerprint_rules(text: str) -> FingerprintRules:
    return parse_fingerprint_rules(text)


def _client_fingerprint(event: Mapping[str, Any]) -> list[str]:
    raw = event.get("fingerprint")
    if isinstance(raw, list) and raw and all(isinstance(v, str) for v in raw):
        return list(raw)
    return [DEFAULT_FINGERPRINT]


def _checksum_result(strategy: str, checksum: str, fingerprint: list[str]) -> GroupingResult:
    if _MD5_RE.fullmatch(checksum):
        variant = Variant("checksum", checksum, True, [checksum], None, "legacy client checksum")
        return GroupingResult(strategy, {"checksum": variant}, [checksum], fingerprint, None)
    hashed = md5_hex([checksum])
    variants = {
        "checksum": Variant(
            "checksum", checksum, False, [checksum], None, "not an md5 value, hashed instead"
        ),
        "hashed-checksum": Variant(
            "hashed-checksum", hashed, True, [checksum], None, "md5 of the client checksum"
        ),
    }
    return GroupingResult(strategy, variants, [hashed], fingerprint, None)


def _fingerprint_info(client: list[str], rule: FingerprintRule | None) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if client != [DEFAULT_FINGERPRINT]:
        info["client_fingerprint"] = client
    if rule is not None:
        info["matched_rule"] = rule.info()
    return info


def _match_rule(facts: EventFacts, rules_text: str, client: list[str]) -> FingerprintRule | None:
    """Project rules first; built-in rules only when the client left room for them."""
    rule = _project_fingerprint_rules(rules_text).first_match(facts)
    if rule is None and any(is_default_value(v) for v in client):
        rule = BUILTIN_FINGERPRINT_RULES.first_match(facts)
    return rule


def _custom_variants(
    roots: dict[str, Component],
    resolved: list[str],
    rule: FingerprintRule | None,
    info: dict[str, Any],
) -> dict[str, Variant]:
    """A fingerprint without ``{{ default }}``: it alone decides; the trees stay for display."""
    builtin = rule is not None and rule.is_builtin
    name = "built-in-fingerprint" if builtin else "custom_fingerprint"
    source = "client" if rule is None else "built-in rule" if builtin else "project rule"
    variants = {
        name: Variant(
            name, md5_hex(resolved), True, resolved, None, f"fingerprint from the {source}", info
        )
    }
    why = "custom server fingerprint" if rule is not None and not builtin else "custom fingerprint"
    for root_name, root in roots.items():
        root.contributes, root.hint = False, f"{why} takes precedence"
        variants[root_name] = Variant(root_name, None, False, [], root, root.hint)
    return variants


def _component_variants(
    roots: dict[str, Component],
    tree_values: dict[str, list[str]],
    extras: list[str],
    info: dict[str, Any],
) -> dict[str, Variant]:
    """Variants hashed from their trees, followed by any extra fingerprint values."""
    variants: dict[str, Variant] = {}
    for name, root in roots.items():
        if root.contributes:
            values = tree_values[name] + extras
            variants[name] = Variant(name, md5_hex(values), True, values, root, root.hint, info)
        else:
            variants[name] = Variant(name, None, False, [], root, root.hint)
    if not any(v.contributes for v in variants.values()):
        variants["fallback"] = Variant(
            "fallback", EMPTY_HASH, True, [], None, "nothing else to group by"
        )
    return variants


def _compute_newstyle(event: Mapping[str, Any], config: GroupingConfig) -> GroupingResult:
    client = _client_fingerprint(event)
    checksum = event.get("checksum")
    if isinstance(checksum, str) and checksum:
        return _checksum_result(config.strategy, checksum, client)

    prepared = prepare(event, _project_enhancements(config.enhancements))
    rule = _match_rule(event_facts(prepared), config.fingerprint_rules, client)
    fingerprint = list(rule.fingerprint) if rule is not None else client
    title = rule.attributes.get("title") if rule is not None else None
    # Most fingerprints are just "{{ default }}", which needs no variables.
    needs_variables = title is not None or any(
        "{{" in v and not is_default_value(v) for v in fingerprint
    )
    variables = fingerprint_variables(prepared) if needs_variables else {}
    resolved = [resolve_variables(v, variables) for v in fingerprint]
    info = _fingerprint_info(client, rule)

    roots = build_trees(prepared)
    tree_values = {name: root.contributing_values() for name, root in roots.items()}
    mark_system_duplicate(roots, tree_values)
    if any(is_default_value(v) for v in fingerprint):
        extras = [v for v in resolved if not is_default_value(v)]
        variants = _component_variants(roots, tree_values, extras, info if extras or rule else {})
    else:
        variants = _custom_variants(roots, resolved, rule, info)

    hashes: list[str] = []
    for variant in variants.values():
        if variant.contributes and variant.hash is not None and variant.hash not in hashes:
            hashes.append(variant.hash)
    resolved_title = resolve_variables(title, variables) if title is not None else None
    return GroupingResult(config.strategy, variants, hashes, resolved, resolved_title)


STRATEGIES: dict[str, Strategy] = {
    GROUPING_STRATEGY: Strategy(
        id=GROUPING_STRATEGY,
        description="Sentry-compatible grouping: in-app and system stack traces, "
        "parameterised messages, fingerprint and stack-trace rules.",
        compute=_compute_newstyle,
    ),
}

_DEFAULT_CONFIG: Final = GroupingConfig()


def get_grouping(event: Mapping[str, Any], config: GroupingConfig | None = None) -> GroupingResult:
    """Compute every grouping variant of a canonical event (the event is not modified)."""
    config = config or _DEFAULT_CONFIG
    strategy = STRATEGIES.get(config.strategy)
    if strategy is None:
        raise UnknownStrategyError(f"unknown grouping strategy {config.strategy!r}")
    return strategy.compute(event, config)
