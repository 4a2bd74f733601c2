import math

import pytest

from heron.normalize.timestamps import parse_timestamp

T = 1532526567.0  # 2018-07-25T13:49:27Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (T, T),
        (1532526567, T),
        (1795381723.061, 1795381723.061),
        ("1532526567", T),
        ("1532526567.5", T + 0.5),
        ("2018-07-25T13:49:27Z", T),
        ("2018-07-25T13:49:27", T),
        ("2018-07-25T13:49:27.250000Z", T + 0.25),
        ("2018-07-25T13:49:27.1234567Z", T + 0.123456),
        ("2018-07-25T15:49:27+02:00", T),
        ("2018-07-25T13:49:27-00:30", T + 1800),
        ("2018-07-25 13:49:27Z", T),
        ("2018-07-25t13:49:27z", T),
    ],
)
def test_parses_numbers_and_iso_strings(value: object, expected: float) -> None:
    result = parse_timestamp(value)
    assert result is not None
    assert math.isclose(result, expected, abs_tol=1e-6)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "2018-13-45T00:00:00Z",
        True,
        [T],
        {"t": T},
        math.nan,
        math.inf,
        -5,
        1e20,
    ],
)
def test_rejects_invalid(value: object) -> None:
    assert parse_timestamp(value) is None


def test_rejects_huge_integers_without_raising() -> None:
    assert parse_timestamp(10**400) is None
