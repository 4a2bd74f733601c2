"""Model calls made with the real ``openai`` and ``anthropic`` clients, recorded by the real
sentry-sdk integrations and sent to the live server: their tokens and costs, call by call
and summed per model, job, user and channel by the usage API.

The clients talk to a fake provider on loopback that reports a fixed usage per model
(``tests/sdk/fake_llm_provider.py``); every expected figure below is worked out by hand
from that usage and the bundled prices (USD per 1M tokens, ``src/heron/llm/prices.json``):
cached input at the cache-read rate, cache writes at the cache-write rate, reasoning tokens
as output. One SDK process per backend sends all the calls (environment = the test's
marker, so the API's totals can be scoped to them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from heron.store import tables
from tests.live import LiveServer
from tests.sdk.fake_llm_provider import FakeProvider
from tests.sdk.helpers import database, marker, run_sdk_file

SCRIPT = """\
import os

import anthropic
import openai
import sentry_sdk
from sentry_sdk.integrations.anthropic import AnthropicIntegration
from sentry_sdk.integrations.openai import OpenAIIntegration

sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    send_default_pii=False,
    environment="{mark}",
    integrations=[OpenAIIntegration(), AnthropicIntegration()],
)
gpt = openai.OpenAI(base_url="{url}/v1", api_key="sk-fake", max_retries=0)
claude = anthropic.Anthropic(base_url="{url}", api_key="sk-ant-fake", max_retries=0)
ASK = [{"role": "user", "content": "Summarise ticket 42."}]


def job(name, user, channel):
    transaction = sentry_sdk.start_transaction(op="queue.task", name=f"jobs.{name}")
    sentry_sdk.set_tag("job_id", f"{mark}-{name}")
    sentry_sdk.set_tag("channel", f"{mark}-{channel}")
    sentry_sdk.set_user({"id": f"{mark}-{user}"})
    return transaction


with job("summarise", "alice", "web"):
    gpt.chat.completions.create(model="o3", messages=ASK)
    stream = gpt.chat.completions.create(
        model="gpt-4o", messages=ASK, stream=True, stream_options={"include_usage": True}
    )
    for _chunk in stream:
        pass
with job("autocomplete", "bob", "web"):
    for _chunk in gpt.chat.completions.create(model="gpt-4o", messages=ASK, stream=True):
        pass
with job("reply", "bob", "email"):
    claude.messages.create(model="claude-sonnet-4-5", max_tokens=512, messages=ASK)
    events = claude.messages.create(
        model="claude-haiku-4-5", max_tokens=512, messages=ASK, stream=True
    )
    for _event in events:
        pass
with job("research", "alice", "email"):
    gpt.responses.create(model="gpt-5", input="Find the root cause of ticket 42.")
    with claude.messages.stream(model="claude-opus-4-7", max_tokens=512, messages=ASK) as s:
        s.until_done()
sentry_sdk.flush()
"""

TOKENS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")


@dataclass(frozen=True)
class Expected:
    """One call as it should be stored: attribution, tokens (None = not reported), cost."""

    job: str
    user: str
    channel: str
    request_model: str
    response_model: str
    model: str  # the priced model
    provider: str
    operation: str
    streaming: bool
    tokens: tuple[int | None, ...]  # by TOKENS
    cost: float | None


# o3 at 2.00 in / 0.50 cached / 8.00 out; the provider reported prompt 1200 of which 1000
# cached, completion 300 of which 200 reasoning (billed as output):
# (1200 - 1000)·2.00 + 1000·0.50 + 300·8.00 = 400 + 500 + 2400 = 3300 per 1M → $0.0033
O3 = Expected(
    "summarise", "alice", "web", "o3", "o3-2025-04-16", "o3", "openai", "chat", False,
    (1200, 1000, None, 300, 200, 1500), 0.0033,
)  # fmt: skip
# gpt-4o at 2.50 in / 1.25 cached / 10.00 out, streamed with include_usage: prompt 2000 of
# which 1024 cached, completion 150 (the provider's reasoning 0 is dropped by the SDK, which
# leaves zero counts out): (2000 - 1024)·2.50 + 1024·1.25 + 150·10.00
# = 2440 + 1280 + 1500 = 5220 per 1M → $0.00522
GPT4O_STREAM = Expected(
    "summarise", "alice", "web", "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o", "openai", "chat", True,
    (2000, 1024, None, 150, None, 2150), 0.00522,
)  # fmt: skip
# gpt-4o streamed without include_usage: no usage arrives, so nothing is known, not 0, and
# the call has no cost (it is counted as unpriced, never as $0).
GPT4O_NO_USAGE = Expected(
    "autocomplete", "bob", "web", "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o", "openai", "chat",
    True, (None, None, None, None, None, None), None,
)  # fmt: skip
# claude-sonnet-4-5 at 3.00 in / 0.30 cache read / 3.75 cache write / 15.00 out; Anthropic
# reported input 40 (uncached only), cache read 1000, cache creation 200, output 100, so the
# input is 40 + 1000 + 200 = 1240 and the total 1340:
# 40·3.00 + 1000·0.30 + 200·3.75 + 100·15.00 = 120 + 300 + 750 + 1500 = 2670 → $0.00267
SONNET = Expected(
    "reply", "bob", "email", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5", "anthropic", "chat", False, (1240, 1000, 200, 100, None, 1340), 0.00267,
)  # fmt: skip
# claude-haiku-4-5 at 1.00 / 0.10 / 1.25 / 5.00, streamed (input 30, cache read 2000, cache
# creation 500 in message_start; output 250 in the last message_delta): input 2530, total
# 2780; 30·1.00 + 2000·0.10 + 500·1.25 + 250·5.00 = 30 + 200 + 625 + 1250 = 2105 → $0.002105
HAIKU_STREAM = Expected(
    "reply", "bob", "email", "claude-haiku-4-5", "claude-haiku-4-5-20251001",
    "claude-haiku-4-5", "anthropic", "chat", True, (2530, 2000, 500, 250, None, 2780), 0.002105,
)  # fmt: skip
# gpt-5 (Responses API) at 1.25 in / 0.125 cached / 10.00 out: input 5000 of which 4096
# cached, output 700 of which 512 reasoning:
# (5000 - 4096)·1.25 + 4096·0.125 + 700·10.00 = 1130 + 512 + 7000 = 8642 → $0.008642
GPT5 = Expected(
    "research", "alice", "email", "gpt-5", "gpt-5-2025-08-07", "gpt-5", "openai", "responses",
    False, (5000, 4096, None, 700, 512, 5700), 0.008642,
)  # fmt: skip
# claude-opus-4-7 (priced as an alias of claude-opus-4-5: 5.00 in / 25.00 out) through the
# messages.stream() helper; no cache use, which Anthropic reports as 0 and the SDK keeps:
# 300·5.00 + 60·25.00 = 1500 + 1500 = 3000 → $0.003
OPUS_STREAM = Expected(
    "research", "alice", "email", "claude-opus-4-7", "claude-opus-4-7", "claude-opus-4-7",
    "anthropic", "chat", True, (300, 0, 0, 60, None, 360), 0.003,
)  # fmt: skip

CALLS = (O3, GPT4O_STREAM, GPT4O_NO_USAGE, SONNET, HAIKU_STREAM, GPT5, OPUS_STREAM)


@dataclass(frozen=True)
class Sent:
    mark: str
    rows: list[Any]
    requests: list[tuple[str, dict[str, Any]]]

    def row(self, call: Expected) -> Any:
        (found,) = [
            r
            for r in self.rows
            if r.job_id == f"{self.mark}-{call.job}" and r.request_model == call.request_model
        ]
        return found


@pytest.fixture(scope="module")
def sent(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Sent:
    """Run the app once per backend and wait until all its calls are stored."""
    mark = marker()
    tmp_path: Path = tmp_path_factory.mktemp("llm-providers")
    with FakeProvider() as provider:
        script = SCRIPT.replace("{mark}", mark).replace("{url}", provider.url)
        run_sdk_file(tmp_path, script, server.dsn)
    c = tables.llm_calls.c
    deadline = time.monotonic() + 30
    with database(server) as db:
        while True:
            with db.read() as conn:
                rows = list(conn.execute(select(tables.llm_calls).where(c.environment == mark)))
            if len(rows) >= len(CALLS) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    return Sent(mark, rows, provider.requests)


@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call.job}-{call.request_model}")
def test_each_call_is_stored_with_its_exact_tokens_and_cost(sent: Sent, call: Expected) -> None:
    assert len(sent.rows) == len(CALLS)
    row = sent.row(call)
    mark = sent.mark
    assert (row.transaction, row.user_key, row.channel, row.source) == (
        f"jobs.{call.job}",
        f"id:{mark}-{call.user}",
        f"{mark}-{call.channel}",
        "span",
    )
    assert (row.provider, row.operation, row.streaming, row.status) == (
        call.provider,
        call.operation,
        call.streaming,
        "ok",
    )
    assert row.response_model == call.response_model
    stored = tuple(getattr(row, f"{name}_tokens") for name in TOKENS)
    assert stored == call.tokens
    if call.cost is None:
        assert row.cost_usd is None
    else:
        assert row.model == call.model
        assert row.cost_usd == pytest.approx(call.cost, abs=1e-12)


def test_stream_without_usage_was_really_asked_without_it(sent: Sent) -> None:
    """The no-usage call is one the client sent without ``stream_options`` (so the fake
    provider had no usage chunk to send), and the with-usage stream asked for it."""
    streams = [body for path, body in sent.requests if body.get("stream") and "chat" in path]
    assert [b.get("stream_options") for b in streams] == [{"include_usage": True}, None]


# --- the usage API ------------------------------------------------------------------------


def _usage(server: LiveServer, mark: str, group_by: str) -> dict[str, Any]:
    response = server.api(
        "/api/0/projects/heron/default/llm/usage/",
        params={"groupBy": group_by, "environment": mark, "statsPeriod": "1d"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_sums(reported: dict[str, Any], calls: list[Expected], what: str = "") -> None:
    """``reported`` (a total or a group of the API) is what these calls add up to: known
    token counts summed, calls of unknown usage counted apart, the priced calls' cost."""
    tokens = {name: sum(c.tokens[i] or 0 for c in calls) for i, name in enumerate(TOKENS)}
    assert reported["tokens"] == tokens, what
    assert reported["costUsd"] == pytest.approx(sum(c.cost or 0.0 for c in calls), abs=1e-12)
    counts = (
        reported["calls"],
        reported["errors"],
        reported["unknownTokenCalls"],
        reported["unpricedCalls"],
    )
    unknown = sum(c.tokens[0] is None for c in calls)
    assert counts == (len(calls), 0, unknown, sum(c.cost is None for c in calls)), what


def test_usage_totals_of_all_calls(server: LiveServer, sent: Sent) -> None:
    totals = _usage(server, sent.mark, "job")["totals"]
    # 3300 + 5220 + 2670 + 2105 + 8642 + 3000 = 24937 per 1M → $0.024937 (one call unpriced)
    assert totals["costUsd"] == pytest.approx(0.024937, abs=1e-12)
    # input: 1200 + 2000 + 1240 + 2530 + 5000 + 300 = 12270; output: 300 + 150 + 100 + 250
    # + 700 + 60 = 1560; cache reads 1000 + 1024 + 1000 + 2000 + 4096 = 9120; cache writes
    # 200 + 500 = 700; reasoning 200 + 512 = 712; total 12270 + 1560 = 13830
    assert totals["tokens"] == {
        "input": 12270,
        "cache_read": 9120,
        "cache_write": 700,
        "output": 1560,
        "reasoning": 712,
        "total": 13830,
    }
    assert (totals["calls"], totals["unknownTokenCalls"], totals["unpricedCalls"]) == (7, 1, 1)
    _assert_sums(totals, list(CALLS))


@pytest.mark.parametrize(
    ("group_by", "key"),
    [
        ("job", lambda mark, c: f"{mark}-{c.job}"),
        ("user", lambda mark, c: f"id:{mark}-{c.user}"),
        ("channel", lambda mark, c: f"{mark}-{c.channel}"),
    ],
)
def test_usage_by_dimension(server: LiveServer, sent: Sent, group_by: str, key: Any) -> None:
    """Each group's figures are the sum of its calls' hand-computed ones, e.g. job
    summarise = $0.0033 + $0.00522 = $0.00852; user bob = $0.00267 + $0.002105 = $0.004775
    and one unpriced call (no usage); channel email = $0.00267 + $0.002105 + $0.008642 +
    $0.003 = $0.016417."""
    expected: dict[str, list[Expected]] = {}
    for call in CALLS:
        expected.setdefault(key(sent.mark, call), []).append(call)
    groups = {g["value"]: g for g in _usage(server, sent.mark, group_by)["groups"]}
    assert set(groups) == set(expected)
    for value, calls in expected.items():
        _assert_sums(groups[value], calls, value)


def test_usage_by_model(server: LiveServer, sent: Sent) -> None:
    """Tokens and cost per model of the calls that reported usage, under the model's
    price-list name whatever snapshot served it: gpt-4o = $0.00522, claude-opus-4-7 = $0.003…
    (the call without usage adds neither tokens nor cost, wherever it is grouped)."""
    groups = {g["value"]: g for g in _usage(server, sent.mark, "model")["groups"]}
    for call in CALLS:
        if call.cost is not None:
            group = groups[call.model]
            tokens = {name: call.tokens[i] or 0 for i, name in enumerate(TOKENS)}
            assert group["tokens"] == tokens, call.model
            assert group["costUsd"] == pytest.approx(call.cost, abs=1e-12), call.model


def test_call_without_usage_is_grouped_with_its_model(server: LiveServer, sent: Sent) -> None:
    groups = {g["value"]: g for g in _usage(server, sent.mark, "model")["groups"]}
    _assert_sums(groups["gpt-4o"], [GPT4O_STREAM, GPT4O_NO_USAGE])


def test_job_detail_lists_its_calls(server: LiveServer, sent: Sent) -> None:
    response = server.api(f"/api/0/projects/heron/default/llm/jobs/{sent.mark}-research/")
    assert response.status_code == 200, response.text
    body = response.json()
    # gpt-5 $0.008642 + claude-opus-4-7 $0.003 = $0.011642
    assert (body["totals"]["calls"], body["totals"]["unpricedCalls"]) == (2, 0)
    assert body["totals"]["costUsd"] == pytest.approx(0.011642, abs=1e-12)
    assert sorted(c["model"] for c in body["calls"]) == ["claude-opus-4-7", "gpt-5"]
