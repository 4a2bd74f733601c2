"""Heron's own built-in stack-trace rules."""

from __future__ import annotations

from typing import Any

import pytest

from heron.grouping.builtin_rules import BUILTIN_ENHANCEMENTS
from heron.grouping.frames import frame_state
from heron.grouping.stackrules import FrameState


def run(platform: str, *frames: dict[str, Any]) -> list[FrameState]:
    states = [frame_state(f, platform) for f in frames]
    BUILTIN_ENHANCEMENTS.apply(states)
    return states


@pytest.mark.parametrize(
    ("platform", "frame"),
    [
        ("python", {"abs_path": "/usr/lib/python3/site-packages/requests/api.py"}),
        ("python", {"abs_path": "/usr/lib/python3/dist-packages/yaml/x.py"}),
        ("node", {"abs_path": "/srv/app/node_modules/express/lib/router.js"}),
        ("php", {"abs_path": "/var/www/vendor/laravel/framework/x.php"}),
        ("go", {"abs_path": "/go/pkg/mod/github.com/robfig/cron/v3@v3.0.0/cron.go"}),
        ("javascript", {"abs_path": "https://unpkg.com/react@18/umd/react.js"}),
        ("javascript", {"abs_path": "https://cdn.jsdelivr.net/npm/vue/dist/vue.js"}),
        ("java", {"module": "sun.reflect.NativeMethodAccessorImpl"}),
        ("java", {"module": "org.springframework.web.servlet.FrameworkServlet"}),
        ("java", {"module": "kotlinx.coroutines.DispatchedTask"}),
    ],
)
def test_third_party_code_is_out_of_app(platform: str, frame: dict[str, Any]) -> None:
    (state,) = run(platform, {**frame, "function": "f", "in_app": True})
    assert not state.in_app
    assert state.contributes  # still part of the system hash
    assert state.in_app_rule


@pytest.mark.parametrize(
    ("frame"),
    [
        {"module": "@babel/runtime/helpers/asyncToGenerator", "function": "step"},
        {"module": "core-js/internals/task", "function": "listener"},
        {"module": "regenerator-runtime/runtime", "function": "invoke"},
        {"module": "tslib/tslib.es6", "function": "sent"},
        {"module": "app", "function": "processTicksAndRejections"},
    ],
)
def test_javascript_helpers_do_not_group(frame: dict[str, Any]) -> None:
    (state,) = run("javascript", frame)
    assert not state.in_app and not state.contributes


def test_own_code_is_untouched() -> None:
    (state,) = run(
        "python", {"module": "app.views", "abs_path": "/srv/app/views.py", "in_app": True}
    )
    assert state.in_app and state.contributes and state.in_app_rule is None


def test_cocoa_thread_base_and_ui_internals() -> None:
    states = run(
        "cocoa",
        {"function": "start", "package": "libdyld.dylib"},
        {"function": "stripped_application_code"},
        {"function": "UIApplicationMain", "package": "UIKitCore"},
        {"function": "-[UIApplication _run]", "package": "UIKitCore"},
        {"function": "GSEventRunModal", "package": "GraphicsServices"},
        {"function": "objc_release", "package": "libobjc.A.dylib"},
    )
    assert [s.contributes for s in states] == [False, False, False, False, False, True]
    assert [s.category for s in states] == [
        "threadbase",
        "",
        "threadbase",
        "internals",
        "internals",
        "system",
    ]


def test_native_abort_hides_the_frames_above_it() -> None:
    states = run(
        "native",
        {"function": "main", "package": "/opt/app/bin/app"},
        {"function": "crash_here", "package": "/opt/app/bin/app"},
        {"function": "abort", "package": "/usr/lib/libc.so.6"},
        {"function": "raise", "package": "/usr/lib/libc.so.6"},
    )
    assert [s.contributes for s in states] == [True, True, True, False]


def test_rule_texts_read_like_rules() -> None:
    texts = {rule.text for rule in BUILTIN_ENHANCEMENTS.rules}
    assert "path:**/site-packages/** -app" in texts
    assert "module:@babel/** -app -group" in texts
    assert "category:threadbase -group v-group" in texts
