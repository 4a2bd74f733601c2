"""The LLM usage pages on both backends, fed transactions with hand-recorded ``gen_ai.chat``
spans through ingest and the digest: the overview's figures, chart and breakdowns, one job's
calls with their trace links, the empty state, a bad period, and another organization."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from heron import actions
from heron.digest import drain
from heron.digest.budgets import check_budgets
from heron.protocol import Envelope, Item, serialize_envelope
from tests.api.harness import BACKENDS, Heron, TestClient, error_event, running
from tests.web.conftest import log_in, new_client
from tests.web.test_performance_pages import no_inline_code, rows

NOW = time.time()


def _chat(trace_id: str, root: str, model: str, tokens: tuple[int, int], ms: float) -> Any:
    """A manual ``gen_ai.chat`` span of ``ms`` milliseconds with (input, output) tokens."""
    end = NOW - 1
    return {
        "trace_id": trace_id,
        "span_id": uuid.uuid4().hex[:16],
        "parent_span_id": root,
        "op": "gen_ai.chat",
        "description": f"chat {model}",
        "start_timestamp": end - ms / 1000,
        "timestamp": end,
        "data": {
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens[0],
            "gen_ai.usage.output_tokens": tokens[1],
        },
    }


def _transaction(
    name: str, tags: dict[str, str], calls: list[Any], **data: str
) -> tuple[bytes, str]:
    """An envelope with one transaction holding ``calls`` (each a ``_chat`` argument tuple,
    with ``data`` added to every span's), and its trace id."""
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    event = {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": name,
        "start_timestamp": NOW - 5,
        "timestamp": NOW,
        "environment": "production",
        "user": {"id": "u-7"},
        "tags": tags,
        "contexts": {"trace": {"trace_id": trace_id, "span_id": root, "op": "queue.task"}},
        "spans": [_chat(trace_id, root, *call) for call in calls],
    }
    for span in event["spans"]:
        span["data"].update(data)
    items = [Item({"type": "transaction"}, orjson.dumps(event))]
    return serialize_envelope(Envelope({"event_id": event["event_id"]}, items)), trace_id


@dataclass
class Site:
    heron: Heron
    client: TestClient
    job_trace: str  # the trace of job-42's transaction
    rival_project: int


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with running(tmp_path_factory.mktemp("llm"), request.param) as heron:
        job, job_trace = _transaction(
            "tasks.answer_ticket",
            {"job_id": "job-42", "channel": "email"},
            [("gpt-4o", (1000, 200), 1000.0), ("my-local-llm", (500, 50), 500.0)],
        )
        chat, _ = _transaction("POST /chat", {}, [("gpt-4o", (2000, 400), 2000.0)])
        failure = error_event("RateLimitError", "slow down")
        failure["contexts"] = {"trace": {"trace_id": job_trace, "span_id": "c" * 16}}
        items = [Item({"type": "event"}, orjson.dumps(failure))]
        error = serialize_envelope(Envelope({"event_id": failure["event_id"]}, items))
        for body in (job, chat, error):
            heron.post_envelope(body, heron.project_id, heron.public_key)
        drain(heron.db)
        rival_project, _token = heron.other_org()
        client = new_client(heron)
        log_in(client)
        yield Site(heron, client, job_trace, rival_project)


def _facts(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))


# Prices (bundled): gpt-4o $2.50 in / $10.00 out per 1M tokens; my-local-llm has none.
# job-42's gpt-4o call: (1000·2.50 + 200·10.00) / 1M = $0.0045
# POST /chat's gpt-4o call: (2000·2.50 + 400·10.00) / 1M = $0.009
# Together $0.0135; my-local-llm's call is the one unpriced call.


def test_overview_shows_spend_calls_and_the_unpriced(site: Site) -> None:
    response = site.client.get("/llm/", params={"project": str(site.heron.project_id)})
    assert response.status_code == 200, response.text
    page = response.text
    no_inline_code(page)
    facts = _facts(page)
    assert facts["Spend"] == "$0.0135"
    assert facts["Unpriced"] == "1 unpriced call"
    assert facts["Calls"] == "3"
    assert facts["Error rate"] == "0%"
    assert facts["Tokens in"] == str(1000 + 500 + 2000)
    assert facts["Tokens out"] == str(200 + 50 + 400)
    assert facts["Cache hit ratio"] == "0%"  # no cached tokens reported
    assert facts["Cache savings"] == "$0.00"
    # Durations 500, 1000, 2000 ms: nearest rank p50 is the 2nd (ceil(0.5·3)), p95 the 3rd.
    assert (facts["p50 latency"], facts["p95 latency"]) == ("1.00 s", "2.00 s")
    assert "time to first token" not in page  # no call reported one
    # The spend chart: 24 hourly buckets (or 25 when the range starts mid-hour).
    assert page.count('<svg class="chart share"') == 1
    assert page.count("<g><title>") in (24, 25)
    assert 'class="legend s0">gpt-4o<' in page
    # Every call ended a second ago: one bucket holds the whole spend, stacked by model.
    assert "gpt-4o $0.0135</title>" in page


def test_breakdowns_by_model_job_user_endpoint_and_channel(site: Site) -> None:
    page = site.client.get("/llm/", params={"project": str(site.heron.project_id)}).text
    tables = [
        rows(f'<table class="issues llm-table">{t}', "llm-table")
        for t in page.split('<table class="issues llm-table">')[1:]
    ]
    by_model, by_job, by_user, by_endpoint, by_channel = tables
    # Columns: value, spend, calls, tokens in, tokens out, unpriced; most expensive first.
    assert by_model == [
        ["gpt-4o", "$0.0135", "2", "3000", "600", "0"],
        ["my-local-llm", "—", "1", "500", "50", "1"],
    ]
    assert by_job == [
        ["(none)", "$0.0090", "1", "2000", "400", "0"],
        ["job-42", "$0.0045", "2", "1500", "250", "1"],
    ]
    assert by_user == [["u-7", "$0.0135", "3", "3500", "650", "1"]]
    assert [r[:3] for r in by_endpoint] == [
        ["POST /chat", "$0.0090", "1"],
        ["tasks.answer_ticket", "$0.0045", "2"],
    ]
    assert [r[:3] for r in by_channel] == [["(none)", "$0.0090", "1"], ["email", "$0.0045", "2"]]
    assert f'href="/llm/jobs/job-42?project={site.heron.project_id}"' in page


def test_job_page_lists_every_call_with_its_trace(site: Site) -> None:
    response = site.client.get("/llm/jobs/job-42", params={"project": str(site.heron.project_id)})
    assert response.status_code == 200, response.text
    page = response.text
    no_inline_code(page)
    facts = _facts(page)
    assert (facts["Spend"], facts["Unpriced"], facts["Calls"]) == (
        "$0.0045",
        "1 unpriced call",
        "2",
    )
    assert (facts["Tokens in"], facts["Tokens out"]) == ("1500", "250")
    calls = rows(page, "llm-calls")
    # Columns: time, model, in, out, cached, reasoning, cost, latency, status, trace.
    assert sorted(r[1:] for r in calls) == [
        ["gpt-4o", "1000", "200", "—", "—", "$0.0045", "1.00 s", "ok", "trace"],
        ["my-local-llm", "500", "50", "—", "—", "unpriced", "500 ms", "ok", "trace"],
    ]
    # Two calls and the error in the same trace link to it.
    assert page.count(f'href="/traces/{site.job_trace}/"') == 3
    assert "RateLimitError: slow down</a>" in page
    assert "Prompts and responses are not kept for this project" in page
    trace = site.client.get(f"/traces/{site.job_trace}/")
    assert trace.status_code == 200
    assert "tasks.answer_ticket" in trace.text


def test_kept_prompts_show_on_the_job_page(heron: Heron) -> None:
    actions.update_project(heron.db, "heron", "default", llm_store_prompts=True)
    texts = {"gen_ai.request.messages": "<b>Hello?</b>", "gen_ai.response.text": "Hi!"}
    calls = [("gpt-4o", (1, 1), 1.0)]
    body, _ = _transaction("tasks.reply", {"job_id": "job-text"}, calls, **texts)
    heron.post_envelope(body, heron.project_id, heron.public_key)
    drain(heron.db)
    client = new_client(heron)
    log_in(client)
    page = client.get("/llm/jobs/job-text", params={"project": str(heron.project_id)}).text
    assert "<summary>Prompt (13 characters)</summary><pre>&lt;b&gt;Hello?&lt;/b&gt;</pre>" in page
    assert "<summary>Response (3 characters)</summary><pre>Hi!</pre>" in page
    assert "Prompts and responses are not kept" not in page


def test_an_unknown_job_is_404(site: Site) -> None:
    project = str(site.heron.project_id)
    assert site.client.get("/llm/jobs/job-0", params={"project": project}).status_code == 404
    assert site.client.get("/llm/jobs/job-42").status_code == 404  # no project named


def test_a_bad_period_is_a_400_page(site: Site) -> None:
    for period in ("1y", "24", "<b>"):
        response = site.client.get(
            "/llm/", params={"project": str(site.heron.project_id), "period": period}
        )
        assert response.status_code == 400
        assert "Unknown period" in response.text
        assert "<b>" not in response.text


def test_other_periods_and_environments(site: Site) -> None:
    project = str(site.heron.project_id)
    week = site.client.get("/llm/", params={"project": project, "period": "7d"})
    assert week.status_code == 200
    assert _facts(week.text)["Calls"] == "3"
    # Daily buckets: 7 (or 8 when the range starts mid-day).
    assert week.text.count("<g><title>") in (7, 8)
    staging = site.client.get("/llm/", params={"project": project, "environment": "staging"})
    assert staging.status_code == 200
    assert "No model calls in the last 24 hours in staging" in staging.text


def test_another_organization_gets_404_and_its_own_empty_project(site: Site) -> None:
    eve = new_client(site.heron)
    log_in(eve, "eve@rivals.example", "eve's password")
    project = str(site.heron.project_id)
    assert eve.get("/llm/", params={"project": project}).status_code == 404
    assert eve.get("/llm/jobs/job-42", params={"project": project}).status_code == 404
    own = eve.get("/llm/", params={"project": str(site.rival_project)})
    assert own.status_code == 200
    assert "No model calls in the last 24 hours" in own.text
    assert "gpt-4o" not in own.text and "job-42" not in own.text
    # Without a project the page shows the viewer's first one: Eve's, still empty.
    assert "No model calls" in eve.get("/llm/").text


def test_nav_links_to_the_llm_pages(site: Site) -> None:
    page = site.client.get("/issues/").text
    assert '<a href="/llm/">LLM</a>' in page
    current = site.client.get("/llm/").text
    assert '<a href="/llm/" aria-current="page">LLM</a>' in current


def test_budgets_show_where_they_stand(site: Site) -> None:
    budget = actions.create_llm_budget(
        site.heron.db,
        "heron",
        "default",
        {"name": "gpt-4o monthly", "scope": "model", "scopeValue": "gpt-4o", "amount": "0.015"},
    )
    try:
        check_budgets(site.heron.db)
        page = site.client.get("/llm/", params={"project": str(site.heron.project_id)}).text
        no_inline_code(page)
        section = page[page.index('<h2 id="budgets">') :]
        # gpt-4o spent $0.0135 of $0.015 this month: 90 %, past 50 and 80.
        assert "gpt-4o monthly" in section and "model: gpt-4o" in section
        assert "$0.0135" in section and "$0.0150" in section
        assert "90.0 %" in section and "50 %, 80 %" in section and "over" not in section
    finally:
        actions.delete_llm_budget(site.heron.db, "heron", "default", budget)
