"""Which parts of a frame identify it, per platform."""

from __future__ import annotations

from typing import Any

import pytest

from heron.grouping.component import Component
from heron.grouping.frames import (
    clean_native_function,
    frame_leaves,
    strip_codegen,
    trim_javascript_function,
)


def parts(frame: dict[str, Any], platform: str) -> list[tuple[str, str, bool, str | None]]:
    out = []
    for node in frame_leaves(frame, platform):
        assert isinstance(node, Component)
        value = node.values[0]
        assert isinstance(value, str)
        out.append((node.id, value, node.contributes, node.hint))
    return out


def contributing(frame: dict[str, Any], platform: str) -> list[str]:
    return [value for _, value, contributes, _ in parts(frame, platform) if contributes]


def test_python_module_wins_over_filename_and_lineno_never_counts() -> None:
    frame = {
        "module": "app.views",
        "filename": "app/views.py",
        "function": "index",
        "lineno": 12,
        "context_line": "    return   render(request)  ",
    }
    assert parts(frame, "python") == [
        ("module", "app.views", True, None),
        ("filename", "views.py", False, "module takes precedence"),
        ("function", "index", True, None),
        ("context-line", "return render(request)", True, None),
    ]


def test_python_without_module_uses_the_file_basename() -> None:
    assert contributing({"filename": "/srv/x/Run.py", "function": "main"}, "python") == [
        "Run.py",
        "main",
    ]


def test_long_context_lines_are_discarded() -> None:
    (line,) = [
        p
        for p in parts({"function": "f", "context_line": "x" * 200}, "python")
        if p[0] == "context-line"
    ]
    assert line[2] is False and line[3] == "discarded because line too long"


def test_javascript_sourcemapped_frame_prefers_the_context_line() -> None:
    frame = {
        "module": "app/components/form",
        "filename": "./app/components/Form.jsx",
        "abs_path": "webpack:///./app/components/Form.jsx",
        "function": "onError",
        "context_line": "    this.model.submitError(error);",
        "data": {"sourcemap": "https://cdn.example.com/app.js.map"},
    }
    assert parts(frame, "javascript") == [
        ("module", "app/components/form", True, None),
        ("filename", "form.jsx", False, "module takes precedence"),
        ("function", "onError", False, "ignored because sourcemap used and context line available"),
        ("context-line", "this.model.submitError(error);", True, None),
    ]


def test_javascript_url_frames_ignore_filename_and_derived_module() -> None:
    frame = {
        "abs_path": "https://example.com/foo/bar/baz",
        "module": "foo/bar/baz",
        "filename": "foo.py",
        "function": "a",
    }
    assert parts(frame, "javascript") == [
        ("module", "foo/bar/baz", False, "ignored bad javascript module"),
        ("filename", "foo.py", False, "ignored because frame points to a URL"),
        ("function", "a", True, None),
    ]
    blob = {"abs_path": "blob:http://example.com/7f7a", "filename": "blob:http://example.com/7f7a"}
    assert contributing(blob, "javascript") == []


def test_javascript_local_files_give_no_context_line() -> None:
    frame = {
        "abs_path": "foo.js",
        "filename": "foo.js",
        "function": "bar",
        "context_line": "foo bar",
    }
    assert contributing(frame, "node") == ["foo.js", "bar"]


def test_javascript_function_names() -> None:
    assert parts({"function": "_.sent", "module": "m"}, "javascript")[1] == (
        "function",
        "sent",
        True,
        "trimmed javascript function",
    )
    assert parts({"function": "e.<anonymous>", "module": "m"}, "javascript")[1] == (
        "function",
        "<anonymous>",
        False,
        "ignored unknown function name",
    )
    assert trim_javascript_function("Object.method [as alias]") == "method"
    assert trim_javascript_function("plain") == "plain"


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (
            "sun.reflect.GeneratedSerializationConstructorAccessor1",
            "sun.reflect.GeneratedSerializationConstructorAccessor<auto>",
        ),
        ("sun.reflect.GeneratedMethodAccessor42", "sun.reflect.GeneratedMethodAccessor<auto>"),
        (
            "com.example.EntriesResource_$$_javassist_74",
            "com.example.EntriesResource_$$_javassist<auto>",
        ),
        (
            "com.example.Svc$$EnhancerBySpringCGLIB$$1a2b3c",
            "com.example.Svc$$EnhancerBySpringCGLIB$$<auto>",
        ),
        ("com.example.Foo$$Lambda$123/0x0000000800c02b48", "com.example.Foo$$Lambda$<auto>"),
        ("com.example.User$HibernateProxy$AbC12", "com.example.User$HibernateProxy$<auto>"),
        ("com.sun.proxy.$Proxy12", "com.sun.proxy.$Proxy<auto>"),
        ("com.example.Plain", "com.example.Plain"),
    ],
)
def test_java_codegen_markers(module: str, expected: str) -> None:
    assert strip_codegen(module) == expected


def test_java_frames_hint_the_codegen_removal() -> None:
    frame = {"module": "com.x.Api_$$_javassist_1", "function": "fn", "filename": "Api.java"}
    assert parts(frame, "java")[0] == (
        "module",
        "com.x.Api_$$_javassist<auto>",
        True,
        "removed codegen marker",
    )
    assert contributing(frame, "java") == ["com.x.Api_$$_javassist<auto>", "fn"]


def test_native_frames_group_by_function_only() -> None:
    frame = {
        "function": "-[UIApplication _run]",
        "package": "UIKitCore",
        "filename": "x.m",
        "lineno": 3,
    }
    assert contributing(frame, "cocoa") == ["-[UIApplication _run]"]
    assert contributing({"symbol": "_start", "package": "libc"}, "native") == ["_start"]
    assert contributing({"package": "libc"}, "native") == []


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("foo::bar(int, char const*)", "foo::bar"),
        ("void foo::bar(int) const", "foo::bar"),
        (
            "std::vector<int, std::allocator<int>>::push_back(int const&)",
            "std::vector<T>::push_back",
        ),
        ("core::panicking::panic::h1234567890abcdef", "core::panicking::panic"),
        ("-[NSObject doesNotRecognizeSelector:]", "-[NSObject doesNotRecognizeSelector:]"),
        ("operator<<(std::ostream&, Foo const&)", "operator<<"),
        ("main", "main"),
    ],
)
def test_native_symbol_cleaning(symbol: str, expected: str) -> None:
    assert clean_native_function(symbol) == expected


def test_ruby_erb_template_suffix() -> None:
    frame = {
        "function": "_foo_html_erb__3327151541118998292_70361296749460",
        "filename": "foo.html.erb",
    }
    assert parts(frame, "ruby") == [
        ("filename", "foo.html.erb", True, None),
        ("function", "_foo_html_erb", True, "removed generated erb template suffix"),
    ]


def test_go_module_and_function() -> None:
    frame = {
        "module": "github.com/robfig/cron/v3",
        "function": "FuncJob.Run",
        "abs_path": "/go/pkg/mod/x/cron.go",
    }
    assert contributing(frame, "go") == ["github.com/robfig/cron/v3", "FuncJob.Run"]


def test_frame_platform_overrides_the_event() -> None:
    assert contributing({"platform": "cocoa", "function": "f", "module": "m"}, "javascript") == [
        "f"
    ]
