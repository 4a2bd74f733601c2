from typing import Any

import pytest

from heron.normalize.display import UNLABELED, add_display_fields, crash_frame


def display(event: dict[str, Any]) -> dict[str, Any]:
    add_display_fields(event)
    return event


def python_exception(frames: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "platform": "python",
        "exception": {
            "values": [
                {"type": "KeyError", "value": "cause"},
                {
                    "type": "ValueError",
                    "value": "bad input\nsecond line",
                    "stacktrace": {"frames": frames},
                },
            ]
        },
        **extra,
    }


APP = {"module": "shop.orders", "filename": "orders.py", "function": "charge", "in_app": True}
LIB = {"module": "django.core", "filename": "core.py", "function": "dispatch", "in_app": False}


def test_exception_title_culprit_and_metadata_use_the_last_exception() -> None:
    event = display(python_exception([LIB, APP, LIB]))
    assert event["title"] == "ValueError: bad input"
    assert event["culprit"] == "shop.orders in charge"
    assert event["metadata"] == {
        "type": "ValueError",
        "value": "bad input\nsecond line",
        "filename": "orders.py",
        "function": "charge",
        "in_app_frame_mix": "mixed",
    }


@pytest.mark.parametrize(
    ("frames", "mix"),
    [([APP], "in-app-only"), ([LIB, LIB], "system-only"), ([LIB, APP], "mixed")],
)
def test_in_app_frame_mix(frames: list[dict[str, Any]], mix: str) -> None:
    assert display(python_exception(frames))["metadata"]["in_app_frame_mix"] == mix


def test_no_frames_means_no_frame_metadata() -> None:
    event = display({"exception": {"values": [{"type": "E"}]}})
    assert event["title"] == "E"
    assert event["metadata"] == {"type": "E", "value": ""}
    assert event["culprit"] == ""


def test_value_only_exception() -> None:
    assert display({"exception": {"values": [{"value": "boom"}]}})["title"] == "boom"


def test_long_values_are_truncated_in_the_title() -> None:
    event = display({"exception": {"values": [{"type": "E", "value": "x" * 500}]}})
    assert event["title"].startswith("E: xxx")
    assert len(event["title"]) == len("E: ") + 200


def test_transaction_wins_for_culprit() -> None:
    assert display(python_exception([APP], transaction="GET /x"))["culprit"] == "GET /x"


def test_system_only_culprit_uses_the_last_frame() -> None:
    assert display(python_exception([APP | {"in_app": False}, LIB]))["culprit"] == (
        "django.core in dispatch"
    )


def test_python_culprit_uses_filename_without_module() -> None:
    frame = {"filename": "orders.py", "function": "charge", "in_app": True}
    assert display(python_exception([frame]))["culprit"] == "orders.py in charge"


def test_javascript_culprit() -> None:
    frame = {"filename": "/srv/app/scen.js", "module": "scen", "function": "charge", "in_app": True}
    event = display(
        {
            "platform": "node",
            "exception": {"values": [{"type": "TypeError", "stacktrace": {"frames": [frame]}}]},
        }
    )
    assert event["culprit"] == "charge(/srv/app/scen.js)"


def test_message_event() -> None:
    event = display({"logentry": {"message": "m", "formatted": "Order failed\nmore", "params": []}})
    assert event["title"] == "Order failed"
    assert event["metadata"] == {"title": "Order failed"}
    assert event["culprit"] == ""


def test_message_culprit_from_thread_stack() -> None:
    threads = {
        "values": [
            {"id": 1, "stacktrace": {"frames": [LIB]}},
            {"id": 2, "current": True, "stacktrace": {"frames": [APP]}},
        ]
    }
    event = display({"platform": "python", "logentry": {"formatted": "hi"}, "threads": threads})
    assert event["culprit"] == "shop.orders in charge"


def test_legacy_culprit_is_a_last_resort() -> None:
    assert display({"culprit": "raven culprit"})["culprit"] == "raven culprit"


def test_unlabeled() -> None:
    event = display({})
    assert event["title"] == UNLABELED
    assert event["metadata"] == {"title": UNLABELED}


def test_transaction_and_feedback_titles() -> None:
    assert display({"type": "transaction", "transaction": "GET /x"})["title"] == "GET /x"
    feedback = {"type": "feedback", "contexts": {"feedback": {"message": "The page crashed"}}}
    assert display(feedback)["title"] == "User Feedback: The page crashed"


def test_crash_frame() -> None:
    assert crash_frame([]) is None
    assert crash_frame([APP, LIB]) is APP
    last = crash_frame([LIB, LIB | {"function": "last"}])
    assert last is not None
    assert last["function"] == "last"
