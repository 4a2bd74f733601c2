"""The issue stream: triage filters, the environment menu, sparklines, bulk actions, and a
fixed number of queries per page however many issues it shows."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import event, select

from heron.store import tables
from tests.api.harness import Heron, TestClient, error_event
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.people import add_person, client_as


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a class="title" href="/issues/(\d+)/">', page)]


def _admin(heron: Heron) -> TestClient:
    client = new_client(heron)
    log_in(client)
    return client


def _bulk(client: TestClient, action: str, ids: list[int], **extra: str) -> httpx.Response:
    token = csrf_of(client.get("/issues/").text)
    data: dict[str, Any] = {"issue": [str(i) for i in ids], "action": action, "csrf_token": token}
    response: httpx.Response = client.post(
        "/issues/bulk", data={**data, **extra}, follow_redirects=False
    )
    return response


def _statuses(heron: Heron) -> dict[int, str]:
    i = tables.issues
    with heron.db.read() as conn:
        return {r.id: r.status for r in conn.execute(select(i.c.id, i.c.status))}


def test_environment_menu_becomes_a_filter_of_the_search(site: Heron, browser: TestClient) -> None:
    page = browser.get("/issues/").text
    menu = re.search(r'<select name="environment".*?</select>', page, re.S)
    assert menu is not None
    assert re.findall(r'<option value="([^"]*)"', menu.group(0)) == ["", "production", "staging"]

    chosen = browser.get(
        "/issues/",
        params={"query": "is:unresolved", "environment": "staging", "environment_was": ""},
        follow_redirects=False,
    )
    assert chosen.status_code == 302
    target = parse_qs(urlsplit(chosen.headers["location"]).query)
    assert target["query"] == ["is:unresolved environment:staging"]
    assert "environment" not in target
    page = browser.get(chosen.headers["location"]).text
    assert '<option value="staging" selected>' in page
    assert 'name="environment_was" value="staging"' in page
    assert [html.unescape(t) for t in re.findall(r'class="title" [^>]*>(.*?)</a>', page)] == [
        "KeyError: 'sku'"
    ]
    # The menu left as it was keeps what was typed; set back to "all", the filter goes.
    typed = browser.get(
        "/issues/",
        params={"query": "environment:production", "environment": "", "environment_was": ""},
    )
    assert typed.status_code == 200 and 'value="environment:production"' in typed.text
    cleared = browser.get(
        "/issues/",
        params={
            "query": "environment:staging level:warning",
            "environment": "",
            "environment_was": "staging",
        },
        follow_redirects=False,
    )
    assert parse_qs(urlsplit(cleared.headers["location"]).query)["query"] == ["level:warning"]


def test_rows_have_sparklines_and_counts(site: Heron, browser: TestClient) -> None:
    page = browser.get("/issues/").text
    sparks = re.findall(r'<svg class="spark[^"]*"[^>]*><title>([^<]*)</title>', page)
    assert len(sparks) == len(_ids(page)) == 3
    assert "2 events in the last 24 hours" in sparks
    assert "1 event in the last 24 hours" in sparks
    assert '<span class="count">3 issues</span>' in page


def test_triage_filters(heron: Heron) -> None:
    heron.send(
        error_event("ValueError", "mine", function="a"),
        error_event("KeyError", "teams", function="b"),
        error_event("TypeError", "adas", function="c"),
        error_event("OSError", "nobodys", function="d"),
    )
    ids = {t: heron.issue_id(t) for t in ("mine", "teams", "adas", "nobodys")}
    ada = add_person(heron, "ada@example.com")
    with heron.db.write() as conn:
        team = conn.execute(
            tables.teams.insert().values(
                organization_id=1, slug="backend", name="Backend", created_at=time.time()
            )
        ).inserted_primary_key[0]
        conn.execute(tables.team_members.insert().values(team_id=team, user_id=1))
    client = _admin(heron)
    token = csrf_of(client.get("/issues/").text)
    for title, assignee in (("mine", "user:1"), ("teams", f"team:{team}"), ("adas", f"user:{ada}")):
        client.post(
            f"/issues/{ids[title]}/assign", data={"assignee": assignee, "csrf_token": token}
        )
    client.post(f"/issues/{ids['adas']}/bookmark", data={"bookmarked": "1", "csrf_token": token})

    def found(q: str, who: TestClient = client) -> set[str]:
        page = who.get("/issues/", params={"query": q})
        assert page.status_code == 200, page.text
        return {t for t, i in ids.items() if i in _ids(page.text)}

    assert found("assigned:me") == {"mine"}
    assert found("assigned:my_teams") == {"teams"}
    assert found("assigned:[me, my_teams]") == {"mine", "teams"}
    assert found("assigned:#backend") == {"teams"}
    assert found("assigned:ADA@example.com") == {"adas"}
    assert found("assigned:none") == {"nobodys"}
    assert found("is:assigned") == {"mine", "teams", "adas"}
    assert found("is:unassigned") == {"nobodys"}
    assert found("!is:unassigned") == {"mine", "teams", "adas"}
    assert found("is:bookmarked") == {"adas"}
    assert found("bookmarks:me") == {"adas"}
    assert found("is:escalating") == set()
    assert found("assigned:me", client_as(heron, "ada@example.com")) == {"adas"}
    assert found("is:bookmarked", client_as(heron, "ada@example.com")) == set()
    tab = client.get("/issues/", params={"query": "is:unresolved assigned:me"}).text
    assert 'aria-current="page">For me</a>' in tab


def test_bulk_resolve_unresolve_ignore(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("KeyError", "two"))
    heron.send(error_event("OSError", "three"))
    one, two, three = (heron.issue_id(t) for t in ("one", "two", "three"))
    client = _admin(heron)
    back = "/issues/?query=is%3Aunresolved&sort=freq"
    response = _bulk(client, "resolve", [one, two], next=back)
    assert response.status_code == 303
    assert response.headers["location"] == back
    assert _statuses(heron) == {one: "resolved", two: "resolved", three: "unresolved"}
    a = tables.activity
    with heron.db.read() as conn:
        kinds = conn.execute(
            select(a.c.issue_id, a.c.user_id).where(a.c.kind == "set_resolved")
        ).all()
    assert sorted(kinds) == [(one, 1), (two, 1)]

    _bulk(client, "unresolve", [one])
    _bulk(client, "ignore", [two, three])
    assert _statuses(heron) == {one: "unresolved", two: "ignored", three: "ignored"}
    # Only paths of the issue pages are places to go back to.
    elsewhere = _bulk(client, "resolve", [one], next="https://evil.example/")
    assert elsewhere.headers["location"] == "/issues/"


def test_bulk_merge_and_refusals(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("ValueError", "one"))
    heron.send(error_event("KeyError", "two"))
    one, two = heron.issue_id("one"), heron.issue_id("two")
    client = _admin(heron)
    assert _bulk(client, "merge", [one]).status_code == 400
    assert _bulk(client, "explode", [one, two]).status_code == 400
    assert _bulk(client, "resolve", []).status_code == 400
    assert _bulk(client, "resolve", [one, 99999]).status_code == 404
    assert _statuses(heron) == {one: "unresolved", two: "unresolved"}
    response = _bulk(client, "merge", [one, two])
    assert response.status_code == 303
    assert response.headers["location"] == f"/issues/{one}/"
    assert set(_statuses(heron)) == {one}
    page = client.get(f"/issues/{one}/").text
    assert "merged DEFAULT-2 into it" in " ".join(html.unescape(page).split())


def test_bulk_delete_needs_an_admin(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("KeyError", "two"))
    one, two = heron.issue_id("one"), heron.issue_id("two")
    add_person(heron, "ada@example.com")
    ada = client_as(heron, "ada@example.com")
    assert 'value="delete"' not in ada.get("/issues/").text
    refused = _bulk(ada, "delete", [one, two])
    assert refused.status_code == 403
    assert set(_statuses(heron)) == {one, two}
    admin = _admin(heron)
    assert 'name="action" value="delete"' in admin.get("/issues/").text
    assert _bulk(admin, "delete", [one, two]).status_code == 303
    assert _statuses(heron) == {}


def test_bulk_on_another_organizations_issue_is_404(heron: Heron) -> None:
    project, _ = heron.other_org()
    heron.send(error_event("ValueError", "theirs"), project_id=project)
    heron.send(error_event("ValueError", "mine"))
    theirs, mine = heron.issue_id("theirs"), heron.issue_id("mine")
    client = _admin(heron)
    for action in ("resolve", "delete", "merge"):
        assert _bulk(client, action, [mine, theirs]).status_code == 404
    assert _statuses(heron) == {theirs: "unresolved", mine: "unresolved"}


class _Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SELECT 1")):
            self.seen.append(statement)


@pytest.fixture
def statements(heron: Heron) -> Iterator[_Statements]:
    counter = _Statements()
    event.listen(heron.db.read_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(heron.db.read_engine, "before_cursor_execute", counter)


def test_the_stream_runs_the_same_queries_for_3_or_12_issues(
    heron: Heron, statements: _Statements
) -> None:
    client = _admin(heron)
    counts = []
    for total in (3, 12):
        heron.send(
            *(
                error_event("ValueError", f"issue {total}-{n}", function=f"f{total}x{n}")
                for n in range(total - len(counts) * 3)
            )
        )
        ids = list(_ids(client.get("/issues/").text))
        token = csrf_of(client.get("/issues/").text)
        client.post(f"/issues/{ids[0]}/bookmark", data={"bookmarked": "1", "csrf_token": token})
        client.post(f"/issues/{ids[1]}/assign", data={"assignee": "user:1", "csrf_token": token})
        statements.seen.clear()
        page = client.get("/issues/").text
        assert len(_ids(page)) == total
        counts.append(len(statements.seen))
    assert counts[0] == counts[1], counts
    issue_reads = [s for s in statements.seen if "FROM issues" in s or "issue_counts" in s]
    assert len(issue_reads) <= 4, issue_reads  # the page, its count, sparklines, unhandled
