from typing import Any

import pytest

from heron.normalize.stacktrace import normalize_frame, normalize_stacktrace


def test_frames_list_may_be_null() -> None:
    assert normalize_stacktrace({"frames": None}) == {"frames": []}


def test_bare_frame_list_is_accepted() -> None:
    result = normalize_stacktrace([{"function": "f"}])
    assert result == {"frames": [{"function": "f", "in_app": False}]}


@pytest.mark.parametrize("value", [None, "frames", 3])
def test_unusable_stacktrace(value: Any) -> None:
    assert normalize_stacktrace(value) is None


def test_non_dict_frames_are_dropped_and_other_keys_kept() -> None:
    result = normalize_stacktrace({"frames": [1, "x", {"lineno": 3}], "frames_omitted": [1, 2]})
    assert result == {"frames": [{"lineno": 3, "in_app": False}], "frames_omitted": [1, 2]}


@pytest.mark.parametrize(
    ("raw", "expected"), [(12, 12), (12.0, 12), ("12", 12), ("x", None), (None, None)]
)
def test_line_and_column_numbers(raw: Any, expected: int | None) -> None:
    frame = normalize_frame({"lineno": raw, "colno": raw})
    assert frame.get("lineno") == expected
    assert frame.get("colno") == expected


@pytest.mark.parametrize(
    ("frame", "in_app"),
    [
        ({"filename": "app.py"}, False),
        ({"filename": "app.py", "in_app": True}, True),
        ({"filename": "app.py", "in_app": False}, False),
        ({"filename": "app.py", "in_app": "true"}, False),
        ({"abs_path": "/venv/lib/python3.11/site-packages/django/x.py", "in_app": True}, False),
        ({"abs_path": "/usr/lib/python3/dist-packages/x.py", "in_app": True}, False),
        ({"filename": "/srv/app/node_modules/express/index.js", "in_app": True}, False),
        ({"module": "node_modules/lib", "in_app": True}, False),
        ({"abs_path": "C:\\py\\Lib\\site-packages\\x.py", "in_app": True}, False),
        ({"abs_path": "/srv/app/mysite_packages/x.py", "in_app": True}, True),
    ],
)
def test_in_app(frame: dict[str, Any], in_app: bool) -> None:
    assert normalize_frame(frame)["in_app"] is in_app


def test_string_fields_and_context_lines_are_typed() -> None:
    frame = normalize_frame(
        {
            "function": 42,
            "module": None,
            "filename": ["x"],
            "pre_context": ["a", None, 3],
            "post_context": "not a list",
            "vars": "not a mapping",
        }
    )
    assert frame == {"function": "42", "pre_context": ["a", "", "3"], "in_app": False}


def test_input_frame_is_not_modified() -> None:
    raw = {"lineno": "3"}
    normalize_frame(raw)
    assert raw == {"lineno": "3"}
