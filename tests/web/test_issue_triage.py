"""The issue page's triage forms: status (with resolve in next release and ignore
conditions), assignment, bookmarks, comments and delete; roles; the activity log."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from heron.store import tables
from tests.api.harness import Heron, TestClient, error_event, message_event
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.people import add_person, client_as


def _admin(heron: Heron) -> TestClient:
    client = new_client(heron)
    log_in(client)
    return client


def _post(client: TestClient, path: str, **data: Any) -> httpx.Response:
    token = csrf_of(client.get("/issues/").text)
    response: httpx.Response = client.post(
        path, data={**data, "csrf_token": token}, follow_redirects=False
    )
    return response


def _row(heron: Heron, issue_id: int) -> Any:
    with heron.db.read() as conn:
        return conn.execute(select(tables.issues).where(tables.issues.c.id == issue_id)).one()


def _kinds(heron: Heron, issue_id: int) -> list[str]:
    a = tables.activity
    with heron.db.read() as conn:
        rows = conn.execute(select(a.c.kind).where(a.c.issue_id == issue_id).order_by(a.c.id))
        return list(rows.scalars())


def _activity(page: str) -> str:
    match = re.search(r'<section class="activity" id="activity">(.*?)</section>', page, re.S)
    assert match, "no activity section"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_resolve_in_next_release(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom", release="shop@1.4"))
    issue_id = heron.issue_id("boom")
    client = _admin(heron)
    page = client.get(f"/issues/{issue_id}/").text
    assert 'value="resolved_next_release"' in page
    assert "<code>shop@1.4</code> and older releases" in page

    response = _post(client, f"/issues/{issue_id}/status", status="resolved_next_release")
    assert response.status_code == 303
    assert response.headers["location"] == f"/issues/{issue_id}/"
    row = _row(heron, issue_id)
    assert (row.status, row.resolved_in_release) == ("resolved", "shop@1.4")
    assert row.resolved_at is not None
    page = client.get(f"/issues/{issue_id}/").text
    assert 'class="status status-resolved">resolved' in page
    assert "in the release after <code>shop@1.4</code>" in page
    assert "resolved it in the release after shop@1.4" in _activity(page)
    # Resolving plainly afterwards forgets the release.
    _post(client, f"/issues/{issue_id}/status", status="unresolved")
    _post(client, f"/issues/{issue_id}/status", status="resolved")
    assert _row(heron, issue_id).resolved_in_release is None
    assert _kinds(heron, issue_id)[-3:] == [
        "set_resolved_in_release",
        "set_unresolved",
        "set_resolved",
    ]


def test_resolve_in_next_release_needs_a_release(heron: Heron) -> None:
    heron.send(message_event("no release here"))
    issue_id = heron.issue_id("no release here")
    client = _admin(heron)
    assert 'value="resolved_next_release"' not in client.get(f"/issues/{issue_id}/").text
    response = _post(client, f"/issues/{issue_id}/status", status="resolved_next_release")
    assert response.status_code == 400
    assert _row(heron, issue_id).status == "unresolved"


def test_ignore_forever_for_a_while_or_until_more_events_or_users(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"), error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    client = _admin(heron)
    page = client.get(f"/issues/{issue_id}/").text
    for minutes in (30, 60, 1440, 10080):
        assert f'name="ignore_minutes" value="{minutes}"' in page
    assert ">30 minutes<" in page and ">24 hours<" in page and ">7 days<" in page

    before = time.time()
    assert _post(client, f"/issues/{issue_id}/status", status="ignored", ignore_minutes="30")
    row = _row(heron, issue_id)
    assert row.status == "ignored"
    assert before + 1800 - 5 <= row.ignore_until <= time.time() + 1800
    assert "ignored it for 30 minutes" in _activity(client.get(f"/issues/{issue_id}/").text)

    _post(client, f"/issues/{issue_id}/status", status="ignored", ignore_count="10")
    row = _row(heron, issue_id)
    assert (row.ignore_until, row.ignore_until_count, row.ignore_until_users) == (None, 12, None)
    page = client.get(f"/issues/{issue_id}/").text
    assert "until 12 events (10 more)" in page
    assert "ignored it until 10 more events" in _activity(page)

    _post(client, f"/issues/{issue_id}/status", status="ignored", ignore_users="5")
    assert _row(heron, issue_id).ignore_until_users == 1 + 5
    assert "until 6 users (5 more)" in client.get(f"/issues/{issue_id}/").text

    _post(client, f"/issues/{issue_id}/status", status="ignored")
    row = _row(heron, issue_id)
    assert (row.ignore_until, row.ignore_until_count, row.ignore_until_users) == (None, None, None)
    # Ignoring forever again changes nothing and logs nothing.
    count = len(_kinds(heron, issue_id))
    _post(client, f"/issues/{issue_id}/status", status="ignored")
    assert len(_kinds(heron, issue_id)) == count
    _post(client, f"/issues/{issue_id}/status", status="unresolved")
    row = _row(heron, issue_id)
    assert (row.status, row.substatus, row.ignore_until_users) == ("unresolved", "ongoing", None)


@pytest.mark.parametrize(
    "data",
    [
        {"status": "ignored", "ignore_minutes": "soon"},
        {"status": "ignored", "ignore_count": "0"},
        {"status": "ignored", "ignore_users": "-3"},
        {"status": "ignored", "ignore_minutes": str(10**9)},
        {"status": "resolved", "ignore_count": "5"},
        {"status": "deleted"},
    ],
)
def test_bad_status_forms_are_400(heron: Heron, data: dict[str, str]) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    before = _kinds(heron, issue_id)
    response = _post(_admin(heron), f"/issues/{issue_id}/status", **data)
    assert response.status_code == 400
    assert _row(heron, issue_id).status == "unresolved"
    assert _kinds(heron, issue_id) == before


def _team(heron: Heron, slug: str, org_id: int = 1) -> int:
    with heron.db.write() as conn:
        result = conn.execute(
            tables.teams.insert().values(
                organization_id=org_id, slug=slug, name=slug.title(), created_at=time.time()
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def test_assign_to_a_member_a_team_and_nobody(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    ada = add_person(heron, "ada@example.com")
    team = _team(heron, "backend")
    client = _admin(heron)
    page = client.get(f"/issues/{issue_id}/").text
    assert f'<option value="user:{ada}">Ada</option>' in page
    assert f'<option value="team:{team}">#backend</option>' in page

    assert _post(client, f"/issues/{issue_id}/assign", assignee=f"user:{ada}").status_code == 303
    assert _row(heron, issue_id).assignee_user_id == ada
    page = client.get(f"/issues/{issue_id}/").text
    assert "assigned to <strong>Ada</strong>" in page
    assert f'<option value="user:{ada}" selected>' in page
    assert "assigned it to Ada" in _activity(page)
    listing = client.get("/issues/").text
    assert 'title="Assigned to Ada">Ada</span>' in listing

    _post(client, f"/issues/{issue_id}/assign", assignee=f"team:{team}")
    row = _row(heron, issue_id)
    assert (row.assignee_user_id, row.assignee_team_id) == (None, team)
    assert "assigned to <strong>#backend</strong>" in client.get(f"/issues/{issue_id}/").text

    _post(client, f"/issues/{issue_id}/assign", assignee="")
    row = _row(heron, issue_id)
    assert (row.assignee_user_id, row.assignee_team_id) == (None, None)
    assert "unassigned it" in _activity(client.get(f"/issues/{issue_id}/").text)
    assert _kinds(heron, issue_id)[-3:] == ["assigned", "assigned", "unassigned"]


def test_assign_only_within_the_organization(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    heron.other_org()
    with heron.db.read() as conn:
        rival_org = conn.execute(
            select(tables.organizations.c.id).where(tables.organizations.c.slug == "rivals")
        ).scalar_one()
        eve = conn.execute(
            select(tables.users.c.id).where(tables.users.c.email == "eve@rivals.example")
        ).scalar_one()
    rival_team = _team(heron, "rival-team", rival_org)
    client = _admin(heron)
    page = client.get(f"/issues/{issue_id}/").text
    assert "eve@rivals.example" not in page and "rival-team" not in page
    for assignee in (f"user:{eve}", f"team:{rival_team}", "user:99999", "team:x", "someone"):
        response = _post(client, f"/issues/{issue_id}/assign", assignee=assignee)
        assert response.status_code == 400, assignee
    row = _row(heron, issue_id)
    assert (row.assignee_user_id, row.assignee_team_id) == (None, None)


def test_bookmark(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"), error_event("KeyError", "other"))
    issue_id = heron.issue_id("boom")
    client = _admin(heron)
    assert "☆ Bookmark" in client.get(f"/issues/{issue_id}/").text
    assert _post(client, f"/issues/{issue_id}/bookmark", bookmarked="1").status_code == 303
    _post(client, f"/issues/{issue_id}/bookmark", bookmarked="1")  # twice is harmless
    page = client.get(f"/issues/{issue_id}/").text
    assert "★ Bookmarked" in page and 'name="bookmarked" value="0"' in page
    marked = client.get("/issues/", params={"query": "is:bookmarked"}).text
    assert re.findall(r'class="title" href="/issues/(\d+)/"', marked) == [str(issue_id)]
    assert 'class="mark bookmark"' in marked
    # Bookmarks are personal.
    add_person(heron, "ada@example.com")
    ada = client_as(heron, "ada@example.com")
    assert "★ Bookmarked" not in ada.get(f"/issues/{issue_id}/").text
    assert 'class="title"' not in ada.get("/issues/", params={"query": "bookmarks:me"}).text

    _post(client, f"/issues/{issue_id}/bookmark", bookmarked="0")
    assert "☆ Bookmark" in client.get(f"/issues/{issue_id}/").text


def test_comments_and_who_may_delete_them(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    add_person(heron, "ada@example.com")  # a member
    admin, ada = _admin(heron), client_as(heron, "ada@example.com")

    response = _post(admin, f"/issues/{issue_id}/comments", text="  <b>look</b> at this  ")
    assert response.status_code == 303
    assert response.headers["location"] == f"/issues/{issue_id}/#activity"
    _post(ada, f"/issues/{issue_id}/comments", text="on it\nsecond line")
    page = ada.get(f"/issues/{issue_id}/").text
    assert '<div class="note-text">&lt;b&gt;look&lt;/b&gt; at this</div>' in page
    assert '<div class="note-text">on it\nsecond line</div>' in page
    a = tables.activity
    with heron.db.read() as conn:
        notes = dict(
            conn.execute(
                select(a.c.data, a.c.id).where(a.c.issue_id == issue_id, a.c.kind == "note")
            ).all()
        )
    admin_note = next(i for d, i in notes.items() if "look" in d)
    ada_note = next(i for d, i in notes.items() if "on it" in d)
    # Ada sees a delete button on her own comment only.
    assert f"/comments/{ada_note}/delete" in page and f"/comments/{admin_note}/delete" not in page

    assert _post(ada, f"/issues/{issue_id}/comments", text="   ").status_code == 400
    assert _post(ada, f"/issues/{issue_id}/comments", text="x" * 10_001).status_code == 400
    refused = _post(ada, f"/issues/{issue_id}/comments/{admin_note}/delete")
    assert refused.status_code == 403
    assert "Only its author or an admin" in refused.text
    assert _post(ada, f"/issues/{issue_id}/comments/{ada_note}/delete").status_code == 303
    assert _post(ada, f"/issues/{issue_id}/comments/{ada_note}/delete").status_code == 404
    # An admin may delete anyone's comment.
    _post(ada, f"/issues/{issue_id}/comments", text="again")
    with heron.db.read() as conn:
        again = conn.execute(select(func.max(a.c.id)).where(a.c.kind == "note")).scalar_one()
    assert _post(admin, f"/issues/{issue_id}/comments/{again}/delete").status_code == 303
    assert _post(admin, f"/issues/{issue_id}/comments/{admin_note}/delete").status_code == 303
    assert "note" not in _kinds(heron, issue_id)


def test_a_member_triages_but_may_not_delete(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    ada_id = add_person(heron, "ada@example.com")
    ada = client_as(heron, "ada@example.com")
    page = ada.get(f"/issues/{issue_id}/").text
    assert f'action="/issues/{issue_id}/delete"' not in page
    assert _post(ada, f"/issues/{issue_id}/status", status="resolved").status_code == 303
    assert _post(ada, f"/issues/{issue_id}/assign", assignee=f"user:{ada_id}").status_code == 303
    assert _post(ada, f"/issues/{issue_id}/bookmark", bookmarked="1").status_code == 303
    with heron.db.read() as conn:
        who = conn.execute(
            select(tables.activity.c.user_id).where(
                tables.activity.c.issue_id == issue_id, tables.activity.c.kind != "first_seen"
            )
        ).scalars()
        assert set(who) == {ada_id}
    refused = _post(ada, f"/issues/{issue_id}/delete")
    assert refused.status_code == 403
    assert "Only admins and owners may delete issues." in refused.text
    assert _row(heron, issue_id).status == "resolved"


def test_an_admin_deletes_an_issue_with_its_events(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"), error_event("ValueError", "boom"))
    heron.send(error_event("KeyError", "stays"))
    issue_id = heron.issue_id("boom")
    client = _admin(heron)
    page = client.get(f"/issues/{issue_id}/").text
    assert f'action="/issues/{issue_id}/delete"' in page
    _post(client, f"/issues/{issue_id}/comments", text="bye")
    _post(client, f"/issues/{issue_id}/bookmark", bookmarked="1")
    response = _post(client, f"/issues/{issue_id}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == "/issues/"
    assert client.get(f"/issues/{issue_id}/").status_code == 404
    with heron.db.read() as conn:
        for table in (
            tables.events,
            tables.issue_hashes,
            tables.issue_tags,
            tables.issue_counts,
            tables.activity,
            tables.bookmarks,
        ):
            left = conn.execute(
                select(func.count()).select_from(table).where(table.c.issue_id == issue_id)
            ).scalar_one()
            assert left == 0, table.name
    assert heron.issue_id("stays")
    # The same error again starts a new issue.
    heron.send(error_event("ValueError", "boom"))
    assert heron.issue_id("boom") != issue_id


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("status", {"status": "resolved"}),
        ("assign", {"assignee": ""}),
        ("bookmark", {"bookmarked": "1"}),
        ("comments", {"text": "hello"}),
        ("delete", {}),
    ],
)
def test_forms_need_the_csrf_token(heron: Heron, path: str, data: dict[str, str]) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    client = _admin(heron)
    before = _kinds(heron, issue_id)
    response = client.post(f"/issues/{issue_id}/{path}", data={**data, "csrf_token": "forged"})
    assert response.status_code == 403
    assert _kinds(heron, issue_id) == before
    assert client.get(f"/issues/{issue_id}/").status_code == 200
    with heron.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.bookmarks)).scalar_one() == 0
