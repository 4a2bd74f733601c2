"""The client keys page: DSNs, create, disable/enable, rotate, per-key rate limit.

Each change is checked where it matters, at ingest, right after the page saved it.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from heron import actions
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import tables
from tests.api.harness import Heron, TestClient
from tests.web.projects_helpers import admin, member, post

KEYS = "/projects/heron/default/keys/"


def ingest(heron: Heron, key: str) -> int:
    event = {"event_id": uuid.uuid4().hex, "message": "key page test", "level": "error"}
    body = serialize_envelope(
        Envelope({"event_id": event["event_id"]}, [Item({"type": "event"}, orjson.dumps(event))])
    )
    response = heron.client.post(
        f"/api/{heron.project_id}/envelope/",
        content=body,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
    )
    return int(response.status_code)


def keys(heron: Heron) -> list[Any]:
    with heron.db.read() as conn:
        k = tables.project_keys
        return list(
            conn.execute(select(k).where(k.c.project_id == heron.project_id).order_by(k.c.id))
        )


def key_path(heron: Heron, action: str, index: int = 0) -> str:
    return f"{KEYS}{keys(heron)[index].id}/{action}"


def test_the_page_lists_keys_with_their_dsn(heron: Heron) -> None:
    page = admin(heron).get(KEYS)
    assert page.status_code == 200
    dsn = f"https://{heron.public_key}@heron.example/{heron.project_id}"
    assert dsn in page.text
    assert "Default" in page.text and "active" in page.text
    assert 'name="label"' in page.text and 'name="rate_limit"' in page.text
    assert 'src="/static/copy.js"' in page.text
    assert heron.client.get("/static/copy.js").status_code == 200


def test_create_a_key(heron: Heron) -> None:
    client = admin(heron)
    response = post(client, KEYS, label="  Celery   workers ")
    assert response.status_code == 303
    assert response.headers["location"] == KEYS + "?done=created"
    assert "A new key was created." in client.get(response.headers["location"]).text
    created = keys(heron)[1]
    assert (created.label, created.is_active) == ("Celery workers", True)
    assert ingest(heron, created.public_key) == 200
    assert post(client, KEYS, label="").status_code == 303
    assert keys(heron)[2].label == "Default"
    too_long = post(client, KEYS, label="x" * 201)
    assert too_long.status_code == 400 and "at most 200" in too_long.text


def test_disable_and_enable_take_effect_at_once(heron: Heron) -> None:
    client = admin(heron)
    assert ingest(heron, heron.public_key) == 200  # the key is in ingest's cache now
    response = post(client, key_path(heron, "disable"))
    assert response.status_code == 303
    assert ingest(heron, heron.public_key) == 403
    page = client.get(response.headers["location"]).text
    assert "disabled" in page and "/enable" in page
    assert post(client, key_path(heron, "enable")).status_code == 303
    assert ingest(heron, heron.public_key) == 200


def test_rotate_keeps_the_label_and_rate_limit_and_disables_the_old_key(heron: Heron) -> None:
    client = admin(heron)
    actions.update_key(heron.db, "heron", "default", keys(heron)[0].id, label="Web", rate_limit=50)
    response = post(client, key_path(heron, "rotate"))
    assert response.status_code == 303
    old, new = keys(heron)
    assert (old.label, old.is_active, old.rate_limit) == ("Web", False, 50)
    assert (new.label, new.is_active, new.rate_limit) == ("Web", True, 50)
    assert new.public_key != old.public_key
    page = client.get(response.headers["location"]).text
    assert old.public_key in page and new.public_key in page, "both are listed"
    assert "SENTRY_DSN" in page
    assert ingest(heron, old.public_key) == 403
    assert ingest(heron, new.public_key) == 200


def test_a_rate_limit_set_on_the_page_holds_at_ingest(heron: Heron) -> None:
    client = admin(heron)
    left = 60 - time.time() % 60
    if left < 8:  # the limit counts calendar minutes: do not straddle two
        time.sleep(left + 0.2)
    assert post(client, key_path(heron, "rate-limit"), rate_limit="2").status_code == 303
    assert keys(heron)[0].rate_limit == 2
    assert 'value="2"' in client.get(KEYS).text
    assert [ingest(heron, heron.public_key) for _ in range(3)] == [200, 200, 429]
    assert post(client, key_path(heron, "rate-limit"), rate_limit="").status_code == 303
    assert keys(heron)[0].rate_limit is None
    assert ingest(heron, heron.public_key) == 200


@pytest.mark.parametrize(("value", "message"), [("abc", "not a rate limit"), ("-5", "negative")])
def test_a_bad_rate_limit_is_400(heron: Heron, value: str, message: str) -> None:
    response = post(admin(heron), key_path(heron, "rate-limit"), rate_limit=value)
    assert response.status_code == 400
    assert message in response.text
    assert keys(heron)[0].rate_limit is None


def test_a_member_sees_the_dsn_but_no_forms(heron: Heron) -> None:
    client = member(heron)
    page = client.get(KEYS)
    assert page.status_code == 200
    assert f"https://{heron.public_key}@heron.example/{heron.project_id}" in page.text
    assert "<form" not in page.text.split("<main>", 1)[1]
    for action in ("disable", "enable", "rotate", "rate-limit"):
        response = post(client, key_path(heron, action), rate_limit="1")
        assert response.status_code == 403, action
    assert post(client, KEYS, label="Sneaky").status_code == 403
    only = keys(heron)
    assert [(k.label, k.is_active, k.rate_limit) for k in only] == [("Default", True, None)]


def test_keys_of_other_projects_are_404(heron: Heron) -> None:
    client = admin(heron)
    actions.create_project(heron.db, "heron", "other")
    _project_id, _token = heron.other_org()
    with heron.db.read() as conn:
        k = tables.project_keys
        foreign = conn.execute(
            select(k.c.id).where(k.c.project_id != heron.project_id).order_by(k.c.id)
        ).scalars()
        foreign_ids = list(foreign)
    assert len(foreign_ids) == 2  # one in this organization, one in the rival's
    for key_id in [*foreign_ids, 999999, 0]:
        for action in ("disable", "rotate", "rate-limit"):
            response = post(client, f"{KEYS}{key_id}/{action}", rate_limit="1")
            assert response.status_code == 404, (key_id, action)
    assert post(client, f"{KEYS}abc/disable").status_code == 404
    rival = post(client, f"/projects/rivals/secret-app/keys/{foreign_ids[1]}/disable")
    assert rival.status_code == 404
    assert all(key.is_active for key in _all_keys(heron))


def test_a_stale_form_without_csrf_is_refused(heron: Heron) -> None:
    client = admin(heron)
    response: httpx.Response = client.post(
        key_path(heron, "disable"), data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert keys(heron)[0].is_active


def _all_keys(heron: Heron) -> list[Any]:
    with heron.db.read() as conn:
        return list(conn.execute(select(tables.project_keys)))


def test_dsn_is_shown_once_per_key(site: Heron, browser: TestClient) -> None:
    page = browser.get(KEYS).text
    dsns = re.findall(r"https://[0-9a-f]{32}@heron\.example/\d+", page)
    assert dsns == [f"https://{site.public_key}@heron.example/{site.project_id}"]
