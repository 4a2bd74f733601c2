"""Triage through the REST API: status details, assignment, bookmarks, delete, comments and
the activity log, for one issue and in bulk; roles and organizations."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from heron.store import accounts as acc
from heron.store import tables
from tests.api.harness import Heron, error_event, message_event


def _put(heron: Heron, path: str, body: Any, token: str | None = None, **params: Any) -> Any:
    return heron.client.put(path, json=body, headers=heron.auth(token), params=params)


def _person(heron: Heron, email: str, role: str = "member") -> tuple[int, str]:
    """A user with ``role`` in the first-run organization, and an API token of theirs."""
    with heron.db.write() as conn:
        user = acc.create_user(conn, email, "a long enough password", name=email.split("@")[0])
        acc.add_member(conn, 1, user, role=role)
        return user, acc.create_token(conn, user)


def _team(heron: Heron, slug: str) -> int:
    with heron.db.write() as conn:
        result = conn.execute(
            tables.teams.insert().values(
                organization_id=1, slug=slug, name=slug, created_at=time.time()
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def _row(heron: Heron, issue_id: int) -> Any:
    with heron.db.read() as conn:
        return conn.execute(select(tables.issues).where(tables.issues.c.id == issue_id)).one()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "resolvedInNextRelease"},
        {"status": "resolved", "statusDetails": {"inNextRelease": True}},
        {"statusDetails": {"inNextRelease": True}},
    ],
)
def test_resolve_in_next_release(heron: Heron, body: dict[str, Any]) -> None:
    heron.send(error_event("ValueError", "boom", release="shop@3.1"))
    issue_id = heron.issue_id("boom")
    response = _put(heron, f"/api/0/issues/{issue_id}/", body)
    assert response.status_code == 200, response.text
    issue = response.json()
    assert issue["status"] == "resolved"
    assert issue["statusDetails"] == {"inNextRelease": True, "afterRelease": "shop@3.1"}
    assert _row(heron, issue_id).resolved_in_release == "shop@3.1"


def test_resolve_in_next_release_needs_a_release(heron: Heron) -> None:
    heron.send(message_event("no release"))
    issue_id = heron.issue_id("no release")
    response = _put(heron, f"/api/0/issues/{issue_id}/", {"status": "resolvedInNextRelease"})
    assert response.status_code == 400
    assert "no release" in response.json()["detail"]


def test_ignore_with_conditions(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"), error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    details = {"ignoreDuration": 60, "ignoreCount": 100, "ignoreUserCount": 3}
    before = time.time()
    response = _put(
        heron, f"/api/0/issues/{issue_id}/", {"status": "ignored", "statusDetails": details}
    )
    assert response.status_code == 200, response.text
    issue = response.json()
    assert issue["substatus"] == "archived_until_condition_met"
    assert issue["statusDetails"]["ignoreCount"] == 100
    assert issue["statusDetails"]["ignoreUserCount"] == 3
    assert issue["statusDetails"]["ignoreUntil"].endswith("Z")
    row = _row(heron, issue_id)
    assert (row.ignore_until_count, row.ignore_until_users) == (102, 4)
    assert before + 3600 - 5 < row.ignore_until < time.time() + 3600
    forever = _put(heron, f"/api/0/issues/{issue_id}/", {"status": "ignored"}).json()
    assert (forever["substatus"], forever["statusDetails"]) == ("archived_forever", {})


def test_assign_and_bookmark(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    ada, _ = _person(heron, "ada@example.com")
    team = _team(heron, "backend")
    path = f"/api/0/issues/{issue_id}/"

    issue = _put(heron, path, {"assignedTo": f"user:{ada}"}).json()
    assert issue["assignedTo"] == {
        "type": "user",
        "id": str(ada),
        "name": "ada",
        "email": "ada@example.com",
    }
    issue = _put(heron, path, {"assignedTo": f"team:{team}"}).json()
    assert issue["assignedTo"] == {"type": "team", "id": str(team), "name": "backend"}
    issue = _put(heron, path, {"assignedTo": "ADA@example.com"}).json()
    assert issue["assignedTo"]["id"] == str(ada)
    assert _put(heron, path, {"assignedTo": None}).json()["assignedTo"] is None
    for wrong in ("user:9999", "team:9999", "nobody@example.com", "sideways"):
        assert _put(heron, path, {"assignedTo": wrong}).status_code == 400, wrong

    assert _put(heron, path, {"isBookmarked": True}).json()["isBookmarked"] is True
    assert heron.api(path).json()["isBookmarked"] is True
    listed = heron.api("/api/0/projects/heron/default/issues/", params={"query": "is:bookmarked"})
    assert [i["id"] for i in listed.json()] == [str(issue_id)]
    assert _put(heron, path, {"isBookmarked": False}).json()["isBookmarked"] is False
    # Fields Heron has no use for are accepted.
    assert _put(heron, path, {"hasSeen": True}).status_code == 200


def test_bulk_update_of_a_project_and_an_organization(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("KeyError", "two"))
    one, two = heron.issue_id("one"), heron.issue_id("two")
    ids = [one, two]
    response = _put(
        heron,
        "/api/0/projects/heron/default/issues/",
        {"status": "ignored", "statusDetails": {"ignoreCount": 5}, "assignedTo": "user:1"},
        id=ids,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ignored",
        "statusDetails": {"ignoreCount": 5},
        "assignedTo": {
            "type": "user",
            "id": "1",
            "name": "admin@example.com",
            "email": "admin@example.com",
        },
    }
    assert {_row(heron, i).status for i in ids} == {"ignored"}
    response = _put(
        heron,
        "/api/0/organizations/heron/issues/",
        {"status": "resolved", "isBookmarked": True},
        id=ids,
    )
    assert response.json() == {"status": "resolved", "statusDetails": {}, "isBookmarked": True}
    assert {_row(heron, i).status for i in ids} == {"resolved"}
    body = heron.api("/api/0/organizations/heron/issues/", params={"query": "bookmarks:me"})
    assert sorted(int(i["id"]) for i in body.json()) == ids
    assert (
        _put(heron, "/api/0/organizations/heron/issues/", {"status": "x"}, id=ids).status_code
        == 400
    )
    assert (
        _put(heron, "/api/0/organizations/heron/issues/", {"status": "resolved"}).status_code == 400
    )


def test_bulk_refuses_another_organizations_issues(heron: Heron) -> None:
    project, rival_token = heron.other_org()
    heron.send(error_event("ValueError", "theirs"), project_id=project)
    heron.send(error_event("ValueError", "mine"))
    theirs, mine = heron.issue_id("theirs"), heron.issue_id("mine")
    for path in ("/api/0/projects/heron/default/issues/", "/api/0/organizations/heron/issues/"):
        response = _put(heron, path, {"status": "resolved"}, id=[mine, theirs])
        assert response.status_code == 404
        deleted = heron.client.delete(path, params={"id": [mine, theirs]}, headers=heron.auth())
        assert deleted.status_code == 404
    response = _put(
        heron, "/api/0/organizations/rivals/issues/", {"status": "resolved"}, id=[theirs]
    )
    assert response.status_code == 404
    assert _row(heron, theirs).status == _row(heron, mine).status == "unresolved"
    response = _put(
        heron,
        "/api/0/organizations/rivals/issues/",
        {"status": "resolved"},
        rival_token,
        id=[theirs],
    )
    assert response.status_code == 200


def test_delete_needs_an_admin(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("KeyError", "two"))
    heron.send(error_event("OSError", "three"))
    one, two, three = (heron.issue_id(t) for t in ("one", "two", "three"))
    _, member = _person(heron, "ada@example.com")
    _, admin = _person(heron, "bob@example.com", role="admin")

    refused = heron.client.delete(f"/api/0/issues/{one}/", headers=heron.auth(member))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only admins and owners may delete issues."}
    bulk = heron.client.delete(
        "/api/0/projects/heron/default/issues/",
        params={"id": [two, three]},
        headers=heron.auth(member),
    )
    assert bulk.status_code == 403
    # A member still triages.
    assert _put(heron, f"/api/0/issues/{one}/", {"status": "resolved"}, member).status_code == 200

    deleted = heron.client.delete(f"/api/0/issues/{one}/", headers=heron.auth(admin))
    assert deleted.status_code == 202
    assert heron.api(f"/api/0/issues/{one}/").status_code == 404
    bulk = heron.client.delete(
        "/api/0/organizations/heron/issues/", params={"id": [two, three]}, headers=heron.auth(admin)
    )
    assert bulk.status_code == 204
    assert heron.api("/api/0/projects/heron/default/issues/", params={"query": ""}).json() == []


def test_comments(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    ada, member = _person(heron, "ada@example.com")
    path = f"/api/0/issues/{issue_id}/comments/"

    created = heron.client.post(path, json={"text": "seen in prod"}, headers=heron.auth(member))
    assert created.status_code == 201
    note = created.json()
    assert note["type"] == "note"
    assert note["data"] == {"text": "seen in prod"}
    assert note["user"]["id"] == str(ada)
    mine = heron.client.post(path, json={"text": "admin here"}, headers=heron.auth()).json()
    listed = heron.api(path).json()
    assert [c["data"]["text"] for c in listed] == ["admin here", "seen in prod"]
    assert heron.api(f"/api/0/issues/{issue_id}/").json()["numComments"] == 2
    listing = heron.api("/api/0/projects/heron/default/issues/").json()
    assert listing[0]["numComments"] == 2

    for bad in ({"text": ""}, {"text": 5}, {}, {"text": "x" * 10_001}):
        assert heron.client.post(path, json=bad, headers=heron.auth()).status_code == 400

    refused = heron.client.delete(f"{path}{mine['id']}/", headers=heron.auth(member))
    assert refused.status_code == 403
    own = heron.client.delete(f"{path}{note['id']}/", headers=heron.auth(member))
    assert own.status_code == 204
    assert heron.client.delete(f"{path}{note['id']}/", headers=heron.auth()).status_code == 404
    assert heron.client.delete(f"{path}x/", headers=heron.auth()).status_code == 404
    assert heron.client.delete(f"{path}{mine['id']}/", headers=heron.auth()).status_code == 204
    assert heron.api(path).json() == []


def test_activity_log(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    _put(heron, f"/api/0/issues/{issue_id}/", {"status": "resolved"})
    _put(heron, f"/api/0/issues/{issue_id}/", {"assignedTo": "user:1"})
    heron.client.post(
        f"/api/0/issues/{issue_id}/comments/", json={"text": "fixed"}, headers=heron.auth()
    )
    entries = heron.api(f"/api/0/issues/{issue_id}/activity/").json()
    mine = [e for e in entries if e["user"] is not None]
    assert [e["type"] for e in mine] == ["note", "assigned", "set_resolved"]
    assert mine[1]["data"] == {"user_id": 1, "name": "admin@example.com"}
    assert {e["user"]["email"] for e in mine} == {"admin@example.com"}
    assert all(e["dateCreated"].endswith("Z") for e in entries)
    detail = heron.api(f"/api/0/issues/{issue_id}/").json()
    assert [e["type"] for e in detail["activity"]][:3] == ["note", "assigned", "set_resolved"]


def test_event_search_and_oldest(heron: Heron) -> None:
    heron.send(
        error_event("ValueError", "boom", release="shop@1.0", age=60),
        error_event("ValueError", "boom", release="shop@2.0", environment="staging"),
    )
    issue_id = heron.issue_id("boom")
    path = f"/api/0/issues/{issue_id}/events/"
    assert len(heron.api(path).json()) == 2
    staging = heron.api(path, params={"query": "environment:staging"}).json()
    assert len(staging) == 1
    assert {"key": "environment", "value": "staging"} in staging[0]["tags"]
    assert len(heron.api(path, params={"query": "release:shop@1.0"}).json()) == 1
    assert heron.api(path, params={"query": "job_id:x"}).status_code == 400
    oldest = heron.api(f"{path}oldest/").json()
    latest = heron.api(f"{path}latest/").json()
    assert oldest["release"]["version"] == "shop@1.0"
    assert latest["release"]["version"] == "shop@2.0"
    assert (oldest["nextEventID"], latest["previousEventID"]) == (latest["id"], oldest["id"])
    assert heron.api(f"{path}{oldest['id']}/").json()["id"] == oldest["id"]
    assert heron.api(f"{path}{'0' * 32}/").status_code == 404


def test_another_organizations_comments_and_activity_are_404(heron: Heron) -> None:
    project, _ = heron.other_org()
    heron.send(error_event("ValueError", "theirs"), project_id=project)
    issue_id = heron.issue_id("theirs")
    for path in ("comments/", "activity/"):
        assert heron.api(f"/api/0/issues/{issue_id}/{path}").status_code == 404
    response: httpx.Response = heron.client.post(
        f"/api/0/issues/{issue_id}/comments/", json={"text": "hi"}, headers=heron.auth()
    )
    assert response.status_code == 404
    assert (
        heron.client.delete(f"/api/0/issues/{issue_id}/", headers=heron.auth()).status_code == 404
    )
