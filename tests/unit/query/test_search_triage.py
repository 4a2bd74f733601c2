"""The triage words of the search language, and rewriting one filter of a typed query."""

from __future__ import annotations

import pytest

from heron.query import QueryError, Term, parse_query, quote_value, replace_filter


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("assigned:me", Term("assigned", ("me",))),
        ("assigned:#backend", Term("assigned", ("#backend",))),
        ("assigned:ada@example.com", Term("assigned", ("ada@example.com",))),
        ("assigned:[me, my_teams]", Term("assigned", ("me", "my_teams"))),
        ("!assigned:none", Term("assigned", ("none",), negated=True)),
        ("bookmarks:me", Term("bookmarks", ("me",))),
        ("is:assigned", Term("is", ("assigned",))),
        ("is:unassigned", Term("is", ("unassigned",))),
        ("is:bookmarked", Term("is", ("bookmarked",))),
        ("is:escalating", Term("is", ("escalating",))),
    ],
)
def test_triage_terms(text: str, term: Term) -> None:
    assert parse_query(text).terms == (term,)


@pytest.mark.parametrize("text", ["assigned:nobody", "assigned:", "bookmarks:you", "is:mine"])
def test_bad_triage_terms_say_why(text: str) -> None:
    with pytest.raises(QueryError):
        parse_query(text)


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        ("is:unresolved", "production", "is:unresolved environment:production"),
        ("environment:staging timeout", "production", "timeout environment:production"),
        ('is:unresolved environment:"a b" x', None, "is:unresolved x"),
        ("!environment:dev", "prod", "!environment:dev environment:prod"),
        ("", "my env", 'environment:"my env"'),
        ('level:error "two words"', None, 'level:error "two words"'),
        ("environment:[a, b]", "c", "environment:c"),
    ],
)
def test_replace_filter(query: str, value: str | None, expected: str) -> None:
    result = replace_filter(query, "environment", value)
    assert result == expected
    parse_query(result)  # what it writes reads back


@pytest.mark.parametrize(
    "value", ["plain", "with space", 'say "hi"', "back\\slash", "[bracket]", "a,b", ""]
)
def test_quote_value_reads_back(value: str) -> None:
    search = parse_query(f"key:{quote_value(value)}") if value else None
    if search is None:
        assert quote_value(value) == '""'
        return
    assert search.terms == (Term("key", (value,)),)


def test_replace_filter_refuses_a_query_that_does_not_parse() -> None:
    with pytest.raises(QueryError):
        replace_filter('x:"open', "environment", "prod")
