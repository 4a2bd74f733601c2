from __future__ import annotations

from typing import Any

import pytest

from heron.grouping import GroupingRuleError, parse_enhancements
from heron.grouping.enhancements import Enhancements
from heron.grouping.frames import frame_state
from heron.grouping.stackrules import ExceptionFacts, FrameState


def states(*frames: dict[str, Any], platform: str = "python") -> list[FrameState]:
    return [frame_state(f, platform) for f in frames]


def apply(rules: str, frames: list[FrameState], exc: ExceptionFacts | None = None) -> None:
    parse_enhancements(rules).apply(frames, exc)


# -- parsing ---------------------------------------------------------------------------


def test_parses_matchers_actions_and_context() -> None:
    rules = parse_enhancements(
        """
        # comment
        path:**/vendor/** -app
        function:log_* -group
        [ category:ui ] | !category:system | [ app:yes ] category=internals v-group
        error.type:ValueError stack.module:foo.* ^+app max-frames=3
        """
    )
    assert len(rules) == 4
    vendor, log, context, exc = rules.rules
    assert vendor.text == "path:**/vendor/** -app"
    assert [str(a) for a in log.flags] == ["-group"]
    assert [m.key for m in context.caller] == ["category"]
    assert context.frame_matchers[0].negated
    assert [m.key for m in context.callee] == ["app"]
    assert context.category == "internals"
    assert [m.key for m in exc.exception_matchers] == ["type"]
    assert [str(v) for v in exc.variables] == ["max-frames=3"]


def test_render_matches_the_written_rule() -> None:
    text = '[ function:_purecall ] | category:throw function:"a b" | [ app:no ] ^-group'
    (rule,) = parse_enhancements(text).rules
    assert rule.render() == text == rule.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense:foo -app", "unknown matcher 'nonsense'"),
        ("path:**/x/**", "rule has no actions"),
        ("-app", "rule has no matchers"),
        ("path:x +bogus", "invalid action '+bogus'"),
        ("path:x colour=red", "unknown variable 'colour'"),
        ("path:x max-frames=lots", "max-frames expects a number"),
        ("app:maybe -app", "app: expects yes or no"),
        ("family:cobol -app", "unknown family"),
        ("[ category:ui", "missing ']'"),
        ("[ category:ui ] category:ui -app", "expected '|'"),
        ("path:x | category:ui -app", "expected '['"),
        ("path:x -app path:y", "unexpected 'path:y'"),
        ("[ error.type:X ] | path:x -app", "unknown matcher 'error.type'"),
        ("path: -app", "needs a value"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(GroupingRuleError) as info:
        parse_enhancements("path:ok -app\n\n" + text)
    assert info.value.lineno == 3
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


# -- applying --------------------------------------------------------------------------


def test_vendor_path_marks_out_of_app_with_hint() -> None:
    frames = states(
        {"abs_path": "/srv/app/vendor/lib/x.py", "in_app": True}, {"abs_path": "/srv/app/y.py"}
    )
    apply("path:**/vendor/** -app", frames)
    assert [f.in_app for f in frames] == [False, False]
    assert frames[0].in_app_rule == "path:**/vendor/** -app"
    assert frames[1].in_app_rule is None  # never touched


def test_function_glob_stops_grouping() -> None:
    frames = states({"function": "log_error"}, {"function": "handle"})
    apply("function:log_* -group", frames)
    assert [f.contributes for f in frames] == [False, True]
    assert frames[0].group_rule == "function:log_* -group"


def test_up_and_down_scopes() -> None:
    frames = states(
        *({"function": name} for name in ("main", "run", "crash_here", "abort", "raise"))
    )
    apply("function:crash_here ^-group v+app", frames)
    assert [f.contributes for f in frames] == [True, True, True, False, False]
    assert [f.in_app for f in frames] == [True, True, False, False, False]


def test_caller_and_callee_context() -> None:
    frames = states({"function": "a"}, {"function": "b"}, {"function": "c"})
    apply("[ function:a ] | function:b | [ function:c ] -group", frames)
    assert [f.contributes for f in frames] == [True, False, True]
    frames = states({"function": "x"}, {"function": "b"}, {"function": "c"})
    apply("[ function:a ] | function:b -group", frames)
    assert all(f.contributes for f in frames)


def test_categories_are_settled_before_flags() -> None:
    # The flag rule comes first in the text but sees the category set after it.
    frames = states(
        {"function": "start"}, {"function": "main"}, {"function": "work"}, platform="native"
    )
    apply(
        """
        category:threadbase -group v-group
        function:main category=threadbase
        """,
        frames,
    )
    assert [f.contributes for f in frames] == [False, False, True]


def test_context_rules_see_categories_before_their_own_changes() -> None:
    frames = states(
        *({"function": f"ui{i}", "package": "UIKitCore"} for i in range(3)), platform="cocoa"
    )
    apply(
        """
        package:UIKitCore category=ui
        [ category:ui ] | category:ui category=internals
        """,
        frames,
    )
    assert [f.category for f in frames] == ["ui", "internals", "internals"]


def test_last_rule_wins_and_no_op_keeps_the_earlier_hint() -> None:
    frames = states({"function": "f", "in_app": True})
    apply("function:f -app\nfunction:f +app\nfunction:* +app", frames)
    assert frames[0].in_app is True
    assert frames[0].in_app_rule == "function:f +app"


def test_client_in_app_true_is_a_decision_false_is_not() -> None:
    # Canonical events use in_app=False for "the client did not say", so a rule
    # agreeing with False still gets the credit; one agreeing with True does not.
    frames = states({"function": "f", "in_app": True}, {"function": "f", "in_app": False})
    apply("function:f +app", frames)
    assert [f.in_app_rule for f in frames] == [None, "function:f +app"]
    frames = states({"function": "f", "in_app": False})
    apply("function:f -app", frames)
    assert frames[0].in_app_rule == "function:f -app"


def test_family_filter() -> None:
    frames = states({"function": "f"}, platform="javascript")
    apply("family:native function:f -group\nfamily:javascript,native function:g -group", frames)
    assert frames[0].contributes
    apply("family:javascript function:f -group", frames)
    assert not frames[0].contributes


def test_exception_matchers_gate_the_rule() -> None:
    frames = states({"function": "f"})
    apply("error.type:KeyError function:f -group", frames, ExceptionFacts("ValueError"))
    assert frames[0].contributes
    apply("error.type:ValueError function:f -group", frames, ExceptionFacts("ValueError"))
    assert not frames[0].contributes


def test_app_and_package_matchers() -> None:
    frames = states(
        {"function": "f", "package": "/usr/lib/libc.so.6", "in_app": True},
        {"function": "g", "package": "/opt/app/bin/app"},
        platform="native",
    )
    apply("package:libc.so* -app\napp:no -group", frames)
    assert [f.in_app for f in frames] == [False, False]
    assert [f.contributes for f in frames] == [False, False]


def test_stack_variables() -> None:
    rules = parse_enhancements("family:native max-frames=2\nfunction:f min-frames=3")
    frames = states({"function": "f"}, platform="cocoa")
    variables = rules.apply(frames)
    assert (variables.max_frames, variables.min_frames) == (2, 3)
    assert Enhancements().apply([]).max_frames is None


def test_rules_concatenate_in_order() -> None:
    combined = parse_enhancements("function:f -group") + parse_enhancements("function:f +group")
    frames = states({"function": "f"})
    combined.apply(frames)
    assert frames[0].contributes
