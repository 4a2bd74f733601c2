"""The setup page: each SDK's snippet carries the project's DSN, and the snippets work.

The live tests create a project through the pages of a running server, copy the Python and
FastAPI snippets off its setup page exactly as shown, run them with the real sentry-sdk, and
find the error in that project.
"""

from __future__ import annotations

import contextlib
import html
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from heron import actions
from heron.store import tables
from tests.api.harness import Heron, TestClient
from tests.live import ADMIN_PASSWORD, LiveServer, wait_for
from tests.sdk.helpers import marker, run_sdk_file
from tests.web.conftest import CSRF
from tests.web.projects_helpers import admin, member

SETUP = "/projects/heron/default/setup/"
SNIPPET = re.compile(
    r'<code id="([a-z]+)-code" class="setup-code" data-sdk="[a-z]+">(.*?)</code>', re.S
)


def snippets(page: str) -> dict[str, str]:
    """The code of each SDK's guide, as a person copying it would get it."""
    return {sdk: html.unescape(code) for sdk, code in SNIPPET.findall(page)}


def test_every_guide_carries_the_dsn(site: Heron, browser: TestClient) -> None:
    page = browser.get(SETUP)
    assert page.status_code == 200
    dsn = f"https://{site.public_key}@heron.example/{site.project_id}"
    code = snippets(page.text)
    assert list(code) == ["python", "fastapi", "django", "javascript", "react"]
    for sdk in ("python", "fastapi", "django"):
        assert f'dsn="{dsn}"' in code[sdk], sdk
        assert "sentry_sdk.init(" in code[sdk]
        assert "traces_sample_rate=" in code[sdk] and "send_default_pii=" in code[sdk]
    for sdk, package in (("javascript", "@sentry/browser"), ("react", "@sentry/react")):
        assert f'import * as Sentry from "{package}";' in code[sdk]
        assert f'dsn: "{dsn}"' in code[sdk] and "Sentry.init({" in code[sdk]
        assert f"npm install --save {package}" in page.text
    assert 'pip install --upgrade "sentry-sdk[fastapi]"' in html.unescape(page.text)
    for sdk in code:
        assert f'href="#{sdk}"' in page.text


def test_the_projects_platform_comes_first(heron: Heron) -> None:
    actions.update_project(heron.db, "heron", "default", platform="javascript-react")
    page = admin(heron).get(SETUP).text
    assert next(iter(snippets(page))) == "react"


def test_members_see_the_setup_and_a_project_without_keys_says_so(heron: Heron) -> None:
    assert f"@heron.example/{heron.project_id}" in member(heron).get(SETUP).text
    actions.set_key_active(heron.db, "heron", "default", _only_key_id(heron), False)
    page = admin(heron).get(SETUP).text
    assert "no active client key" in page
    assert heron.public_key not in page


def _only_key_id(heron: Heron) -> int:
    with heron.db.read() as conn:
        return int(conn.execute(select(tables.project_keys.c.id)).scalar_one())


# --- live: the snippets as copied, the real SDK, a running server -------------------------


@contextlib.contextmanager
def _logged_in(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as client:
        token = CSRF.search(client.get("/login").text)
        assert token, "no CSRF field on the login page"
        response = client.post(
            "/login",
            data={
                "email": "admin@localhost",
                "password": ADMIN_PASSWORD,
                "csrf_token": token.group(1),
                "next": "/projects/",
            },
        )
        assert response.status_code == 200 and "Projects" in response.text, response.text[:500]
        yield client


def _new_project_snippets(
    client: httpx.Client, name: str, platform: str
) -> tuple[str, dict[str, str]]:
    page = client.get("/projects/new").text
    token = CSRF.search(page)
    assert token
    response = client.post(
        "/projects/new",
        data={
            "organization": "heron",
            "name": name,
            "platform": platform,
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code == 200, response.text[:500]
    slug = str(response.url).rstrip("/").split("/")[-2]
    return slug, snippets(response.text)


def _issues(server: LiveServer, slug: str, mark: str) -> list[dict[str, object]]:
    found = server.api(f"/api/0/projects/heron/{slug}/issues/", params={"query": mark})
    assert found.status_code == 200, found.text
    result: list[dict[str, object]] = found.json()
    return result


@pytest.mark.slow
def test_the_python_snippet_as_copied_sends_to_the_new_project(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker("setup")
    with _logged_in(server) as client:
        slug, code = _new_project_snippets(client, f"Setup {mark}", "python")
    script = code["python"] + textwrap.dedent(
        f"""
        sentry_sdk.capture_message("the setup snippet works {mark}")
        sentry_sdk.flush()
        """
    )
    run_sdk_file(tmp_path, script, dsn="")  # the DSN is in the snippet itself
    [issue] = wait_for(lambda: _issues(server, slug, mark))
    assert issue["title"] == f"the setup snippet works {mark}"


@pytest.mark.slow
def test_the_fastapi_snippet_reports_a_failing_route(server: LiveServer, tmp_path: Path) -> None:
    mark = marker("setup")
    with _logged_in(server) as client:
        slug, code = _new_project_snippets(client, f"Api {mark}", "python-fastapi")
    script = code["fastapi"] + textwrap.dedent(
        f"""
        from fastapi.testclient import TestClient


        @app.get("/heron-test")
        async def failing_route_{mark}():
            return 1 / 0


        print(TestClient(app, raise_server_exceptions=False).get("/heron-test").status_code)
        sentry_sdk.flush()
        """
    )
    assert run_sdk_file(tmp_path, script, dsn="").strip().splitlines()[-1] == "500"
    [issue] = wait_for(lambda: _issues(server, slug, "ZeroDivisionError"))
    assert issue["culprit"] == "/heron-test", "the FastAPI integration named the route"
