"""Grouping never fails on odd input and never depends on things it must ignore."""

from __future__ import annotations

import copy
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from heron.grouping import get_grouping
from heron.normalize import normalize_event

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12), st.floats(allow_nan=False)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_frame = st.fixed_dictionaries(
    {},
    optional={
        "function": _scalars,
        "module": _scalars,
        "filename": _scalars,
        "abs_path": _scalars,
        "context_line": _scalars,
        "in_app": _scalars,
        "lineno": _scalars,
        "package": _scalars,
        "platform": st.sampled_from(["python", "javascript", "cocoa", "java", "ruby", "go"]),
        "data": _json,
    },
)
_exception = st.fixed_dictionaries(
    {},
    optional={
        "type": _scalars,
        "value": _scalars,
        "stacktrace": st.fixed_dictionaries({"frames": st.lists(_frame, max_size=4)}),
        "mechanism": st.dictionaries(
            st.sampled_from(["exception_id", "parent_id", "is_exception_group", "type"]),
            _scalars,
        ),
    },
)
_event = st.fixed_dictionaries(
    {},
    optional={
        "platform": st.sampled_from(["python", "javascript", "node", "cocoa", "java", "other"]),
        "exception": st.one_of(_json, st.fixed_dictionaries({"values": st.lists(_exception)})),
        "stacktrace": st.one_of(_json, st.fixed_dictionaries({"frames": st.lists(_frame)})),
        "threads": _json,
        "message": _json,
        "logentry": _json,
        "fingerprint": st.one_of(_json, st.lists(st.text(max_size=6), max_size=3)),
        "checksum": _scalars,
        "csp": _json,
        "expectct": _json,
        "template": _json,
        "tags": _json,
        "level": _scalars,
    },
)


@settings(max_examples=300, deadline=None)
@given(_event)
def test_any_raw_event_groups(event: dict[str, Any]) -> None:
    pristine = copy.deepcopy(event)
    result = get_grouping(event)
    assert result.hashes
    assert event == pristine


@settings(max_examples=200, deadline=None)
@given(_event)
def test_any_normalised_event_groups(raw: dict[str, Any]) -> None:
    event = normalize_event(raw, received_at=time.time())
    result = get_grouping(event)
    assert result.hashes
    assert all(len(h) == 32 for h in result.hashes) or "checksum" in result.variants


@settings(max_examples=100, deadline=None)
@given(st.lists(_frame, min_size=1, max_size=5), st.integers(1, 10_000))
def test_line_numbers_never_matter(frames: list[dict[str, Any]], shift: int) -> None:
    def event(frames: list[dict[str, Any]]) -> dict[str, Any]:
        stack = {"frames": frames}
        return {"platform": "python", "exception": {"values": [{"type": "E", "stacktrace": stack}]}}

    same_line = [{**f, "lineno": shift} for f in frames]
    own_lines = [{**f, "lineno": shift + i + 1} for i, f in enumerate(frames)]
    assert get_grouping(event(same_line)).hashes == get_grouping(event(own_lines)).hashes
