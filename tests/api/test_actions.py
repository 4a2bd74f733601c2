"""The actions the web pages, the API and the CLI share."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from heron import actions, query
from heron.store import tables
from tests.api.harness import ADMIN_EMAIL, Heron, error_event


def test_create_project_makes_a_key_and_is_listed(heron: Heron) -> None:
    project_id = actions.create_project(
        heron.db, "heron", "Backend", name="Back end", platform="node"
    )
    (project,) = [p for p in heron.api("/api/0/projects/").json() if p["slug"] == "backend"]
    assert project["id"] == str(project_id)
    assert (project["name"], project["platform"]) == ("Back end", "node")
    keys = heron.api("/api/0/projects/heron/backend/keys/").json()
    assert len(keys) == 1 and keys[0]["isActive"]


@pytest.mark.parametrize(
    ("org", "slug", "error"),
    [
        ("nope", "x", actions.NotFoundError),
        ("heron", "default", actions.ActionError),
        ("heron", "bad slug!", actions.ActionError),
        ("heron", "", actions.ActionError),
    ],
)
def test_create_project_refusals(heron: Heron, org: str, slug: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        actions.create_project(heron.db, org, slug)


def test_create_user_joins_the_only_organization(heron: Heron) -> None:
    user_id, password = actions.create_user(heron.db, "New@Example.com")
    assert len(password) >= 12
    viewer = query.authenticate(heron.db, "new@example.com", password)
    assert viewer is not None and viewer.user_id == user_id
    assert not viewer.is_superuser
    assert len(viewer.organization_ids) == 1
    token = actions.create_token(heron.db, "new@example.com")
    assert [p["slug"] for p in heron.api("/api/0/projects/", token=token).json()] == ["default"]


def test_create_user_with_a_password_and_superuser(heron: Heron) -> None:
    _, password = actions.create_user(heron.db, "root@example.com", "s3cret-pass", superuser=True)
    assert password == "s3cret-pass"
    viewer = query.authenticate(heron.db, "root@example.com", "s3cret-pass")
    assert viewer is not None and viewer.is_superuser
    assert query.authenticate(heron.db, "root@example.com", "wrong") is None
    assert query.authenticate(heron.db, "nobody@example.com", "s3cret-pass") is None
    with pytest.raises(actions.ActionError):
        actions.create_user(heron.db, "root@example.com")
    with pytest.raises(actions.ActionError):
        actions.create_user(heron.db, "not-an-email")


def test_with_several_organizations_a_new_user_joins_none(heron: Heron) -> None:
    actions.create_organization(heron.db, "second")
    actions.create_user(heron.db, "lonely@example.com", "pw-lonely-1")
    token = actions.create_token(heron.db, "lonely@example.com")
    assert heron.api("/api/0/projects/", token=token).json() == []
    actions.add_member(heron.db, "second", "lonely@example.com")
    actions.add_member(heron.db, "second", "lonely@example.com")  # twice is harmless
    assert [o["slug"] for o in heron.api("/api/0/organizations/", token=token).json()] == ["second"]


def test_create_token_for_unknown_user(heron: Heron) -> None:
    with pytest.raises(actions.NotFoundError):
        actions.create_token(heron.db, "ghost@example.com")
    assert actions.create_token(heron.db, ADMIN_EMAIL) != actions.create_token(
        heron.db, ADMIN_EMAIL
    )


def test_set_issue_status(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")

    def state() -> tuple[str, str, float | None]:
        with heron.db.read() as conn:
            i = tables.issues
            row = conn.execute(
                select(i.c.status, i.c.substatus, i.c.resolved_at).where(i.c.id == issue_id)
            ).one()
        return row.status, row.substatus, row.resolved_at

    actions.set_issue_status(heron.db, issue_id, "resolved")
    status, _, resolved_at = state()
    assert status == "resolved" and resolved_at is not None
    actions.set_issue_status(heron.db, issue_id, "resolved")
    assert state()[2] == resolved_at  # resolving again keeps the first time
    actions.set_issue_status(heron.db, issue_id, "unresolved")
    assert state() == ("unresolved", "ongoing", None)
    actions.set_issue_status(heron.db, issue_id, "ignored")
    assert state()[0] == "ignored"
    with pytest.raises(actions.ActionError):
        actions.set_issue_status(heron.db, issue_id, "deleted")
    with pytest.raises(actions.NotFoundError):
        actions.set_issue_status(heron.db, 999999, "resolved")


def test_a_resolved_issue_regresses_on_a_new_event(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    actions.set_issue_status(heron.db, issue_id, "resolved")
    heron.send(error_event("ValueError", "boom"))
    issue = heron.api(f"/api/0/issues/{issue_id}/").json()
    assert (issue["status"], issue["substatus"], issue["count"]) == ("unresolved", "regressed", "2")
    found = heron.api("/api/0/projects/heron/default/issues/", params={"query": "is:regressed"})
    assert [i["id"] for i in found.json()] == [str(issue_id)]
