"""LLM rollups: what the digest adds batch by batch, what re-pricing rebuilds from the calls and
what the upgrade that brought them builds are the same rows, and they sum exactly what the
calls hold; a batch digested twice counts once."""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import select

from heron.digest import drain
from heron.digest.llm_rollups import rebuild
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.query import LlmScope, llm_breakdown, llm_totals
from heron.store import Database, tables
from heron.store.migrate import _alembic_config
from tests.store.triage_helpers import project

NOW = time.time()
DAY = 86400
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "my-local-llm")


def _transaction(rng: random.Random, age: float) -> bytes:
    """A transaction ``age`` seconds ago with one to three model calls of varied usage."""
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    end = NOW - age
    spans = []
    for _ in range(rng.randint(1, 3)):
        data: dict[str, Any] = {"gen_ai.request.model": rng.choice(MODELS)}
        if rng.random() < 0.9:  # else the usage is unknown
            data["gen_ai.usage.input_tokens"] = rng.randint(10, 5000)
            data["gen_ai.usage.output_tokens"] = rng.randint(1, 900)
            data["gen_ai.usage.input_tokens.cached"] = rng.choice((0, 5))
        if rng.random() < 0.3:
            data["gen_ai.response.time_to_first_token"] = rng.uniform(0.05, 0.8)
        spans.append(
            {
                "trace_id": trace_id,
                "span_id": uuid.uuid4().hex[:16],
                "parent_span_id": root,
                "op": "gen_ai.chat",
                "start_timestamp": end - rng.uniform(0.1, 3.0),
                "timestamp": end - 0.05,
                "status": "internal_error" if rng.random() < 0.1 else "ok",
                "data": data,
            }
        )
    tags = {"job_id": f"job-{rng.randint(1, 6)}"}
    if rng.random() < 0.5:
        tags["channel"] = rng.choice(("email", "sms"))
    event = {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": rng.choice(("POST /chat", "tasks.summarise")),
        "start_timestamp": end - 4,
        "timestamp": end,
        "environment": rng.choice(("production", "staging")),
        "user": {"id": f"u-{rng.randint(1, 4)}"},
        "tags": tags,
        "contexts": {"trace": {"trace_id": trace_id, "span_id": root, "op": "task"}},
        "spans": spans,
    }
    items = [Item({"type": "transaction"}, orjson.dumps(event))]
    return serialize_envelope(Envelope({"event_id": event["event_id"]}, items))


def _send(db: Database, project_id: int, bodies: list[bytes]) -> None:
    inbox_for(db).append([InboxRecord(project_id, body) for body in bodies])
    drain(db)


def _rows(db: Database) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    t = tables.llm_rollups
    keys = ("project_id", "dimension", "size", "bucket", "environment", "value")
    with db.read() as conn:
        return {
            tuple(r[k] for k in keys): tuple(
                pytest.approx(v, rel=1e-9) if isinstance(v, float) else v
                for k, v in r.items()
                if k not in keys
            )
            for r in (row._mapping for row in conn.execute(select(t)))
        }


def _calls(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(tables.llm_calls)))


@pytest.fixture
def sent(db: Database) -> tuple[int, list[list[bytes]]]:
    pid = project(db)
    rng = random.Random(7)
    batches = [[_transaction(rng, rng.uniform(0, 3 * DAY)) for _ in range(15)] for _ in range(3)]
    for batch in batches:
        _send(db, pid, batch)
    return pid, batches


def test_rollups_sum_exactly_what_the_calls_hold(
    db: Database, sent: tuple[int, list[list[bytes]]]
) -> None:
    pid, _ = sent
    calls = _calls(db)
    assert len(calls) > 60
    scope = LlmScope(pid, NOW - 4 * DAY, NOW + 1)
    totals = llm_totals(db, scope)
    assert totals.calls == len(calls)
    assert totals.errors == sum(c.status == "error" for c in calls)
    assert totals.tokens["input"] == sum(c.input_tokens or 0 for c in calls)
    assert totals.tokens["cache_read"] == sum(c.cache_read_tokens or 0 for c in calls)
    assert totals.unknown_tokens == sum(c.input_tokens is None for c in calls)
    assert totals.unpriced == sum(c.cost_usd is None for c in calls)
    assert totals.cost_usd == pytest.approx(sum(c.cost_usd or 0 for c in calls), rel=1e-9)
    assert totals.unpriced >= sum(c.model == "my-local-llm" for c in calls) > 0
    for dimension, column in (("model", "model"), ("user", "user_key"), ("job", "job_id")):
        expected: dict[Any, list[float]] = defaultdict(lambda: [0, 0.0])
        for c in calls:
            expected[getattr(c, column)][0] += 1
            expected[getattr(c, column)][1] += c.cost_usd or 0.0
        found = {v: [u.calls, u.cost_usd] for v, u in llm_breakdown(db, scope, dimension)}
        assert found == {k: [n, pytest.approx(cost, rel=1e-9)] for k, (n, cost) in expected.items()}
    channels = {v: u.calls for v, u in llm_breakdown(db, scope, "channel")}
    assert channels[None] == sum(c.channel is None for c in calls)  # calls without one
    staging = llm_totals(db, LlmScope(pid, NOW - 4 * DAY, NOW + 1, "staging"))
    assert staging.calls == sum(c.environment == "staging" for c in calls)


def test_a_batch_digested_again_counts_once(
    db: Database, sent: tuple[int, list[list[bytes]]]
) -> None:
    pid, batches = sent
    before = _rows(db)
    _send(db, pid, batches[0])
    assert _rows(db) == before


def test_rebuilding_and_upgrading_give_the_rows_the_digest_wrote(
    db: Database, sent: tuple[int, list[list[bytes]]]
) -> None:
    pid, _ = sent
    written = _rows(db)
    assert {key[1] for key in written} == {
        "",
        "model",
        "provider",
        "user",
        "job",
        "channel",
        "transaction",
        "release",
        "operation",
    }
    with db.write() as conn:
        rebuild(conn, pid, NOW - 4 * DAY, NOW + 1)
    assert _rows(db) == written
    cfg = _alembic_config()
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        command.upgrade(cfg, "head")
    assert _rows(db) == written
