"""Span description normalization: table-driven SQL and URL cases, grouping keys."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.rollup import normalize_description, normalize_sql, span_group

SQL = [
    # Django ORM: quoted identifiers, %s placeholders, LIMIT literal
    (
        'SELECT "auth_user"."id", "auth_user"."username" FROM "auth_user" '
        'WHERE "auth_user"."id" = %s LIMIT 21',
        'SELECT "auth_user"."id", "auth_user"."username" FROM "auth_user" '
        'WHERE "auth_user"."id" = ? LIMIT ?',
    ),
    (
        'SELECT "book"."id" FROM "book" WHERE "book"."author_id" IN (%s, %s, %s)',
        'SELECT "book"."id" FROM "book" WHERE "book"."author_id" IN (?)',
    ),
    # SQLAlchemy: qmark, named, pyformat and expanding IN
    (
        "SELECT users.id AS users_id, users.name AS users_name FROM users WHERE users.id = ?",
        "SELECT users.id AS users_id, users.name AS users_name FROM users WHERE users.id = ?",
    ),
    ("SELECT * FROM users WHERE id = :id_1", "SELECT * FROM users WHERE id = ?"),
    ("SELECT * FROM users WHERE id = %(id_1)s", "SELECT * FROM users WHERE id = ?"),
    ("SELECT * FROM t WHERE id IN (__[POSTCOMPILE_id_1])", "SELECT * FROM t WHERE id IN (?)"),
    # node-postgres $1 and literals of every kind
    ("SELECT * FROM orders WHERE id = $1", "SELECT * FROM orders WHERE id = ?"),
    ("SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?"),
    (
        "SELECT * FROM t WHERE a = 'x' AND b = 1.5e3 AND c = -7",
        "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?",
    ),
    (
        "SELECT * FROM t WHERE h = 0xDEADBEEF AND f = TRUE OR g = false",
        "SELECT * FROM t WHERE h = ? AND f = ? OR g = ?",
    ),
    ("SELECT * FROM t WHERE x IS NULL", "SELECT * FROM t WHERE x IS NULL"),
    ("SELECT x - 1 FROM t", "SELECT x - ? FROM t"),
    ("SELECT a::int FROM t WHERE b = E'\\n'", "SELECT a::int FROM t WHERE b = ?"),
    # LIKE with escaped quotes, both styles
    ("SELECT * FROM t WHERE name LIKE 'O''Brien%'", "SELECT * FROM t WHERE name LIKE ?"),
    (
        "SELECT * FROM t WHERE name LIKE 'it\\'s %' ESCAPE '\\\\'",
        "SELECT * FROM t WHERE name LIKE ? ESCAPE ?",
    ),
    # IN lists of literals, mixed case keyword, whitespace
    ("select *\n  from t\twhere id in ( 1,2 , 3 )", "select * from t where id in (?)"),
    ("SELECT * FROM t WHERE s IN ('a', 'b')", "SELECT * FROM t WHERE s IN (?)"),
    # VALUES rows collapse; column count kept
    (
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)",
        "INSERT INTO t (a, b) VALUES (?, ?)",
    ),
    ('INSERT INTO "t" ("a") VALUES (%s)', 'INSERT INTO "t" ("a") VALUES (?)'),
    # comments stripped
    ("SELECT 1 -- health check\nFROM dual", "SELECT ? FROM dual"),
    ("/* app:web */ SELECT * FROM t /* x */ WHERE id = 3", "SELECT * FROM t WHERE id = ?"),
    # identifiers with digits, MySQL backticks, T-SQL brackets stay
    (
        "SELECT c1 FROM `table2` JOIN [t3] ON t3.id = table2.id",
        "SELECT c1 FROM `table2` JOIN [t3] ON t3.id = table2.id",
    ),
    ('SELECT "col 1" FROM t WHERE "x""y" = 5', 'SELECT "col 1" FROM t WHERE "x""y" = ?'),
    # truncated statement with an open string
    ("SELECT * FROM t WHERE a = 'unterminat", "SELECT * FROM t WHERE a = ?"),
]


@pytest.mark.parametrize(("statement", "expected"), SQL)
def test_sql(statement: str, expected: str) -> None:
    assert normalize_description("db", statement) == expected


@pytest.mark.parametrize("op", ["db", "db.query", "db.sql.query", "db.sql.execute"])
def test_db_ops(op: str) -> None:
    assert normalize_description(op, "SELECT 1") == "SELECT ?"


def test_key_value_stores_are_not_sql() -> None:
    assert normalize_description("db.redis", "GET user:42") == "GET user:42"
    assert normalize_description("db", "GET 'k'", {"db.system": "redis"}) == "GET 'k'"


URLS = [
    (
        "GET https://api.openai.com/v1/chat/completions",
        "GET https://api.openai.com/v1/chat/completions",
    ),
    ("GET http://127.0.0.1:9999/users/42", "GET http://127.0.0.1:9999/users/*"),
    (
        "POST https://api.example.com/v1/items?page=2&q=x#top",
        "POST https://api.example.com/v1/items",
    ),
    (
        "GET https://x.io/orders/550e8400-e29b-41d4-a716-446655440000/lines/7",
        "GET https://x.io/orders/*/lines/*",
    ),
    (
        "get HTTPS://User:secret@API.Example.com/blob/9f86d081884c7d659a2feaa0",
        "GET https://api.example.com/blob/*",
    ),
    ("GET https://x.io/v2/facade/cafe", "GET https://x.io/v2/facade/cafe"),
    ("GET /orders/:id", "GET /orders/:id"),
    ("PUT /users/12/avatar", "PUT /users/*/avatar"),
]


@pytest.mark.parametrize(("description", "expected"), URLS)
def test_http(description: str, expected: str) -> None:
    assert normalize_description("http.client", description) == expected
    assert normalize_description("http.server", description) == expected


def test_http_falls_back_to_data() -> None:
    data = {"http.request.method": "post", "url.full": "https://h.io/a/1?x=2"}
    assert normalize_description("http.client", "", data) == "POST https://h.io/a/*"


def test_other_ops_are_trimmed() -> None:
    assert normalize_description("cache.get", "  user:42  ") == "user:42"
    assert normalize_description("gen_ai.chat", "chat gpt-4o") == "chat gpt-4o"
    assert normalize_description("function", "x" * 500) == "x" * 200


def test_span_group_is_short_stable_and_op_aware() -> None:
    key = span_group("db", "SELECT ?")
    assert key == span_group("db", "SELECT ?") and len(key) == 16
    assert int(key, 16) >= 0
    assert key != span_group("db.query", "SELECT ?")
    a = normalize_description("db", "SELECT * FROM t WHERE id = 1")
    b = normalize_description("db", "SELECT * FROM t WHERE id = 2")
    assert span_group("db", a) == span_group("db", b)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["db", "http.client", "http.server", "cache", "db.redis"]), st.text(max_size=60)
)
def test_never_raises_and_is_idempotent_for_sql(op: str, text: str) -> None:
    once = normalize_description(op, text, {})
    assert isinstance(once, str)
    if op == "db":
        assert normalize_description(op, once) == once


# --- the SQL scanner, one token at a time --------------------------------------------------
# normalize_sql finds literals with one pattern that skips everything kept in a single match
# (describe._SQL_STEP). This is the scanner it stands for, written the plain way: at each
# position try a comment, a string, an identifier, a placeholder, then a number, else keep
# one character. The two must agree on every input, or grouping keys would change.

_SCANNER = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>(?<![\w$])[EeNnBbXx]?'(?:[^'\\]|\\.|'')*'?)
    | (?P<ident>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][\w$]*)
    | (?P<placeholder>%\(\w+\)s|%s|\$\d+|(?<!:):\w+|\?)
    | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    """,
    re.VERBOSE | re.DOTALL,
)


def _scanned(match: re.Match[str]) -> str:
    if match.lastgroup == "comment":
        return " "
    if match.lastgroup == "ident" and match.group().lower() not in ("true", "false"):
        return match.group()
    return "?"


def reference_sql(statement: str) -> str:
    """normalize_sql as it was first written (one regex callback per token)."""
    text = re.sub(r"__\[POSTCOMPILE_\w+\]", "?", statement)
    text = _SCANNER.sub(_scanned, text)
    text = re.sub(r"([=<>(,]\s*)-\?", r"\1?", text)
    text = " ".join(text.split())
    text = re.sub(r"\(\s+|\s+\)", lambda m: m.group().strip(), text)
    text = re.sub(r"\b(IN)\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", r"\1 (?)", text, flags=re.IGNORECASE)
    return re.sub(
        r"\b(VALUES)\s*(\([^()]*\))(?:\s*,\s*\([^()]*\))+", r"\1 \2", text, flags=re.IGNORECASE
    )


# Pieces that start, end or look like tokens, in every context the scanner distinguishes.
SQL_PIECES = [
    *"aAbBeEnNxXtTfF_zZ09 \n\t'\"`[]-/*%$:?.(),=<>\\;",
    # Unicode word characters, a Unicode digit, and long s and Kelvin, which fold to s and k
    *["é", "²", "٣", "\u017f", "\u212a"],
    *["true", "FALSE", "True", "falsey", "--", "/*", "*/", "''", "\\'", "%s", "%(id_1)s"],
    *["$1", "$x", "::", ":id", "E'", "N'", "x'", "B'01'", "0x1F", "0X", "1e5", "1.5E-3", ".5"],
    *["SELECT", " IN (", " in(", "VALUES", "values (", "), (", ") ,", "__[POSTCOMPILE_ids]"],
    *['"t"', '"a""b"', "`c`", "[d]", "t1", "a$b", "-?", ", -", "= -", "NULL", "-- c\n"],
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(SQL_PIECES), max_size=40))
def test_sql_agrees_with_the_token_scanner(pieces: list[str]) -> None:
    statement = "".join(pieces)
    assert normalize_sql(statement) == reference_sql(statement)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_sql_agrees_with_the_token_scanner_on_any_text(statement: str) -> None:
    assert normalize_sql(statement) == reference_sql(statement)


@pytest.mark.parametrize(("statement", "expected"), SQL)
def test_reference_scanner_gives_the_table(statement: str, expected: str) -> None:
    assert reference_sql(statement) == expected
