import re
from typing import Any

import pytest

from heron.normalize import normalize_event

NOW = 1795381800.0
EVENT_ID = "b1effe6f11c64f8692f66b59529a4758"


def normalize(raw: Any, **kwargs: Any) -> dict[str, Any]:
    return normalize_event(raw, received_at=NOW, **kwargs)


def test_minimal_event() -> None:
    event = normalize({})
    assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
    assert event["timestamp"] == NOW
    assert event["received"] == NOW
    assert event["level"] == "error"
    assert event["platform"] == "other"
    assert event["type"] == "default"
    assert event["title"] == "<unlabeled event>"
    assert event["culprit"] == ""
    assert event["tags"] == [["level", "error"]]
    assert "environment" not in event


def test_event_id_argument_wins_and_dashes_are_accepted() -> None:
    raw = {"event_id": "0" * 32}
    assert normalize(raw, event_id="b1effe6f-11c6-4f86-92f6-6b59529a4758")["event_id"] == EVENT_ID
    assert normalize(raw, event_id="not-an-id")["event_id"] == "0" * 32
    assert normalize({"event_id": EVENT_ID.upper()})["event_id"] == EVENT_ID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1532526567.5, 1532526567.5),
        (1532526567, 1532526567.0),
        ("2018-07-25T13:49:27Z", 1532526567.0),
        ("2018-07-25T15:49:27+02:00", 1532526567.0),
        ("garbage", NOW),
        (None, NOW),
    ],
)
def test_timestamp(raw: Any, expected: float) -> None:
    assert normalize({"timestamp": raw})["timestamp"] == expected


def test_start_timestamp() -> None:
    assert normalize({"start_timestamp": "2018-07-25T13:49:27Z"})["start_timestamp"] == 1532526567.0
    assert "start_timestamp" not in normalize({"start_timestamp": "bad"})


@pytest.mark.parametrize(
    ("raw", "level"), [(40, "error"), (20, "info"), ("warn", "warning"), ("x", "error")]
)
def test_level(raw: Any, level: str) -> None:
    assert normalize({"level": raw})["level"] == level


def test_platform_argument_is_a_fallback() -> None:
    assert normalize({"platform": "Python"}, platform="native")["platform"] == "python"
    assert normalize({}, platform="native")["platform"] == "native"
    assert normalize({"platform": 5})["platform"] == "other"


def test_string_attributes() -> None:
    raw = {
        "logger": "a",
        "transaction": 5,
        "server_name": None,
        "release": "",
        "dist": 7,
        "environment": "prod",
    }
    event = normalize(raw)
    assert event["logger"] == "a"
    assert event["transaction"] == "5"
    assert event["dist"] == "7"
    assert event["environment"] == "prod"
    assert "server_name" not in event
    assert "release" not in event


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([42], ["42"]),
        ([42.0, 3.5, True, "x", None, {"a": 1}], ["42", "3", "True", "x"]),
        (["{{ default }}", "extra"], ["{{ default }}", "extra"]),
    ],
)
def test_fingerprint_coercion(raw: Any, expected: list[str]) -> None:
    assert normalize({"fingerprint": raw})["fingerprint"] == expected


@pytest.mark.parametrize("raw", ["x", {"a": 1}, 5, [], [None]])
def test_fingerprint_dropped_when_unusable(raw: Any) -> None:
    assert "fingerprint" not in normalize({"fingerprint": raw})


def test_contexts_get_a_type_and_junk_is_dropped() -> None:
    event = normalize(
        {"contexts": {"os": {"name": "Linux"}, "gpu": "junk", "custom": {"type": "app", "x": 1}}}
    )
    assert event["contexts"] == {
        "os": {"name": "Linux", "type": "os"},
        "custom": {"type": "app", "x": 1},
    }
    assert "contexts" not in normalize({"contexts": "junk"})


def test_passthrough_fields_are_kept() -> None:
    raw = {
        "sdk": {"name": "sentry.python"},
        "modules": {"x": "1"},
        "extra": {"a": [1]},
        "_meta": {"a": {"": {"rem": []}}},
        "debug_meta": {"images": []},
        "my_unknown_key": 5,
    }
    event = normalize(raw)
    for key, value in raw.items():
        assert event[key] == value


def test_type_inference() -> None:
    assert normalize({"exception": {"type": "E"}})["type"] == "error"
    assert normalize({"type": "error"})["type"] == "default"
    assert normalize({"type": "transaction"})["type"] == "transaction"
    assert normalize({"type": "feedback"})["type"] == "feedback"
    assert normalize({"type": "made-up", "exception": [{"type": "E"}]})["type"] == "error"


def test_user_auto_ip_and_id() -> None:
    event = normalize({"user": {"id": 1, "ip_address": "{{auto}}"}}, client_ip="10.1.1.1")
    assert event["user"] == {"id": "1", "ip_address": "10.1.1.1"}
    assert ["user", "id:1"] in event["tags"]
    assert normalize({"user": {"ip_address": "{{auto}}"}}).get("user") is None


def test_legacy_interface_names() -> None:
    event = normalize(
        {
            "sentry.interfaces.Http": {"url": "https://x.test/a?b=1", "method": "get"},
            "sentry.interfaces.User": {"id": "u"},
            "sentry.interfaces.Stacktrace": {"frames": [{"function": "f"}]},
        }
    )
    assert event["request"] == {
        "url": "https://x.test/a",
        "method": "GET",
        "query_string": [["b", "1"]],
    }
    assert event["user"] == {"id": "u"}
    assert event["stacktrace"] == {"frames": [{"function": "f", "in_app": False}]}
    assert not any(key.startswith("sentry.interfaces.") for key in event)


def test_raw_input_is_not_modified() -> None:
    raw = {"message": "m", "level": 40, "tags": {"a": 1}, "exception": {"type": "E", "value": 1}}
    copy = {"message": "m", "level": 40, "tags": {"a": 1}, "exception": {"type": "E", "value": 1}}
    normalize(raw)
    assert raw == copy


@pytest.mark.parametrize("raw", [None, [], "string", 5])
def test_non_dict_input_does_not_raise(raw: Any) -> None:
    assert normalize(raw)["title"] == "<unlabeled event>"


def test_derived_tags_do_not_override_client_tags() -> None:
    event = normalize({"level": "info", "tags": {"level": "custom"}, "release": "r"})
    assert event["tags"] == [["level", "custom"], ["release", "r"]]
