from typing import Any

import pytest

from heron.normalize.tags import add_derived_tags, event_tags, normalize_tags


@pytest.mark.parametrize(
    "raw",
    [
        {"feature": "checkout", "n": 5, "ok": True},
        [["feature", "checkout"], ["n", 5], ("ok", True)],
    ],
    ids=["dict", "pairs"],
)
def test_dict_and_pairs(raw: Any) -> None:
    assert normalize_tags(raw) == [["feature", "checkout"], ["n", "5"], ["ok", "True"]]


def test_bad_pairs_are_dropped() -> None:
    raw = [["", "empty key"], ["  ", "blank"], ["k"], "k:v", ["none", None], ["a", "1"], ["a", "2"]]
    assert normalize_tags(raw) == [["a", "1"]]


def test_lengths_are_capped() -> None:
    ((key, value),) = normalize_tags({"k" * 300: "v" * 300})
    assert len(key) == 200
    assert len(value) == 200


@pytest.mark.parametrize("raw", [None, "a:b", 5])
def test_junk_tags(raw: Any) -> None:
    assert normalize_tags(raw) == []


def full_event() -> dict[str, Any]:
    return {
        "level": "error",
        "environment": "prod",
        "release": "app@1.0",
        "dist": "7",
        "logger": "shop.orders",
        "server_name": "web-1",
        "transaction": "GET /orders",
        "request": {"url": "https://user:pw@shop.test/orders?id=1#x"},
        "exception": {
            "values": [
                {"type": "A", "mechanism": {"type": "chained", "handled": True}},
                {"type": "B", "mechanism": {"type": "django", "handled": False}},
            ]
        },
        "contexts": {
            "runtime": {"name": "CPython", "version": "3.11.7"},
            "os": {"name": "Debian", "version": "12.11\n"},
            "browser": {"name": "Firefox"},
        },
        "user": {"email": "a@b.c", "ip_address": "1.2.3.4"},
        "tags": [["feature", "checkout"], ["release", "client-set"]],
    }


def test_derived_tags() -> None:
    event = full_event()
    add_derived_tags(event)
    assert event["tags"] == [
        ["feature", "checkout"],
        ["release", "client-set"],
        ["level", "error"],
        ["environment", "prod"],
        ["dist", "7"],
        ["logger", "shop.orders"],
        ["server_name", "web-1"],
        ["transaction", "GET /orders"],
        ["url", "https://user:[Filtered]@shop.test/orders"],
        ["handled", "no"],
        ["mechanism", "django"],
        ["runtime", "CPython 3.11.7"],
        ["os", "Debian 12.11"],
        ["browser", "Firefox"],
        ["user", "email:a@b.c"],
    ]


def test_no_derived_tags_without_sources() -> None:
    event: dict[str, Any] = {"level": "info", "tags": [], "exception": {"values": [{"type": "E"}]}}
    add_derived_tags(event)
    assert event["tags"] == [["level", "info"]]


def test_event_tags_returns_tuples() -> None:
    assert event_tags({"tags": [["a", "1"], ["b", "2"]]}) == [("a", "1"), ("b", "2")]
    assert event_tags({"tags": {"a": "1"}}) == [("a", "1")]
    assert event_tags({"tags": [["a"], "x", ["b", None]]}) == []
    assert event_tags({}) == []
