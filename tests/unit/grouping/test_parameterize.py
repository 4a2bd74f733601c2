from __future__ import annotations

import pytest

from heron.grouping import parameterize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("testing testing 1, 2, 3", "testing testing <int>, <int>, <int>"),
        ("Test 1", "Test <int>"),
        ("mail bob@example.com now", "mail <email> now"),
        ("GET https://example.com/a?b=1) failed", "GET <url> failed"),
        ("cannot reach api.example.com", "cannot reach <hostname>"),
        ("from 10.0.0.1 and 2001:db8::ff00:42:8329", "from <ip> and <ip>"),
        ("loopback ::1", "loopback <ip>"),
        ("trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "trace <traceparent>"),
        ("id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>"),
        ("sha da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha <sha1>"),
        ("md5 d41d8cd98f00b204e9800998ecf8427e", "md5 <md5>"),
        ("at 2024-01-02T03:04:05.123Z", "at <date>"),
        ("on 2024-01-02", "on <date>"),
        ("at Sun, 06 Apr 2014 13:00:50 GMT", "at <date>"),
        ("at 13:00:50", "at <date>"),
        ("took 123ms", "took <duration>"),
        ("took 1.5s", "took <duration>"),
        ("ptr 0xdeadbeef", "ptr <hex>"),
        ("n 12345678", "n <hex>"),
        ("key a3f9 end", "key <hex> end"),
        ("commit 1a2b3c4", "commit <git_sha>"),
        ("ratio 0.75", "ratio <float>"),
        ("count 1234567", "count <int>"),
        ('name="bob" age=3', "name=<quoted_str> age=<int>"),
        ("flag=true other=False", "flag=<bool> other=<bool>"),
        ('SAVEPOINT "s140078941939520_x761"', "SAVEPOINT <quoted_identifier>"),
        (
            "Loading chunk 158 failed.\n(timeout: https://cdn.example.com/_static/ab/x.js)",
            "Loading chunk <int> failed.\n(timeout: <url>",
        ),
    ],
)
def test_parameterize(text: str, expected: str) -> None:
    assert parameterize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "One or more errors occurred.",
        "Cannot read property 'submitError' of null",
        "value is v2 not version",  # digits inside words stay
        "deadbee",  # seven letters, no digit: a word, not a sha
        '"s" is quoted but short',
        "true without an equals sign",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert parameterize(text) == text


def test_placeholders_are_stable() -> None:
    once = parameterize("user 42 at 10.0.0.1 took 3ms")
    assert parameterize(once) == once
