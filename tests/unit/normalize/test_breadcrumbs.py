from typing import Any

import pytest

from heron.normalize.breadcrumbs import normalize_breadcrumbs


def test_values_container_and_bare_list() -> None:
    crumb = {"timestamp": 1795381723.058, "category": "auth", "message": "in", "level": "info"}
    expected = {"values": [{**crumb, "type": "default"}]}
    assert normalize_breadcrumbs({"values": [crumb]}) == expected
    assert normalize_breadcrumbs([crumb]) == expected


def test_fields_are_normalised() -> None:
    result = normalize_breadcrumbs(
        [
            {"timestamp": "2018-07-25T13:49:27Z", "level": "warn", "type": "http"},
            {"timestamp": "garbage", "level": 40, "message": {"a": 1}, "data": "x"},
            {"level": "nonsense", "category": None},
            "junk",
        ]
    )
    assert result == {
        "values": [
            {"timestamp": 1532526567.0, "level": "warning", "type": "http"},
            {"level": "error", "message": '{"a":1}', "type": "default"},
            {"level": "info", "type": "default"},
        ]
    }


@pytest.mark.parametrize("value", [None, "x", {"values": None}, {"values": "x"}])
def test_unusable_breadcrumbs(value: Any) -> None:
    assert normalize_breadcrumbs(value) is None
