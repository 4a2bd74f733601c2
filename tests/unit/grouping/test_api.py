"""The public surface other packages rely on."""

from __future__ import annotations

import copy
import json

import pytest

import heron.grouping as grouping
from heron.grouping import (
    GROUPING_STRATEGY,
    STRATEGIES,
    Component,
    GroupingConfig,
    GroupingError,
    GroupingResult,
    UnknownStrategyError,
    Variant,
    get_grouping,
    md5_hex,
)

from .factories import exception_event, python_frame


def test_default_strategy_is_registered() -> None:
    assert GROUPING_STRATEGY == "newstyle:2023-01-11"
    assert GroupingConfig().strategy == GROUPING_STRATEGY
    assert STRATEGIES[GROUPING_STRATEGY].id == GROUPING_STRATEGY
    assert get_grouping({}).strategy == GROUPING_STRATEGY


def test_unknown_strategy() -> None:
    with pytest.raises(UnknownStrategyError) as info:
        get_grouping({}, GroupingConfig(strategy="legacy:2019"))
    assert isinstance(info.value, GroupingError) and isinstance(info.value, LookupError)


def test_invalid_project_rules_raise_rule_errors() -> None:
    with pytest.raises(grouping.GroupingRuleError):
        get_grouping({}, GroupingConfig(fingerprint_rules="nonsense"))
    with pytest.raises(grouping.GroupingRuleError):
        get_grouping({}, GroupingConfig(enhancements="path:x"))


def test_input_is_not_modified() -> None:
    event = exception_event(
        [python_frame("app.a", "f", in_app=False, abs_path="/x/site-packages/a.py")],
        fingerprint=["{{ default }}", "x"],
    )
    pristine = copy.deepcopy(event)
    get_grouping(event, GroupingConfig(enhancements="function:f +app -group"))
    assert event == pristine


def test_repeated_stacks_give_identical_results() -> None:
    event = exception_event([python_frame("app.a", "f"), python_frame("lib.b", "g", in_app=False)])
    first, second = get_grouping(event), get_grouping(copy.deepcopy(event))
    assert first.to_dict() == second.to_dict()


def test_result_serialises() -> None:
    result = get_grouping(
        exception_event([python_frame("app.a", "f")], fingerprint=["{{ default }}", "x"])
    )
    assert isinstance(result, GroupingResult)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["hashes"] == result.hashes
    app = data["variants"]["app"]
    assert app["component"]["id"] == "app" and app["info"]["client_fingerprint"]
    assert result.primary_hash == result.hashes[0]


def test_variant_and_component_shapes() -> None:
    node = Component("app", [Component("type", ["E"]), Component("value", ["v"], False, "why")])
    assert node.contributing_values() == ["E"]
    assert node.find("value") is not None and node.find("nope") is None
    variant = Variant("app", md5_hex(["E"]), True, ["E"], node, None)
    assert variant.to_dict()["component"]["values"][1] == {
        "id": "value",
        "contributes": False,
        "hint": "why",
        "values": ["v"],
    }
    assert md5_hex([]) == "d41d8cd98f00b204e9800998ecf8427e"
    assert md5_hex(["a", "b"]) == md5_hex(["ab"])


def test_exports() -> None:
    for name in grouping.__all__:
        assert hasattr(grouping, name)
