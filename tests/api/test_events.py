"""Events: an issue's list, its latest, one by id; the entries in Sentry's shapes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import Seeded
from tests.api.harness import Heron


def _entries(event: dict[str, Any]) -> dict[str, Any]:
    return {e["type"]: e["data"] for e in event["entries"]}


def test_issue_events_list(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    response = heron.api(f"/api/0/issues/{issue_id}/events/")
    assert response.status_code == 200
    events = response.json()
    assert len(events) == 2
    assert {e["groupID"] for e in events} == {str(issue_id)}
    assert events[0]["dateCreated"] >= events[1]["dateCreated"]
    assert "entries" not in events[0]
    assert {e["user"]["id"] for e in events} == {"u-1", "u-2"}
    full = heron.api(f"/api/0/issues/{issue_id}/events/", params={"full": "true"}).json()
    assert all("entries" in e for e in full)
    page = heron.api(f"/api/0/issues/{issue_id}/events/", params={"per_page": 1})
    assert len(page.json()) == 1
    assert 'rel="next"; results="true"' in page.headers["link"]
    second = heron.api(page.links["next"]["url"]).json()
    assert second[0]["eventID"] != page.json()[0]["eventID"]


def test_latest_event_of_an_error(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("'sku'")
    response = heron.api(f"/api/0/issues/{issue_id}/events/latest/")
    assert response.status_code == 200
    event = response.json()
    assert event["id"] == event["eventID"]
    assert len(event["id"]) == 32
    assert event["groupID"] == str(issue_id)
    assert event["projectID"] == str(heron.project_id)
    assert event["title"] == "KeyError: 'sku'"
    assert event["message"]
    assert event["platform"] == "python"
    assert event["type"] == "error"
    assert event["dateCreated"].endswith("Z") and event["dateReceived"].endswith("Z")
    assert event["release"]["version"] == "shop@2.0"
    assert event["environment"] == "staging"
    assert event["user"]["id"] == "u-3"
    assert set(event["user"]) >= {"id", "email", "username", "ip_address", "name"}
    tags = {t["key"]: t["value"] for t in event["tags"]}
    assert tags["model"] == "claude 3"
    assert tags["handled"] == "no"
    assert event["contexts"]["runtime"]["name"] == "CPython"
    assert event["fingerprints"] and all(len(h) == 32 for h in event["fingerprints"])
    assert event["metadata"]["type"] == "KeyError"
    assert event["location"]
    assert event["previousEventID"] is None and event["nextEventID"] is None

    entries = _entries(event)
    exception = entries["exception"]
    assert exception["excOmitted"] is None
    assert exception["hasSystemFrames"] is True
    (value,) = exception["values"]
    assert value["type"] == "KeyError"
    assert value["value"] == "'sku'"
    assert value["mechanism"]["handled"] is False
    frames = value["stacktrace"]["frames"]
    assert [f["function"] for f in frames] == ["run", "lookup"]  # oldest first, like Sentry
    crash = frames[-1]
    assert crash["inApp"] is True and frames[0]["inApp"] is False
    assert crash["filename"] == "shop/orders.py"
    assert crash["absPath"] == "/srv/shop/orders.py"
    assert crash["module"] == "shop.orders"
    assert crash["lineNo"] == 42
    assert crash["context"] == [
        [40, "def lookup(order):"],
        [41, "    total = 0"],
        [42, "    ratio = total / order.count"],
        [43, "    return ratio"],
    ]
    assert crash["vars"] == {"order": "<Order 42>", "total": "0"}

    (crumb,) = entries["breadcrumbs"]["values"]
    assert crumb["category"] == "auth"
    assert crumb["message"] == "user logged in"
    assert crumb["level"] == "info"
    assert crumb["timestamp"].endswith("Z")

    request = entries["request"]
    assert request["method"] == "POST"
    assert request["url"].startswith("https://shop.example/orders/42")
    assert ["User-Agent", "pytest-agent"] in request["headers"]


def test_latest_event_of_a_message(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("gateway timeout")
    event = heron.api(f"/api/0/issues/{issue_id}/events/latest/").json()
    assert event["type"] == "default"
    assert event["message"] == "Payment gateway timeout"
    message = _entries(event)["message"]
    assert message["formatted"] == "Payment gateway timeout"
    assert "exception" not in _entries(event)


def test_event_by_id(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    events = heron.api(f"/api/0/issues/{issue_id}/events/").json()
    older, newer = events[1]["eventID"], events[0]["eventID"]
    path = f"/api/0/projects/heron/default/events/{older}/"
    event = heron.api(path).json()
    assert event["eventID"] == older
    assert event["groupID"] == str(issue_id)
    assert event["nextEventID"] == newer
    assert event["previousEventID"] is None
    dashed = str(uuid.UUID(older))
    assert heron.api(f"/api/0/projects/heron/default/events/{dashed}/").json()["id"] == older


@pytest.mark.parametrize("event_id", [uuid.uuid4().hex, "not-an-id", "0" * 31])
def test_unknown_event_is_404(seeded: Seeded, event_id: str) -> None:
    response = seeded.heron.api(f"/api/0/projects/heron/default/events/{event_id}/")
    assert response.status_code == 404


def test_another_organizations_event_is_404(seeded: Seeded) -> None:
    heron = seeded.heron
    theirs = heron.issue_id("rival secret")
    (event,) = heron.api(f"/api/0/issues/{theirs}/events/", token=seeded.other_token).json()
    event_id = event["eventID"]
    assert heron.api(f"/api/0/projects/rivals/secret-app/events/{event_id}/").status_code == 404
    # Nor through a project of one's own.
    assert heron.api(f"/api/0/projects/heron/default/events/{event_id}/").status_code == 404


def test_captured_sdk_events(heron: Heron) -> None:
    """Envelopes the real Python SDK sent come back out through the API."""
    heron.send_captured("001-attachment+event.envelope", "002-event.envelope", "003-event.envelope")
    issues = heron.api("/api/0/projects/heron/default/issues/").json()
    titles = {i["title"] for i in issues}
    assert any("ZeroDivisionError" in t for t in titles)
    logged = next(i for i in issues if "failed after" in i["title"])
    event = heron.api(f"/api/0/issues/{logged['id']}/events/latest/").json()
    message = _entries(event)["message"]
    assert message["message"] == "Order %s failed after %d retries"
    assert message["params"] == ["o-42", 3]
    assert message["formatted"] == "Order o-42 failed after 3 retries"
    assert event["sdk"]["name"] == "sentry.python"
    assert event["release"]["version"] == "heron-demo@1.0.0"

    crash = next(i for i in issues if "ZeroDivisionError" in i["title"])
    event = heron.api(f"/api/0/issues/{crash['id']}/events/latest/").json()
    frames = _entries(event)["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "charge"
    assert frames[-1]["vars"]["password"] == "[Filtered]"
    assert event["user"]["email"] == "u1@example.com"


def test_event_json_is_the_stored_normalized_event(seeded: Seeded) -> None:
    heron = seeded.heron
    issue_id = heron.issue_id("invalid order total")
    event_id = heron.api(f"/api/0/issues/{issue_id}/events/").json()[0]["eventID"]
    raw = heron.api(f"/api/0/projects/heron/default/events/{event_id}/json/")
    assert raw.status_code == 200
    stored = raw.json()
    assert stored["event_id"] == event_id
    assert isinstance(stored["timestamp"], float)
    assert stored["_grouping"]["strategy"] == "newstyle:2023-01-11"
    assert heron.api(f"/api/0/projects/heron/default/events/{'0' * 32}/json/").status_code == 404
