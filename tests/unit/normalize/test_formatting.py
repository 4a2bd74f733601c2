import pytest

from heron.normalize.formatting import format_message


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("Order %s failed after %d retries", ["o-42", 3], "Order o-42 failed after 3 retries"),
        ("%r is odd", ["x"], "'x' is odd"),
        ("%5.1f%%", [2.25], "  2.2%"),
        ("%(user)s logged in", {"user": "jane"}, "jane logged in"),
        ("Hello {} and {}", ["a", "b"], "Hello a and b"),
        ("Hello {1} and {0}", ["a", "b"], "Hello b and a"),
        ("Hello {name}", {"name": "jane"}, "Hello jane"),
        ("{:.2f} {{literal}}", [1.5], "1.50 {literal}"),
        ("{!r}", ["x"], "'x'"),
        ("50% of {}", ["x"], "50% of x"),
    ],
)
def test_formats(template: str, params: list[object] | dict[str, object], expected: str) -> None:
    assert format_message(template, params) == expected


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("no placeholders", ["x"]),
        ("%s %s", ["only one"]),
        ("%s", ["a", "b"]),
        ("%d", ["not a number"]),
        ("%(missing)s", {"other": 1}),
        ("%(name)s", ["a list"]),
        ("trailing %", ["x"]),
        ("%999999999s", ["bomb"]),
        ("{:999999999}", ["bomb"]),
        ("{0.__class__}", ["attribute access"]),
        ("{5}", ["a"]),
        ("{", ["a"]),
        ("{!x}", ["a"]),
        ("%s", []),
    ],
)
def test_refuses_what_does_not_fit(template: str, params: list[object] | dict[str, object]) -> None:
    assert format_message(template, params) is None
