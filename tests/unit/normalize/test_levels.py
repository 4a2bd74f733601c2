import pytest

from heron.normalize.levels import LEVELS, normalize_level, parse_level


@pytest.mark.parametrize("level", LEVELS)
def test_canonical_names_pass(level: str) -> None:
    assert parse_level(level) == level
    assert parse_level(level.upper()) == level


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("warn", "warning"),
        ("critical", "fatal"),
        (" Error ", "error"),
        (10, "debug"),
        (20, "info"),
        (30, "warning"),
        (40, "error"),
        (50, "fatal"),
        ("40", "error"),
        (40.0, "error"),
    ],
)
def test_aliases_and_numeric_levels(value: object, expected: str) -> None:
    assert parse_level(value) == expected


@pytest.mark.parametrize("value", [None, "loud", 35, True, [], {}])
def test_unknown_levels_fall_back(value: object) -> None:
    assert parse_level(value) is None
    assert normalize_level(value) == "error"
    assert normalize_level(value, default="info") == "info"
