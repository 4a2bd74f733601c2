"""The LLM usage API over calls sent through ingest: the conformance sample's wire envelopes
and a transaction with AI spans recorded by hand (a job id, an unpriced local model)."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import orjson
import pytest

from heron import actions
from heron.digest import drain
from heron.protocol import Envelope, Item, serialize_envelope
from tests.api.harness import Heron
from tests.unit.llm.samples import sample, split_envelopes

BASE = "/api/0/projects/heron/default/llm"
NOW = time.time()


def _chat(trace_id: str, root: str, model: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    """A manual ``gen_ai.chat`` span, as an app without an integration records one."""
    return {
        "trace_id": trace_id,
        "span_id": uuid.uuid4().hex[:16],
        "parent_span_id": root,
        "op": "gen_ai.chat",
        "description": f"chat {model}",
        "start_timestamp": NOW - 2,
        "timestamp": NOW - 1,
        "data": {
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
        },
    }


def _job_transaction() -> bytes:
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    event = {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": "tasks.answer_ticket",
        "start_timestamp": NOW - 3,
        "timestamp": NOW,
        "environment": "production",
        "user": {"id": "u-7"},
        "tags": {"job_id": "job-42", "channel": "email"},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": root, "op": "queue.task"}},
        "spans": [
            _chat(trace_id, root, "gpt-4o", 1000, 200),
            _chat(trace_id, root, "my-local-llm", 500, 50),
        ],
    }
    items = [Item({"type": "transaction"}, orjson.dumps(event))]
    return serialize_envelope(Envelope({"event_id": event["event_id"]}, items))


@pytest.fixture
def sent(heron: Heron) -> Heron:
    bodies = [*split_envelopes(sample("default.envelopes.txt").read_bytes()), _job_transaction()]
    for body in bodies:
        heron.post_envelope(body, heron.project_id, heron.public_key)
    drain(heron.db)
    return heron


def _get(heron: Heron, path: str, **params: str) -> Any:
    response = heron.api(BASE + path, params={"statsPeriod": "30d", **params})
    assert response.status_code == 200, response.text
    return response.json()


# The sample's calls cost $0.00352866 (tests/unit/llm/test_pricing.py, by hand); the job's
# gpt-4o call 1000·2.50 + 200·10.00 = 4500 per 1M = $0.0045; my-local-llm has no price.
SAMPLE_COST = 0.00352866
JOB_COST = 0.0045


def test_totals_count_every_call_and_never_price_the_unknown(sent: Heron) -> None:
    totals = _get(sent, "/usage/")["totals"]
    assert totals["calls"] == 9
    assert totals["errors"] == 1  # the 429
    assert totals["unpricedCalls"] == 2  # the 429 (no usage) and my-local-llm
    assert totals["unknownTokenCalls"] == 1
    assert totals["costUsd"] == pytest.approx(SAMPLE_COST + JOB_COST, rel=1e-9)
    # tests/unit/llm/test_pricing.py: the sample's cache reads saved $0.0038075.
    assert totals["cacheSavingsUsd"] == pytest.approx(0.0038075, rel=1e-9)
    # 120 + 120 + 200 + 8 + 1240 + 1240 (sample, conformance README) + 1000 + 500 (job)
    assert totals["tokens"]["input"] == 120 + 120 + 200 + 8 + 1240 + 1240 + 1000 + 500


def test_breakdowns_by_job_user_channel_and_model(sent: Heron) -> None:
    jobs = {g["value"]: g for g in _get(sent, "/usage/", groupBy="job")["groups"]}
    assert jobs["job-42"]["calls"] == 2
    assert jobs["job-42"]["costUsd"] == pytest.approx(JOB_COST, rel=1e-9)
    assert jobs["job-42"]["unpricedCalls"] == 1
    assert jobs[None]["calls"] == 7  # the sample sets no job_id tag
    users = {g["value"]: g["calls"] for g in _get(sent, "/usage/", groupBy="user")["groups"]}
    assert users == {"id:user-42": 7, "id:u-7": 2}
    channels = _get(sent, "/usage/", groupBy="channel")["groups"]
    assert {g["value"]: g["calls"] for g in channels} == {"email": 2, None: 7}
    models = {g["value"]: g for g in _get(sent, "/usage/", groupBy="model")["groups"]}
    assert models["my-local-llm"]["costUsd"] == 0 and models["my-local-llm"]["unpricedCalls"] == 1
    assert sum(g["costUsd"] for g in models.values()) == pytest.approx(SAMPLE_COST + JOB_COST)


def test_csv_export(sent: Heron) -> None:
    response = sent.api(
        BASE + "/usage/", params={"statsPeriod": "30d", "groupBy": "job", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = {r["job"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert rows["job-42"]["calls"] == "2"
    assert float(rows["job-42"]["cost_usd"]) == pytest.approx(JOB_COST)


def test_one_job_lists_its_calls_with_their_trace(sent: Heron) -> None:
    body = _get(sent, "/jobs/job-42/")
    calls = {c["model"]: c for c in body["calls"]}
    assert set(calls) == {"gpt-4o", "my-local-llm"}
    assert calls["gpt-4o"]["tokens"]["input"] == 1000
    assert calls["gpt-4o"]["costUsd"] == pytest.approx(JOB_COST)
    assert calls["my-local-llm"]["costUsd"] is None
    trace = sent.api(calls["gpt-4o"]["trace"])  # the link leads to the trace of the call
    assert trace.status_code == 200, trace.text
    assert calls["gpt-4o"]["traceId"] in trace.text
    assert body["totals"] == {"calls": 2, "errors": 0, "costUsd": JOB_COST, "unpricedCalls": 1}
    assert sent.api(BASE + "/jobs/no-such-job/").status_code == 404


def test_bad_requests_get_a_clear_400_and_other_organizations_a_404(sent: Heron) -> None:
    response = sent.api(BASE + "/usage/", params={"groupBy": "colour"})
    assert response.status_code == 400 and "groupBy" in response.text
    assert sent.api(BASE + "/usage/", params={"statsPeriod": "soon"}).status_code == 400
    _, token = sent.other_org()
    assert sent.api(BASE + "/usage/", token=token).status_code == 404
    prices = sent.api(BASE + "/prices/").json()
    assert prices["models"]["gpt-4o"]["input"] == 2.5 and prices["version"]


def _reprice(heron: Heron) -> int:
    response = heron.client.post(BASE + "/reprice/?statsPeriod=30d", headers=heron.auth())
    assert response.status_code == 200, response.text
    return int(response.json()["changed"])


def test_own_prices_win_apply_to_new_calls_and_reprice_old_ones(sent: Heron) -> None:
    put = sent.client.put(
        BASE + "/prices/",
        json={"model": "my-local-llm", "input": 0.5, "output": "1"},
        headers=sent.auth(),
    )
    assert put.status_code == 200, put.text
    assert put.json()["models"]["my-local-llm"] == {
        "input": 0.5,
        "output": 1.0,
        "source": "override",
    }
    # Stored calls keep their cost until repriced; then every priced call names the new
    # price set, and my-local-llm costs 500·0.5 + 50·1 = 300 per 1M = $0.0003.
    assert _get(sent, "/usage/")["totals"]["unpricedCalls"] == 2
    assert _reprice(sent) == 8  # all but the 429, which has no usage to price
    totals = _get(sent, "/usage/")["totals"]
    assert (totals["unpricedCalls"], totals["costUsd"]) == (
        1,
        pytest.approx(SAMPLE_COST + JOB_COST + 0.0003, rel=1e-9),
    )
    assert _reprice(sent) == 0  # nothing changed since
    # An explicit 0 is a price: gpt-4o's calls cost $0, they are not unpriced.
    zero = {"model": "gpt-4o", "input": 0, "output": 0}
    assert sent.client.put(BASE + "/prices/", json=zero, headers=sent.auth()).status_code == 200
    _reprice(sent)
    models = {g["value"]: g for g in _get(sent, "/usage/", groupBy="model")["groups"]}
    assert (models["gpt-4o"]["costUsd"], models["gpt-4o"]["unpricedCalls"]) == (0, 0)
    # Calls digested from now on are priced at the project's prices at once.
    sent.post_envelope(_job_transaction(), sent.project_id, sent.public_key)
    drain(sent.db)
    job = _get(sent, "/jobs/job-42/")
    assert sorted(c["costUsd"] for c in job["calls"]) == pytest.approx([0, 0, 0.0003, 0.0003])
    # Back to the bundled price.
    gone = sent.client.delete(BASE + "/prices/", params={"model": "gpt-4o"}, headers=sent.auth())
    assert gone.status_code == 204
    assert sent.api(BASE + "/prices/").json()["models"]["gpt-4o"]["source"] == "bundled"
    again = sent.client.delete(BASE + "/prices/", params={"model": "gpt-4o"}, headers=sent.auth())
    assert again.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m", "input": -1, "output": 1},
        {"model": "m", "input": 1},
        {"model": "m", "input": "cheap", "output": 1},
        {"model": "m", "input": 1, "output": 1, "per_request": 2},
        {"input": 1, "output": 1},
        ["not", "an", "object"],
    ],
)
def test_bad_prices_get_a_400(heron: Heron, body: Any) -> None:
    response = heron.client.put(BASE + "/prices/", json=body, headers=heron.auth())
    assert response.status_code == 400, response.text


def test_members_may_read_prices_but_not_change_them(heron: Heron) -> None:
    actions.create_user(heron.db, "member@example.com", "a long password")
    actions.add_member(heron.db, "heron", "member@example.com")
    token = actions.create_token(heron.db, "member@example.com")
    assert heron.api(BASE + "/prices/", token=token).status_code == 200
    body = {"model": "gpt-4o", "input": 0, "output": 0}
    put = heron.client.put(BASE + "/prices/", json=body, headers=heron.auth(token))
    assert put.status_code == 403
    post = heron.client.post(BASE + "/reprice/", headers=heron.auth(token))
    assert post.status_code == 403


def _error_in(trace_id: str) -> bytes:
    event = {
        "event_id": uuid.uuid4().hex,
        "timestamp": NOW,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": "RateLimitError", "value": "slow down"}]},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": "c" * 16}},
    }
    items = [Item({"type": "event"}, orjson.dumps(event))]
    return serialize_envelope(Envelope({"event_id": event["event_id"]}, items))


def test_a_job_links_the_errors_of_its_traces(sent: Heron) -> None:
    assert _get(sent, "/jobs/job-42/")["errors"] == []
    trace_id = _get(sent, "/jobs/job-42/")["calls"][0]["traceId"]
    sent.post_envelope(_error_in(trace_id), sent.project_id, sent.public_key)
    sent.post_envelope(_error_in(uuid.uuid4().hex), sent.project_id, sent.public_key)
    drain(sent.db)
    (error,) = _get(sent, "/jobs/job-42/")["errors"]
    assert (error["title"], error["traceId"]) == ("RateLimitError: slow down", trace_id)
    issue = sent.api(f"/api/0/issues/{error['issueId']}/")
    assert issue.status_code == 200 and issue.json()["shortId"] == error["shortId"]


def test_the_job_and_channel_tags_and_prompt_keeping_are_project_settings(heron: Heron) -> None:
    path = "/api/0/projects/heron/default/"
    before = heron.api(path).json()
    assert (before["llmJobTag"], before["llmChannelTag"], before["llmStorePrompts"]) == (
        "job_id",
        "channel",
        False,
    )
    body = {"llmJobTag": "run", "llmChannelTag": "queue", "llmStorePrompts": True}
    put = heron.client.put(path, json=body, headers=heron.auth())
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in body} == body
    bad_bodies = [
        ({"llmJobTag": "two words"}, "job tag must be a tag key"),
        ({"llmChannelTag": ""}, "channel tag must be a tag key"),
        ({"llmStorePrompts": "yes"}, "llmStorePrompts must be true or false"),
    ]
    for bad, message in bad_bodies:
        response = heron.client.put(path, json=bad, headers=heron.auth())
        assert response.status_code == 400 and message in response.text
    assert {k: heron.api(path).json()[k] for k in body} == body


def test_usage_has_a_time_series_of_the_range(sent: Heron) -> None:
    body = _get(sent, "/usage/", statsPeriod="24h")
    assert body["interval"] == "1h"
    series = body["series"]
    assert len(series) in (24, 25)  # whole hours: 25 when the range starts mid-hour
    assert series == sorted(series, key=lambda point: point["start"])
    assert sum(p["calls"] for p in series) == body["totals"]["calls"] > 0
    assert sum(p["costUsd"] for p in series) == pytest.approx(body["totals"]["costUsd"])
    # The job's two calls ended a second before NOW: in that hour, with their cost.
    hour = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(NOW - 1))
    (point,) = [p for p in series if p["start"] == hour]
    assert point["calls"] >= 2 and point["costUsd"] >= JOB_COST
    month = _get(sent, "/usage/", interval="1d")
    assert month["interval"] == "1d" and len(month["series"]) in (30, 31)
    assert sum(p["calls"] for p in month["series"]) == month["totals"]["calls"]
    bad = sent.api(BASE + "/usage/", params={"statsPeriod": "30d", "interval": "5m"})
    assert bad.status_code == 400 and "interval" in bad.text
