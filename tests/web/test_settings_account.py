"""The account settings: the menu, the name and the password; every page behind the login."""

from __future__ import annotations

import pytest

from tests.api.harness import ADMIN_EMAIL, Heron, TestClient
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.people import add_person, admin_client, client_as, post

SETTINGS_PAGES = (
    "/settings/",
    "/settings/account/",
    "/settings/account/tokens/",
    "/settings/heron/members/",
    "/settings/heron/teams/",
    "/settings/heron/teams/backend/",
)
SETTINGS_POSTS = (
    "/settings/account/",
    "/settings/account/tokens/",
    "/settings/account/tokens/1/revoke",
    "/settings/heron/invites/",
    "/settings/heron/invites/1/revoke",
    "/settings/heron/members/1/role",
    "/settings/heron/members/1/remove",
    "/settings/heron/teams/",
    "/settings/heron/teams/backend/members",
    "/settings/heron/teams/backend/members/1/remove",
    "/settings/heron/teams/backend/delete",
)


@pytest.mark.parametrize("path", SETTINGS_PAGES + SETTINGS_POSTS)
def test_anonymous_people_are_sent_to_the_login(anonymous: TestClient, path: str) -> None:
    method = anonymous.get if path in SETTINGS_PAGES else anonymous.post
    response = method(path, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=" + path


def test_settings_redirects_to_the_account(browser: TestClient) -> None:
    response = browser.get("/settings/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/settings/account/"


def test_the_header_links_the_settings(browser: TestClient) -> None:
    assert 'href="/settings/"' in browser.get("/issues/").text


def test_account_page_with_its_menu(browser: TestClient) -> None:
    page = browser.get("/settings/account/")
    assert page.status_code == 200
    assert ADMIN_EMAIL in page.text
    assert 'name="name"' in page.text
    assert 'name="current_password"' in page.text
    assert 'name="new_password"' in page.text
    # The menu: the account, then each of the viewer's organizations, and none other.
    assert 'href="/settings/account/" aria-current="page"' in page.text
    assert 'href="/settings/account/tokens/"' in page.text
    assert 'href="/settings/heron/members/"' in page.text
    assert 'href="/settings/heron/teams/"' in page.text
    assert "rivals" not in page.text


def test_changing_the_name(heron: Heron) -> None:
    client = admin_client(heron)
    response = post(client, "/settings/account/", name="  Ada Lovelace ")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/account/?saved=name"
    page = client.get(response.headers["location"])
    assert "Your name was saved." in page.text
    assert 'value="Ada Lovelace"' in page.text
    too_long = post(client, "/settings/account/", name="x" * 201)
    assert too_long.status_code == 400
    assert "at most 200 characters" in too_long.text


def test_changing_the_password(heron: Heron) -> None:
    add_person(heron, "bob@example.com")
    client = client_as(heron, "bob@example.com")
    wrong = post(
        client, "/settings/account/", current_password="not it", new_password="brand new pass"
    )
    assert wrong.status_code == 400
    assert "The current password is wrong." in wrong.text
    short = post(
        client,
        "/settings/account/",
        current_password="a long enough password",
        new_password="short",
    )
    assert short.status_code == 400
    assert "at least 8 characters" in short.text

    done = post(
        client,
        "/settings/account/",
        current_password="a long enough password",
        new_password="brand new pass",
    )
    assert done.status_code == 303
    assert "Your password was changed." in client.get(done.headers["location"]).text
    # The new password logs in, the old one no longer does.
    log_in(new_client(heron), "bob@example.com", "brand new pass")
    fresh = new_client(heron)
    token = csrf_of(fresh.get("/login").text)
    old = fresh.post(
        "/login",
        data={
            "email": "bob@example.com",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert old.status_code == 401


def test_a_password_change_ends_the_other_sessions(heron: Heron) -> None:
    add_person(heron, "carol@example.com")
    changer = client_as(heron, "carol@example.com")
    other = client_as(heron, "carol@example.com")
    assert other.get("/issues/", follow_redirects=False).status_code == 200
    done = post(
        changer,
        "/settings/account/",
        current_password="a long enough password",
        new_password="another new pass",
    )
    assert done.status_code == 303
    # The session that changed it carries on; the other one is sent to the login page.
    assert changer.get("/issues/", follow_redirects=False).status_code == 200
    stale = other.get("/issues/", follow_redirects=False)
    assert stale.status_code == 302
    assert stale.headers["location"].startswith("/login")


def test_account_forms_need_the_csrf_token(browser: TestClient) -> None:
    response = browser.post("/settings/account/", data={"name": "Mallory", "csrf_token": "forged"})
    assert response.status_code == 403
    assert 'value="Mallory"' not in browser.get("/settings/account/").text
