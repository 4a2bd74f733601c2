"""What counts as sensitive: key names, and patterns inside string values."""

from __future__ import annotations

import re

FILTERED = "[Filtered]"

PASSWORD_RULE = "@password:filter"
CREDITCARD_RULE = "@creditcard:filter"
BEARER_RULE = "@bearer:filter"
URLAUTH_RULE = "@urlauth:legacy"

# Substring match, case-insensitive: broader than the SDKs' exact-name denylists on purpose.
_SENSITIVE_KEY = re.compile(
    r"password|passwd|secret|token|auth|credentials|api[-_]?key|private[-_]?key"
    r"|session|cookie|csrf|mysql_pwd"
)

# Headers that are credentials whatever the rule set says.
ALWAYS_FILTERED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)

# One pass finds all three value patterns. Card numbers start with 2-6 (every major network),
# which keeps millisecond timestamps (1xxx...) and most ids out; Luhn is checked afterwards.
# Bearer tokens must be 8+ characters so prose like "the bearer of" survives.
_VALUE_PATTERNS = re.compile(
    r"(?P<card>(?<!\d)[2-6](?:[ -]?\d){12,18}(?!\d))"
    r"|(?P<bearer>\b(?:[Bb]earer|BEARER)[ \t]+[A-Za-z0-9\-._~+/]{8,}=*)"
    r"|(?P<urlauth>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*:(?P<password>[^@/?#\s]+)@)"
)


# Cheap necessary condition for a card number, so most strings skip the full pattern.
_CARD_HINT = re.compile(r"[2-6](?:[ -]?\d){12}")


# Events repeat the same few hundred key names; remembering verdicts skips most regex runs.
_KEY_VERDICTS: dict[object, bool] = {}
_NUMBER_KEY_VERDICTS: dict[object, bool] = {}
_MAX_REMEMBERED = 10_000


def is_sensitive_key(key: object) -> bool:
    """Whether values stored under `key` are secrets."""
    verdict = _KEY_VERDICTS.get(key)
    if verdict is None:
        verdict = _SENSITIVE_KEY.search(str(key).lower()) is not None
        _remember(_KEY_VERDICTS, key, verdict)
    return verdict


def is_sensitive_number_key(key: object) -> bool:
    """`is_sensitive_key` for numeric values, where a plural ``tokens`` is a count, not a secret.

    Without this, usage figures such as ``gen_ai.usage.input_tokens`` would be wiped.
    """
    verdict = _NUMBER_KEY_VERDICTS.get(key)
    if verdict is None:
        verdict = is_sensitive_key(str(key).lower().replace("tokens", ""))
        _remember(_NUMBER_KEY_VERDICTS, key, verdict)
    return verdict


def _remember(verdicts: dict[object, bool], key: object, verdict: bool) -> None:
    if len(verdicts) >= _MAX_REMEMBERED:
        verdicts.clear()  # a flood of unique keys must not grow memory without bound
    verdicts[key] = verdict


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def scrub_text(value: str) -> tuple[str, list[list[object]]] | None:
    """`value` with card numbers, bearer tokens and URL passwords replaced, plus remarks.

    Remarks are Sentry-style ``[rule, "s", start, end]`` ranges in the new string.
    Returns None when nothing was found, which is the common, fast case.
    """
    if not _might_match(value):
        return None
    matches = list(_VALUE_PATTERNS.finditer(value))
    if not matches:
        return None
    out: list[str] = []
    remarks: list[list[object]] = []
    cursor = 0
    length = 0
    for match in matches:
        replacement, start, end, rule = _replacement(match)
        if replacement is None:
            continue
        piece = value[cursor:start]
        out.append(piece)
        length += len(piece)
        out.append(replacement)
        remarks.append([rule, "s", length, length + len(replacement)])
        length += len(replacement)
        cursor = end
    if not remarks:
        return None
    out.append(value[cursor:])
    return "".join(out), remarks


def _might_match(value: str) -> bool:
    # Substring tests run at C speed; the regex is the slow part of scrubbing.
    return (
        ("://" in value and "@" in value)
        or "earer" in value
        or "EARER" in value
        or (len(value) >= 13 and _CARD_HINT.search(value) is not None)
    )


def _replacement(match: re.Match[str]) -> tuple[str | None, int, int, str]:
    if match["card"] is not None:
        digits = match["card"].replace(" ", "").replace("-", "")
        replacement = FILTERED if luhn_valid(digits) else None
        return replacement, match.start(), match.end(), CREDITCARD_RULE
    if match["bearer"] is not None:
        return FILTERED, match.start(), match.end(), BEARER_RULE
    if match["password"] == FILTERED:
        return None, 0, 0, URLAUTH_RULE
    return FILTERED, match.start("password"), match.end("password"), URLAUTH_RULE
