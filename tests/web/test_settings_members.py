"""The members page: roles, removal, and who may do what (member, admin, owner, outsider)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from heron import actions, query
from heron.query import Team
from heron.store import accounts as acc
from tests.api.harness import Heron, TestClient
from tests.web.people import add_person, admin_client, client_as, post, user_id_of

MEMBERS = "/settings/heron/members/"


@dataclass
class Crew:
    heron: Heron
    member: int  # maria, a member
    admin: int  # adam, an admin
    owner: int  # the first run's admin, the only owner
    team_id: int


@pytest.fixture(scope="module")
def crew(site: Heron) -> Iterator[Crew]:
    member = add_person(site, "maria@example.com", "member")
    admin = add_person(site, "adam@example.com", "admin")
    owner = user_id_of(site, "admin@example.com")
    org = _org_id(site, "heron")
    actions.create_team(site.db, owner, org, "Backend")
    actions.add_team_member(site.db, owner, org, "backend", member)
    team_id = next(t.id for t in _teams(site) if t.slug == "backend")
    yield Crew(site, member, admin, owner, team_id)


def test_admin_sees_members_roles_teams_and_the_invite_form(crew: Crew) -> None:
    page = admin_client(crew.heron).get(MEMBERS)
    assert page.status_code == 200
    for text in ("maria@example.com", "adam@example.com", "admin@example.com", "Maria"):
        assert text in page.text
    assert 'href="/settings/heron/teams/backend/">backend</a>' in page.text
    assert 'action="/settings/heron/invites/"' in page.text
    assert f'action="/settings/heron/members/{crew.member}/role"' in page.text
    assert f'action="/settings/heron/members/{crew.member}/remove"' in page.text
    # The only owner cannot be demoted or removed: no form for that row.
    assert f'action="/settings/heron/members/{crew.owner}/role"' not in page.text
    assert "(last owner)" in page.text
    assert "eve@rivals.example" not in page.text


def test_an_admin_may_not_touch_owners(crew: Crew) -> None:
    page = client_as(crew.heron, "adam@example.com").get(MEMBERS)
    assert page.status_code == 200
    assert f'action="/settings/heron/members/{crew.member}/role"' in page.text
    assert f'action="/settings/heron/members/{crew.owner}/remove"' not in page.text
    assert '<option value="owner"' not in page.text, "only owners make owners"


def test_a_member_reads_the_page_without_forms(crew: Crew) -> None:
    page = client_as(crew.heron, "maria@example.com").get(MEMBERS)
    assert page.status_code == 200
    assert "adam@example.com" in page.text
    assert 'action="/settings/heron/' not in page.text
    assert "Pending invitations" not in page.text
    teams = client_as(crew.heron, "maria@example.com").get("/settings/heron/teams/backend/")
    assert teams.status_code == 200
    assert "Maria" in teams.text
    assert 'action="/settings/heron/' not in teams.text


def admin_posts(crew: Crew) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/settings/heron/invites/", {"email": "new@example.com", "role": "member"}),
        ("/settings/heron/invites/1/revoke", {}),
        (f"/settings/heron/members/{crew.admin}/role", {"role": "member"}),
        (f"/settings/heron/members/{crew.admin}/remove", {}),
        ("/settings/heron/teams/", {"name": "Frontend"}),
        ("/settings/heron/teams/backend/members", {"user_id": str(crew.admin)}),
        (f"/settings/heron/teams/backend/members/{crew.member}/remove", {}),
        ("/settings/heron/teams/backend/delete", {}),
    ]


def test_a_member_gets_403_on_every_admin_form(crew: Crew) -> None:
    maria = client_as(crew.heron, "maria@example.com")
    for path, data in admin_posts(crew):
        response = post(maria, path, **data)
        assert response.status_code == 403, (path, response.text)
    # Nothing changed.
    page = admin_client(crew.heron).get(MEMBERS).text
    assert "new@example.com" not in page
    assert [t.slug for t in _teams(crew.heron)] == ["backend"]
    assert next(t for t in _teams(crew.heron)).member_ids == {crew.member}
    assert _role(crew.heron, crew.admin) == "admin"


def test_another_organization_is_not_found(crew: Crew) -> None:
    admin = admin_client(crew.heron)
    for path in ("/settings/rivals/members/", "/settings/rivals/teams/", "/settings/nope/teams/"):
        assert admin.get(path).status_code == 404, path
    for path, data in admin_posts(crew):
        rival_path = path.replace("/settings/heron/", "/settings/rivals/")
        response = post(admin, rival_path, **data)
        assert response.status_code == 404, (rival_path, response.text)
    eve = rival_client(crew.heron)
    assert eve.get(MEMBERS).status_code == 404
    for path, data in admin_posts(crew):
        assert post(eve, path, **data).status_code == 404, path


def test_unknown_members_and_teams_are_not_found(crew: Crew) -> None:
    admin = admin_client(crew.heron)
    eve = user_id_of(crew.heron, "eve@rivals.example")
    for path in (
        f"/settings/heron/members/{eve}/remove",
        "/settings/heron/members/99999/remove",
        "/settings/heron/members/abc/remove",
        "/settings/heron/members/99999999999/remove",
        "/settings/heron/invites/99999/revoke",
        "/settings/heron/teams/nope/delete",
    ):
        assert post(admin, path).status_code == 404, path
    assert admin.get("/settings/heron/teams/nope/").status_code == 404


def test_roles_change_and_members_leave(heron: Heron) -> None:
    bob = add_person(heron, "bob@example.com", "member")
    owner = admin_client(heron)
    assert post(owner, f"{MEMBERS}{bob}/role", role="admin").headers["location"] == MEMBERS
    assert _role(heron, bob) == "admin"
    unknown = post(owner, f"{MEMBERS}{bob}/role", role="god")
    assert unknown.status_code == 400
    assert "unknown role" in unknown.text
    assert post(owner, f"{MEMBERS}{bob}/role", role="owner").status_code == 303
    assert _role(heron, bob) == "owner"
    # With two owners, one may step down; then the other is the last one again.
    me = user_id_of(heron, "admin@example.com")
    assert post(owner, f"{MEMBERS}{me}/role", role="admin").status_code == 303
    assert _role(heron, me) == "admin"
    assert post(owner, f"{MEMBERS}{bob}/role", role="member").status_code == 403

    bob_client = client_as(heron, "bob@example.com")
    assert post(bob_client, f"{MEMBERS}{me}/remove").status_code == 303
    assert _role(heron, me) is None
    assert owner.get(MEMBERS).status_code == 404, "a removed member no longer sees the org"
    assert "Default" not in owner.get("/projects/").text


def test_the_last_owner_stays(heron: Heron) -> None:
    me = user_id_of(heron, "admin@example.com")
    owner = admin_client(heron)
    for path, data in ((f"{MEMBERS}{me}/role", {"role": "admin"}), (f"{MEMBERS}{me}/remove", {})):
        response = post(owner, path, **data)
        assert response.status_code == 400, path
        assert "last owner cannot be demoted or removed" in response.text
    assert _role(heron, me) == "owner"


def test_admins_manage_members_but_not_owners(heron: Heron) -> None:
    adam = add_person(heron, "adam@example.com", "admin")
    bob = add_person(heron, "bob@example.com", "member")
    me = user_id_of(heron, "admin@example.com")
    admin = client_as(heron, "adam@example.com")
    assert post(admin, f"{MEMBERS}{bob}/role", role="admin").status_code == 303
    assert post(admin, f"{MEMBERS}{bob}/role", role="owner").status_code == 403
    assert post(admin, f"{MEMBERS}{me}/role", role="member").status_code == 403
    assert post(admin, f"{MEMBERS}{me}/remove").status_code == 403
    assert _role(heron, me) == "owner"
    assert post(admin, f"{MEMBERS}{bob}/remove").status_code == 303
    assert _role(heron, bob) is None
    # Leaving: an admin may remove themselves, and lands on their account page.
    left = post(admin, f"{MEMBERS}{adam}/remove")
    assert left.headers["location"] == "/settings/account/"
    assert _role(heron, adam) is None


def test_removing_a_member_unassigns_their_issues_and_teams(heron: Heron) -> None:
    from sqlalchemy import update

    from heron.store import tables
    from tests.api.harness import error_event

    bob = add_person(heron, "bob@example.com", "member")
    owner_id = user_id_of(heron, "admin@example.com")
    org = _org_id(heron, "heron")
    actions.create_team(heron.db, owner_id, org, "Ops")
    actions.add_team_member(heron.db, owner_id, org, "ops", bob)
    heron.send(error_event("ValueError", "assigned to bob"))
    issue = heron.issue_id("assigned to bob")
    with heron.db.write() as conn:
        conn.execute(
            update(tables.issues).where(tables.issues.c.id == issue).values(assignee_user_id=bob)
        )
    assert post(admin_client(heron), f"{MEMBERS}{bob}/remove").status_code == 303
    with heron.db.read() as conn:
        assignee = conn.execute(
            tables.issues.select()
            .with_only_columns(tables.issues.c.assignee_user_id)
            .where(tables.issues.c.id == issue)
        ).scalar()
    assert assignee is None
    assert _teams(heron)[0].member_ids == frozenset()


def rival_client(heron: Heron) -> TestClient:
    return client_as(heron, "eve@rivals.example", "eve's password")


def _org_id(heron: Heron, slug: str) -> int:
    with heron.db.read() as conn:
        org = acc.organization_by_slug(conn, slug)
    assert org is not None
    return int(org["id"])


def _role(heron: Heron, user_id: int) -> str | None:
    with heron.db.read() as conn:
        return acc.role_in(conn, _org_id(heron, "heron"), user_id)


def _teams(heron: Heron) -> list[Team]:
    return query.list_teams(heron.db, _org_id(heron, "heron"))
