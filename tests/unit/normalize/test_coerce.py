import math

import pytest

from heron.normalize.coerce import (
    as_int,
    first_line,
    json_text,
    nonempty_text,
    relay_text,
    text,
    truncate,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("", ""),
        (True, "True"),
        (False, "False"),
        (42, "42"),
        (-7, "-7"),
        (42.0, "42"),
        (1.5, "1.5"),
        (math.nan, None),
        (math.inf, None),
        (None, None),
        ([1], None),
        ({"a": 1}, None),
    ],
)
def test_text(value: object, expected: str | None) -> None:
    assert text(value) == expected


def test_nonempty_text_treats_empty_string_as_missing() -> None:
    assert nonempty_text("") is None
    assert nonempty_text(0) == "0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3.5, "3"), (-3.5, "-3"), (3.0, "3"), (42, "42"), (True, "True"), (-1e100, None), ("x", "x")],
)
def test_relay_text_truncates_floats(value: object, expected: str | None) -> None:
    assert relay_text(value) == expected


def test_json_text_serialises_containers() -> None:
    assert json_text({"a": [1, 2]}) == '{"a":[1,2]}'
    assert json_text(5) == "5"
    assert json_text(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12), (12.0, 12), (12.5, None), (" 7 ", 7), ("x", None), (True, None), (None, None)],
)
def test_as_int(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


def test_truncate_marks_the_cut() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc\u2026"
    assert len(truncate("x" * 500, 200)) == 200


def test_first_line_skips_blank_lines() -> None:
    assert first_line("\n\n  hello \nworld") == "hello"
    assert first_line("") == ""
