from typing import Any

import pytest

from heron.normalize.logentry import normalize_logentry


def run(event: dict[str, Any]) -> dict[str, Any]:
    normalize_logentry(event)
    return event


def test_python_logging_entry_keeps_client_formatted() -> None:
    event = run(
        {
            "logentry": {
                "message": "Order %s failed after %d retries",
                "formatted": "Order o-42 failed after 3 retries",
                "params": ["o-42", 3],
            }
        }
    )
    assert event["logentry"] == {
        "message": "Order %s failed after %d retries",
        "params": ["o-42", 3],
        "formatted": "Order o-42 failed after 3 retries",
    }


@pytest.mark.parametrize(
    ("params", "formatted"),
    [
        (["o-42", 3], "Order o-42 x3"),
        (["too", "many", "params"], "Order %s x%d"),
        ([], "Order %s x%d"),
    ],
)
def test_formats_percent_params_when_missing(params: list[Any], formatted: str) -> None:
    event = run({"logentry": {"message": "Order %s x%d", "params": params}})
    assert event["logentry"]["formatted"] == formatted
    assert event["logentry"]["params"] == params


def test_formats_brace_params() -> None:
    event = run({"logentry": {"message": "User {} did {}", "params": ["u1", "x"]}})
    assert event["logentry"]["formatted"] == "User u1 did x"


def test_top_level_string_message_moves_into_logentry() -> None:
    event = run({"message": "Cache warmup finished"})
    assert "message" not in event
    assert event["logentry"] == {
        "message": "Cache warmup finished",
        "params": [],
        "formatted": "Cache warmup finished",
    }


def test_top_level_message_dict() -> None:
    event = run({"message": {"message": "a %s", "params": ["b"]}})
    assert event["logentry"]["formatted"] == "a b"
    assert "message" not in event


def test_legacy_interface_key() -> None:
    event = run({"sentry.interfaces.Message": {"message": "x %s", "params": [1]}})
    assert event["logentry"]["formatted"] == "x 1"
    assert "sentry.interfaces.Message" not in event


def test_logentry_wins_and_message_is_removed() -> None:
    event = run({"logentry": {"formatted": "from logentry"}, "message": "from message"})
    assert event["logentry"]["message"] == "from logentry"
    assert "message" not in event


def test_unusable_logentry_falls_back_to_message() -> None:
    event = run({"logentry": {"params": [1]}, "message": "fallback"})
    assert event["logentry"]["formatted"] == "fallback"


def test_dict_params_are_used_by_name() -> None:
    event = run({"logentry": {"message": "%(a)s-%(b)s", "params": {"a": 1, "b": 2}}})
    assert event["logentry"]["formatted"] == "1-2"
    assert event["logentry"]["params"] == [1, 2]


@pytest.mark.parametrize("value", [None, "", 42.5, [], {}, {"message": None}])
def test_odd_messages(value: Any) -> None:
    event = run({"message": value})
    assert "message" not in event
    if value == 42.5:
        assert event["logentry"]["formatted"] == "42.5"
    else:
        assert "logentry" not in event
