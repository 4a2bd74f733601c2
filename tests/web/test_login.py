"""Logging in and out, CSRF, and that every page sits behind the login."""

from __future__ import annotations

import pytest

from tests.api.harness import ADMIN_EMAIL, ADMIN_PASSWORD, Heron, TestClient
from tests.web.conftest import csrf_of, log_in, new_client


def test_login_page(anonymous: TestClient) -> None:
    response = anonymous.get("/login")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/login">' in response.text
    assert 'type="password"' in response.text
    assert csrf_of(response.text)
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_login_and_logout(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/login?next=/issues/%3Fquery%3Dlevel%3Awarning").text)
    response = anonymous.post(
        "/login",
        data={
            "email": ADMIN_EMAIL.upper(),
            "password": ADMIN_PASSWORD,
            "csrf_token": token,
            "next": "/issues/?query=level:warning",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/issues/?query=level:warning"
    page = anonymous.get("/issues/")
    assert page.status_code == 200
    assert ADMIN_EMAIL in page.text
    # The login page sends a logged-in person on.
    assert anonymous.get("/login", follow_redirects=False).status_code == 302

    token = csrf_of(page.text)
    out = anonymous.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert anonymous.get("/issues/", follow_redirects=False).status_code == 302


def test_wrong_password_shows_the_form_again(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/login").text)
    for email, password in ((ADMIN_EMAIL, "wrong"), ("ghost@example.com", ADMIN_PASSWORD)):
        response = anonymous.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong e-mail or password." in response.text
        assert f'value="{email}"' in response.text
        assert 'type="password"' in response.text
    assert anonymous.get("/issues/", follow_redirects=False).status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_csrf_token_is_refused(anonymous: TestClient, token: str | None) -> None:
    anonymous.get("/login")
    data = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = anonymous.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert anonymous.get("/issues/", follow_redirects=False).status_code == 302


def test_logout_needs_the_csrf_token(browser: TestClient) -> None:
    response = browser.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert browser.get("/issues/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(anonymous: TestClient, target: str) -> None:
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post(
        "/login",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": token,
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/issues/"


@pytest.mark.parametrize(
    "path", ["/issues/", "/issues/1/", "/issues/1/events/", "/issues/?query=is%3Aresolved"]
)
def test_anonymous_visitors_are_sent_to_login(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(location).query)["next"] == [path]


def test_home_redirects_to_the_issue_list(anonymous: TestClient) -> None:
    response = anonymous.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/issues/"


def test_anonymous_status_change_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/issues/1/status", data={"status": "resolved"}, follow_redirects=False
    )
    assert response.status_code in (302, 403)


def test_a_deactivated_user_is_logged_out(heron: Heron) -> None:
    from sqlalchemy import update

    from heron.store import tables

    client = new_client(heron)
    log_in(client)
    assert client.get("/issues/").status_code == 200
    with heron.db.write() as conn:
        conn.execute(update(tables.users).values(is_active=False))
    assert client.get("/issues/", follow_redirects=False).status_code == 302
