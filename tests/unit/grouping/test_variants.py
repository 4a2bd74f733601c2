"""Variant selection and hashing (newstyle:2023-01-11)."""

from __future__ import annotations

import copy
from typing import Any

from heron.grouping import GroupingConfig, get_grouping, md5_hex

from .factories import exception_event, frame, message_event, python_frame

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def stack() -> list[dict[str, Any]]:
    return [
        python_frame(
            "django.core.handlers", "inner", in_app=False, context_line="response = get()"
        ),
        python_frame("app.views", "index", context_line="return load(pk)"),
        python_frame("app.models", "load", context_line="raise ValueError(pk)"),
    ]


def test_app_and_system_from_a_python_exception() -> None:
    result = get_grouping(exception_event(stack(), value="no row 42"))
    app, system = result.variants["app"], result.variants["system"]
    assert app.values == [
        "app.views", "index", "return load(pk)",
        "app.models", "load", "raise ValueError(pk)",
        "ValueError",
    ]  # fmt: skip
    assert system.values[:3] == ["django.core.handlers", "inner", "response = get()"]
    assert app.hash == md5_hex(app.values)
    assert result.hashes == [app.hash, system.hash]
    assert result.fingerprint == ["{{ default }}"]
    value = app.component.find("value") if app.component else None
    assert value is not None and not value.contributes
    assert value.hint == "ignored because stacktrace takes precedence"


def test_lineno_and_exception_value_do_not_change_the_hash() -> None:
    first = exception_event(stack(), value="no row 42")
    second = copy.deepcopy(first)
    second["exception"]["values"][0]["value"] = "no row 43"
    for f in second["exception"]["values"][0]["stacktrace"]["frames"]:
        f["lineno"] = 999
    assert get_grouping(first).hashes == get_grouping(second).hashes


def test_system_is_dropped_when_it_hashes_like_app() -> None:
    frames = [python_frame("app.a", "f"), python_frame("app.b", "g")]
    result = get_grouping(exception_event(frames))
    system = result.variants["system"]
    assert not system.contributes and system.hash is None
    assert system.hint == "exception of app takes precedence"
    assert result.hashes == [result.variants["app"].hash]


def test_without_in_app_frames_system_carries_the_hash() -> None:
    frames = [python_frame("lib.a", "f", in_app=False), python_frame("lib.b", "g", in_app=False)]
    result = get_grouping(exception_event(frames))
    app = result.variants["app"]
    assert app.hash is None and app.hint == "exception of system takes precedence"
    assert result.hashes == [result.variants["system"].hash]


def test_exception_without_frames_has_only_an_app_variant() -> None:
    result = get_grouping(exception_event(None, type="KeyError", value="user 12345 missing"))
    assert list(result.variants) == ["app"]
    assert result.variants["app"].values == ["KeyError", "user <int> missing"]


def test_chained_exceptions_all_contribute() -> None:
    event = exception_event([python_frame("app.a", "f")], type="KeyError")
    event["exception"]["values"].append(
        {
            "type": "RuntimeError",
            "value": "wrapped",
            "stacktrace": {"frames": [python_frame("app.b", "g")]},
        }
    )
    app = get_grouping(event).variants["app"]
    assert app.component is not None
    assert app.component.values[0].id == "chained-exception"  # type: ignore[union-attr]
    assert app.values == ["app.a", "f", "KeyError", "app.b", "g", "RuntimeError"]


def _group(children: list[tuple[str, str]], bad: bool = False) -> dict[str, Any]:
    values: list[dict[str, Any]] = [
        {"type": t, "value": v, "mechanism": {"exception_id": 1 if bad else i + 1, "parent_id": 0}}
        for i, (t, v) in enumerate(children)
    ]
    values.append(
        {
            "type": "ExceptionGroup",
            "value": "many",
            "mechanism": {"exception_id": 0, "is_exception_group": True},
        }
    )
    return {"platform": "python", "exception": {"values": values}}


def test_exception_group_with_one_distinct_child_groups_by_that_child() -> None:
    result = get_grouping(_group([("Boom", "Test 2"), ("Boom", "Test 1")]))
    assert result.variants["app"].values == ["Boom", "Test <int>"]


def test_exception_group_with_distinct_children_keeps_the_group() -> None:
    result = get_grouping(_group([("A", "x"), ("B", "y")]))
    assert result.variants["app"].values == ["A", "x", "B", "y", "ExceptionGroup", "many"]


def test_invalid_exception_tree_is_a_plain_chain() -> None:
    result = get_grouping(_group([("Boom", "Test 2"), ("Boom", "Test 1")], bad=True))
    assert result.variants["app"].values == [
        "Boom",
        "Test <int>",
        "Boom",
        "Test <int>",
        "ExceptionGroup",
        "many",
    ]


def test_message_event_is_parameterised() -> None:
    result = get_grouping(message_event("took 120ms for user 42"))
    assert list(result.variants) == ["default"]
    assert result.variants["default"].values == ["took <duration> for user <int>"]


def test_message_template_is_used_when_params_exist() -> None:
    event = {
        "logentry": {"message": "user %s failed", "params": ["bob"], "formatted": "user bob failed"}
    }
    assert get_grouping(event).variants["default"].values == ["user %s failed"]


def test_empty_event_falls_back() -> None:
    result = get_grouping({"platform": "python"})
    assert list(result.variants) == ["default", "fallback"]
    assert result.hashes == [EMPTY_MD5]


def test_empty_stacktrace_falls_back_with_app_and_system() -> None:
    result = get_grouping({"platform": "csharp", "stacktrace": {"frames": []}})
    assert list(result.variants) == ["app", "system", "fallback"]
    assert result.hashes == [EMPTY_MD5]


def test_top_level_stacktrace() -> None:
    event = {"platform": "python", "stacktrace": {"frames": [python_frame("app.a", "f")]}}
    result = get_grouping(event)
    assert result.variants["app"].values == ["app.a", "f"]


def test_top_level_stacktrace_joins_a_frameless_exception() -> None:
    event = exception_event(None, stacktrace={"frames": [python_frame("app.a", "f")]})
    assert get_grouping(event).variants["app"].values == ["app.a", "f", "ValueError"]


def test_crashed_thread_is_used_when_there_is_no_exception() -> None:
    event = {
        "platform": "python",
        "threads": {
            "values": [
                {"id": 1, "stacktrace": {"frames": [python_frame("app.idle", "wait")]}},
                {
                    "id": 2,
                    "crashed": True,
                    "stacktrace": {"frames": [python_frame("app.work", "run")]},
                },
            ]
        },
    }
    result = get_grouping(event)
    assert result.variants["app"].values == ["app.work", "run"]
    assert result.variants["app"].component is not None
    assert result.variants["app"].component.values[0].id == "threads"  # type: ignore[union-attr]


def test_recursive_frames_count_once() -> None:
    loop = python_frame("app.a", "walk", lineno=3)
    once = get_grouping(exception_event([loop]))
    many = get_grouping(exception_event([loop, dict(loop), dict(loop)]))
    assert once.hashes == many.hashes


def test_project_max_frames_rule() -> None:
    frames = [python_frame(f"app.m{i}", "f") for i in range(5)]
    config = GroupingConfig(enhancements="family:other max-frames=2")
    app = get_grouping(exception_event(frames), config).variants["app"]
    assert app.values == ["app.m3", "f", "app.m4", "f", "ValueError"]


def test_project_rules_run_after_the_built_in_ones() -> None:
    vendored = frame(
        module="vendored.lib", function="f", abs_path="/srv/app/vendor/lib.py", in_app=True
    )
    assert get_grouping(exception_event([vendored])).variants["app"].hash is None
    config = GroupingConfig(enhancements="path:**/vendor/** +app")
    assert get_grouping(exception_event([vendored]), config).variants["app"].hash is not None


# -- fingerprints ----------------------------------------------------------------------


def test_client_custom_fingerprint() -> None:
    result = get_grouping(exception_event(stack(), fingerprint=["db", "timeout"]))
    custom = result.variants["custom_fingerprint"]
    assert custom.hash == md5_hex(["dbtimeout"]) and custom.values == ["db", "timeout"]
    assert result.hashes == [custom.hash]
    assert result.variants["app"].hint == "custom fingerprint takes precedence"
    assert result.variants["app"].hash is None
    assert list(result.variants) == ["custom_fingerprint", "app", "system"]


def test_hybrid_fingerprint_appends_extra_values() -> None:
    plain = get_grouping(exception_event(None, value="v")).variants["app"]
    result = get_grouping(
        exception_event(None, value="v", fingerprint=["{{ default }}", "tenant-1"])
    )
    app = result.variants["app"]
    assert app.values == [*plain.values, "tenant-1"]
    assert app.hash == md5_hex(app.values) != plain.hash
    assert app.info == {"client_fingerprint": ["{{ default }}", "tenant-1"]}


def test_builtin_chunk_load_rule() -> None:
    event = exception_event(
        None, platform="javascript", type="ChunkLoadError", value="Loading chunk 3 failed"
    )
    result = get_grouping(event)
    variant = result.variants["built-in-fingerprint"]
    assert variant.values == ["chunkloaderror"] and variant.hash == md5_hex(["chunkloaderror"])
    assert variant.info["matched_rule"]["is_builtin"] is True


def test_builtin_rule_leaves_a_pure_client_fingerprint_alone() -> None:
    event = exception_event(
        None, platform="javascript", type="ChunkLoadError", fingerprint=["mine"]
    )
    assert "custom_fingerprint" in get_grouping(event).variants


def test_project_rule_beats_client_and_builtin() -> None:
    event = exception_event(
        None, platform="javascript", type="ChunkLoadError", fingerprint=["mine"]
    )
    config = GroupingConfig(fingerprint_rules="type:ChunkLoadError -> chunks")
    result = get_grouping(event, config)
    assert result.variants["custom_fingerprint"].values == ["chunks"]
    assert result.variants["app"].hint == "custom server fingerprint takes precedence"


# -- legacy checksum -------------------------------------------------------------------


def test_md5_checksum_is_used_verbatim() -> None:
    checksum = "11212012123120120415201309082013"
    result = get_grouping(message_event("x", checksum=checksum))
    assert list(result.variants) == ["checksum"] and result.hashes == [checksum]


def test_other_checksums_are_hashed() -> None:
    result = get_grouping(message_event("x", checksum="not a legit checksum"))
    assert result.variants["checksum"].hash == "not a legit checksum"
    assert not result.variants["checksum"].contributes
    assert result.hashes == [md5_hex(["not a legit checksum"])]


# -- security reports and templates ----------------------------------------------------


def test_csp_local_violation() -> None:
    event = {
        "csp": {
            "effective_directive": "script-src",
            "blocked_uri": "",
            "violated_directive": "script-src 'unsafe-eval' 'self'",
        },
        "logentry": {"formatted": "Blocked unsafe eval()"},
    }
    default = get_grouping(event).variants["default"]
    assert default.values == ["script-src", "'unsafe-eval'"]


def test_csp_remote_violation_groups_by_host() -> None:
    event = {
        "csp": {
            "effective_directive": "img-src",
            "blocked_uri": "https://tracker.example.com:8443/p.gif",
        }
    }
    assert get_grouping(event).variants["default"].values == ["img-src", "tracker.example.com:8443"]


def test_csp_data_uri_groups_by_scheme() -> None:
    event = {"csp": {"effective_directive": "img-src", "blocked_uri": "data:image/png;base64,AAAA"}}
    assert get_grouping(event).variants["default"].values == ["img-src", "data:"]


def test_expect_ct_and_hpkp() -> None:
    assert get_grouping({"expectct": {"hostname": "example.com"}}).variants["default"].values == [
        "expect-ct",
        "example.com",
    ]
    assert get_grouping({"hpkp": {"hostname": "example.org"}}).variants["default"].values == [
        "hpkp",
        "example.org",
    ]


def test_template_event() -> None:
    event = {"template": {"filename": "templates/x.html", "context_line": "  {{ user.name }} "}}
    assert get_grouping(event).variants["default"].values == ["x.html", "{{ user.name }}"]
