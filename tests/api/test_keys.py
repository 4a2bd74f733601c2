"""Client keys and projects through the REST API: Sentry's shapes, roles, and what ingest does.

``/api/0/projects/{org}/{project}/keys/`` lists and creates keys; ``…/keys/{public key}/``
changes (``name``, ``isActive``, ``rateLimit``) and deletes one. A key change reaches ingest
in the same process at once, which the ingest calls here check right after each change.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from heron import actions
from heron.digest import drain
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import tables
from tests.api.harness import Heron
from tests.live import wait_for

KEYS = "/api/0/projects/heron/default/keys/"
PROJECT = "/api/0/projects/heron/default/"


def ingest(heron: Heron, key: str, project_id: int | None = None) -> Any:
    """POST one event envelope with ``key``; the response."""
    event = {"event_id": uuid.uuid4().hex, "message": "api key test", "level": "error"}
    body = serialize_envelope(
        Envelope({"event_id": event["event_id"]}, [Item({"type": "event"}, orjson.dumps(event))])
    )
    return heron.client.post(
        f"/api/{project_id or heron.project_id}/envelope/",
        content=body,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
    )


def member_token(heron: Heron) -> str:
    actions.create_user(heron.db, "member@example.com", "a long password")
    actions.add_member(heron.db, "heron", "member@example.com")
    return actions.create_token(heron.db, "member@example.com")


def send(heron: Heron, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    return heron.client.request(method, path, json=body, headers=heron.auth(token))


def fresh_minute(needed: float = 8.0) -> None:
    """Rate limits count calendar minutes: start where enough of one is left."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


def test_create_a_key_and_send_with_it(heron: Heron) -> None:
    response = send(heron, "POST", KEYS, {"name": "Backend"})
    assert response.status_code == 201, response.text
    key = response.json()
    assert key["name"] == "Backend" and key["isActive"] is True and key["rateLimit"] is None
    assert key["dsn"]["public"] == f"https://{key['public']}@heron.example/{heron.project_id}"
    listed = heron.api(KEYS).json()
    assert [k["name"] for k in listed] == ["Default", "Backend"]
    assert ingest(heron, key["public"]).status_code == 200
    assert heron.api(KEYS + key["id"] + "/").json()["name"] == "Backend"
    unnamed = send(heron, "POST", KEYS, {}).json()
    assert unnamed["name"] == "Default"


def test_a_disabled_key_is_refused_at_once_and_works_again_when_enabled(heron: Heron) -> None:
    key = heron.public_key
    assert ingest(heron, key).status_code == 200  # now in ingest's cache
    response = send(heron, "PUT", KEYS + key + "/", {"isActive": False})
    assert response.status_code == 200, response.text
    assert response.json()["isActive"] is False
    refused = ingest(heron, key)
    assert refused.status_code == 403
    assert "disabled" in refused.headers["x-sentry-error"]
    assert send(heron, "PUT", KEYS + key + "/", {"isActive": True}).json()["isActive"] is True
    assert ingest(heron, key).status_code == 200


def test_rename_and_rate_limit(heron: Heron) -> None:
    path = KEYS + heron.public_key + "/"
    body = {"name": "Web", "rateLimit": {"window": 60, "count": 2}}
    changed = send(heron, "PUT", path, body).json()
    assert changed["name"] == "Web"
    assert changed["rateLimit"] == {"window": 60, "count": 2}
    # An hour-long window is accepted when it comes to whole events a minute.
    hourly = send(heron, "PUT", path, {"rateLimit": {"window": 3600, "count": 180}}).json()
    assert hourly["rateLimit"] == {"window": 60, "count": 3}
    assert hourly["name"] == "Web", "fields not sent stay as they were"
    assert send(heron, "PUT", path, {"rateLimit": None}).json()["rateLimit"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"rateLimit": {"window": 3600, "count": 100}},  # 1.67 a minute: refused, not rounded
        {"rateLimit": {"window": 0, "count": 5}},
        {"rateLimit": {"window": 60, "count": -1}},
        {"rateLimit": {"window": 60, "count": 0}},
        {"rateLimit": {"window": "60", "count": 5}},
        {"rateLimit": 5},
        {"isActive": "no"},
        {"name": 7},
        {"name": "x" * 201},
        [],
    ],
)
def test_bad_changes_are_400_and_change_nothing(heron: Heron, body: Any) -> None:
    path = KEYS + heron.public_key + "/"
    response = send(heron, "PUT", path, body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]
    key = heron.api(path).json()
    assert (key["name"], key["isActive"], key["rateLimit"]) == ("Default", True, None)


def test_a_keys_rate_limit_applies_beside_the_projects(heron: Heron) -> None:
    created = send(heron, "POST", KEYS, {"name": "Batch", "rateLimit": {"window": 60, "count": 2}})
    limited = created.json()["public"]
    fresh_minute()
    assert [ingest(heron, limited).status_code for _ in range(2)] == [200, 200]
    refused = ingest(heron, limited)
    assert refused.status_code == 429, refused.text
    limits = refused.headers["x-sentry-rate-limits"]
    assert limits.endswith(":key:key_quota"), limits
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The project's other key has no limit of its own and is not held back by this one.
    assert ingest(heron, heron.public_key).status_code == 200

    def refused_count() -> int:
        drain(heron.db)  # outcomes of a request left empty reach the inbox a moment later
        o = tables.outcomes
        with heron.db.read() as conn:
            total = conn.execute(
                select(func.coalesce(func.sum(o.c.quantity), 0)).where(
                    o.c.outcome == "rate_limited", o.c.reason == "key_quota"
                )
            ).scalar_one()
        return int(total)

    assert wait_for(refused_count, timeout=10) == 1


def test_delete_a_key(heron: Heron) -> None:
    extra = send(heron, "POST", KEYS, {"name": "Temp"}).json()
    assert ingest(heron, extra["public"]).status_code == 200
    response = send(heron, "DELETE", KEYS + extra["id"] + "/")
    assert response.status_code == 204
    assert [k["name"] for k in heron.api(KEYS).json()] == ["Default"]
    assert ingest(heron, extra["public"]).status_code == 403
    assert send(heron, "DELETE", KEYS + extra["id"] + "/").status_code == 404


def test_members_read_keys_but_change_nothing(heron: Heron) -> None:
    token = member_token(heron)
    listed = heron.api(KEYS, token=token)
    assert listed.status_code == 200
    assert listed.json()[0]["dsn"]["public"].startswith(f"https://{heron.public_key}@")
    path = KEYS + heron.public_key + "/"
    for method, url, body in (
        ("POST", KEYS, {"name": "Sneaky"}),
        ("PUT", path, {"isActive": False}),
        ("DELETE", path, None),
        ("PUT", PROJECT, {"name": "Renamed"}),
        ("DELETE", PROJECT, None),
    ):
        response = send(heron, method, url, body, token=token)
        assert response.status_code == 403, (method, url, response.text)
        assert "admins" in response.json()["detail"]
    keys = heron.api(KEYS).json()
    assert [(k["name"], k["isActive"]) for k in keys] == [("Default", True)]
    assert heron.api(PROJECT).json()["name"] == "Default"


def test_other_organizations_and_unknown_keys_are_404(heron: Heron) -> None:
    project_id, rival_token = heron.other_org()
    rival_keys = "/api/0/projects/rivals/secret-app/keys/"
    rival_key = heron.api(rival_keys, token=rival_token).json()[0]["id"]
    for method, path, body in (
        ("GET", rival_keys, None),
        ("POST", rival_keys, {"name": "x"}),
        ("GET", rival_keys + rival_key + "/", None),
        ("PUT", rival_keys + rival_key + "/", {"isActive": False}),
        ("DELETE", rival_keys + rival_key + "/", None),
        ("PUT", "/api/0/projects/rivals/secret-app/", {"name": "pwned"}),
        ("DELETE", "/api/0/projects/rivals/secret-app/", None),
        # Their key under our project's path is not ours either.
        ("PUT", KEYS + rival_key + "/", {"isActive": False}),
        ("GET", KEYS + "no-such-key/", None),
    ):
        response = send(heron, method, path, body)
        assert response.status_code == 404, (method, path, response.text)
    assert ingest(heron, rival_key, project_id).status_code == 200, "their key still works"


def test_rename_and_delete_a_project(heron: Heron) -> None:
    heron.send({"event_id": uuid.uuid4().hex, "message": "doomed", "level": "error"})
    changed = send(heron, "PUT", PROJECT, {"name": "Shop", "platform": "python-django"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["platform"]) == ("Shop", "python-django")
    assert ingest(heron, heron.public_key).status_code == 200

    assert send(heron, "DELETE", PROJECT).status_code == 204
    assert heron.api(PROJECT).status_code == 404
    assert heron.api("/api/0/projects/").json() == []
    assert ingest(heron, heron.public_key).status_code == 404, "its DSN stops at once"
    with heron.db.read() as conn:
        left = conn.execute(select(func.count()).select_from(tables.events)).scalar_one()
    assert left == 0
    assert send(heron, "DELETE", PROJECT).status_code == 404
