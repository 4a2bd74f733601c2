from typing import Any

import pytest

from heron.normalize.exception import (
    normalize_exceptions,
    normalize_threads,
    normalize_top_stacktrace,
)

ZERO = {"type": "ZeroDivisionError", "value": "division by zero"}


def exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    normalize_exceptions(event)
    values: list[dict[str, Any]] = event.get("exception", {}).get("values", [])
    return values


@pytest.mark.parametrize(
    "raw",
    [
        {"values": [ZERO]},
        [ZERO],
        ZERO,
        {"values": ZERO},
    ],
    ids=["values", "bare-list", "single-object", "values-object"],
)
def test_shapes(raw: Any) -> None:
    assert exceptions({"exception": raw}) == [ZERO]


def test_legacy_interface_key() -> None:
    event = {"sentry.interfaces.Exception": {"values": [ZERO]}}
    assert exceptions(event) == [ZERO]
    assert "sentry.interfaces.Exception" not in event


def test_values_without_type_and_value_are_dropped() -> None:
    raw = [{"type": ""}, {"module": "x"}, "junk", None, {"value": "only value"}, {"type": "T"}]
    assert exceptions({"exception": raw}) == [{"value": "only value"}, {"type": "T"}]


def test_empty_exception_is_removed() -> None:
    event: dict[str, Any] = {"exception": {"values": None}}
    normalize_exceptions(event)
    assert "exception" not in event


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, "42"), (True, "True"), ({"a": 1}, '{"a":1}'), ([1, 2], "[1,2]")],
)
def test_value_coerced_to_string(value: Any, expected: str) -> None:
    assert exceptions({"exception": {"type": "E", "value": value}})[0]["value"] == expected


def test_known_fields_are_kept_and_normalised() -> None:
    raw = {
        "type": "ValueError",
        "value": "bad",
        "module": "builtins",
        "thread_id": 7,
        "mechanism": {"type": "generic", "handled": False},
        "stacktrace": {"frames": [{"function": "f", "in_app": True}]},
        "raw_stacktrace": {"frames": None},
        "custom": "kept",
    }
    (exc,) = exceptions({"exception": raw})
    assert exc["module"] == "builtins"
    assert exc["thread_id"] == 7
    assert exc["mechanism"] == {"type": "generic", "handled": False}
    assert exc["stacktrace"] == {"frames": [{"function": "f", "in_app": True}]}
    assert exc["raw_stacktrace"] == {"frames": []}
    assert exc["custom"] == "kept"


def test_mechanism_as_string_and_junk() -> None:
    first, second = exceptions(
        {"exception": [{"type": "A", "mechanism": "celery"}, {"type": "B", "mechanism": 3}]}
    )
    assert first["mechanism"] == {"type": "celery"}
    assert "mechanism" not in second


def test_frames_get_in_app_inside_exceptions() -> None:
    raw = {
        "type": "E",
        "stacktrace": {
            "frames": [
                {"abs_path": "/x/site-packages/lib.py", "in_app": True},
                {"abs_path": "/srv/app.py"},
            ]
        },
    }
    (exc,) = exceptions({"exception": raw})
    assert [frame["in_app"] for frame in exc["stacktrace"]["frames"]] == [False, False]


def test_threads_stacktraces_are_normalised() -> None:
    event: dict[str, Any] = {
        "threads": [
            {"id": 1, "name": 5, "stacktrace": {"frames": [{"lineno": "4", "in_app": True}]}},
            "junk",
        ]
    }
    normalize_threads(event)
    assert event["threads"] == {
        "values": [
            {"id": 1, "name": "5", "stacktrace": {"frames": [{"lineno": 4, "in_app": True}]}}
        ]
    }


def test_unusable_threads_are_removed() -> None:
    event: dict[str, Any] = {"threads": "nope"}
    normalize_threads(event)
    assert "threads" not in event


def test_top_level_stacktrace() -> None:
    event: dict[str, Any] = {"stacktrace": {"frames": [{"module": "m", "in_app": True}]}}
    normalize_top_stacktrace(event)
    assert event["stacktrace"] == {"frames": [{"module": "m", "in_app": True}]}
    junk: dict[str, Any] = {"stacktrace": 5}
    normalize_top_stacktrace(junk)
    assert "stacktrace" not in junk
