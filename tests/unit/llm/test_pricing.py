"""Costs of the samples' calls, computed by hand from the bundled rates (USD per 1M tokens).

cost = uncached·input + cache_read·cached + cache_write·write + (output - reasoning)·output
       + reasoning·(reasoning rate or output rate), all / 1 000 000.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.llm.samples import bare_transaction, json_transactions, span, wire_transactions

from heron.llm import (
    Cost,
    ModelCall,
    Price,
    PriceTable,
    Tier,
    load_prices,
    model_calls,
    normalize_model,
    price_call,
)

D = Decimal
BUNDLED = PriceTable.bundled()

# Sample costs per requested model, at the bundled rates.
DEFAULT_COSTS = {
    # gpt-4o-mini 0.15 / cached 0.075 / out 0.60: 20·0.15 + 100·0.075 + 18·0.60 + 12·0.60
    # = 3 + 7.5 + 10.8 + 7.2 = 28.5 → $0.0000285
    "gpt-4o-mini": D("0.0000285"),
    # gpt-4o 2.50 / 1.25 / 10.00: 20·2.5 + 100·1.25 + 18·10 + 12·10 = 50 + 125 + 180 + 120
    # = 475 → $0.000475
    "gpt-4o": D("0.000475"),
    # o3 2.00 / 0.50 / 8.00: 150·2 + 50·0.5 + 16·8 + 64·8 = 300 + 25 + 128 + 512 = 965
    "o3": D("0.000965"),
    # text-embedding-3-small 0.02: 8·0.02 = 0.16 → $0.00000016
    "text-embedding-3-small": D("0.00000016"),
    # Sonnet 4.5 3.00 / 0.30 / 3.75 / 15.00: 40·3 + 1000·0.3 + 200·3.75 + 25·15
    # = 120 + 300 + 750 + 375 = 1545 → $0.001545 (the figure in llm.md §6.7)
    "claude-sonnet-4-5-20250929": D("0.001545"),
    # Haiku 4.5 1.00 / 0.10 / 1.25 / 5.00: 40·1 + 1000·0.1 + 200·1.25 + 25·5
    # = 40 + 100 + 250 + 125 = 515 → $0.000515
    "claude-haiku-4-5": D("0.000515"),
}


def costs(calls: list[ModelCall], table: PriceTable = BUNDLED) -> dict[str, Cost | None]:
    return {c.request_model or "": price_call(c, table) for c in calls}


def totals(found: dict[str, Cost | None]) -> dict[str, Decimal | None]:
    return {m: c.total if c else None for m, c in found.items()}


@pytest.mark.parametrize("name", ["default.envelopes.txt", "legacy.envelopes.txt"])
def test_default_sample_costs(name: str) -> None:
    (txn,) = wire_transactions(name)
    found = costs(model_calls(txn))
    # The 429 call is counted but unpriced: no usage, so no cost (not $0).
    assert totals(found) == {**DEFAULT_COSTS, "force-error": None}
    sonnet = found["claude-sonnet-4-5-20250929"]
    assert sonnet is not None
    assert (sonnet.input, sonnet.cache_read, sonnet.cache_write, sonnet.output) == (
        D("0.00012"),  # 40 · 3.00
        D("0.0003"),  # 1000 · 0.30
        D("0.00075"),  # 200 · 3.75
        D("0.000375"),  # 25 · 15.00
    )
    assert sonnet.reasoning == 0
    assert (sonnet.model, sonnet.source, sonnet.match) == (
        "claude-sonnet-4-5",
        "bundled",
        "normalized",
    )
    assert sonnet.price_version == BUNDLED.version == "bundled-2026-11-22.1"
    mini = found["gpt-4o-mini"]
    assert mini is not None
    assert (mini.output, mini.reasoning) == (D("0.0000108"), D("0.0000072"))  # 18·0.6, 12·0.6
    # 28.5 + 475 + 965 + 0.16 + 1545 + 515 = 3528.66 → $0.00352866 for the transaction
    assert sum(c.total for c in found.values() if c) == D("0.00352866")
    # Cache savings: cache reads at the input price less what they cost, per 1M tokens:
    # gpt-4o-mini 100·(0.15 - 0.075) = 7.5, gpt-4o 100·(2.5 - 1.25) = 125, o3 50·(2 - 0.5) = 75,
    # Sonnet 1000·(3 - 0.3) = 2700, Haiku 1000·(1 - 0.1) = 900; 3807.5 → $0.0038075.
    assert sonnet.cache_savings == D("0.0027")
    assert sum(c.cache_savings for c in found.values() if c) == D("0.0038075")


def test_frameworks_sample_costs_model_calls_only() -> None:
    (txn,) = json_transactions("frameworks.envelopes.json")
    calls = model_calls(txn)
    found = [price_call(c, BUNDLED) for c in calls]
    assert [c.total if c else None for c in found] == [
        # gpt-4.1-mini 0.40 / 0.10 / 1.60: 20·0.4 + 100·0.1 + 18·1.6 + 12·1.6 = 8+10+28.8+19.2
        D("0.000066"),
        D("0.000066"),
        # LiteLLM's gpt-4o (no cache details): 120·2.5 + 30·10 = 300 + 300 = 600
        D("0.0006"),
    ]
    # 66 + 66 + 600 = 732; the invoke_agent span (another 120/30 of gpt-4.1-mini) is not in it.
    assert sum(c.total for c in found if c) == D("0.000732")


def test_span_streaming_sample_cost() -> None:
    (txn,) = json_transactions("span_streaming.envelopes.json")
    (call,) = model_calls(txn)
    cost = price_call(call, BUNDLED)
    assert cost is not None and cost.total == DEFAULT_COSTS["gpt-4o-mini"]


def test_unknown_usage_or_model_is_unpriced() -> None:
    stream = span("gen_ai.chat", **{"gen_ai.request.model": "gpt-4o"})  # no usage attributes
    (call,) = model_calls(bare_transaction(stream))
    assert price_call(call, BUNDLED) is None
    known = call_with(request_model="gpt-4o", input_tokens=10, output_tokens=None)
    assert price_call(known, BUNDLED) is None  # output unknown (not an embedding)
    unknown = call_with(request_model="my-finetune", response_model="my-finetune-v7")
    assert BUNDLED.lookup("my-finetune-v7", "my-finetune") is None
    assert price_call(unknown, BUNDLED) is None


def call_with(**fields: Any) -> ModelCall:
    """A 100-in / 10-out call of ``gpt-4o`` with ``fields`` changed."""
    (call,) = model_calls(
        bare_transaction(
            span(
                "gen_ai.chat",
                **{
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 100,
                    "gen_ai.usage.output_tokens": 10,
                },
            )
        )
    )
    return replace(call, **fields)


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("GPT-4o-mini-2099-01-01", "gpt-4o-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("openai/gpt-4o", "gpt-4o"),
        ("anthropic/claude-haiku-4-5", "claude-haiku-4-5"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
        ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("gpt-4.1", "gpt-4.1"),
        ("o3", "o3"),
        ("  o3-2099-01-01 ", "o3"),
    ],
)
def test_normalize_model(name: str, normalized: str) -> None:
    assert normalize_model(name) == normalized


def test_lookup_prefers_the_response_model_then_the_request_model() -> None:
    served = BUNDLED.lookup("gpt-4o-mini-2099-01-01", "gpt-4o")
    assert served is not None and (served.model, served.match) == ("gpt-4o-mini", "normalized")
    asked = BUNDLED.lookup("my-proxy-alias", "gpt-4o")
    assert asked is not None and (asked.model, asked.match) == ("gpt-4o", "exact")
    alias = BUNDLED.lookup(None, "claude-opus-4-6")
    assert alias is not None and alias.price.input == D("5.00")


def test_long_context_tiers_price_the_whole_request() -> None:
    def total(model: str, **fields: Any) -> Decimal:
        cost = price_call(call_with(request_model=model, **fields), BUNDLED)
        assert cost is not None
        return cost.total

    # Sonnet 4.5 at exactly 200K input stays on base rates: 200000·3 + 1000·15 = 615000
    assert total("claude-sonnet-4-5", input_tokens=200_000, output_tokens=1000) == D("0.615")
    # Above 200K the whole request costs 6.00 / 22.50: 300000·6 + 1000·22.5 = 1822500
    assert total("claude-sonnet-4-5", input_tokens=300_000, output_tokens=1000) == D("1.8225")
    # Gemini 2.5 Pro above 200K, 2.50 / cached 0.25 / 15.00:
    # 200000·2.5 + 50000·0.25 + 2000·15 = 500000 + 12500 + 30000 = 542500
    assert total(
        "gemini-2.5-pro", input_tokens=250_000, cache_read_tokens=50_000, output_tokens=2000
    ) == D("0.5425")
    # Below: 1000·1.25 + 100·10 = 1250 + 1000 = 2250
    assert total("gemini-2.5-pro", input_tokens=1000, output_tokens=100) == D("0.00225")


def test_overrides_win_and_zero_is_a_price() -> None:
    free = BUNDLED.with_overrides({"gpt-4o": Price(input=D(0), output=D(0))})
    cost = price_call(call_with(response_model="gpt-4o-2099-01-01"), free)
    assert cost is not None and cost.total == 0 and cost.source == "override"
    assert free.version.startswith("bundled-2026-11-22.1+overrides-")
    assert free.version != BUNDLED.version
    # Another override set is another price set; the bundled table is unchanged.
    other = BUNDLED.with_overrides({"gpt-4o": Price(input=D(1), output=D(0))})
    assert other.version != free.version
    still = price_call(call_with(), BUNDLED)
    assert still is not None and still.total == D("0.00035")  # 100·2.5 + 10·10 = 350
    # An override for a model the bundle lacks, with its own reasoning rate and no cache
    # rates (cached tokens then cost the input rate): 100 in (20 cached), 50 out (30 reasoning)
    # → 80·1 + 20·1 + 20·2 + 30·4 = 80 + 20 + 40 + 120 = 260
    own = BUNDLED.with_overrides({"in-house-7b": Price(input=D(1), output=D(2), reasoning=D(4))})
    cost = price_call(
        call_with(
            request_model="in-house-7b",
            input_tokens=100,
            cache_read_tokens=20,
            output_tokens=50,
            reasoning_tokens=30,
        ),
        own,
    )
    assert cost is not None and cost.total == D("0.00026") and cost.match == "exact"


def test_price_tiers_pick_the_highest_threshold_passed() -> None:
    price = Price(
        input=D(1),
        output=D(1),
        tiers=(
            Tier(1000, Price(input=D(3), output=D(3))),
            Tier(100, Price(input=D(2), output=D(2))),
        ),
    )
    assert [price.for_input(n).input for n in (100, 101, 1000, 1001)] == [1, 2, 2, 3]


def test_load_prices_rejects_malformed_files() -> None:
    for text in (
        "not json",
        '{"version": "x"}',
        '{"models": {}}',
        '{"version": "x", "models": {"m": {"input": 1}}}',
        '{"version": "x", "models": {"m": {"input": -1, "output": 1}}}',
    ):
        with pytest.raises(ValueError):
            load_prices(text)
    table = load_prices('{"version": "t1", "models": {"m": {"input": 1, "output": 0}}}')
    assert table.version == "bundled-t1"
