"""Teams: create (slug from the name), members in and out, delete."""

from __future__ import annotations

from heron.store import tables
from tests.api.harness import Heron
from tests.web.people import add_person, admin_client, client_as, post, user_id_of

TEAMS = "/settings/heron/teams/"


def test_team_life(heron: Heron) -> None:
    bob = add_person(heron, "bob@example.com", "member")
    admin = admin_client(heron)
    assert "This organization has no teams yet." in admin.get(TEAMS).text

    created = post(admin, TEAMS, name="Backend & Payments")
    assert created.status_code == 303
    assert created.headers["location"] == TEAMS + "backend-payments/"
    listing = admin.get(TEAMS)
    assert 'href="/settings/heron/teams/backend-payments/">#backend-payments</a>' in listing.text
    assert "Backend &amp; Payments" in listing.text

    page = admin.get(TEAMS + "backend-payments/")
    assert page.status_code == 200
    assert "Nobody is in this team yet." in page.text
    assert f'<option value="{bob}">Bob (bob@example.com)</option>' in page.text

    added = post(admin, TEAMS + "backend-payments/members", user_id=str(bob))
    assert added.headers["location"] == TEAMS + "backend-payments/"
    page = admin.get(TEAMS + "backend-payments/")
    assert f'action="/settings/heron/teams/backend-payments/members/{bob}/remove"' in page.text
    assert f'<option value="{bob}">' not in page.text
    assert ">backend-payments</a>" in admin.get("/settings/heron/members/").text

    # Adding twice changes nothing; removing someone not in the team is a 404.
    assert post(admin, TEAMS + "backend-payments/members", user_id=str(bob)).status_code == 303
    removed = post(admin, f"{TEAMS}backend-payments/members/{bob}/remove")
    assert removed.status_code == 303
    assert post(admin, f"{TEAMS}backend-payments/members/{bob}/remove").status_code == 404
    assert "Nobody is in this team yet." in admin.get(TEAMS + "backend-payments/").text

    deleted = post(admin, TEAMS + "backend-payments/delete")
    assert deleted.headers["location"] == TEAMS
    assert admin.get(TEAMS + "backend-payments/").status_code == 404
    with heron.db.read() as conn:
        assert conn.execute(tables.teams.select()).first() is None


def test_team_names_are_checked(heron: Heron) -> None:
    admin = admin_client(heron)
    assert post(admin, TEAMS, name="Ops").status_code == 303
    again = post(admin, TEAMS, name="OPS!")
    assert again.status_code == 400
    assert "already has a team &#39;ops&#39;" in again.text
    assert 'value="OPS!"' in again.text, "the form keeps what was typed"
    for name in ("", "  ", "!!!"):
        response = post(admin, TEAMS, name=name)
        assert response.status_code == 400
        assert "at least one letter or digit" in response.text


def test_only_members_of_the_organization_join_its_teams(heron: Heron) -> None:
    heron.other_org()
    eve = user_id_of(heron, "eve@rivals.example")
    admin = admin_client(heron)
    post(admin, TEAMS, name="Ops")
    assert post(admin, TEAMS + "ops/members", user_id=str(eve)).status_code == 404
    assert post(admin, TEAMS + "ops/members", user_id="999999").status_code == 404
    assert post(admin, TEAMS + "ops/members", user_id="x").status_code == 404
    empty = post(admin, TEAMS + "ops/members", user_id="")
    assert empty.status_code == 400
    assert "Choose a member" in empty.text
    with heron.db.read() as conn:
        assert conn.execute(tables.team_members.select()).first() is None


def test_an_admin_manages_teams_and_a_member_reads_them(heron: Heron) -> None:
    add_person(heron, "adam@example.com", "admin")
    add_person(heron, "maria@example.com", "member")
    adam = client_as(heron, "adam@example.com")
    assert post(adam, TEAMS, name="Web").status_code == 303
    maria = client_as(heron, "maria@example.com")
    page = maria.get(TEAMS)
    assert page.status_code == 200
    assert "#web" in page.text
    assert 'action="/settings/heron/teams/"' not in page.text
    assert post(maria, TEAMS, name="Mine").status_code == 403
    assert post(maria, TEAMS + "web/members", user_id="").status_code == 403
