"""The project pages: list, new project, general settings, deletion; who may do what.

Admins and owners create, change and delete projects; a member sees the same pages without
forms and gets 403 on every POST; another organization's project is 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from heron import query
from heron.store import tables
from tests.api.harness import ADMIN_EMAIL, Heron, TestClient, error_event
from tests.web.people import user_id_of
from tests.web.projects_helpers import admin, member, post

SETTINGS = "/projects/heron/default/settings/"
GENERAL = SETTINGS + "general"
DELETE = "/projects/heron/default/delete"


def project_row(heron: Heron, slug: str = "default") -> Any:
    with heron.db.read() as conn:
        return conn.execute(select(tables.projects).where(tables.projects.c.slug == slug)).first()


def test_the_list_links_each_projects_pages(site: Heron, browser: TestClient) -> None:
    page = browser.get("/projects/").text
    for tab in ("settings/", "keys/", "setup/"):
        assert f'href="/projects/heron/default/{tab}"' in page
    assert 'href="/projects/new"' in page
    assert "secret-app" not in page and "rivals" not in page
    settings = browser.get(SETTINGS).text
    for tab in ("settings/", "keys/", "setup/"):
        assert f'href="/projects/heron/default/{tab}"' in settings, "the tabs link each other"
    assert f'href="/issues/?project={site.project_id}"' in settings


def test_create_a_project(heron: Heron) -> None:
    client = admin(heron)
    form = client.get("/projects/new")
    assert form.status_code == 200
    assert 'name="organization"' in form.text and 'value="python-django"' in form.text
    response = post(
        client, "/projects/new", organization="heron", name="Shop API", platform="python-fastapi"
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/projects/heron/shop-api/setup/"
    setup = client.get(response.headers["location"])
    assert setup.status_code == 200
    row = project_row(heron, "shop-api")
    assert (row.name, row.platform) == ("Shop API", "python-fastapi")
    with heron.db.read() as conn:
        key = conn.execute(
            select(tables.project_keys.c.public_key).where(
                tables.project_keys.c.project_id == row.id
            )
        ).scalar_one()
    assert f"https://{key}@heron.example/{row.id}" in setup.text
    # The same name again gets a numbered slug, not an error.
    again = post(client, "/projects/new", organization="heron", name="shop api", platform="python")
    assert again.headers["location"] == "/projects/heron/shop-api-2/setup/"


@pytest.mark.parametrize(
    ("name", "platform", "message"),
    [("   ", "python", "cannot be empty"), ("Shop", "py thon!", "not a platform")],
)
def test_a_bad_new_project_is_400_with_the_form_again(
    heron: Heron, name: str, platform: str, message: str
) -> None:
    client = admin(heron)
    response = post(client, "/projects/new", organization="heron", name=name, platform=platform)
    assert response.status_code == 400
    assert message in response.text
    assert 'action="/projects/new"' in response.text
    with heron.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.projects)).scalar_one() == 1


def test_rename_change_platform_and_issue_tracker(heron: Heron) -> None:
    client = admin(heron)
    url = "https://github.com/acme/shop/issues/new?title={title}&body={url}"
    response = post(client, GENERAL, name="Shop", platform="python-django", issue_tracker_url=url)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == SETTINGS + "?saved=general"
    row = project_row(heron)
    assert (row.name, row.platform, row.issue_tracker_url) == ("Shop", "python-django", url)
    page = client.get(response.headers["location"]).text
    assert "The project was saved." in page
    assert 'value="Shop"' in page
    assert "title={title}&amp;body={url}" in page

    # The template fills in URL-encoded values, as the issue page's link uses it.
    link = query.issue_tracker_link(
        row.issue_tracker_url, title="KeyError: 'sku' & more", url="https://h.example/issues/7/"
    )
    assert link == (
        "https://github.com/acme/shop/issues/new?title=KeyError%3A%20%27sku%27%20%26%20more"
        "&body=https%3A%2F%2Fh.example%2Fissues%2F7%2F"
    )
    viewer = query.viewer_for_user(heron.db, user_id_of(heron, ADMIN_EMAIL))
    assert viewer is not None
    found = query.get_project(heron.db, viewer, "heron", "default")
    assert found is not None and found.issue_tracker_url == url

    cleared = post(client, GENERAL, name="Shop", platform="python-django", issue_tracker_url="")
    assert cleared.status_code == 303
    assert project_row(heron).issue_tracker_url == ""


def test_llm_usage_settings(heron: Heron) -> None:
    client = admin(heron)
    page = client.get(SETTINGS).text
    assert 'value="job_id"' in page and 'value="channel"' in page
    assert 'name="llm_store_prompts" value="1" aria' in page  # not checked
    llm = SETTINGS + "llm"
    response = post(
        client, llm, llm_job_tag=" run ", llm_channel_tag="queue", llm_store_prompts="1"
    )
    assert response.status_code == 303, response.text
    row = project_row(heron)
    assert (row.llm_job_tag, row.llm_channel_tag, row.llm_store_prompts) == ("run", "queue", True)
    page = client.get(response.headers["location"]).text
    assert "The LLM usage settings were saved." in page
    assert 'value="run"' in page and 'value="1" checked' in page
    # A checkbox left unticked is not sent: prompts are no longer kept.
    assert post(client, llm, llm_job_tag="run", llm_channel_tag="queue").status_code == 303
    assert project_row(heron).llm_store_prompts is False
    bad = post(client, llm, llm_job_tag="job id", llm_channel_tag="queue")
    assert bad.status_code == 400 and "The job tag must be a tag key" in bad.text
    assert 'value="job id"' in bad.text  # the form comes back as typed
    assert project_row(heron).llm_job_tag == "run"
    # A member reads the settings and may not change them.
    reader = member(heron)
    assert "<dt>Job tag</dt><dd><code>run</code></dd>" in reader.get(SETTINGS).text
    assert post(reader, llm, llm_job_tag="x", llm_channel_tag="y").status_code == 403


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)//{title}", "http:// or https://"),
        ("ftp://tracker.example/{title}", "http:// or https://"),
        ("https:///no-host", "http:// or https://"),
        ("https://tracker.example/new?t={titel}", "Unknown placeholder {titel}"),
        ("https://tracker.example/new?t={title} x", "without spaces"),
        ("https://tracker.example/" + "x" * 2000, "at most 2000"),
    ],
)
def test_a_bad_issue_tracker_url_is_refused(heron: Heron, url: str, message: str) -> None:
    client = admin(heron)
    response = post(client, GENERAL, name="Renamed", platform="python", issue_tracker_url=url)
    assert response.status_code == 400
    assert message in response.text
    row = project_row(heron)
    assert (row.name, row.issue_tracker_url) == ("Default", ""), "nothing was saved"


def test_deleting_asks_for_the_slug(heron: Heron) -> None:
    heron.send(error_event("ValueError", "soon gone"))
    client = admin(heron)
    refused = post(client, DELETE, confirm="Default project")
    assert refused.status_code == 400
    assert "Nothing was deleted" in refused.text
    assert project_row(heron) is not None

    response = post(client, DELETE, confirm="default")
    assert response.status_code == 303
    assert response.headers["location"] == "/projects/?deleted=heron/default"
    listing = client.get(response.headers["location"]).text
    assert "The project heron/default was deleted" in listing
    assert 'href="/projects/heron/default/settings/"' not in listing
    assert project_row(heron) is None
    with heron.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.events)).scalar_one() == 0
    ingest = heron.client.post(
        f"/api/{heron.project_id}/envelope/",
        content=b'{}\n{"type":"event"}\n{}\n',
        headers={"X-Sentry-Auth": f"Sentry sentry_key={heron.public_key}, sentry_version=7"},
    )
    assert ingest.status_code == 404, "its DSN stopped working"
    assert client.get(SETTINGS).status_code == 404


def test_a_member_reads_without_forms_and_may_not_post(heron: Heron) -> None:
    client = member(heron)
    listing = client.get("/projects/").text
    assert 'href="/projects/new"' not in listing
    assert client.get("/projects/new").status_code == 403
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert f"https://{heron.public_key}@heron.example/{heron.project_id}" in page.text
    assert "<form" not in page.text.split("<main>", 1)[1], "no forms for a member"
    assert "admins and owners" in page.text

    for path, data in (
        ("/projects/new", {"organization": "heron", "name": "Mine", "platform": "python"}),
        (SETTINGS, {"fingerprinting_rules": "error.type:X -> y", "grouping_enhancements": ""}),
        (GENERAL, {"name": "Mine", "platform": "python", "issue_tracker_url": ""}),
        (DELETE, {"confirm": "default"}),
    ):
        response = post(client, path, **data)
        assert response.status_code == 403, (path, response.text)
    row = project_row(heron)
    assert (row.name, row.fingerprinting_rules) == ("Default", "")
    with heron.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.projects)).scalar_one() == 1


def test_another_organizations_project_is_404(site: Heron, browser: TestClient) -> None:
    for tab in ("", "settings/", "keys/", "setup/"):
        assert browser.get(f"/projects/rivals/secret-app/{tab}").status_code == 404, tab
    for path, data in (
        ("/projects/rivals/secret-app/settings/general", {"name": "pwned", "platform": "python"}),
        ("/projects/rivals/secret-app/delete", {"confirm": "secret-app"}),
        ("/projects/new", {"organization": "rivals", "name": "pwned", "platform": "python"}),
    ):
        assert post(browser, path, **data).status_code == 404, path
    assert project_row(site, "secret-app").name == "secret-app"
