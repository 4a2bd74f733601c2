"""GET /api/0/organizations/{org}/members/ and /teams/, in Sentry's shapes."""

from __future__ import annotations

import re

import pytest

from heron import actions
from heron.store import accounts as acc
from tests.api.harness import Heron

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


def _people(heron: Heron) -> tuple[int, int]:
    """Bob (a member, in team "ops") besides the owner; returns (owner id, bob's id)."""
    with heron.db.write() as conn:
        org = acc.organization_by_slug(conn, "heron")
        assert org is not None
        bob = acc.create_user(conn, "bob@example.com", "bob's password", name="Bob")
        acc.add_member(conn, int(org["id"]), bob, role="member")
        owner = acc.user_by_email(conn, "admin@example.com")
        assert owner is not None
    actions.create_team(heron.db, int(owner["id"]), int(org["id"]), "Ops")
    actions.create_team(heron.db, int(owner["id"]), int(org["id"]), "Web")
    actions.add_team_member(heron.db, int(owner["id"]), int(org["id"]), "ops", bob)
    return int(owner["id"]), bob


def test_members_and_teams(heron: Heron) -> None:
    _, bob = _people(heron)
    response = heron.api("/api/0/organizations/heron/members/")
    assert response.status_code == 200
    members = response.json()
    assert [(m["email"], m["role"], m["teams"]) for m in members] == [
        ("admin@example.com", "owner", []),
        ("bob@example.com", "member", ["ops"]),
    ]
    bob_json = members[1]
    assert bob_json["id"] == str(bob)
    assert bob_json["name"] == "Bob"
    assert bob_json["user"]["email"] == "bob@example.com"
    assert bob_json["orgRole"] == "member"
    assert bob_json["roleName"] == "Member"
    assert bob_json["pending"] is False
    assert 'rel="next"; results="false"' in response.headers["link"]

    teams = heron.api("/api/0/organizations/heron/teams/").json()
    assert [(t["slug"], t["name"], t["memberCount"], t["isMember"]) for t in teams] == [
        ("ops", "Ops", 1, False),
        ("web", "Web", 0, False),
    ]
    assert re.match(ISO_Z, teams[0]["dateCreated"])
    assert isinstance(teams[0]["id"], str)


def test_pages_follow_the_cursor(heron: Heron) -> None:
    _people(heron)
    first = heron.api("/api/0/organizations/heron/teams/?per_page=1")
    assert [t["slug"] for t in first.json()] == ["ops"]
    assert 'rel="next"; results="true"; cursor="0:1:0"' in first.headers["link"]
    second = heron.api("/api/0/organizations/heron/teams/?per_page=1&cursor=0:1:0")
    assert [t["slug"] for t in second.json()] == ["web"]
    assert 'rel="next"; results="false"' in second.headers["link"]


@pytest.mark.parametrize("what", ["members", "teams"])
def test_access(heron: Heron, what: str) -> None:
    _, rival_token = heron.other_org()
    path = f"/api/0/organizations/heron/{what}/"
    assert heron.client.get(path).status_code == 401
    assert heron.api(path, token="not-a-token").status_code == 401
    hidden = heron.api(path, token=rival_token)
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": "The requested resource does not exist"}
    assert heron.api(f"/api/0/organizations/rivals/{what}/").status_code == 404
    assert heron.api(f"/api/0/organizations/rivals/{what}/", token=rival_token).status_code == 200
