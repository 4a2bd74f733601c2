"""Organizations, projects and client keys; authentication and organization boundaries."""

from __future__ import annotations

import pytest

from tests.api.conftest import Seeded
from tests.api.harness import Heron

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


def test_project_list_shows_only_the_callers_organizations(seeded: Seeded) -> None:
    heron = seeded.heron
    response = heron.api("/api/0/projects/")
    assert response.status_code == 200
    projects = response.json()
    assert [(p["organization"]["slug"], p["slug"]) for p in projects] == [("heron", "default")]
    project = projects[0]
    assert project["id"] == str(heron.project_id)
    assert project["name"] == "Default"
    assert project["platform"] == "python"
    assert project["organization"] == {
        "id": project["organization"]["id"],
        "slug": "heron",
        "name": "Heron",
    }
    assert isinstance(project["organization"]["id"], str)

    theirs = heron.api("/api/0/projects/", token=seeded.other_token).json()
    assert [(p["organization"]["slug"], p["slug"]) for p in theirs] == [("rivals", "secret-app")]


def test_project_detail(seeded: Seeded) -> None:
    import re

    body = seeded.heron.api("/api/0/projects/heron/default/").json()
    assert body["slug"] == "default"
    assert re.match(ISO_Z, body["dateCreated"])
    assert body["organization"]["slug"] == "heron"


@pytest.mark.parametrize(
    "path",
    [
        "/api/0/projects/rivals/secret-app/",
        "/api/0/projects/rivals/secret-app/keys/",
        "/api/0/projects/rivals/secret-app/issues/",
        "/api/0/projects/heron/nope/",
        "/api/0/projects/nope/default/",
        "/api/0/organizations/rivals/",
        "/api/0/organizations/rivals/issues/",
        "/api/0/organizations/rivals/projects/",
    ],
)
def test_other_organizations_and_unknown_projects_are_404(seeded: Seeded, path: str) -> None:
    response = seeded.heron.api(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_keys_carry_the_dsn(seeded: Seeded) -> None:
    heron = seeded.heron
    keys = heron.api("/api/0/projects/heron/default/keys/").json()
    assert len(keys) == 1
    key = keys[0]
    pid = heron.project_id
    assert key["public"] == heron.public_key
    assert key["id"] == heron.public_key
    assert key["isActive"] is True
    assert key["projectId"] == pid
    assert key["name"] == "Default"
    dsn = f"https://{heron.public_key}@heron.example/{pid}"
    assert key["dsn"]["public"] == dsn
    assert key["dsn"]["secret"] == dsn
    assert key["dsn"]["store"] == f"https://heron.example/api/{pid}/store/"
    assert key["dsn"]["security"].startswith(f"https://heron.example/api/{pid}/security/")


def test_organizations(seeded: Seeded) -> None:
    heron = seeded.heron
    orgs = heron.api("/api/0/organizations/").json()
    assert [o["slug"] for o in orgs] == ["heron"]
    assert heron.api("/api/0/organizations/heron/").json()["name"] == "Heron"
    projects = heron.api("/api/0/organizations/heron/projects/").json()
    assert [p["slug"] for p in projects] == ["default"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Token abc"},
        {"Authorization": "Basic YWRtaW46cGFzcw=="},
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/0/projects/", "/api/0/issues/1/", "/api/0/organizations/heron/issues/"]
)
def test_missing_or_wrong_token_is_401(seeded: Seeded, headers: dict[str, str], path: str) -> None:
    response = seeded.heron.client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_deactivated_users_token_stops_working(heron: Heron) -> None:
    from sqlalchemy import update

    from heron.store import tables

    assert heron.api("/api/0/projects/").status_code == 200
    with heron.db.write() as conn:
        conn.execute(update(tables.users).values(is_active=False))
    assert heron.api("/api/0/projects/").status_code == 401


def test_project_list_pages(heron: Heron) -> None:
    from heron import actions

    for slug in ("alpha", "beta", "gamma"):
        actions.create_project(heron.db, "heron", slug)
    first = heron.api("/api/0/projects/", params={"per_page": 2})
    assert [p["slug"] for p in first.json()] == ["alpha", "beta"]
    assert 'rel="next"; results="true"' in first.headers["link"]
    second = heron.api(first.links["next"]["url"])
    assert [p["slug"] for p in second.json()] == ["default", "gamma"]
    assert 'rel="next"; results="false"' in second.headers["link"]
