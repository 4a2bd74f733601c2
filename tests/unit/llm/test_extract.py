"""Model calls from the real SDK samples (every transport shape) and from odd inputs.

Expected token counts are the fixed usage the samples' fake provider answered with
(shared/conformance/llm/README.md), after the SDK's normalisation (input includes cached and
cache-write tokens; output includes reasoning tokens).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.llm.samples import (
    bare_transaction,
    json_transactions,
    sample,
    span,
    wire_transactions,
)

from heron.llm import AGENT, HANDOFF, MODEL_CALL, OTHER, TOOL, ModelCall, classify, model_calls
from heron.rollup import Span, from_span_v2_items

# (input, cache read, cache write, output, reasoning, total) per requested model.
DEFAULT_USAGE: dict[str, tuple[int | None, ...]] = {
    # OpenAI chat: prompt 120 (cached 100), completion 30 (reasoning 12), total 150
    "gpt-4o-mini": (120, 100, None, 30, 12, 150),
    "gpt-4o": (120, 100, None, 30, 12, 150),
    # Responses API: input 200 (cached 50), output 80 (reasoning 64); 200 + 80 = 280
    "o3": (200, 50, None, 80, 64, 280),
    # embeddings: 8 input tokens, no output
    "text-embedding-3-small": (8, None, None, None, None, 8),
    # Anthropic: 40 uncached + 1000 read + 200 written = 1240 input; 1240 + 25 = 1265
    "claude-sonnet-4-5-20250929": (1240, 1000, 200, 25, None, 1265),
    "claude-haiku-4-5": (1240, 1000, 200, 25, None, 1265),
    # HTTP 429: no usage at all
    "force-error": (None, None, None, None, None, None),
}


def usage(call: ModelCall) -> tuple[int | None, ...]:
    return (
        call.input_tokens,
        call.cache_read_tokens,
        call.cache_write_tokens,
        call.output_tokens,
        call.reasoning_tokens,
        call.total_tokens,
    )


def by_model(calls: list[ModelCall]) -> dict[str, ModelCall]:
    found = {c.request_model or "": c for c in calls}
    assert len(found) == len(calls)
    return found


def comparable(call: ModelCall) -> tuple[Any, ...]:
    """What must not depend on the transport shape (ids, times and content may)."""
    return (
        call.request_model,
        call.response_model,
        call.provider,
        call.operation,
        call.status,
        call.streaming,
        usage(call),
        call.transaction,
        call.environment,
        call.release,
        call.user,
        call.tags,
    )


def test_default_shape_joins_span_v2_ai_spans_to_their_transaction() -> None:
    (txn,) = wire_transactions("default.envelopes.txt")
    calls = model_calls(txn)
    found = by_model(calls)
    assert {m: usage(c) for m, c in found.items()} == DEFAULT_USAGE
    sonnet = found["claude-sonnet-4-5-20250929"]
    assert (sonnet.provider, sonnet.operation, sonnet.status, sonnet.streaming) == (
        "anthropic",
        "chat",
        "ok",
        False,
    )
    assert sonnet.response_model == "claude-sonnet-4-5-20250929"
    assert found["gpt-4o"].streaming is True
    assert found["gpt-4o"].response_model == "gpt-4o-2099-01-01"
    assert found["o3"].operation == "responses"
    assert found["text-embedding-3-small"].operation == "embeddings"
    # The failed call is a call: counted, with status error and no tokens.
    assert found["force-error"].status == "error"
    for call in calls:
        assert call.event_id == txn.event_id == "bfebc005033a42819aca87634e26cc72"
        assert call.trace_id == txn.trace_id and call.parent_span_id == txn.span_id
        assert (call.transaction, call.environment, call.release) == (
            "jobs.summarise_ticket",
            "test",
            "demo-app@1.0.0",
        )
        # Scope tags and the user are not on span-v2 items: they come from the transaction.
        assert call.user == "id:user-42"
        assert call.tags == {"llm.job": "ticket-summary"}
        assert call.source == "span"
        assert call.prompt is None and call.prompt_chars is None  # no PII: no content
        assert call.timestamp > txn.start and call.duration_ms > 0
    # Token totals over the transaction: 120 + 120 + 200 + 8 + 1240 + 1240 = 2928 input,
    # 30 + 30 + 80 + 25 + 25 = 190 output.
    assert sum(c.input_tokens or 0 for c in calls) == 2928
    assert sum(c.output_tokens or 0 for c in calls) == 190


def test_the_wire_bytes_and_the_parsed_form_agree() -> None:
    (wire,) = wire_transactions("default.envelopes.txt")
    (parsed,) = json_transactions("default.envelopes.json")
    assert model_calls(wire) == model_calls(parsed)


def test_legacy_in_transaction_shape_equals_the_default_shape() -> None:
    (default,) = wire_transactions("default.envelopes.txt")
    (legacy,) = wire_transactions("legacy.envelopes.txt")
    default_calls = by_model(model_calls(default))
    legacy_calls = by_model(model_calls(legacy))
    assert {m: comparable(c) for m, c in legacy_calls.items()} == {
        m: comparable(c) for m, c in default_calls.items()
    }
    # Legacy status internal_error is an error too.
    assert legacy_calls["force-error"].status == "error"


def test_pii_shape_carries_the_prompt_and_response() -> None:
    (txn,) = wire_transactions("pii.envelopes.txt")
    found = by_model(model_calls(txn))
    assert {m: usage(c) for m, c in found.items()} == DEFAULT_USAGE
    mini = found["gpt-4o-mini"]
    assert mini.prompt is not None and mini.response is not None
    assert json.loads(mini.prompt)[0]["content"].startswith("Summarise ticket #123")
    assert (mini.prompt_chars, mini.response_chars) == (len(mini.prompt), len(mini.response))
    sonnet = found["claude-sonnet-4-5-20250929"]
    assert sonnet.response is not None and "Hello from the fake model." in sonnet.response
    assert found["force-error"].response is None


def test_frameworks_count_model_calls_not_agents() -> None:
    (txn,) = json_transactions("frameworks.envelopes.json")
    kinds = defaultdict(list)
    for child in txn.spans:
        kinds[classify(child)].append(child.op)
    assert sorted(kinds[AGENT]) == ["gen_ai.create_agent", "gen_ai.invoke_agent"]
    assert kinds[TOOL] == ["gen_ai.execute_tool"]
    calls = model_calls(txn)
    assert [c.request_model for c in calls] == ["gpt-4.1-mini", "gpt-4.1-mini", "gpt-4o"]
    direct, in_agent, litellm = calls
    # LangChain writes the OTel names: cache_read 100, reasoning 12.
    assert usage(direct) == usage(in_agent) == (120, 100, None, 30, 12, 150)
    assert direct.provider == "openai-chat" and direct.agent_name is None
    assert in_agent.agent_name == "support_agent"
    # LiteLLM records no cached or reasoning details.
    assert usage(litellm) == (120, None, None, 30, None, 150)
    # The invoke_agent span repeats 120/30: summing every AI span would say 480 input.
    assert sum(c.input_tokens or 0 for c in calls) == 360  # 3 * 120
    assert all(c.user == "id:user-7" for c in calls)


def test_span_streaming_shape() -> None:
    (txn,) = json_transactions("span_streaming.envelopes.json")
    (call,) = model_calls(txn)
    assert usage(call) == DEFAULT_USAGE["gpt-4o-mini"]
    assert (call.transaction, call.environment, call.release) == (
        "jobs.summarise_ticket",
        "test",
        "demo-app@1.0.0",
    )
    assert call.event_id == txn.event_id and call.parent_span_id == txn.span_id


def stream_without_usage() -> Span:
    (attributes,) = json.loads(sample("stream_no_usage.spans.json").read_text())
    return span("gen_ai.chat", **attributes)


def test_streaming_without_usage_has_unknown_tokens() -> None:
    (call,) = model_calls(bare_transaction(stream_without_usage()))
    assert usage(call) == (None, None, None, None, None, None)
    assert call.streaming is True
    assert call.ttft_ms == pytest.approx(28.562964999764517)  # 0.028562964999764517 s


def test_measurements_fallback_without_model_call_spans() -> None:
    txn = bare_transaction(
        span("db.query"),
        measurements={
            "prompt_tokens": {"value": 100, "unit": "none"},
            "completion_tokens": {"value": 20, "unit": "none"},
        },
        tags={"model": "gpt-4o-mini", "job_id": "nightly", "channel": "email"},
        user={"id": 7},
    )
    (call,) = model_calls(txn)
    assert call.source == "measurements"
    assert (call.input_tokens, call.output_tokens, call.total_tokens) == (100, 20, 120)
    assert (call.request_model, call.provider, call.span_id) == ("gpt-4o-mini", "openai", "b" * 16)
    assert call.user == "id:7"
    assert call.tags == {"model": "gpt-4o-mini", "job_id": "nightly", "channel": "email"}
    # Old SDKs' measurement names count too.
    old = bare_transaction(measurements={"ai_total_tokens_used": {"value": 42.0}})
    (call,) = model_calls(old)
    assert (call.input_tokens, call.total_tokens, call.request_model) == (None, 42, None)
    # With a model-call span, the span is the call and the measurements are not added.
    both = replace(txn, spans=(span("gen_ai.chat", **{"gen_ai.usage.input_tokens": 5}),))
    assert [c.source for c in model_calls(both)] == ["span"]
    assert model_calls(bare_transaction(span("db.query"))) == []


@pytest.mark.parametrize(
    ("op", "attributes", "kind"),
    [
        ("gen_ai.chat", {}, MODEL_CALL),
        ("gen_ai.responses", {}, MODEL_CALL),
        ("gen_ai.text_completion", {}, MODEL_CALL),
        ("gen_ai.embeddings", {}, MODEL_CALL),
        ("gen_ai.generate_content", {}, MODEL_CALL),
        ("gen_ai.evaluate", {}, MODEL_CALL),
        ("gen_ai.something_new", {}, MODEL_CALL),
        ("gen_ai.invoke_agent", {}, AGENT),
        ("gen_ai.create_agent", {}, AGENT),
        ("gen_ai.invoke_workflow", {}, AGENT),
        ("gen_ai.execute_tool", {}, TOOL),
        ("gen_ai.handoff", {}, HANDOFF),
        ("ai.chat_completions.create.cohere", {}, MODEL_CALL),
        ("ai.embeddings.create.cohere", {}, MODEL_CALL),
        ("ai.messages.create.anthropic", {}, MODEL_CALL),
        ("ai.run", {}, OTHER),
        ("ai.pipeline", {}, OTHER),
        ("function", {"gen_ai.operation.name": "chat"}, MODEL_CALL),
        ("function", {"gen_ai.operation.name": "execute_tool"}, TOOL),
        ("function", {"gen_ai.operation.name": "invoke_agent"}, AGENT),
        ("llm", {"llm.token_count.prompt": 5}, MODEL_CALL),
        ("llm", {"gen_ai.usage.prompt_tokens": 5}, MODEL_CALL),
        ("db.query", {"db.system": "postgresql"}, None),
        ("http.client", {}, None),
    ],
)
def test_classify(op: str, attributes: dict[str, Any], kind: str | None) -> None:
    assert classify(span(op, **attributes)) == kind


def tokens(**attributes: Any) -> tuple[int | None, ...]:
    (call,) = model_calls(bare_transaction(span("gen_ai.chat", **attributes)))
    return usage(call)


def test_token_vocabularies() -> None:
    # Older OTel / OpenLLMetry names; the total is input + output when not sent: 10 + 4.
    assert tokens(
        **{
            "gen_ai.usage.prompt_tokens": 10,
            "gen_ai.usage.completion_tokens": 4,
            "gen_ai.usage.cache_read_input_tokens": 3,
            "gen_ai.usage.reasoning_tokens": 2,
        }
    ) == (10, 3, None, 4, 2, 14)
    # OpenInference.
    assert tokens(
        **{
            "llm.token_count.prompt": 50,
            "llm.token_count.completion": 9,
            "llm.token_count.total": 59,
            "llm.token_count.prompt_details.cache_read": 20,
            "llm.token_count.prompt_details.cache_write": 5,
            "llm.token_count.completion_details.reasoning": 4,
        }
    ) == (50, 20, 5, 9, 4, 59)
    # Deprecated ai.* data keys.
    assert tokens(**{"ai.prompt_tokens.used": 7, "ai.completion_tokens.used": 3}) == (
        7,
        None,
        None,
        3,
        None,
        10,
    )
    # The first alias of a family wins over later ones.
    assert tokens(**{"gen_ai.usage.input_tokens": 11, "gen_ai.usage.prompt_tokens": 99}) == (
        11,
        None,
        None,
        None,
        None,
        None,
    )


def test_token_normalisation() -> None:
    # Raw Anthropic shape (input excludes the cache): 40 < 1000 + 200, so 40 + 1200 = 1240.
    assert tokens(
        **{
            "gen_ai.usage.input_tokens": 40,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.cache_creation.input_tokens": 200,
            "gen_ai.usage.output_tokens": 25,
        }
    ) == (1240, 1000, 200, 25, None, 1265)
    # Output reported without its reasoning (5 < 8): 5 + 8 = 13.
    assert tokens(
        **{
            "gen_ai.usage.input_tokens": 1,
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.usage.output_tokens.reasoning": 8,
        }
    ) == (1, None, None, 13, 8, 14)
    # Negative and garbage values are unknown, never 0; digit strings and 3.0 are counts.
    assert tokens(
        **{
            "gen_ai.usage.input_tokens": -5,
            "gen_ai.usage.output_tokens": "lots",
            "gen_ai.usage.total_tokens": True,
            "gen_ai.usage.input_tokens.cached": 2.5,
        }
    ) == (None, None, None, None, None, None)
    assert tokens(**{"gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": 3.0}) == (
        12,
        None,
        None,
        3,
        None,
        15,
    )


def test_provider_model_and_context_fallbacks() -> None:
    def one(**attributes: Any) -> ModelCall:
        (call,) = model_calls(bare_transaction(span("gen_ai.chat", **attributes)))
        return call

    assert one(**{"gen_ai.provider.name": "OpenAI", "gen_ai.system": "x"}).provider == "openai"
    assert one(**{"gen_ai.request.model": "claude-haiku-4-5"}).provider == "anthropic"
    assert one(**{"gen_ai.request.model": "openai/gpt-4o"}).provider == "openai"
    assert one(**{"gen_ai.request.model": "gemini/gemini-2.5-pro"}).provider == "gcp.gemini"
    assert one(**{"server.address": "api.anthropic.com"}).provider == "anthropic"
    assert one(**{"server.address": "vm"}).provider is None
    call = one(
        **{
            "user.id": "u1",
            "gen_ai.conversation.id": "conv-1",
            "gen_ai.agent.name": "triage",
            "status": "internal_error",
            "gen_ai.input.messages": [{"role": "user", "content": "hi"}],
        }
    )
    assert (call.user, call.conversation_id, call.agent_name) == ("id:u1", "conv-1", "triage")
    assert call.status == "error"
    # Legacy data keeps lists: recorded content becomes JSON text.
    assert call.prompt == '[{"role": "user", "content": "hi"}]' and call.prompt_chars == 35
    # Tags are the transaction's (each project says which of them name the job and channel).
    tagged = bare_transaction(
        span("gen_ai.chat", **{"gen_ai.usage.input_tokens": 1}),
        tags={"tenant": "acme", "queue": "q1"},
    )
    (call,) = model_calls(tagged)
    assert call.tags == {"tenant": "acme", "queue": "q1"}


def test_agent_name_comes_from_the_enclosing_agent_span() -> None:
    agent = span("gen_ai.invoke_agent", span_id="d" * 16, **{"gen_ai.agent.name": "planner"})
    child = span("gen_ai.chat", span_id="f" * 16, parent="d" * 16)
    (call,) = model_calls(bare_transaction(agent, child))
    assert call.agent_name == "planner" and call.span_id == "f" * 16


def test_odd_spans_do_not_raise() -> None:
    (odd,) = from_span_v2_items(
        {
            "items": [
                {
                    "span_id": "1" * 16,
                    "start_timestamp": 1.0,
                    "attributes": {"sentry.op": "gen_ai.chat", "gen_ai.request.model": 5},
                }
            ]
        }
    )
    (call,) = model_calls(bare_transaction(odd))
    assert (call.request_model, call.provider, call.trace_id) == (None, None, "a" * 32)
