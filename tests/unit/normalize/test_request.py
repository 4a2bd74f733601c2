from typing import Any

import pytest

from heron.normalize.request import (
    normalize_request,
    parse_cookie_header,
    parse_query_string,
    url_without_query,
)


def request(raw: dict[str, Any]) -> dict[str, Any]:
    result = normalize_request(raw)
    assert result is not None
    return result


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/html", "X-Num": 5},
        [["Content-Type", "text/html"], ["X-Num", 5]],
        [("Content-Type", "text/html"), ("X-Num", "5"), ["bad"], ["", "empty key"], "junk"],
        "Content-Type: text/html\r\nX-Num: 5\r\nno colon here",
    ],
    ids=["dict", "pairs", "tuples-and-junk", "raw-string"],
)
def test_headers_become_pairs(headers: Any) -> None:
    assert request({"headers": headers})["headers"] == [
        ["Content-Type", "text/html"],
        ["X-Num", "5"],
    ]


def test_header_with_several_values() -> None:
    assert request({"headers": {"Accept": ["a", "b"]}})["headers"] == [
        ["Accept", "a"],
        ["Accept", "b"],
    ]


@pytest.mark.parametrize(
    "cookies",
    ["a=1; b=2", {"a": "1", "b": 2}, [["a", "1"], ["b", "2"]]],
    ids=["string", "dict", "pairs"],
)
def test_cookies_become_pairs(cookies: Any) -> None:
    assert request({"cookies": cookies})["cookies"] == [["a", "1"], ["b", "2"]]


def test_cookie_header_fills_missing_cookies() -> None:
    result = request({"headers": {"Cookie": "sessionid=x; theme=dark"}})
    assert result["cookies"] == [["sessionid", "x"], ["theme", "dark"]]


@pytest.mark.parametrize(
    "query",
    ["a=1&b=x%20y", "?a=1&b=x+y", {"a": "1", "b": "x y"}, [["a", 1], ["b", "x y"]]],
    ids=["string", "leading-question-mark", "dict", "pairs"],
)
def test_query_string_becomes_pairs(query: Any) -> None:
    assert request({"query_string": query})["query_string"] == [["a", "1"], ["b", "x y"]]


def test_url_query_and_fragment_are_split_off() -> None:
    result = request({"url": "https://x.test/path?a=1#top"})
    assert result["url"] == "https://x.test/path"
    assert result["query_string"] == [["a", "1"]]
    assert result["fragment"] == "top"


def test_url_is_kept_when_the_client_already_split_it() -> None:
    result = request({"url": "https://x.test/path?a=1", "query_string": "b=2"})
    assert result["url"] == "https://x.test/path?a=1"
    assert result["query_string"] == [["b", "2"]]


def test_method_upper_and_other_fields_kept() -> None:
    result = request(
        {"method": "post", "data": {"k": [1]}, "env": {"REMOTE_ADDR": "1.2.3.4"}, "api_target": "x"}
    )
    assert result == {
        "method": "POST",
        "data": {"k": [1]},
        "env": {"REMOTE_ADDR": "1.2.3.4"},
        "api_target": "x",
    }


def test_junk_fields_are_dropped() -> None:
    result = request({"method": 5, "url": None, "env": "x", "headers": 7})
    assert result == {"method": "5", "headers": []}


@pytest.mark.parametrize("value", [None, "GET /", [1]])
def test_unusable_request(value: Any) -> None:
    assert normalize_request(value) is None


def test_helpers() -> None:
    assert parse_cookie_header("a=1;;flag; b = 2 ") == [["a", "1"], ["flag", ""], ["b", "2"]]
    assert parse_query_string("=x&a") == [["a", ""]]
    assert url_without_query("https://x.test/p?q=1#f") == "https://x.test/p"


def test_empty_client_parts_do_not_block_the_split() -> None:
    result = request({"url": "/p?a=1", "query_string": "", "cookies": None})
    assert result == {"url": "/p", "query_string": [["a", "1"]]}
