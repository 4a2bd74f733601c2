from typing import Any

import pytest

from heron.normalize import scrub_event

F = "[Filtered]"
CARD = "4111 1111 1111 1111"
PASSWORD_REM = {"rem": [["@password:filter", "s"]]}


def frame_event(vars_: Any, where: str = "exception") -> dict[str, Any]:
    stacktrace = {
        "frames": [
            {
                "filename": "password_reset.py",
                "abs_path": "/srv/app/password_reset.py",
                "module": "app.password_reset",
                "function": "check_password",
                "context_line": "    password = 'hunter2'  # 4111 1111 1111 1111",
                "pre_context": ["token = 'x'"],
                "vars": vars_,
                "in_app": True,
            }
        ]
    }
    if where == "exception":
        return {"exception": {"values": [{"type": "PasswordError", "stacktrace": stacktrace}]}}
    if where == "threads":
        return {"threads": {"values": [{"id": 1, "stacktrace": stacktrace}]}}
    return {"stacktrace": stacktrace}


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "passwd",
        "client_secret",
        "api_token",
        "X-Auth",
        "credentials",
        "api_key",
        "apikey",
        "api-key",
        "private_key",
        "privatekey",
        "private-key",
        "sessionid",
        "cookie_jar",
        "csrfmiddlewaretoken",
        "MYSQL_PWD",
    ],
)
def test_each_key_family_is_filtered_in_request_data(key: str) -> None:
    event = scrub_event({"request": {"data": {"nested": [{key: "s3cret", "keep": "visible"}]}}})
    assert event["request"]["data"] == {"nested": [{key: F, "keep": "visible"}]}
    meta = event["_meta"]["request"]["data"]["nested"]["0"][key][""]
    assert meta == {**PASSWORD_REM, "len": 6}


@pytest.mark.parametrize("where", ["extra", "contexts"])
def test_nested_extra_and_contexts(where: str) -> None:
    event = scrub_event({where: {"db": {"settings": {"PASSWORD": "pw", "HOST": "h"}}}})
    assert event[where] == {"db": {"settings": {"PASSWORD": F, "HOST": "h"}}}


def test_user_data_breadcrumb_data_and_env() -> None:
    event = scrub_event(
        {
            "user": {"id": "u1", "email": "a@b.c", "data": {"auth_token": "t"}},
            "breadcrumbs": {"values": [{"message": "m", "data": {"secret": "s", "url": "/x"}}]},
            "request": {"env": {"HTTP_AUTHORIZATION": "Basic x", "REMOTE_ADDR": "1.2.3.4"}},
        }
    )
    assert event["user"] == {"id": "u1", "email": "a@b.c", "data": {"auth_token": F}}
    assert event["breadcrumbs"]["values"][0]["data"] == {"secret": F, "url": "/x"}
    assert event["request"]["env"] == {"HTTP_AUTHORIZATION": F, "REMOTE_ADDR": "1.2.3.4"}


@pytest.mark.parametrize("where", ["exception", "threads", "stacktrace"])
def test_frame_vars_but_not_source_or_names(where: str) -> None:
    event = scrub_event(
        frame_event({"password": "'hunter2'", "api_token": "'abc'", "n": "1"}, where)
    )
    stacktrace = (
        event["exception"]["values"][0]["stacktrace"]
        if where == "exception"
        else event["threads"]["values"][0]["stacktrace"]
        if where == "threads"
        else event["stacktrace"]
    )
    (frame,) = stacktrace["frames"]
    assert frame["vars"] == {"password": F, "api_token": F, "n": "1"}
    assert frame["filename"] == "password_reset.py"
    assert frame["abs_path"] == "/srv/app/password_reset.py"
    assert frame["module"] == "app.password_reset"
    assert frame["function"] == "check_password"
    assert frame["context_line"] == "    password = 'hunter2'  # 4111 1111 1111 1111"
    assert frame["pre_context"] == ["token = 'x'"]
    if where == "exception":
        assert event["exception"]["values"][0]["type"] == "PasswordError"
        vars_meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]["0"]["vars"]
        assert vars_meta["api_token"][""] == {**PASSWORD_REM, "len": 5}


def test_headers() -> None:
    headers = [
        ["Authorization", "Bearer abcdefghijkl"],
        ["Proxy-Authorization", "Basic dXNlcjpwYXNz"],
        ["Cookie", "sessionid=abc; theme=dark"],
        ["Set-Cookie", "a=b"],
        ["X-Api-Key", "k"],
        ["X-Upstream", "Bearer abcdefghijkl"],
        ["Accept", "text/html"],
        ["User-Agent", "curl/8"],
    ]
    event = scrub_event({"request": {"headers": headers}})
    assert event["request"]["headers"] == [
        ["Authorization", F],
        ["Proxy-Authorization", F],
        ["Cookie", F],
        ["Set-Cookie", F],
        ["X-Api-Key", F],
        ["X-Upstream", F],
        ["Accept", "text/html"],
        ["User-Agent", "curl/8"],
    ]
    meta = event["_meta"]["request"]["headers"]
    assert meta["0"]["1"][""] == {**PASSWORD_REM, "len": 19}
    assert meta["5"]["1"][""] == {"rem": [["@bearer:filter", "s", 0, 10]], "len": 19}
    assert "6" not in meta


def test_every_cookie_value_is_filtered() -> None:
    event = scrub_event(
        {"request": {"cookies": [["theme", "dark"], ["sessionid", "abc"], ["e", ""]]}}
    )
    assert event["request"]["cookies"] == [["theme", F], ["sessionid", F], ["e", ""]]


def test_query_string_pairs() -> None:
    event = scrub_event({"request": {"query_string": [["token", "abc"], ["page", "2"]]}})
    assert event["request"]["query_string"] == [["token", F], ["page", "2"]]
    assert event["_meta"]["request"]["query_string"]["0"]["1"][""] == {**PASSWORD_REM, "len": 3}


def test_tags_logentry_params_keys_and_identity_are_kept() -> None:
    event = scrub_event(
        {
            "tags": [["session", "abc"], ["auth_method", "sso"]],
            "logentry": {"message": "token %s", "params": ["abc"], "formatted": "token abc"},
            "user": {"id": "token-user", "username": "secret_agent"},
        }
    )
    assert event["tags"] == [["session", "abc"], ["auth_method", "sso"]]
    assert event["logentry"]["params"] == ["abc"]
    assert event["user"] == {"id": "token-user", "username": "secret_agent"}
    assert "_meta" not in event


def test_credit_cards_everywhere_they_may_appear() -> None:
    event = scrub_event(
        {
            "exception": {"values": [{"type": "CardError", "value": f"declined {CARD}"}]},
            "logentry": {
                "message": "paid with %s",
                "params": [CARD],
                "formatted": f"paid with {CARD}",
            },
            "breadcrumbs": {"values": [{"message": f"charging {CARD}", "data": {"note": CARD}}]},
            "request": {"data": {"card": CARD}},
            "extra": {"cards": [CARD, "4111 1111 1111 1112"]},
        }
    )
    assert event["exception"]["values"][0]["value"] == f"declined {F}"
    assert event["logentry"]["formatted"] == f"paid with {F}"
    assert event["logentry"]["params"] == [F]
    assert event["breadcrumbs"]["values"][0]["message"] == f"charging {F}"
    assert event["breadcrumbs"]["values"][0]["data"] == {"note": F}
    assert event["request"]["data"] == {"card": F}
    assert event["extra"]["cards"] == [F, "4111 1111 1111 1112"]
    assert event["_meta"]["exception"]["values"]["0"]["value"][""] == {
        "rem": [["@creditcard:filter", "s", 9, 19]],
        "len": 28,
    }
    assert event["_meta"]["extra"]["cards"]["0"][""]["rem"] == [["@creditcard:filter", "s", 0, 10]]


def test_url_passwords() -> None:
    event = scrub_event(
        {
            "request": {"url": "https://admin:hunter2@shop.test/x"},
            "extra": {"dsn": "postgres://app:pw@db:5432/app"},
        }
    )
    assert event["request"]["url"] == f"https://admin:{F}@shop.test/x"
    assert event["extra"]["dsn"] == f"postgres://app:{F}@db:5432/app"
    assert event["_meta"]["request"]["url"][""]["rem"] == [["@urlauth:legacy", "s", 14, 24]]


def test_raw_bodies() -> None:
    json_body = scrub_event({"request": {"data": '{"user": "a", "password": "pw"}'}})
    assert json_body["request"]["data"] == '{"user":"a","password":"[Filtered]"}'
    form_body = scrub_event({"request": {"data": "user=a&pass%77ord=pw&x="}})
    assert form_body["request"]["data"] == f"user=a&pass%77ord={F}&x="
    plain = scrub_event({"request": {"data": f"card {CARD}"}})
    assert plain["request"]["data"] == f"card {F}"
    untouched = scrub_event({"request": {"data": "just text = fine"}})
    assert untouched["request"]["data"] == "just text = fine"
    assert "_meta" not in untouched


def test_value_types() -> None:
    event = scrub_event(
        {
            "extra": {
                "password": None,
                "auth_enabled": True,
                "pin_password": 1234,
                "gen_ai.usage.input_tokens": 12,
                "session": {"id": "abc", "user": "x"},
                "tokens": [],
                "password_hint": "",
            }
        }
    )
    assert event["extra"] == {
        "password": None,
        "auth_enabled": True,
        "pin_password": F,
        "gen_ai.usage.input_tokens": 12,
        "session": F,
        "tokens": [],
        "password_hint": "",
    }
    assert event["_meta"]["extra"]["pin_password"][""] == PASSWORD_REM


def test_already_filtered_values_are_not_recorded_again() -> None:
    client_meta = {"extra": {"password": {"": {"rem": [["!config", "s"]]}}}}
    event = scrub_event({"extra": {"password": F, "token": "t"}, "_meta": client_meta})
    assert event["extra"] == {"password": F, "token": F}
    assert event["_meta"]["extra"] == {
        "password": {"": {"rem": [["!config", "s"]]}},
        "token": {"": {**PASSWORD_REM, "len": 1}},
    }


def test_existing_meta_at_the_same_path_is_extended() -> None:
    meta = {"extra": {"token": {"": {"rem": [["!limit", "x"]], "len": 99}}}, "other": {"k": 1}}
    event = scrub_event({"extra": {"token": "t"}, "_meta": meta})
    assert event["_meta"]["extra"]["token"][""] == {
        "rem": [["!limit", "x"], ["@password:filter", "s"]],
        "len": 99,
    }
    assert event["_meta"]["other"] == {"k": 1}


def test_returns_the_same_dict_and_tolerates_odd_shapes() -> None:
    event: dict[str, Any] = {
        "request": {"headers": [["a"], "x", [1, 2], ["Authorization", None]], "cookies": "raw"},
        "exception": {"values": ["x", {"stacktrace": {"frames": ["x", {"vars": "x"}]}}]},
        "breadcrumbs": {"values": "x"},
        "logentry": "x",
        "user": {"data": "x"},
        "_meta": "not a dict",
        "extra": {"deep": [[[[{"secret": "s"}]]]]},
    }
    assert scrub_event(event) is event
    assert event["extra"]["deep"][0][0][0][0] == {"secret": F}
    assert isinstance(event["_meta"], dict)


def test_shared_containers_are_scrubbed_once() -> None:
    shared = {"token": "t"}
    event = scrub_event({"extra": {"a": shared, "b": shared}})
    assert event["extra"] == {"a": {"token": F}, "b": {"token": F}}
    (recorded,) = event["_meta"]["extra"].values()
    assert recorded == {"token": {"": {**PASSWORD_REM, "len": 1}}}


def test_very_deep_nesting_does_not_recurse() -> None:
    deep: Any = {"password": "p"}
    for _ in range(5000):
        deep = {"x": deep}
    scrub_event({"extra": deep})
    node = deep
    while "x" in node:
        node = node["x"]
    assert node == {"password": F}


@pytest.mark.parametrize(
    ("trace_id", "span_id"),
    [
        # Random ids whose digit runs the card pattern used to take for card numbers.
        ("1e214711508546318f18850c4fbc9211", "236c379c053a4669"),
        ("8bb3acd6cd79424fa3430921ca59af05", "6e4452224807494e"),
        ("432583732961472aa9f4c2874db4dc87", "f47bc40324804ec1"),
    ],
)
def test_trace_and_span_ids_are_never_scrubbed(trace_id: str, span_id: str) -> None:
    trace = {"trace_id": trace_id, "span_id": span_id, "parent_span_id": span_id, "op": "x"}
    event = scrub_event({"contexts": {"trace": dict(trace)}})
    assert event["contexts"]["trace"] == trace
    assert "_meta" not in event


def test_a_trace_field_that_is_not_an_id_is_still_scrubbed() -> None:
    event = scrub_event({"contexts": {"trace": {"trace_id": CARD, "note": CARD}}})
    assert event["contexts"]["trace"] == {"trace_id": F, "note": F}
