"""Span descriptions reduced to their shape, so alike spans group together.

SQL keeps its statement shape with every literal and placeholder style turned into ``?``;
HTTP spans keep method, scheme, host and route with ids replaced by ``*``; anything else is
only trimmed. The output is stored as a grouping key: change it on purpose only.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

MAX_OTHER = 200
_HTTP_OPS = frozenset({"http.client", "http.server"})
# Key-value stores put commands, not SQL, into db spans; treating them as SQL mangles keys.
_NOT_SQL = frozenset({"redis", "memcached"})

# One match per literal or comment: group 1 is the text kept as it is before it (identifiers,
# quoted identifiers, operators, and the characters that start no literal where they stand),
# then a comment (group 2), a literal (group 3) or the end. Tokens are those of a scanner that
# tries, at each position, a comment, a string, an identifier (``true``/``false`` are
# literals), a placeholder, then a number, and else keeps one character; the kept part is
# possessive and its tokens atomic, so no match starts inside a token (an identifier's digits
# never read as a number). tests/unit/rollup/test_describe.py holds that scanner and checks
# the two agree. One callback per literal, not per token, is what makes this fast.
_SQL_STEP = re.compile(
    r"""
    ( (?:
        [^A-Za-z_'"`\[\-/%$:?.\d]++
      | [ACDG-MO-SU-WYZacdg-mo-su-wyz_][\w$]*+
      | (?!(?<![\w$])[EeNnBbXx]'|(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])(?![\w$]))
        [A-Za-z_][\w$]*+
      | (?>"(?:[^"]|"")*")
      | (?>`[^`]*`)
      | (?>\[[^\]]*\])
      | ["`\[]
      | (?<=[\w$])'
      | -(?!-)
      | /(?!\*.*?\*/)
      | %(?!\(\w+\)s|s)
      | \$(?!\d)
      | (?<=:):
      | :(?!\w)
      | \.(?!\d)
    )*+ )
    (?:
      (--[^\n]*|/\*.*?\*/)
    | ( (?>(?<![\w$])[EeNnBbXx]?'(?:[^'\\]|\\.|'')*'?)
      | (?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])(?![\w$])
      | (?>%\(\w+\)s|%s|\$\d+|(?<!:):\w+|\?)
      | (?>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      )
    | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)
# What replaces the comment or literal, by the number of the last group that matched.
_STEP_TAIL = ("", "", " ", "?")
_NEGATIVE = re.compile(r"([=<>(,]\s*)-\?")
_IN_LIST = re.compile(r"\b(IN)\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_VALUES_ROWS = re.compile(r"\b(VALUES)\s*(\([^()]*\))(?:\s*,\s*\([^()]*\))+", re.IGNORECASE)
_PAREN_SPACE = re.compile(r"\(\s+|\s+\)")

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_LONG_HEX = re.compile(r"(?=[a-fA-F]*\d)[0-9a-fA-F]{12,}")
_NUMERIC = re.compile(r"\d+")
_METHOD = re.compile(r"[A-Za-z]+")


def is_db_op(op: str) -> bool:
    """True for the ops whose description is a database statement."""
    return op == "db" or op.startswith("db.")


def normalize_description(op: str, description: str, data: dict[str, Any] | None = None) -> str:
    """The grouping shape of a span description (see the module docstring)."""
    if not isinstance(description, str):
        description = ""
    data = data if isinstance(data, dict) else {}
    if is_db_op(op) and op != "db.redis" and data.get("db.system") not in _NOT_SQL:
        return normalize_sql(description)
    if op in _HTTP_OPS:
        return normalize_http(description, data)
    return description.strip()[:MAX_OTHER]


def _sql_step(match: re.Match[str]) -> str:
    return match[1] + _STEP_TAIL[match.lastindex or 0]


def normalize_sql(statement: str) -> str:
    """Literals and placeholders as ``?``, IN lists and VALUES rows collapsed, no comments."""
    if len(statement) > _CACHED_LENGTH:
        return _normalize_sql(statement)
    return _normalize_sql_cached(statement)


# The digest normalizes each statement twice (problem detection, then rollups) and real
# traffic repeats statements; long ones are rare and not worth the memory.
_CACHED_LENGTH = 2000


@functools.lru_cache(maxsize=1 << 14)
def _normalize_sql_cached(statement: str) -> str:
    return _normalize_sql(statement)


def _normalize_sql(statement: str) -> str:
    text = statement
    if "__[POSTCOMPILE_" in text:
        # SQLAlchemy's expanding IN before compilation: IN (__[POSTCOMPILE_ids])
        text = re.sub(r"__\[POSTCOMPILE_\w+\]", "?", text)
    text = _SQL_STEP.sub(_sql_step, text)
    # The cheap ``in`` checks skip the passes that cannot change anything.
    if "-?" in text:
        text = _NEGATIVE.sub(r"\1?", text)
    text = " ".join(text.split())  # what \s+ → " " and strip() do, without a regex
    if "( " in text or " )" in text:
        text = _PAREN_SPACE.sub(lambda m: m.group().strip(), text)
    # Whitespace is single spaces now and none follows "(": an IN list holds "(?" and a
    # second VALUES row follows "),", so statements without those skip the passes.
    if "(?" in text:
        text = _IN_LIST.sub(lambda m: f"{m.group(1)} (?)", text)
    if ")," in text or ") ," in text:
        text = _VALUES_ROWS.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    return text


def _path_segment(segment: str) -> str:
    if _NUMERIC.fullmatch(segment) or _UUID.fullmatch(segment) or _LONG_HEX.fullmatch(segment):
        return "*"
    return segment


def normalize_http(description: str, data: dict[str, Any] | None = None) -> str:
    """``METHOD scheme://host/route`` with ids as ``*``; query, fragment and credentials gone."""
    data = data if isinstance(data, dict) else {}
    method, _, rest = description.strip().partition(" ")
    if not _METHOD.fullmatch(method) or not rest:
        # No method in front: the whole description is the target (or nothing useful is).
        method, rest = "", description.strip()
    if not method:
        raw_method = data.get("http.request.method") or data.get("http.method")
        method = raw_method if isinstance(raw_method, str) else ""
    if not rest:
        raw_url = data.get("url.full") or data.get("url")
        rest = raw_url if isinstance(raw_url, str) else ""
    try:
        parts = urlsplit(rest.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return description.strip()[:MAX_OTHER]
    path = "/".join(_path_segment(segment) for segment in parts.path.split("/"))
    target = path
    if host:
        netloc = f"{host}:{port}" if port is not None else host
        target = f"{parts.scheme.lower()}://{netloc}{path}" if parts.scheme else netloc + path
    return f"{method.upper()} {target}".strip()


def span_group(op: str, normalized: str) -> str:
    """A short stable key for spans of the same op and normalized description."""
    return hashlib.sha1(f"{op}\x00{normalized}".encode()).hexdigest()[:16]
