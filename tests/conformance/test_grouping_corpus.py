"""Heron's grouping against Sentry's own grouping snapshots (``newstyle:2023-01-11``).

The corpus (inputs, ``.pysnap`` snapshots, MANIFEST.json with the expected hash of
every variant) is FSL-licensed reference data that stays outside the repository;
it is read from ``/work/shared/conformance/grouping`` (or ``$HERON_GROUPING_CORPUS``)
at test time.  Each input goes through the real normaliser, then ``get_grouping``
with the case's project rules.

Two bars: every expected variant hash matches (minimum), and every variant's
contributing leaf values match the snapshot tree (stronger).
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heron.grouping import (
    GroupingConfig,
    GroupingResult,
    get_grouping,
    parse_enhancements,
    parse_fingerprint_rules,
    rules_to_text,
)
from heron.normalize import normalize_event

CORPUS = Path(os.environ.get("HERON_GROUPING_CORPUS", "/work/shared/conformance/grouping"))

# Cases whose every variant hash matches Sentry's.  Raise it when a fix lands;
# the summary test fails if the figure ever drops below it.
MIN_MATCHING = 29
# Cases whose contributing leaf values match the snapshot tree in every variant.
MIN_VALUES_MATCHING = 29
# case id -> why Heron differs.  Listed cases are expected to fail (strict xfail).
KNOWN_DIFFERENCES: dict[str, str] = {}
# Not compared (hints are display text): older snapshots word some hints differently
# ("stripped common values"), and because canonical events carry in_app=False for
# "not said", Heron cannot tell "marked out of app by the client" from "non app frame".
# Variants that carry no component tree in the snapshot.
TREELESS = frozenset({"checksum", "hashed-checksum", "fallback"})
FINGERPRINT_VARIANTS = frozenset({"custom_fingerprint", "built-in-fingerprint"})


@dataclass
class SnapshotVariant:
    hash: str | None
    leaves: list[str]  # contributing leaf values of the component tree
    values: list[str] | None  # the "values:" line of fingerprint variants


def parse_pysnap(text: str) -> dict[str, SnapshotVariant]:
    """Variant name -> expected hash and contributing leaves.

    A leaf counts when every node on its path ends in ``*``; depth comes from the
    two-space indentation below ``component:``.
    """
    body = text.split("\n---\n", 1)[1]
    variants: dict[str, SnapshotVariant] = {}
    for block in body.split("-" * 74):
        lines = [line for line in block.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        variant = SnapshotVariant(None, [], None)
        path: list[bool] = []
        in_tree = False
        for line in lines[1:]:
            if line.startswith("  hash: "):
                raw = line.removeprefix("  hash: ")
                variant.hash = None if raw == "null" else json.loads(raw)
            elif line.startswith("  values: "):
                variant.values = json.loads(line.removeprefix("  values: "))
            elif line.startswith("  component:"):
                in_tree = True
            elif in_tree and line.startswith("    "):
                depth = (len(line) - len(line.lstrip(" "))) // 2 - 2
                node = line.strip()
                del path[depth:]
                if node.startswith('"'):
                    if all(path):
                        variant.leaves.append(json.loads(node))
                else:
                    path.append(node.split(" ", 1)[0].endswith("*"))
            else:
                in_tree = False
        variants[lines[0].rstrip(":")] = variant
    return variants


@dataclass
class CaseOutcome:
    case_id: str
    expected_hashes: dict[str, str | None]
    snapshot: dict[str, SnapshotVariant]
    result: GroupingResult
    hash_mismatches: list[str]
    value_mismatches: list[str]


def _config_for(raw: dict[str, Any]) -> GroupingConfig:
    grouping = raw.get("_grouping") or {}
    return GroupingConfig(
        fingerprint_rules=rules_to_text(raw.get("_fingerprinting_rules") or []),
        enhancements=grouping.get("enhancements", "") if isinstance(grouping, dict) else "",
    )


def _value_mismatches(result: GroupingResult, snapshot: dict[str, SnapshotVariant]) -> list[str]:
    problems = []
    for name, expected in snapshot.items():
        variant = result.variants.get(name)
        if variant is None:
            problems.append(f"{name}: missing")
        elif name in FINGERPRINT_VARIANTS:
            if variant.values != expected.values:
                problems.append(f"{name}: values {variant.values} != {expected.values}")
        elif name not in TREELESS:
            assert variant.component is not None
            got = variant.component.contributing_values()
            if got != expected.leaves:
                problems.append(f"{name}: leaves {got} != {expected.leaves}")
    return problems


def run_case(case: dict[str, Any]) -> CaseOutcome:
    raw = json.loads((CORPUS / case["input"]).read_text())
    event = normalize_event(
        {k: v for k, v in raw.items() if not k.startswith("_")}, received_at=time.time()
    )
    pristine = copy.deepcopy(event)
    result = get_grouping(event, _config_for(raw))
    assert event == pristine, "get_grouping modified its input"
    snapshot = parse_pysnap((CORPUS / case["snapshot"]).read_text())
    hash_mismatches = [
        f"{name}: expected {expected!r}, got "
        f"{result.variants[name].hash if name in result.variants else 'no variant'!r}"
        for name, expected in case["expected_hashes"].items()
        if name not in result.variants or result.variants[name].hash != expected
    ]
    return CaseOutcome(
        case["id"],
        case["expected_hashes"],
        snapshot,
        result,
        hash_mismatches,
        _value_mismatches(result, snapshot),
    )


def _manifest_cases() -> list[dict[str, Any]]:
    manifest = CORPUS / "MANIFEST.json"
    if not manifest.exists():
        return []
    cases: list[dict[str, Any]] = json.loads(manifest.read_text())["cases"]
    return cases


CASES = _manifest_cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"grouping corpus not available at {CORPUS}")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, CaseOutcome]:
    return {case["id"]: run_case(case) for case in CASES}


def _params() -> list[Any]:
    return [
        pytest.param(
            case["id"],
            id=case["id"],
            marks=[pytest.mark.xfail(reason=KNOWN_DIFFERENCES[case["id"]], strict=True)]
            if case["id"] in KNOWN_DIFFERENCES
            else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case_id", _params())
def test_variant_hashes_match(outcomes: dict[str, CaseOutcome], case_id: str) -> None:
    assert outcomes[case_id].hash_mismatches == []


@pytest.mark.parametrize("case_id", _params())
def test_contributing_values_match(outcomes: dict[str, CaseOutcome], case_id: str) -> None:
    assert outcomes[case_id].value_mismatches == []


def test_summary(outcomes: dict[str, CaseOutcome], capsys: pytest.CaptureFixture[str]) -> None:
    total = len(outcomes)
    hashes_ok = sum(1 for o in outcomes.values() if not o.hash_mismatches)
    values_ok = sum(1 for o in outcomes.values() if not o.value_mismatches)
    with capsys.disabled():
        print(
            f"\ngrouping corpus: {hashes_ok}/{total} cases match every variant hash, "
            f"{values_ok}/{total} match every variant's contributing values"
        )
    assert hashes_ok >= MIN_MATCHING
    assert values_ok >= MIN_VALUES_MATCHING
    unexplained = [
        o.case_id
        for o in outcomes.values()
        if o.hash_mismatches and o.case_id not in KNOWN_DIFFERENCES
    ]
    assert unexplained == []


def test_hashes_list_primary_variant_first(outcomes: dict[str, CaseOutcome]) -> None:
    for outcome in outcomes.values():
        contributing = [
            v.hash for v in outcome.result.variants.values() if v.contributes and v.hash
        ]
        assert outcome.result.hashes == list(dict.fromkeys(contributing))
        assert outcome.result.hashes, outcome.case_id


def test_results_are_json_serialisable(outcomes: dict[str, CaseOutcome]) -> None:
    for outcome in outcomes.values():
        json.dumps(outcome.result.to_dict())


def test_sentry_rule_files_parse() -> None:
    """Heron's parsers accept Sentry's own rule files (syntax compatibility only)."""
    enhancements = (CORPUS / "enhancement-configs" / "newstyle@2023-01-11.txt").read_text()
    assert len(parse_enhancements(enhancements)) > 300
    for path in (CORPUS / "fingerprinting-configs").rglob("*.txt"):
        assert len(parse_fingerprint_rules(path.read_text())) >= 1
