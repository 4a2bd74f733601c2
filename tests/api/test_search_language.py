"""The search language parser (pure): tokens, quotes, lists, negation and its errors."""

from __future__ import annotations

import pytest

from heron.query import QueryError, Search, Term, check_sort, parse_period, parse_query


def test_tokens() -> None:
    search = parse_query('is:unresolved level:error release:"shop 1.0" !env:dev timeout "a b"')
    assert search == Search(
        terms=(
            Term("is", ("unresolved",)),
            Term("level", ("error",)),
            Term("release", ("shop 1.0",)),
            Term("env", ("dev",), negated=True),
        ),
        text=("timeout", "a b"),
    )


def test_lists_escapes_and_negated_text() -> None:
    search = parse_query(r'level:[error, warning] msg:"say \"hi\"" !noise')
    assert search.terms == (
        Term("level", ("error", "warning")),
        Term("msg", ('say "hi"',)),
    )
    assert search.negated_text == ("noise",)


def test_values_may_contain_colons_and_urls_are_text() -> None:
    assert parse_query("user:id:42").terms == (Term("user", ("id:42",)),)
    assert parse_query("url:https://x.example/a").terms == (Term("url", ("https://x.example/a",)),)
    assert parse_query("").terms == ()
    assert parse_query("   ").text == ()


@pytest.mark.parametrize(
    "query", ["is:bogus", "level:", 'x:"open', "level:[a", "level:[a,,b]", "!", "a !"]
)
def test_errors(query: str) -> None:
    with pytest.raises(QueryError):
        parse_query(query)


@pytest.mark.parametrize(
    ("period", "seconds"),
    [("90s", 90), ("30m", 1800), ("24h", 86400), ("14d", 14 * 86400), ("2w", 14 * 86400)],
)
def test_periods(period: str, seconds: int) -> None:
    assert parse_period(period) == seconds


@pytest.mark.parametrize("period", ["", "0h", "h", "1y", "-1d", "1.5h", "24 h x"])
def test_bad_periods(period: str) -> None:
    with pytest.raises(QueryError):
        parse_period(period)


def test_sorts() -> None:
    assert check_sort("freq") == "freq"
    with pytest.raises(QueryError):
        check_sort("priority")
