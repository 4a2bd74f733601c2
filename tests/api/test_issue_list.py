"""The issue lists: shape, the search language, period, sort and cursor pagination."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Seeded

LIST = "/api/0/projects/heron/default/issues/"
ORG_LIST = "/api/0/organizations/heron/issues/"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _titles(seeded: Seeded, path: str = LIST, **params: Any) -> set[str]:
    response = seeded.heron.api(path, params=params)
    assert response.status_code == 200, response.text
    return {i["title"] for i in response.json()}


def _ids(seeded: Seeded, path: str = LIST, **params: Any) -> set[str]:
    response = seeded.heron.api(path, params=params)
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()}


def test_issue_shape(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    issues = {i["id"]: i for i in heron.api(LIST).json()}
    issue = issues[str(issue_id)]
    assert issue["title"] == "ValueError: invalid order total"
    assert re.match(r"^DEFAULT-[0-9A-Z]+$", issue["shortId"])
    assert issue["permalink"] == f"https://heron.example/issues/{issue_id}/"
    assert issue["count"] == "2"
    assert issue["userCount"] == 2
    assert issue["level"] == "error"
    assert issue["status"] == "unresolved"
    assert issue["substatus"] in ("new", "ongoing")
    assert issue["type"] == "error"
    assert issue["isUnhandled"] is False
    assert issue["culprit"]
    assert ISO_Z.match(issue["firstSeen"]) and ISO_Z.match(issue["lastSeen"])
    assert issue["firstSeen"] <= issue["lastSeen"]
    assert issue["metadata"]["type"] == "ValueError"
    assert issue["metadata"]["value"] == "invalid order total"
    assert issue["metadata"]["function"] == "charge"
    assert issue["metadata"]["title"] == issue["title"]
    assert issue["project"] == {
        "id": str(heron.project_id),
        "slug": "default",
        "name": "Default",
        "platform": "python",
    }
    assert issue["numComments"] == 0
    assert issue["assignedTo"] is None
    assert issue["isBookmarked"] is False
    assert issue["hasSeen"] is False
    assert issue["shareId"] is None
    assert issue["annotations"] == []


def test_message_issue_is_of_type_default(seeded: Seeded) -> None:
    (issue,) = seeded.heron.api(LIST, params={"query": "gateway"}).json()
    assert issue["type"] == "default"
    assert issue["level"] == "info"


def test_default_query_is_unresolved(seeded: Seeded) -> None:
    expected = seeded.ids("invalid order total", "'sku'", "gateway timeout", "legacy path")
    assert _ids(seeded) == expected
    assert _ids(seeded, query="is:unresolved") == expected
    response = seeded.heron.api(LIST)
    assert response.headers["x-hits"] == "4"


def test_an_empty_query_lists_every_status(seeded: Seeded) -> None:
    assert len(_ids(seeded, query="")) == 6


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("is:resolved", ["already fixed"]),
        ("is:ignored", ["noisy"]),
        ("is:archived", ["noisy"]),
        ("is:unhandled", ["'sku'"]),
        ("level:warning", ["'sku'"]),
        ("level:WARNING", ["'sku'"]),
        ("level:[warning, info]", ["'sku'", "gateway timeout"]),
        ("release:shop@2.0", ["'sku'", "gateway timeout"]),
        ("release:shop@2.*", ["'sku'", "gateway timeout"]),
        ("environment:staging", ["'sku'"]),
        ("is:unresolved !environment:staging", ["invalid order", "gateway", "legacy path"]),
        ("job_id:job-7", ["invalid order total"]),
        ('model:"claude 3"', ["'sku'"]),
        ("model:gpt-4o is:unresolved", ["invalid order total"]),
        ("user:id:u-3", ["'sku'"]),
        ("has:job_id", ["invalid order total"]),
        ("invalid order", ["invalid order total"]),
        ("INVALID", ["invalid order total"]),
        ('"order total"', ["invalid order total"]),
        ("is:unresolved !invalid", ["'sku'", "gateway timeout", "legacy path"]),
        ("timeout level:info", ["gateway timeout"]),
        ("job_id:job-8", []),
        ("nothing-matches-this", []),
        ("50%", []),
    ],
)
def test_search_filters(seeded: Seeded, query: str, titles: list[str]) -> None:
    assert _ids(seeded, query=query) == seeded.ids(*titles)


def test_free_text_matches_the_culprit(seeded: Seeded) -> None:
    heron = seeded.heron
    (issue,) = heron.api(LIST, params={"query": "invalid order"}).json()
    culprit = issue["culprit"]
    word = next(
        w for w in re.split(r"\W+", culprit) if w and w.lower() not in issue["title"].lower()
    )
    assert issue["id"] in _ids(seeded, query=word)


def test_stats_period(seeded: Seeded) -> None:
    assert seeded.ids("legacy path") <= _ids(seeded, statsPeriod="14d")
    assert not seeded.ids("legacy path") & _ids(seeded, statsPeriod="24h")
    assert len(_ids(seeded, statsPeriod="24h")) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"query": "is:bogus"},
        {"query": 'message:"no end'},
        {"query": "level:"},
        {"query": "level:[error"},
        {"statsPeriod": "forever"},
        {"statsPeriod": "0d"},
        {"sort": "random"},
        {"cursor": "garbage"},
        {"cursor": "0:-5:0"},
        {"cursor": "0:1:2"},
        {"per_page": "0"},
        {"per_page": "many"},
    ],
)
@pytest.mark.parametrize("path", [LIST, ORG_LIST])
def test_bad_requests_are_400(seeded: Seeded, path: str, params: dict[str, str]) -> None:
    response = seeded.heron.api(path, params=params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_sorts(seeded: Seeded) -> None:
    heron = seeded.heron

    def order(sort: str) -> list[str]:
        return [i["title"] for i in heron.api(LIST, params={"sort": sort}).json()]

    assert order("freq")[0] == "ValueError: invalid order total"
    assert order("user")[0] == "ValueError: invalid order total"
    assert order("date")[-1] == "TypeError: legacy path"
    assert order("new")[-1] == "TypeError: legacy path"
    dates = [i["lastSeen"] for i in heron.api(LIST, params={"sort": "date"}).json()]
    assert dates == sorted(dates, reverse=True)


def test_cursor_pagination_follows_link_headers(seeded: Seeded) -> None:
    heron = seeded.heron
    first = heron.api(LIST, params={"query": "", "per_page": 4})
    link = first.headers["link"]
    assert re.fullmatch(
        r'<[^>]+>; rel="previous"; results="false"; cursor="0:0:1", '
        r'<[^>]+>; rel="next"; results="true"; cursor="0:4:0"',
        link,
    )
    second = heron.api(first.links["next"]["url"])
    assert second.status_code == 200
    assert 'rel="previous"; results="true"' in second.headers["link"]
    assert 'rel="next"; results="false"' in second.headers["link"]
    seen = [i["id"] for i in first.json()] + [i["id"] for i in second.json()]
    assert len(seen) == len(set(seen)) == 6
    back = heron.api(second.links["previous"]["url"])
    assert [i["id"] for i in back.json()] == [i["id"] for i in first.json()]
    # The query and page size survive in the links.
    assert "per_page=4" in first.links["next"]["url"]
    assert "query=" in first.links["next"]["url"]


def test_limit_is_capped_at_100(seeded: Seeded) -> None:
    response = seeded.heron.api(LIST, params={"limit": 1000})
    assert response.status_code == 200
    assert 'cursor="0:100:0"' in response.headers["link"]


def test_organization_issue_list(seeded: Seeded) -> None:
    heron = seeded.heron
    assert _ids(seeded, ORG_LIST) == _ids(seeded)
    assert _ids(seeded, ORG_LIST, project=str(heron.project_id)) == _ids(seeded)
    assert _ids(seeded, ORG_LIST, project="-1") == _ids(seeded)
    assert _ids(seeded, ORG_LIST, project="999") == set()
    # Another organization's project id shows nothing of theirs.
    assert _ids(seeded, ORG_LIST, project=str(seeded.other_project), query="") == set()
    assert _ids(seeded, ORG_LIST, environment="staging") == seeded.ids("'sku'")
    assert heron.api(ORG_LIST, params={"project": "abc"}).status_code == 400


def test_the_other_organization_sees_only_its_issue(seeded: Seeded) -> None:
    heron = seeded.heron
    response = heron.api(
        "/api/0/organizations/rivals/issues/", token=seeded.other_token, params={"query": ""}
    )
    assert [i["title"] for i in response.json()] == ["ValueError: rival secret"]
    assert heron.api(ORG_LIST, token=seeded.other_token).status_code == 404


@pytest.mark.parametrize(
    "query",
    ["!", "!!", ":", "a:b:c", '""', 'key:"a\\"b"', "\x00", "is:unresolved " * 50, "[", "%_\\"],
)
def test_odd_queries_never_fail(seeded: Seeded, query: str) -> None:
    response = seeded.heron.api(LIST, params={"query": query})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/0/issues/99999999999999999999/", {}, 404),
        ("/api/0/issues/99999999999999999999/events/", {}, 404),
        (ORG_LIST, {"project": "99999999999999999999"}, 200),
        (LIST, {"cursor": "0:99999999999999999999:0"}, 200),
        (LIST, {"per_page": "9" * 30}, 200),
        (LIST, {"statsPeriod": "9" * 400 + "d"}, 400),
        (LIST, {"query": "release:\x00"}, 400),
        ("/api/0/projects/heron/def%00ault/", {}, 400),
    ],
)
def test_out_of_range_values(
    seeded: Seeded, path: str, params: dict[str, str], status: int
) -> None:
    assert seeded.heron.api(path, params=params).status_code == status
