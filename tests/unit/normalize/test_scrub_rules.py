import pytest

from heron.normalize.scrub_rules import (
    BEARER_RULE,
    CREDITCARD_RULE,
    URLAUTH_RULE,
    is_sensitive_key,
    is_sensitive_number_key,
    luhn_valid,
    scrub_text,
)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "DB_PASSWORD",
        "passwd",
        "client_secret",
        "api_token",
        "X-Auth-Header",
        "Authorization",
        "credentials",
        "api_key",
        "APIKEY",
        "x-api-key",
        "private_key",
        "privatekey",
        "private-key",
        "sessionid",
        "user_session",
        "Set-Cookie",
        "csrftoken",
        "MYSQL_PWD",
    ],
)
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["username", "email", "order_id", "amount", "filename", "key"])
def test_ordinary_keys(key: str) -> None:
    assert not is_sensitive_key(key)


def test_token_counts_are_not_secrets_but_token_numbers_are() -> None:
    assert not is_sensitive_number_key("gen_ai.usage.input_tokens")
    assert is_sensitive_number_key("token")
    assert is_sensitive_number_key("password")


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("378282246310005", True)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("card 4111 1111 1111 1111 ok", "card [Filtered] ok", CREDITCARD_RULE),
        ("4111-1111-1111-1111", "[Filtered]", CREDITCARD_RULE),
        ("amex 378282246310005", "amex [Filtered]", CREDITCARD_RULE),
        ("mc 5555555555554444.", "mc [Filtered].", CREDITCARD_RULE),
        ("Bearer abc.def-ghi", "[Filtered]", BEARER_RULE),
        ("header: bearer eyJhbGciOi== rest", "header: [Filtered] rest", BEARER_RULE),
        ("https://user:hunter2@db.test/x", "https://user:[Filtered]@db.test/x", URLAUTH_RULE),
        ("postgres://:pw@h/db", "postgres://:[Filtered]@h/db", URLAUTH_RULE),
    ],
)
def test_value_patterns(text: str, expected: str, rule: str) -> None:
    result = scrub_text(text)
    assert result is not None
    scrubbed, remarks = result
    assert scrubbed == expected
    ((rule_id, kind, start, end),) = remarks
    assert (rule_id, kind) == (rule, "s")
    assert isinstance(start, int)
    assert isinstance(end, int)
    assert scrubbed[start:end] == "[Filtered]"


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn-invalid
        "1795381723061",  # a millisecond timestamp
        "order 12345 shipped",
        "41111111111111110000000",  # too long to be a card
        "https://user@host.test/x",  # no password
        "https://user:[Filtered]@host.test/x",  # already filtered
        "the bearer of bad news",  # too short to be a token
        "Bearer",
        "",
    ],
)
def test_leaves_harmless_text_alone(text: str) -> None:
    assert scrub_text(text) is None


def test_several_matches_have_ranges_in_the_new_string() -> None:
    result = scrub_text("a 4111111111111111 b https://u:p@h c 5555555555554444")
    assert result is not None
    scrubbed, remarks = result
    assert scrubbed == "a [Filtered] b https://u:[Filtered]@h c [Filtered]"
    ranges = [(start, end) for *_, start, end in remarks]
    assert [
        scrubbed[start:end]
        for start, end in ranges
        if isinstance(start, int) and isinstance(end, int)
    ] == ["[Filtered]"] * 3
