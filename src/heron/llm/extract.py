"""AI spans → one normalised record per model call (pure: no database, no I/O).

The SDKs and instrumentation libraries describe the same call with different vocabularies:
Sentry's dotted names (``gen_ai.usage.input_tokens.cached``), the OpenTelemetry names
(``gen_ai.usage.cache_read.input_tokens``), OpenLLMetry and OpenInference keys, and the
deprecated ``ai.*`` names. Each quantity is read from the first of its aliases that holds a
usable value. A count nobody reported stays ``None``: unknown is never zero.

Only model calls are counted. Agent spans (LangGraph's ``invoke_agent``) repeat the token
counts of the calls beneath them, so summing every AI span would count those tokens twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from heron.llm.vocabulary import (
    CACHE_READ,
    CACHE_WRITE,
    INPUT,
    MEASURED_INPUT,
    MEASURED_OUTPUT,
    MEASURED_TOTAL,
    MODEL_TAGS,
    OUTPUT,
    PROMPT,
    REASONING,
    RESPONSE,
    STREAMING,
    TOKEN_KEYS,
    TOTAL,
    TTFT,
    first_bool,
    first_count,
    first_number,
    first_str,
    first_text,
    provider_of,
)
from heron.rollup import Span, Transaction

MODEL_CALL = "model_call"
AGENT = "agent"
TOOL = "tool"
HANDOFF = "handoff"
OTHER = "other"

_HEALTHY = frozenset({"ok", "unset", "unknown"})

# gen_ai.operation.name (or the op's tail after ``gen_ai.``) → kind; anything else that is
# a gen_ai operation is taken for a model call, as Sentry's server does.
_KINDS = {
    "invoke_agent": AGENT,
    "create_agent": AGENT,
    "invoke_workflow": AGENT,
    "execute_tool": TOOL,
    "handoff": HANDOFF,
    "retrieval": OTHER,
    "pipeline": OTHER,
}
# The deprecated ``@ai_track`` decorator's spans wrap calls; they are not calls themselves.
_LEGACY_WRAPPERS = ("ai.run", "ai.pipeline")
_AI_OPS = ("gen_ai.", "ai.")


# Not frozen: a frozen dataclass's __init__ sets each of its 31 fields through
# object.__setattr__, a third of a call's extraction (run for every AI span). Nothing changes
# one once made.
@dataclass(slots=True)
class ModelCall:
    """One call to a model with its usage and the context it is attributed to.

    Token counts follow "totals include subsets": ``input_tokens`` includes the cache reads
    and writes, ``output_tokens`` the reasoning tokens. ``None`` means not reported.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    event_id: str
    timestamp: float
    duration_ms: float
    status: str
    operation: str
    provider: str | None
    request_model: str | None
    response_model: str | None
    streaming: bool | None
    ttft_ms: float | None
    input_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None
    total_tokens: int | None
    transaction: str
    environment: str | None
    release: str | None
    user: str | None
    tags: dict[str, str]  # the transaction's: a project's job and channel tags are among them
    agent_name: str | None
    conversation_id: str | None
    prompt_chars: int | None
    response_chars: int | None
    prompt: str | None
    response: str | None
    source: str


# input, cache read, cache write, output, reasoning, total tokens
_Usage = tuple[int | None, int | None, int | None, int | None, int | None, int | None]

_REQUEST_MODEL = ("gen_ai.request.model", "ai.model_id", "llm.model_name")
_RESPONSE_MODEL = ("gen_ai.response.model",)
_CONVERSATION = ("gen_ai.conversation.id", "session.id")
_AGENT_NAME = ("gen_ai.agent.name",)


# --- classification -------------------------------------------------------------------------


def classify(span: Span) -> str | None:
    """The kind of AI span (``model_call``, ``agent``, ``tool``, ``handoff``, ``other``),
    or None for a span that is not about AI at all."""
    op = span.op
    if op.startswith(_AI_OPS):
        if op.startswith("gen_ai."):
            return _kind(op.removeprefix("gen_ai."))
        return OTHER if op.startswith(_LEGACY_WRAPPERS) else MODEL_CALL
    name = span.data.get("gen_ai.operation.name")
    if isinstance(name, str) and name:
        return _kind(name)
    if not TOKEN_KEYS.isdisjoint(span.data):  # in C: this runs for every span
        return MODEL_CALL
    return None


@lru_cache(maxsize=1024)  # a handful of operations, met on every AI span
def _kind(operation: str) -> str:
    return _KINDS.get(operation, _KINDS.get(operation.split(".", 1)[0], MODEL_CALL))


# --- extraction -----------------------------------------------------------------------------


def model_calls(txn: Transaction) -> list[ModelCall]:
    """One record per model-call span of ``txn``; when there is none but the transaction
    carries token measurements, one record made from those."""
    found = [span for span in txn.spans if classify(span) == MODEL_CALL]
    if not found:
        measured = _from_measurements(txn)
        return [] if measured is None else [measured]
    by_id = {span.span_id: span for span in txn.spans}
    return [_from_span(span, txn, by_id) for span in found]


def _from_span(span: Span, txn: Transaction, by_id: dict[str, Span]) -> ModelCall:
    data = span.data
    inp, cache_read, cache_write, out, reasoning, total = _normalize(
        first_count(data, INPUT),
        first_count(data, CACHE_READ),
        first_count(data, CACHE_WRITE),
        first_count(data, OUTPUT),
        first_count(data, REASONING),
        first_count(data, TOTAL),
    )
    request_model = first_str(data, _REQUEST_MODEL)
    response_model = first_str(data, _RESPONSE_MODEL)
    prompt = first_text(data, PROMPT)
    response = first_text(data, RESPONSE)
    ttft = first_number(data, TTFT)
    return ModelCall(
        trace_id=span.trace_id or txn.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        event_id=txn.event_id,
        timestamp=span.end,
        duration_ms=span.duration_ms,
        status="ok" if span.status in _HEALTHY else "error",
        operation=_operation(span),
        provider=provider_of(data, response_model or request_model),
        request_model=request_model,
        response_model=response_model,
        streaming=first_bool(data, STREAMING),
        ttft_ms=ttft * 1000.0 if ttft is not None else None,
        input_tokens=inp,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=out,
        reasoning_tokens=reasoning,
        total_tokens=total,
        transaction=txn.name,
        environment=span.environment or txn.environment,
        release=span.release or txn.release,
        user=txn.user or _span_user(data),
        # The transaction's tags are the app's attribution (tenant, job…); span tags are the
        # SDK's own bookkeeping (legacy spans repeat their status there).
        tags=dict(txn.tags),
        agent_name=_agent_name(span, by_id),
        conversation_id=first_str(data, _CONVERSATION),
        prompt_chars=len(prompt) if prompt is not None else None,
        response_chars=len(response) if response is not None else None,
        prompt=prompt,
        response=response,
        source="span",
    )


def _from_measurements(txn: Transaction) -> ModelCall | None:
    measured = {name: value for name, (value, _unit) in txn.measurements.items()}
    inp, _read, _write, out, _reasoning, total = _normalize(
        first_count(measured, MEASURED_INPUT),
        None,
        None,
        first_count(measured, MEASURED_OUTPUT),
        None,
        first_count(measured, MEASURED_TOTAL),
    )
    if inp is None and out is None and total is None:
        return None
    model = first_str(txn.tags, MODEL_TAGS)
    return ModelCall(
        trace_id=txn.trace_id,
        span_id=txn.span_id,
        parent_span_id=txn.parent_span_id,
        event_id=txn.event_id,
        timestamp=txn.end,
        duration_ms=txn.duration_ms,
        status="ok" if txn.status in _HEALTHY else "error",
        operation="unknown",
        provider=provider_of(txn.tags, model),
        request_model=model,
        response_model=None,
        streaming=None,
        ttft_ms=None,
        input_tokens=inp,
        cache_read_tokens=None,
        cache_write_tokens=None,
        output_tokens=out,
        reasoning_tokens=None,
        total_tokens=total,
        transaction=txn.name,
        environment=txn.environment,
        release=txn.release,
        user=txn.user,
        tags=dict(txn.tags),
        agent_name=None,
        conversation_id=None,
        prompt_chars=None,
        response_chars=None,
        prompt=None,
        response=None,
        source="measurements",
    )


def _normalize(
    inp: int | None,
    cache_read: int | None,
    cache_write: int | None,
    out: int | None,
    reasoning: int | None,
    total: int | None,
) -> _Usage:
    """Make the totals include their subsets, and fill a missing total in."""
    cached = (cache_read or 0) + (cache_write or 0)
    if inp is not None and inp < cached:
        inp += cached  # the provider's raw, uncached figure (Anthropic's API shape)
    if out is not None and reasoning is not None and out < reasoning:
        out += reasoning
    if total is None and inp is not None and out is not None:
        total = inp + out
    return inp, cache_read, cache_write, out, reasoning, total


def _operation(span: Span) -> str:
    name = span.data.get("gen_ai.operation.name")
    if isinstance(name, str) and name:
        return name
    op = span.op
    if op.startswith("gen_ai."):
        return op.removeprefix("gen_ai.")
    if "embed" in op:
        return "embeddings"
    request_type = span.data.get("llm.request.type")
    if isinstance(request_type, str) and request_type:
        return request_type
    return "chat"


def _agent_name(span: Span, by_id: dict[str, Span]) -> str | None:
    """The span's own agent name, else that of the nearest enclosing agent span."""
    seen: set[str] = set()
    current: Span | None = span
    while current is not None and current.span_id not in seen:
        seen.add(current.span_id)
        name = first_str(current.data, _AGENT_NAME)
        if name and (current is span or classify(current) == AGENT):
            return name
        current = by_id.get(current.parent_span_id or "")
    return None


def _span_user(data: dict[str, Any]) -> str | None:
    """The user copied onto a span-v2 item, keyed like the transaction's user."""
    for key in ("id", "email", "username", "ip_address"):
        value = data.get(f"user.{key}")
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f"{key}:{value}"
    return None
