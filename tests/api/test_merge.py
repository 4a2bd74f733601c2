"""Merging issues (bulk PUT), listing an issue's hashes and unmerging one (DELETE)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from heron import actions
from heron.store import tables
from tests.api.harness import Heron, error_event, message_event


def _charge(user: str, **fields: Any) -> dict[str, Any]:
    return error_event(
        "ValueError",
        "invalid order total",
        function="charge",
        release="shop@1.0",
        tags={"job_id": "job-a"},
        user={"id": user},
        **fields,
    )


def _lookup(user: str = "u-3", **fields: Any) -> dict[str, Any]:
    return error_event(
        "KeyError",
        "'sku'",
        function="lookup",
        release="shop@2.0",
        tags={"job_id": "job-b"},
        user={"id": user},
        **fields,
    )


def _merge(heron: Heron, *ids: int, org: str = "heron", project: str = "default") -> Any:
    return heron.client.put(
        f"/api/0/projects/{org}/{project}/issues/",
        params=[("id", str(i)) for i in ids],
        json={"merge": 1},
        headers=heron.auth(),
    )


def _tag_counts(heron: Heron, issue_id: int) -> dict[str, dict[str, int]]:
    body = heron.api(f"/api/0/issues/{issue_id}/").json()
    return {t["key"]: {v["value"]: v["count"] for v in t["topValues"]} for t in body["tags"]}


def _hashes(heron: Heron, issue_id: int) -> set[str]:
    with heron.db.read() as conn:
        rows = conn.execute(
            select(tables.issue_hashes.c.hash).where(tables.issue_hashes.c.issue_id == issue_id)
        )
        return set(rows.scalars())


def _issue_count(heron: Heron) -> int:
    with heron.db.read() as conn:
        return len(list(conn.execute(select(tables.issues.c.id))))


@pytest.fixture
def merged(heron: Heron) -> tuple[Heron, int, int]:
    """Two "charge" events (u-1, u-2) and one "lookup" event (u-3), merged: (app, parent, child)."""
    heron.send(_charge("u-1", age=60), _charge("u-2", age=30), _lookup(age=120))
    charge, lookup = heron.issue_id("invalid order total"), heron.issue_id("'sku'")
    response = _merge(heron, lookup, charge)
    assert response.status_code == 200, response.text
    assert response.json() == {"merge": {"parent": str(charge), "children": [str(lookup)]}}
    return heron, charge, lookup


def test_merge_sums_counts_tags_and_users(merged: tuple[Heron, int, int]) -> None:
    heron, parent, child = merged
    assert heron.api(f"/api/0/issues/{child}/").status_code == 404
    body = heron.api(f"/api/0/issues/{parent}/").json()
    assert body["count"] == "3"
    assert body["userCount"] == 3
    # The child's event is the oldest and the parent's the newest: both ends of the span.
    assert body["firstRelease"]["version"] == "shop@2.0"
    assert body["lastRelease"]["version"] == "shop@1.0"
    tags = _tag_counts(heron, parent)
    assert tags["job_id"] == {"job-a": 2, "job-b": 1}
    assert tags["release"] == {"shop@1.0": 2, "shop@2.0": 1}
    events = heron.api(f"/api/0/issues/{parent}/events/").json()
    assert len(events) == 3
    assert {e["groupID"] for e in events} == {str(parent)}


def test_merged_hashes_keep_routing(merged: tuple[Heron, int, int]) -> None:
    heron, parent, _ = merged
    before = _issue_count(heron)
    heron.send(_lookup("u-4"))
    assert _issue_count(heron) == before
    body = heron.api(f"/api/0/issues/{parent}/").json()
    assert body["count"] == "4"
    assert body["userCount"] == 4


def test_hashes_endpoint_lists_every_hash(merged: tuple[Heron, int, int]) -> None:
    heron, parent, _ = merged
    response = heron.api(f"/api/0/issues/{parent}/hashes/")
    assert response.status_code == 200
    assert 'rel="next"; results="false"' in response.headers["Link"]
    body = response.json()
    assert {h["id"] for h in body} == _hashes(heron, parent)
    assert len(body) == 4  # app and system hashes of both stacks
    assert all(h["mergedBySeer"] is False for h in body)
    routed = [h for h in body if h["latestEvent"] is not None]
    titles = {h["latestEvent"]["title"] for h in routed}
    assert titles == {"ValueError: invalid order total", "KeyError: 'sku'"}
    assert all(h["latestEvent"]["groupID"] == str(parent) for h in routed)
    page = heron.api(f"/api/0/issues/{parent}/hashes/", params={"per_page": 3})
    assert len(page.json()) == 3 and 'rel="next"; results="true"' in page.headers["Link"]


def test_unmerge_moves_one_hash_and_its_events(merged: tuple[Heron, int, int]) -> None:
    heron, parent, _ = merged
    heron.send(_lookup("u-4"))
    listed = heron.api(f"/api/0/issues/{parent}/hashes/").json()
    (lookup_hash,) = [
        h["id"]
        for h in listed
        if h["latestEvent"] and h["latestEvent"]["title"] == "KeyError: 'sku'"
    ]
    response = heron.client.delete(
        f"/api/0/issues/{parent}/hashes/", params={"id": lookup_hash}, headers=heron.auth()
    )
    assert response.status_code == 202, response.text
    new_id = int(response.json()["newIssueId"])
    assert new_id != parent
    assert _hashes(heron, new_id) == {lookup_hash}
    assert lookup_hash not in _hashes(heron, parent)

    new = heron.api(f"/api/0/issues/{new_id}/").json()
    assert new["title"] == "KeyError: 'sku'"
    assert (new["count"], new["userCount"]) == ("2", 2)
    assert new["shortId"] == "DEFAULT-3"
    assert _tag_counts(heron, new_id)["job_id"] == {"job-b": 2}
    events = heron.api(f"/api/0/issues/{new_id}/events/").json()
    assert {e["title"] for e in events} == {"KeyError: 'sku'"} and len(events) == 2

    old = heron.api(f"/api/0/issues/{parent}/").json()
    assert (old["count"], old["userCount"]) == ("2", 2)
    assert old["firstRelease"]["version"] == old["lastRelease"]["version"] == "shop@1.0"
    assert _tag_counts(heron, parent)["job_id"] == {"job-a": 2}
    assert len(heron.api(f"/api/0/issues/{parent}/events/").json()) == 2

    # The split-off hash now routes new events to the new issue.
    heron.send(_lookup("u-5"))
    assert heron.api(f"/api/0/issues/{new_id}/").json()["count"] == "3"


def test_merge_refusals(heron: Heron) -> None:
    heron.send(_charge("u-1"), _lookup())
    charge, lookup = heron.issue_id("invalid order total"), heron.issue_id("'sku'")
    other_project, other_token = heron.other_org()
    heron.send(error_event("ValueError", "rival secret"), project_id=other_project)
    rival = heron.issue_id("rival secret")

    assert _merge(heron, charge).status_code == 400
    assert _merge(heron, charge, charge).status_code == 400
    assert _merge(heron, charge, rival).status_code == 404
    assert _merge(heron, charge, 2**70).status_code == 404
    assert _merge(heron, charge, lookup, org="rivals", project="secret-app").status_code == 404
    assert _merge(heron, charge, lookup, project="nope").status_code == 404
    url = "/api/0/projects/heron/default/issues/"
    bad_id = heron.client.put(url, params={"id": "x"}, json={"merge": 1}, headers=heron.auth())
    assert bad_id.status_code == 400
    assert heron.client.put(url, params={"id": "1"}, json={"merge": 1}).status_code == 401
    as_rival = heron.client.put(
        url,
        params=[("id", str(charge)), ("id", str(lookup))],
        json={"merge": 1},
        headers=heron.auth(other_token),
    )
    assert as_rival.status_code == 404
    # Nothing changed.
    assert heron.api(f"/api/0/issues/{lookup}/").status_code == 200
    with pytest.raises(actions.NotFoundError):
        actions.merge_issues(heron.db, heron.project_id, [charge, rival])


def test_unmerge_refusals(heron: Heron) -> None:
    heron.send(message_event("Payment gateway timeout"), _charge("u-1"))
    message = heron.issue_id("gateway timeout")
    (only,) = _hashes(heron, message)
    url = f"/api/0/issues/{message}/hashes/"
    only_hash = heron.client.delete(url, params={"id": only}, headers=heron.auth())
    assert only_hash.status_code == 400
    unknown = heron.client.delete(url, params={"id": "0" * 32}, headers=heron.auth())
    assert unknown.status_code == 404
    charge = heron.issue_id("invalid order total")
    (charge_hash, *_) = sorted(_hashes(heron, charge))
    foreign = heron.client.delete(url, params={"id": charge_hash}, headers=heron.auth())
    assert foreign.status_code == 404
    assert heron.client.delete(url, headers=heron.auth()).status_code == 400
    assert heron.client.delete(url, params={"id": only}).status_code == 401
    _, other_token = heron.other_org()
    as_rival = heron.client.delete(url, params={"id": only}, headers=heron.auth(other_token))
    assert as_rival.status_code == 404
    assert heron.api("/api/0/issues/999999/hashes/").status_code == 404
    assert _hashes(heron, message) == {only}


def test_bulk_status(heron: Heron) -> None:
    heron.send(_charge("u-1"), _lookup())
    ids = [heron.issue_id("invalid order total"), heron.issue_id("'sku'")]
    response = heron.client.put(
        "/api/0/projects/heron/default/issues/",
        params=[("id", str(i)) for i in ids],
        json={"status": "resolved"},
        headers=heron.auth(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"
    assert {heron.api(f"/api/0/issues/{i}/").json()["status"] for i in ids} == {"resolved"}
