"""One issue: detail with tags, status changes through PUT, tag values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from heron.store import tables
from tests.api.conftest import Seeded
from tests.api.harness import Heron, error_event


def _tags(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in body["tags"]}


def test_issue_detail(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    response = heron.api(f"/api/0/issues/{issue_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(issue_id)
    assert body["count"] == "2"
    assert body["firstRelease"]["version"] == "shop@1.0"
    assert body["lastRelease"]["version"] == "shop@1.0"
    tags = _tags(body)
    assert {"level", "environment", "release", "user", "job_id", "model"} <= set(tags)
    users = tags["user"]
    assert users["totalValues"] == 2
    assert users["name"] == "User"
    assert {v["value"] for v in users["topValues"]} == {"id:u-1", "id:u-2"}
    job = tags["job_id"]
    assert job["name"] == "job_id"
    (top,) = job["topValues"]
    assert top["key"] == "job_id"
    assert top["value"] == top["name"] == "job-7"
    assert top["count"] == 2
    assert top["firstSeen"].endswith("Z") and top["lastSeen"].endswith("Z")


def test_unhandled_issue(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("'sku'")
    body = heron.api(f"/api/0/issues/{issue_id}/").json()
    assert body["isUnhandled"] is True
    assert _tags(body)["handled"]["topValues"][0]["value"] == "no"


@pytest.mark.parametrize("suffix", ["", "events/", "events/latest/", "tags/level/values/"])
def test_another_organizations_issue_is_404(seeded: Seeded, suffix: str) -> None:
    heron = seeded.heron
    theirs = heron.issue_id("rival secret")
    assert heron.api(f"/api/0/issues/{theirs}/{suffix}").status_code == 404
    mine = heron.issue_id("invalid order total")
    assert heron.api(f"/api/0/issues/{mine}/{suffix}", token=seeded.other_token).status_code == 404
    assert (
        heron.api(f"/api/0/issues/{theirs}/{suffix}", token=seeded.other_token).status_code == 200
    )


@pytest.mark.parametrize("issue_id", ["999999", "0", "-1", "abc", "1.5"])
def test_unknown_issue_is_404(seeded: Seeded, issue_id: str) -> None:
    response = seeded.heron.api(f"/api/0/issues/{issue_id}/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_tag_values(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    response = heron.api(f"/api/0/issues/{issue_id}/tags/user/values/")
    assert response.status_code == 200
    values = response.json()
    assert {v["value"] for v in values} == {"id:u-1", "id:u-2"}
    assert all(v["key"] == "user" and v["count"] == 1 for v in values)
    assert set(values[0]) == {"key", "name", "value", "count", "lastSeen", "firstSeen"}
    page = heron.api(f"/api/0/issues/{issue_id}/tags/user/values/", params={"per_page": 1})
    assert len(page.json()) == 1
    assert 'rel="next"; results="true"' in page.headers["link"]
    rest = heron.api(page.links["next"]["url"]).json()
    assert len(rest) == 1 and rest[0]["value"] != page.json()[0]["value"]
    assert heron.api(f"/api/0/issues/{issue_id}/tags/nope/values/").json() == []


def _put(heron: Heron, issue_id: int | str, body: Any, token: str | None = None) -> Any:
    return heron.client.put(f"/api/0/issues/{issue_id}/", json=body, headers=heron.auth(token))


def _row(heron: Heron, issue_id: int) -> Any:
    with heron.db.read() as conn:
        issues = tables.issues
        return conn.execute(select(issues).where(issues.c.id == issue_id)).one()


def test_status_changes(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")

    resolved = _put(heron, issue_id, {"status": "resolved"})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["substatus"] is None
    assert _row(heron, issue_id).resolved_at is not None
    listed = heron.api("/api/0/projects/heron/default/issues/", params={"query": "is:resolved"})
    assert [i["id"] for i in listed.json()] == [str(issue_id)]
    assert heron.api("/api/0/projects/heron/default/issues/").json() == []

    ignored = _put(heron, issue_id, {"status": "ignored"})
    assert ignored.json()["status"] == "ignored"
    assert ignored.json()["substatus"] == "archived_forever"
    assert _row(heron, issue_id).resolved_at is None

    unresolved = _put(heron, issue_id, {"status": "unresolved"})
    assert unresolved.json()["status"] == "unresolved"
    assert unresolved.json()["substatus"] == "ongoing"
    row = _row(heron, issue_id)
    assert (row.status, row.substatus, row.resolved_at) == ("unresolved", "ongoing", None)
    assert heron.api(f"/api/0/issues/{issue_id}/").json()["status"] == "unresolved"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "bogus"},
        {},
        {"isBookmarked": "yes"},
        {"assignedTo": 5},
        {"status": "ignored", "statusDetails": {"ignoreCount": "ten"}},
        {"status": "ignored", "statusDetails": {"ignoreDuration": 0}},
        {"status": "resolved", "statusDetails": []},
        [1],
        "x",
    ],
)
def test_bad_status_updates_are_400(heron: Heron, body: Any) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    assert _put(heron, issue_id, body).status_code == 400
    assert _row(heron, issue_id).status == "unresolved"


def test_status_update_needs_json_and_a_token(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    response = heron.client.put(
        f"/api/0/issues/{issue_id}/", content=b"{not json", headers=heron.auth()
    )
    assert response.status_code == 400
    assert (
        heron.client.put(f"/api/0/issues/{issue_id}/", json={"status": "resolved"}).status_code
        == 401
    )
    assert _put(heron, 999999, {"status": "resolved"}).status_code == 404
    assert _row(heron, issue_id).status == "unresolved"


def test_cannot_change_another_organizations_issue(heron: Heron) -> None:
    project, token = heron.other_org()
    heron.send(error_event("ValueError", "theirs"), project_id=project)
    issue_id = heron.issue_id("theirs")
    assert _put(heron, issue_id, {"status": "resolved"}).status_code == 404
    assert _row(heron, issue_id).status == "unresolved"
    assert _put(heron, issue_id, {"status": "resolved"}, token=token).status_code == 200
