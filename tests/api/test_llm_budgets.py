"""LLM budgets: created by admins, polled by apps, thresholds recorded once per period."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from heron import actions
from heron.digest import drain
from heron.digest.budgets import check_budgets
from heron.digest.worker import run_in_thread
from heron.settings import load
from heron.store import tables
from tests.api.harness import Heron
from tests.api.test_llm_api import _job_transaction

BASE = "/api/0/projects/heron/default/llm/budgets/"


def _send_job(heron: Heron) -> None:
    """One transaction of job-42: gpt-4o 1000 in / 200 out ($0.0045, 1,200 tokens) and the
    unpriced my-local-llm 500 in / 50 out (550 tokens)."""
    heron.post_envelope(_job_transaction(), heron.project_id, heron.public_key)
    drain(heron.db)


def _create(heron: Heron, **fields: Any) -> dict[str, Any]:
    response = heron.client.post(BASE, json=fields, headers=heron.auth())
    assert response.status_code == 201, response.text
    return dict(response.json())


def _status(heron: Heron, budget_id: str) -> dict[str, Any]:
    response = heron.api(f"{BASE}{budget_id}/")
    assert response.status_code == 200, response.text
    return dict(response.json()["status"])


def test_a_spend_budget_records_each_threshold_once_per_period(heron: Heron) -> None:
    budget = _create(heron, name="monthly", period="month", unit="usd", amount="0.01")
    assert budget["thresholds"] == [50, 80, 100] and budget["status"]["spent"] == 0
    _send_job(heron)  # $0.0045: 45 %
    assert check_budgets(heron.db) == 0
    _send_job(heron)  # $0.009: 90 %, past 50 and 80
    assert check_budgets(heron.db) == 2
    assert check_budgets(heron.db) == 0  # once per period
    status = _status(heron, budget["id"])
    assert status["spent"] == pytest.approx(0.009)
    assert status["percent"] == pytest.approx(90.0)
    assert (status["thresholdsCrossed"], status["over"]) == ([50, 80], False)
    assert status["remaining"] == pytest.approx(0.001)
    _send_job(heron)  # $0.0135: 135 %
    assert check_budgets(heron.db) == 1
    status = _status(heron, budget["id"])
    assert (status["thresholdsCrossed"], status["over"], status["remaining"]) == (
        [50, 80, 100],
        True,
        0,
    )
    assert status["periodStart"] == time.strftime("%Y-%m-01T00:00:00Z", time.gmtime())


def test_a_token_budget_of_one_job(heron: Heron) -> None:
    budget = _create(
        heron,
        scope="job",
        scopeValue="job-42",
        period="day",
        unit="tokens",
        amount=2000,
        thresholds=[80],
    )
    other = _create(heron, scope="job", scopeValue="job-7", unit="tokens", amount=10)
    _send_job(heron)  # 1,200 + 550 = 1,750 tokens: 87.5 %
    assert check_budgets(heron.db) == 1
    assert _status(heron, budget["id"])["percent"] == pytest.approx(87.5)
    assert _status(heron, other["id"])["spent"] == 0
    listed = heron.api(BASE).json()
    assert [b["id"] for b in listed] == [budget["id"], other["id"]]


def _put(heron: Heron, budget_id: str, token: str | None = None, **fields: Any) -> Any:
    return heron.client.put(f"{BASE}{budget_id}/", json=fields, headers=heron.auth(token))


def test_a_budget_is_changed_field_by_field(heron: Heron) -> None:
    budget = _create(heron, scope="job", scopeValue="job-42", amount="0.01")
    assert budget["name"] == "job job-42"
    _send_job(heron)  # $0.0045: 45 % of $0.01
    assert check_budgets(heron.db) == 0
    # Halve the amount: $0.0045 is 90 % of $0.005, past 50 and 80.
    changed = _put(heron, budget["id"], amount="0.005", thresholds=[50, 80])
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["amount"], body["thresholds"], body["period"]) == (0.005, [50, 80], "month")
    assert body["status"]["percent"] == pytest.approx(90.0)
    assert check_budgets(heron.db) == 2
    # Another scope: its value is needed, and a name made from the scope follows it.
    assert _put(heron, budget["id"], scope="channel").status_code == 400
    moved = _put(heron, budget["id"], scope="channel", scopeValue="email").json()
    assert (moved["name"], moved["scope"], moved["scopeValue"]) == (
        "channel email",
        "channel",
        "email",
    )
    assert _put(heron, budget["id"], name="Support bot").json()["name"] == "Support bot"
    kept = _put(heron, budget["id"], scope="user", scopeValue="id:u-7").json()
    assert kept["name"] == "Support bot"  # a name someone gave stays
    for bad in ({"amount": -1}, {"period": "year"}, {"colour": "red"}):
        assert _put(heron, budget["id"], **bad).status_code == 400, bad
    assert _put(heron, "999", amount=1).status_code == 404
    actions.create_user(heron.db, "member@example.com", "a long password")
    actions.add_member(heron.db, "heron", "member@example.com")
    token = actions.create_token(heron.db, "member@example.com")
    assert _put(heron, budget["id"], token, amount=1).status_code == 403
    # The job's calls are user u-7's too: still $0.0045 of $0.005 (the member changed nothing).
    assert _status(heron, budget["id"])["percent"] == pytest.approx(90.0)


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0},
        {"amount": "lots"},
        {"scope": "planet", "amount": 1},
        {"scope": "job", "amount": 1},
        {"scopeValue": "x", "amount": 1},
        {"period": "year", "amount": 1},
        {"unit": "eur", "amount": 1},
        {"amount": 1, "thresholds": [0]},
        {"amount": 1, "thresholds": "80"},
        {"amount": 1, "colour": "red"},
    ],
)
def test_bad_budgets_get_a_400(heron: Heron, body: dict[str, Any]) -> None:
    response = heron.client.post(BASE, json=body, headers=heron.auth())
    assert response.status_code == 400, response.text


def test_members_read_admins_write_others_see_nothing(heron: Heron) -> None:
    budget = _create(heron, amount=5)
    actions.create_user(heron.db, "member@example.com", "a long password")
    actions.add_member(heron.db, "heron", "member@example.com")
    token = actions.create_token(heron.db, "member@example.com")
    assert heron.api(f"{BASE}{budget['id']}/", token=token).status_code == 200
    assert heron.client.post(BASE, json={"amount": 1}, headers=heron.auth(token)).status_code == 403
    deleted = heron.client.delete(f"{BASE}{budget['id']}/", headers=heron.auth(token))
    assert deleted.status_code == 403
    _, outsider = heron.other_org()
    assert heron.api(f"{BASE}{budget['id']}/", token=outsider).status_code == 404
    assert heron.api(f"{BASE}999/").status_code == 404
    assert heron.api(f"{BASE}abc/").status_code == 404
    gone = heron.client.delete(f"{BASE}{budget['id']}/", headers=heron.auth())
    assert gone.status_code == 204
    assert heron.api(f"{BASE}{budget['id']}/").status_code == 404


def test_the_digest_worker_checks_budgets(heron: Heron, tmp_path: Path) -> None:
    _create(heron, amount="0.001", thresholds=[100])
    _send_job(heron)  # $0.0045: 450 %
    config = load({}, data_dir=str(tmp_path), database_url=heron.db.url, digest_processes=1)
    thread, stop = run_in_thread(config)
    e = tables.llm_budget_events.c
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with heron.db.read() as conn:
                found = conn.execute(select(e.threshold, e.spent)).all()
            if found:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert [(t, pytest.approx(s)) for t, s in found] == [(100, 0.0045)]
