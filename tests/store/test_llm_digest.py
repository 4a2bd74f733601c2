"""Model calls through the real digest: the LLM conformance samples' wire envelopes go into the
inbox and come out as ``llm_calls`` rows with exact tokens and costs, on both backends."""

from __future__ import annotations

import json
import time

import orjson
import pytest
from sqlalchemy import select

from heron.actions import ActionError, update_project
from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables
from tests.store.triage_helpers import project
from tests.unit.llm.samples import sample, split_envelopes
from tests.unit.llm.test_pricing import DEFAULT_COSTS


def _digest(db: Database, project_id: int, name: str) -> None:
    envelopes = split_envelopes(sample(name).read_bytes())
    inbox_for(db).append([InboxRecord(project_id, e) for e in envelopes])
    drain(db)


def _calls(db: Database) -> dict[str, tuple[object, ...]]:
    c = tables.llm_calls.c
    with db.read() as conn:
        rows = conn.execute(
            select(
                c.request_model,
                c.status,
                c.input_tokens,
                c.cache_read_tokens,
                c.cache_write_tokens,
                c.output_tokens,
                c.reasoning_tokens,
                c.cost_usd,
                c.transaction,
                c.user_key,
                c.environment,
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.mark.parametrize("name", ["default.envelopes.txt", "legacy.envelopes.txt"])
def test_every_model_call_of_a_transaction_is_stored_priced(db: Database, name: str) -> None:
    """The default shape (AI spans in a span-v2 item beside the transaction) and the legacy
    one (inside it) give the same rows."""
    pid = project(db)
    _digest(db, pid, name)
    calls = _calls(db)
    assert set(calls) == {*DEFAULT_COSTS, "force-error"}
    for model, cost in DEFAULT_COSTS.items():
        assert calls[model][6] == pytest.approx(float(cost), rel=1e-12, abs=0)
    # The fake provider's usage (conformance README): OpenAI chat 120 in (100 cached),
    # 30 out (12 reasoning); Anthropic 40 uncached + 1000 read + 200 written = 1240 in, 25 out.
    assert calls["gpt-4o-mini"][:6] == ("ok", 120, 100, None, 30, 12)
    assert calls["claude-sonnet-4-5-20250929"][:6] == ("ok", 1240, 1000, 200, 25, None)
    # The call answered with HTTP 429: counted, failed, tokens unknown, unpriced (not $0).
    assert calls["force-error"][:7] == ("error", None, None, None, None, None, None)
    assert {c[7:] for c in calls.values()} == {("jobs.summarise_ticket", "id:user-42", "test")}
    # Sent again (an SDK retry, a replayed batch): nothing is counted twice.
    _digest(db, pid, name)
    assert len(_calls(db)) == len(calls)
    with db.read() as conn:
        assert len(conn.execute(select(tables.llm_calls.c.id)).all()) == 7


def _digest_json(db: Database, project_id: int, name: str) -> None:
    """A ``.json`` sample (the parsed form of the envelopes), sent as wire envelopes again."""
    envelopes = [
        serialize_envelope(
            Envelope(
                e["headers"],
                [Item(i["headers"], orjson.dumps(i["payload"])) for i in e["items"]],
            )
        )
        for e in json.loads(sample(name).read_text())
    ]
    inbox_for(db).append([InboxRecord(project_id, e) for e in envelopes])
    drain(db)


def _costs(db: Database) -> list[tuple[str, float | None]]:
    c = tables.llm_calls.c
    with db.read() as conn:
        rows = conn.execute(select(c.request_model, c.cost_usd).order_by(c.timestamp)).all()
    return [(r[0], r[1]) for r in rows]


def test_agent_spans_do_not_count_their_childrens_tokens_twice(db: Database) -> None:
    pid = project(db)
    _digest_json(db, pid, "frameworks.envelopes.json")
    costs = _costs(db)
    # Two gpt-4.1-mini calls (20·0.4 + 100·0.1 + 30·1.6 = 66 per 1M) and LiteLLM's gpt-4o
    # (120·2.5 + 30·10 = 600 per 1M); the agent span above the first call (another 120/30
    # tokens of gpt-4.1-mini) and the tool spans are not calls.
    assert sorted(m or "" for m, _ in costs) == ["gpt-4.1-mini", "gpt-4.1-mini", "gpt-4o"]
    assert sum(cost or 0 for _, cost in costs) == pytest.approx(0.000732, rel=1e-12)


def test_span_streaming_calls_are_stored(db: Database) -> None:
    pid = project(db)
    _digest_json(db, pid, "span_streaming.envelopes.json")
    # One OpenAI chat call of the fake provider: 20·0.15 + 100·0.075 + 30·0.60 = 28.5 per 1M.
    assert _costs(db) == [("gpt-4o-mini", pytest.approx(0.0000285, rel=1e-12))]


def _tagged_call(project_id: int, event_id: str) -> bytes:
    """A transaction with one chat span that carries its prompt and response."""
    now = time.time()
    txn = {
        "event_id": event_id,
        "type": "transaction",
        "transaction": "tasks.reply",
        "start_timestamp": now - 1,
        "timestamp": now,
        "platform": "python",
        "tags": {"tenant": "acme", "queue": "sms", "job_id": "ignored"},
        "contexts": {"trace": {"trace_id": event_id, "span_id": "a" * 16, "op": "task"}},
        "spans": [
            {
                "trace_id": event_id,
                "span_id": "b" * 16,
                "parent_span_id": "a" * 16,
                "op": "gen_ai.chat",
                "start_timestamp": now - 0.9,
                "timestamp": now - 0.1,
                "data": {
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 10,
                    "gen_ai.usage.output_tokens": 2,
                    "gen_ai.request.messages": '[{"role": "user", "content": "Hello?"}]',
                    "gen_ai.response.text": "Hi!",
                },
            }
        ],
    }
    item = Item({"type": "transaction"}, orjson.dumps(txn))
    return serialize_envelope(Envelope({"event_id": event_id}, [item]))


def test_each_project_names_its_job_and_channel_tags_and_opts_in_to_prompts(
    db: Database,
) -> None:
    pid = project(db)
    c = tables.llm_calls.c
    columns = (c.job_id, c.channel, c.prompt_chars, c.response_chars, c.prompt, c.response)
    inbox_for(db).append([InboxRecord(pid, _tagged_call(pid, "1" * 32))])
    drain(db)
    with db.read() as conn:
        default = conn.execute(select(*columns)).one()
    # By default the tags job_id and channel, and only the lengths of the texts.
    assert tuple(default) == ("ignored", None, 39, 3, None, None)
    update_project(
        db, "acme", "web", llm_job_tag="tenant", llm_channel_tag="queue", llm_store_prompts=True
    )
    inbox_for(db).append([InboxRecord(pid, _tagged_call(pid, "2" * 32))])
    drain(db)
    with db.read() as conn:
        kept = conn.execute(select(*columns).where(c.trace_id == "2" * 32)).one()
    assert tuple(kept) == (
        "acme",
        "sms",
        39,
        3,
        '[{"role": "user", "content": "Hello?"}]',
        "Hi!",
    )
    with pytest.raises(ActionError, match="job tag"):
        update_project(db, "acme", "web", llm_job_tag="has space")


@pytest.mark.parametrize("keep", [False, True])
def test_the_pii_sample_keeps_its_texts_only_where_the_project_opts_in(
    db: Database, keep: bool
) -> None:
    """sentry-sdk with ``send_default_pii=True`` sends prompts and responses: kept only when
    the project keeps prompts; their lengths always."""
    pid = project(db)
    update_project(db, "acme", "web", llm_store_prompts=keep)
    _digest(db, pid, "pii.envelopes.txt")
    c = tables.llm_calls.c
    with db.read() as conn:
        rows = {
            r.request_model: r
            for r in conn.execute(
                select(c.request_model, c.prompt, c.response, c.prompt_chars, c.response_chars)
            )
        }
    mini = rows["gpt-4o-mini"]
    assert mini.prompt_chars and mini.response_chars
    if keep:
        assert json.loads(mini.prompt)[0]["content"].startswith("Summarise ticket #123")
        assert (len(mini.prompt), len(mini.response)) == (mini.prompt_chars, mini.response_chars)
    else:
        assert {(r.prompt, r.response) for r in rows.values()} == {(None, None)}
