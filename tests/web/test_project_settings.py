"""The project pages: the list, and a project's settings with its DSN and grouping rules."""

from __future__ import annotations

import httpx
from markupsafe import escape

from heron import actions
from tests.api.harness import Heron, TestClient
from tests.web.conftest import csrf_of, log_in, new_client

SETTINGS = "/projects/heron/default/settings/"


def logged_in(heron: Heron) -> TestClient:
    client = new_client(heron)
    log_in(client)
    return client


def save(
    client: TestClient, fingerprints: str, enhancements: str, token: str | None = None
) -> httpx.Response:
    token = csrf_of(client.get(SETTINGS).text) if token is None else token
    response: httpx.Response = client.post(
        SETTINGS,
        data={
            "fingerprinting_rules": fingerprints,
            "grouping_enhancements": enhancements,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    return response


def test_pages_need_a_login(anonymous: TestClient) -> None:
    for path in ("/projects/", SETTINGS):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == "/login?next=" + path


def test_project_list_links_to_settings(browser: TestClient) -> None:
    page = browser.get("/projects/")
    assert page.status_code == 200
    assert 'href="/projects/heron/default/settings/"' in page.text
    assert 'href="/projects/"' in browser.get("/issues/").text, "the header links the list"
    assert "rivals" not in page.text


def test_settings_page_shows_the_dsn_and_the_empty_form(site: Heron, browser: TestClient) -> None:
    page = browser.get(SETTINGS)
    assert page.status_code == 200
    assert f"https://{site.public_key}@heron.example/{site.project_id}" in page.text
    assert 'name="fingerprinting_rules"' in page.text
    assert 'name="grouping_enhancements"' in page.text
    # The syntax help shows examples people can copy.
    assert "error.type:ConnectionError -&gt; network-errors" in page.text
    assert "function:log_* -group" in page.text
    assert "newstyle:2023-01-11" in page.text


def test_another_organizations_project_is_404(browser: TestClient) -> None:
    assert browser.get("/projects/rivals/secret-app/settings/").status_code == 404
    assert browser.get("/projects/heron/nope/settings/").status_code == 404
    token = csrf_of(browser.get(SETTINGS).text)
    response = browser.post(
        "/projects/rivals/secret-app/settings/",
        data={"fingerprinting_rules": "error.type:X -> y", "csrf_token": token},
    )
    assert response.status_code == 404


def test_saving_rules(heron: Heron) -> None:
    client = logged_in(heron)
    fingerprints = 'error.type:ConnectionError -> network-errors\nmessage:"*timeout*" -> timeouts'
    response = save(client, fingerprints.replace("\n", "\r\n"), "function:log_* -group")
    assert response.status_code == 303
    assert response.headers["location"] == SETTINGS + "?saved=1"

    settings = actions.grouping_settings(heron.db, heron.project_id)
    assert settings.fingerprinting_rules == fingerprints
    assert settings.enhancements == "function:log_* -group"

    page = client.get(response.headers["location"])
    assert "The grouping rules were saved" in page.text
    assert str(escape(fingerprints)) in page.text
    assert "The grouping rules were saved" not in client.get(SETTINGS).text


def test_invalid_rules_are_shown_next_to_the_field_and_kept(heron: Heron) -> None:
    client = logged_in(heron)
    save(client, "error.type:KeyError -> keys", "")
    typed = "error.type:ValueError -> values\nerror.type:<b>KeyError</b> keys"
    response = save(client, typed, "function:log_* -group")
    assert response.status_code == 400
    page = response.text
    assert "Nothing was saved" in page
    error = "line 2: missing &#39;-&gt;&#39; between matchers and fingerprint"
    assert f'<p class="field-error" id="fingerprinting-error" role="alert">{error}</p>' in page
    assert 'id="enhancements-error"' not in page
    # What was typed stays in the form (escaped), for both fields.
    assert "error.type:&lt;b&gt;KeyError&lt;/b&gt; keys</textarea>" in page
    assert "function:log_* -group</textarea>" in page
    assert "<b>KeyError" not in page
    assert actions.grouping_settings(heron.db, heron.project_id).fingerprinting_rules == (
        "error.type:KeyError -> keys"
    )

    bad_stack = save(client, "", "path:**/vendor/** -app\nfunction:log_* group")
    assert bad_stack.status_code == 400
    assert "line 2: invalid action &#39;group&#39;" in bad_stack.text
    assert 'id="fingerprinting-error"' not in bad_stack.text


def test_the_form_needs_its_csrf_token(heron: Heron) -> None:
    client = logged_in(heron)
    for token in ("", "forged"):
        response = save(client, "error.type:X -> y", "", token=token)
        assert response.status_code == 403
    assert actions.grouping_settings(heron.db, heron.project_id).fingerprinting_rules == ""
