"""Invitation by link, end to end over HTTP: invite, accept, log in, see the organization."""

from __future__ import annotations

import re
import time

from heron import actions
from heron.store import tables
from tests.api.harness import Heron, error_event
from tests.web.conftest import csrf_of, new_client
from tests.web.people import add_person, admin_client, client_as, post, user_id_of

MEMBERS = "/settings/heron/members/"
LINK = re.compile(r'<code class="invite-link">(https://heron\.example/invite/([\w-]+))</code>')


def invite(heron: Heron, email: str, role: str = "member") -> str:
    """Invite ``email`` as the owner; returns the link's path."""
    page = post(admin_client(heron), "/settings/heron/invites/", email=email, role=role)
    assert page.status_code == 200, page.text
    match = LINK.search(page.text)
    assert match, page.text
    return "/invite/" + match.group(2)


def accept(heron: Heron, path: str, **fields: str) -> tuple[object, object]:
    client = new_client(heron)
    form = client.get(path)
    assert form.status_code == 200, form.text
    data = {"name": "Nina", "password": "nina's password", "password2": "nina's password"}
    data.update(fields, csrf_token=csrf_of(form.text))
    return client, client.post(path, data=data, follow_redirects=False)


def test_invite_accept_and_see_the_organization(heron: Heron) -> None:
    heron.send(error_event("ValueError", "visible to the team"))
    owner = admin_client(heron)
    made = post(owner, "/settings/heron/invites/", email=" Nina@Example.com ", role="admin")
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    assert "Send this link to nina@example.com" in made.text
    match = LINK.search(made.text)
    assert match, made.text
    path = "/invite/" + match.group(2)
    pending = owner.get(MEMBERS).text
    assert "nina@example.com" in pending
    assert match.group(2) not in pending, "the link is shown once"

    client = new_client(heron)
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Heron" in page.text
    assert "nina@example.com" in page.text
    assert 'name="password2"' in page.text
    data = {
        "name": "Nina",
        "password": "nina's password",
        "password2": "nina's password",
        "csrf_token": csrf_of(page.text),
    }
    joined = client.post(path, data=data, follow_redirects=False)
    assert joined.status_code == 303
    assert joined.headers["location"] == "/issues/"
    issues = client.get("/issues/")
    assert issues.status_code == 200
    assert "nina@example.com" in issues.text, "logged in"
    assert "visible to the team" in issues.text
    members = owner.get(MEMBERS).text
    assert "No pending invitations." in members
    nina = user_id_of(heron, "nina@example.com")
    assert f'action="/settings/heron/members/{nina}/role"' in members
    assert client.get(MEMBERS).status_code == 200
    assert 'action="/settings/heron/invites/"' in client.get(MEMBERS).text, "joined as admin"

    # The link works once.
    other = new_client(heron)
    assert other.get(path).status_code == 404
    data["csrf_token"] = csrf_of(other.get("/login").text)
    reused = other.post(path, data=data, follow_redirects=False)
    assert reused.status_code == 404
    assert "nothing here" in reused.text
    # The new password is the account's password.
    client_as(heron, "nina@example.com", "nina's password")


def test_an_expired_invitation_is_not_found(heron: Heron) -> None:
    owner = user_id_of(heron, "admin@example.com")
    old = actions.invite_member(
        heron.db, owner, _org(heron), "late@example.com", now=time.time() - 8 * 86400
    )
    client = new_client(heron)
    assert client.get(f"/invite/{old.token}").status_code == 404
    token = csrf_of(client.get("/login").text)
    late = client.post(
        f"/invite/{old.token}",
        data={"password": "x" * 10, "password2": "x" * 10, "csrf_token": token},
    )
    assert late.status_code == 404
    assert "expired" in admin_client(heron).get(MEMBERS).text
    with heron.db.read() as conn:
        assert (
            conn.execute(
                tables.users.select().where(tables.users.c.email == "late@example.com")
            ).first()
            is None
        )
    # Just within seven days it still works.
    fresh = actions.invite_member(
        heron.db, owner, _org(heron), "late@example.com", now=time.time() - 6.9 * 86400
    )
    assert new_client(heron).get(f"/invite/{fresh.token}").status_code == 200


def test_unknown_and_revoked_links_are_not_found(heron: Heron) -> None:
    client = new_client(heron)
    for token in ("nope", "x" * 300, "%2e%2e"):
        assert client.get(f"/invite/{token}").status_code == 404, token
    path = invite(heron, "gone@example.com")
    owner = admin_client(heron)
    invite_id = _invite_id(heron, "gone@example.com")
    assert f'action="/settings/heron/invites/{invite_id}/revoke"' in owner.get(MEMBERS).text
    revoked = post(owner, f"/settings/heron/invites/{invite_id}/revoke")
    assert revoked.status_code == 303
    assert client.get(path).status_code == 404
    assert post(owner, f"/settings/heron/invites/{invite_id}/revoke").status_code == 404


def test_a_new_invitation_replaces_the_old_link(heron: Heron) -> None:
    first = invite(heron, "twice@example.com")
    second = invite(heron, "twice@example.com", role="admin")
    assert first != second
    assert new_client(heron).get(first).status_code == 404
    assert "as <strong>admin</strong>" in new_client(heron).get(second).text


def test_members_cannot_be_invited_again(heron: Heron) -> None:
    add_person(heron, "bob@example.com")
    owner = admin_client(heron)
    for email in ("bob@example.com", "admin@example.com", "BOB@example.com"):
        response = post(owner, "/settings/heron/invites/", email=email, role="member")
        assert response.status_code == 400
        assert "is already a member of the organization" in response.text
        assert "invite-link" not in response.text
    bad = post(owner, "/settings/heron/invites/", email="not an address", role="member")
    assert bad.status_code == 400
    assert "is not an e-mail address" in bad.text
    unknown_role = post(owner, "/settings/heron/invites/", email="x@example.com", role="god")
    assert unknown_role.status_code == 400


def test_only_owners_invite_owners(heron: Heron) -> None:
    add_person(heron, "adam@example.com", "admin")
    adam = client_as(heron, "adam@example.com")
    refused = post(adam, "/settings/heron/invites/", email="boss@example.com", role="owner")
    assert refused.status_code == 403
    assert (
        post(adam, "/settings/heron/invites/", email="x@example.com", role="admin").status_code
        == 200
    )
    assert LINK.search(
        post(
            admin_client(heron), "/settings/heron/invites/", email="boss@example.com", role="owner"
        ).text
    )


def test_the_new_password_is_checked(heron: Heron) -> None:
    path = invite(heron, "nina@example.com")
    _, differ = accept(heron, path, password2="something else")
    assert differ.status_code == 400
    assert "The two passwords differ." in differ.text
    _, short = accept(heron, path, password="short", password2="short")
    assert short.status_code == 400
    assert "at least 8 characters" in short.text
    assert 'value="Nina"' in short.text, "the form keeps the name"
    # Refusals do not use the link up.
    _, joined = accept(heron, path)
    assert joined.status_code == 303


def test_an_existing_account_joins_when_logged_in(heron: Heron) -> None:
    _, rival_token = heron.other_org()
    path = invite(heron, "eve@rivals.example")
    anonymous = new_client(heron)
    page = anonymous.get(path)
    assert "has a Heron account already" in page.text
    assert f'href="/login?next={path}"' in page.text
    assert 'name="password2"' not in page.text
    token = csrf_of(page.text)
    data = {"password": "x" * 10, "password2": "x" * 10, "csrf_token": token}
    taken = anonymous.post(path, data=data)
    assert taken.status_code == 400
    assert "has an account already: log in to accept" in taken.text

    eve = client_as(heron, "eve@rivals.example", "eve's password")
    page = eve.get(path)
    assert 'action="/invite/' in page.text
    assert "Join Heron" in page.text
    joined = eve.post(path, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert joined.status_code == 303
    assert joined.headers["location"] == "/issues/"
    assert eve.get(MEMBERS).status_code == 200
    assert eve.get("/settings/rivals/members/").status_code == 200, "still in the other org"
    orgs = heron.api("/api/0/organizations/", token=rival_token).json()
    assert sorted(o["slug"] for o in orgs) == ["heron", "rivals"]


def test_someone_else_logged_in_is_told_so(heron: Heron) -> None:
    add_person(heron, "bob@example.com", "member")
    path = invite(heron, "nina@example.com")
    bob = client_as(heron, "bob@example.com")
    page = bob.get(path)
    assert page.status_code == 200
    assert "This invitation is for nina@example.com, and you are logged in as bob@example.com" in (
        page.text
    )
    assert f'action="{path}"' not in page.text
    refused = bob.post(path, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 403
    assert "you are logged in as bob@example.com" in refused.text
    _, joined = accept(heron, path)
    assert joined.status_code == 303, "the link still works for Nina"


def test_accepting_needs_the_csrf_token(heron: Heron) -> None:
    path = invite(heron, "nina@example.com")
    client = new_client(heron)
    client.get(path)
    data = {"password": "nina's password", "password2": "nina's password", "csrf_token": "x"}
    assert client.post(path, data=data).status_code == 403
    assert client.get(path).status_code == 200


def _org(heron: Heron) -> int:
    with heron.db.read() as conn:
        return int(
            conn.execute(
                tables.organizations.select()
                .with_only_columns(tables.organizations.c.id)
                .where(tables.organizations.c.slug == "heron")
            ).scalar_one()
        )


def _invite_id(heron: Heron, email: str) -> int:
    i = tables.invites
    with heron.db.read() as conn:
        return int(
            conn.execute(
                i.select().with_only_columns(i.c.id).where(i.c.email == email)
            ).scalar_one()
        )
