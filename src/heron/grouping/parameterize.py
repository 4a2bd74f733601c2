"""Replace event-specific values in messages with ``<kind>`` placeholders.

Rules run in order over the whole text; a later rule never sees what an earlier
one already replaced because placeholders contain no digits, dots or quotes
that another rule could match.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

_TLDS: Final = (
    "com|net|org|io|dev|app|edu|gov|mil|int|info|biz|co|us|uk|de|fr|jp|cn|ru|br|in|it|nl|es|"
    "au|ca|ch|se|no|pl|eu|me|tv|xyz|cloud|local|internal|localhost"
)

_IPV6_GROUP: Final = r"[0-9a-fA-F]{1,4}"

# (placeholder, regex). Order matters: wider shapes first (a URL contains a
# hostname, an email contains a hostname, a datetime contains ints…).
_RULES: Final[tuple[tuple[str, str], ...]] = (
    ("email", r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    ("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+"),
    ("hostname", rf"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})\b"),
    (
        "ip",
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
        rf"|(?<![\w:])(?:(?:{_IPV6_GROUP}:){{7}}{_IPV6_GROUP}"
        rf"|(?:{_IPV6_GROUP}:){{1,7}}:(?:{_IPV6_GROUP}(?::{_IPV6_GROUP}){{0,6}})?"
        rf"|::(?:{_IPV6_GROUP}(?::{_IPV6_GROUP}){{0,6}})?)(?![\w:])",
    ),
    ("traceparent", r"\b[0-9a-fA-F]{2}-[0-9a-fA-F]{32}-[0-9a-fA-F]{16}-[0-9a-fA-F]{2}\b"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    (
        "date",
        # ISO-8601 date-time, plain dates, RFC-2822 style, bare clock times.
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
        r"(?:Z|[+-]\d{2}:?\d{2})?)?\b"
        r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s\d{1,2}\s"
        r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s\d{4}\s\d{2}:\d{2}:\d{2}"
        r"(?:\s(?:GMT|UTC|[+-]\d{4}))?"
        r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2}\b"
        r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
    ),
    (
        "duration",
        r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds|min|mins|minutes|h|hrs|hours)\b",
    ),
    ("swift_txn_id", r"\btx[0-9a-fA-F]{21}-[0-9a-fA-F]{10}\b"),
    (
        "hex",
        # 0x-prefixed, 8+ hex digits with at least one decimal digit, or a
        # short (4 to 6 chars) token mixing digits and a-f letters.
        r"\b0[xX][0-9a-fA-F]+\b"
        r"|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"
        r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{4,6}\b",
    ),
    ("git_sha", r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7}\b"),
    ("float", r"(?<![\w.])-?\d+\.\d+\b(?!\.\d)"),
    ("int", r"(?<![\w.])-?\d+\b(?!\.\d)"),
    ("quoted_str", r"(?<==)(?:\"[^\"]*\"|'[^']*')"),
    ("bool", r"(?<==)(?:[Tt]rue|[Ff]alse|TRUE|FALSE)\b"),
    ("quoted_identifier", r"\"[A-Za-z_][A-Za-z0-9_]*\d{4,}[A-Za-z0-9_]*\""),
)

_COMPILED: Final = tuple((f"<{name}>", re.compile(pattern)) for name, pattern in _RULES)

PARAMETER_KINDS: Final = tuple(name for name, _ in _RULES)


def parameterize(text: str) -> str:
    """``text`` with every recognised variable part replaced by ``<kind>``."""
    # The same messages and exception values come back all the time; long ones are rarer
    # and would make the cache large.
    return _cached(text) if len(text) <= _CACHED_LENGTH else _parameterize(text)


_CACHED_LENGTH: Final = 1024


def _parameterize(text: str) -> str:
    for placeholder, regex in _COMPILED:
        text = regex.sub(placeholder, text)
    return text


_cached = lru_cache(maxsize=4096)(_parameterize)
