"""The issue search language, shared by the issue list page and the REST API.

A query is space-separated tokens, Sentry style::

    is:unresolved level:error release:"shop@1.2" !environment:staging job_id:42 timeout

``key:value`` filters (``!key:value`` negates, ``key:[a, b]`` means any of), ``"quoted text"``
and bare words, which must all appear in the title or culprit (case-insensitive). Parsing is
pure; :mod:`heron.query.issues` turns the result into SQL.

Triage filters: ``assigned:me`` (``my_teams``, ``none``, ``#team-slug``, an e-mail),
``is:assigned``/``is:unassigned``, ``is:bookmarked`` and ``bookmarks:me``. Kinds of issue:
``issue.category:error|performance`` and ``issue.type:performance_slow_db_query`` (…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from heron.query.errors import QueryError

STATUSES = ("unresolved", "resolved", "ignored")
STATUS_ALIASES = {"archived": "ignored", "muted": "ignored"}
SUBSTATUSES = {"new", "ongoing", "regressed", "escalating"}
TRIAGE_VALUES = {"assigned", "unassigned", "bookmarked"}
IS_VALUES = (
    set(STATUSES) | set(STATUS_ALIASES) | SUBSTATUSES | TRIAGE_VALUES | {"unhandled", "handled"}
)
ASSIGNED_WORDS = {"me", "my_teams", "none"}
# issue.category: performance issues (types "performance_…") or the rest.
CATEGORIES = ("error", "performance")

SORTS = ("date", "new", "freq", "user")
DEFAULT_QUERY = "is:unresolved"

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_PERIOD = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Term:
    """One ``key:value`` filter; ``values`` holds one value, or several for ``key:[a, b]``."""

    key: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Search:
    terms: tuple[Term, ...] = ()
    text: tuple[str, ...] = ()
    negated_text: tuple[str, ...] = field(default=())

    def terms_for(self, key: str) -> list[Term]:
        return [t for t in self.terms if t.key == key]


def parse_query(query: str) -> Search:
    """Parse a search string; raises :class:`QueryError` with a readable reason."""
    terms: list[Term] = []
    text: list[str] = []
    negated_text: list[str] = []
    for token in _tokens(query):
        if token.term is not None:
            terms.append(token.term)
        elif token.negated:
            negated_text.append(token.word)
        else:
            text.append(token.word)
    return Search(tuple(terms), tuple(text), tuple(negated_text))


def replace_filter(query: str, key: str, value: str | None) -> str:
    """``query`` with its (not negated) ``key:…`` filters replaced by ``key:value``, or just
    removed when ``value`` is None; the rest of the text stays as it was typed."""
    kept: list[str] = []
    for token in _tokens(query):
        if token.term is not None and token.term.key == key and not token.negated:
            continue
        kept.append(query[token.start : token.end])
    if value is not None:
        kept.append(f"{key}:{quote_value(value)}")
    return " ".join(kept)


def quote_value(value: str) -> str:
    """A value as the language reads it back: quoted when it has spaces, quotes or brackets."""
    if value and not any(c.isspace() or c in '"[],' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_period(period: str) -> int:
    """``24h``, ``14d``, ``30m``, ``2w``, ``90s`` → seconds."""
    match = _PERIOD.match(period.strip())
    if not match or int(match.group(1)) == 0:
        raise QueryError(f"invalid period {period!r}: use a number and s, m, h, d or w (24h)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def check_sort(sort: str) -> str:
    if sort not in SORTS:
        raise QueryError(f"invalid sort {sort!r}: use one of {', '.join(SORTS)}")
    return sort


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    negated: bool
    term: Term | None = None
    word: str = ""


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        pos = _skip_space(query, pos)
        if pos >= len(query):
            return tokens
        start = pos
        negated = query[pos] == "!"
        if negated:
            pos += 1
        match = _KEY.match(query, pos)
        if match and match.end() < len(query) and query[match.end()] == ":":
            key = match.group()
            values, pos = _read_values(query, match.end() + 1, key)
            tokens.append(_Token(start, pos, negated, term=_checked(Term(key, values, negated))))
            continue
        word, pos = _read_value(query, pos)
        if not word:
            if negated:
                raise QueryError("a lone '!' must be followed by a filter or a word")
            continue
        tokens.append(_Token(start, pos, negated, word=word))


def _checked(term: Term) -> Term:
    if term.key == "is":
        for value in term.values:
            if value not in IS_VALUES:
                choices = ", ".join(sorted(IS_VALUES))
                raise QueryError(f"invalid value is:{value}; use one of {choices}")
    elif term.key == "issue.category":
        for value in term.values:
            if value not in CATEGORIES:
                raise QueryError(f"invalid value issue.category:{value}; use error or performance")
    elif term.key == "bookmarks":
        if any(v != "me" for v in term.values):
            raise QueryError("bookmarks: takes me (the issues you bookmarked)")
    elif term.key == "assigned":
        for value in term.values:
            if value not in ASSIGNED_WORDS and not value.startswith("#") and "@" not in value:
                raise QueryError(
                    f"invalid value assigned:{value}; use me, my_teams, none, #team or an e-mail"
                )
    return term


def _skip_space(query: str, pos: int) -> int:
    while pos < len(query) and query[pos].isspace():
        pos += 1
    return pos


def _read_values(query: str, pos: int, key: str) -> tuple[tuple[str, ...], int]:
    if pos < len(query) and query[pos] == "[":
        end = query.find("]", pos)
        if end < 0:
            raise QueryError(f"{key}:[ has no closing ]")
        values = tuple(v.strip().strip('"') for v in query[pos + 1 : end].split(","))
        if not all(values):
            raise QueryError(f"{key}:[…] has an empty value")
        return values, end + 1
    value, pos = _read_value(query, pos)
    if not value:
        raise QueryError(f"{key}: needs a value")
    return (value,), pos


def _read_value(query: str, pos: int) -> tuple[str, int]:
    """A quoted string (``\\"`` escapes a quote) or everything up to the next space."""
    if pos < len(query) and query[pos] == '"':
        chars: list[str] = []
        pos += 1
        while pos < len(query):
            char = query[pos]
            if char == "\\" and pos + 1 < len(query):
                chars.append(query[pos + 1])
                pos += 2
                continue
            if char == '"':
                return "".join(chars), pos + 1
            chars.append(char)
            pos += 1
        raise QueryError("a quoted value has no closing quote")
    start = pos
    while pos < len(query) and not query[pos].isspace():
        pos += 1
    return query[start:pos], pos
