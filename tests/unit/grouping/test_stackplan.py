"""The fast rule runner gives exactly what trying every rule on every frame gives."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from heron.grouping import parse_enhancements
from heron.grouping.builtin_rules import BUILTIN_ENHANCEMENTS
from heron.grouping.enhancements import Enhancements
from heron.grouping.frames import frame_state
from heron.grouping.stackrules import FlagAction, FrameState, StackRule

_PATTERNS = {
    "path": ["**/vendor/**", "*/lib/*.py", "/srv/**", "**/Site-Packages/**", "**x**"],
    "module": ["app.*", "lib", "*.core", "sun.*"],
    "function": ["f*", "run", "*_x", "main"],
    "package": ["libc*", "/usr/lib/**", "UIKit*"],
    "category": ["ui", "system", "*"],
    "app": ["yes", "no"],
    "family": ["native", "other", "javascript,other"],
}
_ACTIONS = ["+app", "-app", "^-group", "v+group", "-group", "category=ui", "category=system"]

_matcher = st.sampled_from(sorted(_PATTERNS)).flatmap(
    lambda key: st.tuples(st.booleans(), st.just(key), st.sampled_from(_PATTERNS[key]))
)
_rule = st.tuples(
    st.lists(_matcher, min_size=1, max_size=3),
    st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=2, unique=True),
    st.sampled_from(["", "[ category:ui ] | ", "[ function:f* ] | "]),
)
_frame = st.fixed_dictionaries(
    {
        "abs_path": st.sampled_from(["/srv/app/x.py", "/a/Vendor/b.py", "/x/lib/y.py", ""]),
        "module": st.sampled_from(["app.views", "lib", "sun.misc", "x.core", ""]),
        "function": st.sampled_from(["f1", "run", "a_x", "main", ""]),
        "package": st.sampled_from(["libc.so.6", "/usr/lib/libz.so", "UIKitCore", ""]),
        "in_app": st.booleans(),
    }
)


def _text(rule: tuple[list[tuple[bool, str, str]], list[str], str]) -> str:
    matchers, actions, context = rule
    body = " ".join(f"{'!' if neg else ''}{key}:{pattern}" for neg, key, pattern in matchers)
    return f"{context}{body} {' '.join(actions)}"


def _naive(rules: Sequence[StackRule], frames: list[FrameState]) -> None:
    for rule in rules:
        if rule.category is not None:
            for idx in [i for i in range(len(frames)) if rule.matches_at(frames, i)]:
                frames[idx].category = rule.category
    for rule in rules:
        for idx in [i for i in range(len(frames)) if rule.matches_at(frames, i)]:
            for action in rule.flags:
                _flag(frames, idx, action, rule.text)


def _flag(frames: list[FrameState], idx: int, action: FlagAction, text: str) -> None:
    targets = {"^": range(idx + 1, len(frames)), "v": range(idx)}.get(action.scope, (idx,))
    for target in targets:
        frame = frames[target]
        if action.flag == "app":
            if frame.in_app != action.value or not frame.in_app_known:
                frame.in_app, frame.in_app_known, frame.in_app_rule = action.value, True, text
        elif frame.contributes != action.value:
            frame.contributes, frame.group_rule = action.value, text


def _compare(rules: Enhancements, raw: list[dict[str, object]], platform: str) -> None:
    fast = [frame_state(f, platform) for f in raw]
    slow = copy.deepcopy(fast)
    shared = copy.deepcopy(fast)
    before = copy.deepcopy(shared)
    rules.apply(fast)
    _naive(rules.rules, slow)
    assert fast == slow
    # Copy on write (per-frame outcomes when the rules allow): same result, inputs untouched.
    for _ in range(2):  # the second run comes from the caches
        cow = list(shared)
        rules.apply(cow, copy_on_write=True)
        assert cow == slow
        assert shared == before


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_rule, min_size=1, max_size=8),
    st.lists(_frame, min_size=1, max_size=6),
    st.sampled_from(["python", "cocoa"]),
)
def test_matches_the_naive_runner(
    rules: list[tuple[list[tuple[bool, str, str]], list[str], str]],
    frames: list[dict[str, object]],
    platform: str,
) -> None:
    _compare(parse_enhancements("\n".join(map(_text, rules))), frames, platform)


@settings(max_examples=100, deadline=None)
@given(st.lists(_frame, min_size=1, max_size=8), st.sampled_from(["python", "cocoa", "node"]))
def test_builtin_rules_match_the_naive_runner(
    frames: list[dict[str, object]], platform: str
) -> None:
    _compare(BUILTIN_ENHANCEMENTS, frames, platform)
