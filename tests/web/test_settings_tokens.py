"""The API tokens page: create (shown once), list with last use, revoke; only one's own."""

from __future__ import annotations

import re

from heron.store import tables
from tests.api.harness import Heron
from tests.web.people import add_person, admin_client, client_as, post

TOKENS = "/settings/account/tokens/"
NEW_TOKEN = re.compile(r'<code class="new-token">([0-9a-f]{64})</code>')


def test_tokens_page_lists_the_viewers_tokens(heron: Heron) -> None:
    add_person(heron, "bob@example.com")
    client = client_as(heron, "bob@example.com")
    page = client.get(TOKENS)
    assert page.status_code == 200
    assert "You have no API tokens." in page.text
    assert 'name="name"' in page.text
    # The admin's token (made by the harness) is not Bob's to see.
    admin = admin_client(heron)
    assert admin.get(TOKENS).text.count("/revoke") == 1


def test_create_use_and_revoke_a_token(heron: Heron) -> None:
    add_person(heron, "bob@example.com")
    client = client_as(heron, "bob@example.com")
    created = post(client, TOKENS, name="deploy script")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    match = NEW_TOKEN.search(created.text)
    assert match, created.text
    token = match.group(1)
    assert "it is not shown again" in created.text
    # Shown once: the list shows its name, never the token itself.
    page = client.get(TOKENS)
    assert "deploy script" in page.text
    assert token not in page.text
    assert "never" in page.text

    assert heron.api("/api/0/organizations/", token=token).status_code == 200
    assert "never" not in client.get(TOKENS).text, "the use shows as last used"

    token_id = _token_id(heron, "deploy script")
    revoked = post(client, f"{TOKENS}{token_id}/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["location"] == TOKENS
    assert "deploy script" not in client.get(TOKENS).text
    response = heron.api("/api/0/organizations/", token=token)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}
    # Revoking it again: it is gone.
    assert post(client, f"{TOKENS}{token_id}/revoke").status_code == 404


def test_someone_elses_token_is_not_found(heron: Heron) -> None:
    add_person(heron, "bob@example.com")
    bob = client_as(heron, "bob@example.com")
    admin_token = _token_id(heron, "")
    for token_id in (str(admin_token), "nope", "99999999999999999999", "0"):
        response = post(bob, f"{TOKENS}{token_id}/revoke")
        assert response.status_code == 404, token_id
        assert "nothing here" in response.text
    assert heron.api("/api/0/organizations/").status_code == 200, "the admin's token still works"


def test_a_token_name_is_limited(heron: Heron) -> None:
    client = admin_client(heron)
    response = post(client, TOKENS, name="x" * 201)
    assert response.status_code == 400
    assert "at most 200 characters" in response.text
    assert "new-token" not in response.text


def _token_id(heron: Heron, name: str) -> int:
    t = tables.api_tokens
    with heron.db.read() as conn:
        return int(
            conn.execute(t.select().with_only_columns(t.c.id).where(t.c.name == name)).scalar_one()
        )
