"""What a model call cost, in exact decimal USD (pure: the price file is package data).

Prices are USD per 1M tokens. The bundled table (``prices.json``) is a dated snapshot;
people's overrides win over it, and an explicit price of 0 is a price (a free or self-hosted
model), which is not the same as an unknown model: that one stays unpriced (``None``), never
$0, so a missing price cannot pass for a cheap call.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Protocol

_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)
# How many (served, asked for) model name pairs a table remembers the price of.
_REMEMBERED = 4096

# Cloud routing prefixes in dotted model ids: Bedrock's cross-region inference profiles
# (``us.anthropic.…``) and the vendor part of Bedrock ids (``anthropic.claude-…``).
_REGION = re.compile(r"^(?:us|eu|apac|global|us-gov|ca|jp|au)\.")
_VENDOR = re.compile(r"^(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen)\.")
_SUFFIXES = (
    re.compile(r"@[\w.-]*$"),  # Vertex AI's ``model@20250929`` / ``@001``
    re.compile(r"-v\d+:\d+$"),  # Bedrock's ``-v1:0``
    re.compile(r"-latest$"),
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # OpenAI snapshots: ``-2024-08-06``
    re.compile(r"-\d{8}$"),  # Anthropic snapshots: ``-20250929``
)


def normalize_model(name: str) -> str:
    """The model's family name, as price lists key it: lower-case, without the provider or
    router prefix, the snapshot date, ``-latest`` and Bedrock's version suffix."""
    model = name.strip().lower().rsplit("/", 1)[-1]
    model = _VENDOR.sub("", _REGION.sub("", model))
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            stripped = suffix.sub("", model)
            if stripped != model and stripped:
                model, changed = stripped, True
    return model


@dataclass(frozen=True, slots=True)
class Tier:
    """Rates for a request whose input exceeds ``above_input_tokens``: the whole request."""

    above_input_tokens: int
    price: Price


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M tokens. Without a cached or cache-write rate those tokens cost the input
    rate; without a reasoning rate, reasoning tokens cost the output rate."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    tiers: tuple[Tier, ...] = ()

    def for_input(self, input_tokens: int) -> Price:
        """The rates that apply to a request of ``input_tokens``."""
        chosen = self
        threshold = -1
        for tier in self.tiers:
            if input_tokens > tier.above_input_tokens > threshold:
                chosen, threshold = tier.price, tier.above_input_tokens
        return chosen

    def as_json(self) -> dict[str, Any]:
        """The rates as numbers (USD per 1M tokens); rates not set are left out."""
        rates: dict[str, Any] = {"input": float(self.input), "output": float(self.output)}
        for name in ("cached_input", "cache_write", "reasoning"):
            rate = getattr(self, name)
            if rate is not None:
                rates[name] = float(rate)
        if self.tiers:
            rates["tiers"] = [
                {"above_input_tokens": t.above_input_tokens, **t.price.as_json()}
                for t in self.tiers
            ]
        return rates


@dataclass(frozen=True, slots=True)
class PriceMatch:
    """The price found for a call: under which name, from where (``bundled`` or
    ``override``) and how (``exact`` or ``normalized`` name)."""

    model: str
    price: Price
    source: str
    match: str


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, a
# third of pricing a call (run by the digest for every model call). Nothing changes one.
@dataclass(slots=True)
class Cost:
    """A call's cost in USD, by component; ``input`` is the uncached input and ``output``
    the non-reasoning output, so the components add up to ``total``."""

    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    total: Decimal
    # What the cache reads would have cost more at the uncached input price.
    cache_savings: Decimal
    price_version: str
    model: str
    source: str
    match: str


class PriceTable:
    """Prices by model name, looked up exactly first, then by normalised name."""

    def __init__(
        self,
        prices: Mapping[str, Price],
        version: str,
        overrides: Mapping[str, Price] | None = None,
    ) -> None:
        self.version = version
        self._prices = dict(prices)
        self._overrides = dict(overrides or {})
        self._indexes = (
            ("override", _index(self._overrides)),
            ("bundled", _index(self._prices)),
        )
        # Lookups by the names calls report (a few dozen in practice): normalising a name
        # costs most of pricing a call. The table never changes, so neither do they.
        self._found: dict[tuple[str | None, str | None], PriceMatch | None] = {}

    def as_json(self) -> dict[str, Any]:
        """Every model's rates, overrides marked (``"source": "override"``) and winning."""
        table = {name: {**p.as_json(), "source": "bundled"} for name, p in self._prices.items()}
        for name, price in self._overrides.items():
            table[name] = {**price.as_json(), "source": "override"}
        return dict(sorted(table.items()))

    @classmethod
    def bundled(cls) -> PriceTable:
        """The price snapshot shipped with Heron (read once)."""
        return _bundled()

    def with_overrides(self, overrides: Mapping[str, Price]) -> PriceTable:
        """A table where ``overrides`` (added to any this one has) win over bundled prices.

        Its version names the overrides' content, so costs priced under different overrides
        never claim the same price set."""
        merged = {**self._overrides, **overrides}
        base = self.version.split("+", 1)[0]
        return PriceTable(self._prices, f"{base}+overrides-{_digest(merged)}", merged)

    def lookup(self, response_model: str | None, request_model: str | None) -> PriceMatch | None:
        """The price for the model that served the call, else for the one asked for."""
        key = (response_model, request_model)
        try:
            return self._found[key]
        except KeyError:
            pass
        found = self._lookup(response_model, request_model)
        if len(self._found) >= _REMEMBERED:
            self._found.clear()  # names made up per call would otherwise grow it forever
        self._found[key] = found
        return found

    def _lookup(self, response_model: str | None, request_model: str | None) -> PriceMatch | None:
        for name in (response_model, request_model):
            if not name or not name.strip():
                continue
            for how, key in (
                ("exact", name.strip().lower()),
                ("normalized", normalize_model(name)),
            ):
                for source, (exact, normalized) in self._indexes:
                    found = (exact if how == "exact" else normalized).get(key)
                    if found is not None:
                        return PriceMatch(found[0], found[1], source, how)
        return None


class Usage(Protocol):
    """What pricing reads of a call: a ``ModelCall``, or a stored ``llm_calls`` row."""

    @property
    def operation(self) -> str: ...
    @property
    def request_model(self) -> str | None: ...
    @property
    def response_model(self) -> str | None: ...
    @property
    def input_tokens(self) -> int | None: ...
    @property
    def cache_read_tokens(self) -> int | None: ...
    @property
    def cache_write_tokens(self) -> int | None: ...
    @property
    def output_tokens(self) -> int | None: ...
    @property
    def reasoning_tokens(self) -> int | None: ...


def model_name(call: Usage, table: PriceTable) -> str:
    """The name a call's usage is counted under: the price table's name for its model
    (``gpt-4o`` for ``gpt-4o-2024-08-06``), whether or not its tokens are known, else the
    model reported."""
    found = table.lookup(call.response_model, call.request_model)
    if found is not None:
        return found.model
    return call.response_model or call.request_model or ""


def price_call(call: Usage, table: PriceTable) -> Cost | None:
    """The cost of ``call``, or None when its model has no price or its usage is unknown.

    Embeddings report no output tokens because they produce none: those count as 0.
    """
    found = table.lookup(call.response_model, call.request_model)
    output = call.output_tokens
    if output is None and call.operation == "embeddings":
        output = 0
    input_tokens = call.input_tokens
    if found is None or input_tokens is None or output is None:
        return None
    cache_read = call.cache_read_tokens or 0
    cache_write = call.cache_write_tokens or 0
    reasoning = min(call.reasoning_tokens or 0, output)
    uncached = max(input_tokens - cache_read - cache_write, 0)
    price = found.price.for_input(input_tokens) if found.price.tiers else found.price
    rate_in, rate_out = price.input, price.output
    inp = uncached * rate_in / _MILLION
    read = cache_read * (rate_in if price.cached_input is None else price.cached_input) / _MILLION
    write = cache_write * (rate_in if price.cache_write is None else price.cache_write) / _MILLION
    out = (output - reasoning) * rate_out / _MILLION
    think = reasoning * (rate_out if price.reasoning is None else price.reasoning) / _MILLION
    saved = cache_read * rate_in / _MILLION - read
    return Cost(
        input=inp,
        cache_read=read,
        cache_write=write,
        output=out,
        reasoning=think,
        total=inp + read + write + out + think,
        cache_savings=max(saved, _ZERO),
        price_version=table.version,
        model=found.model,
        source=found.source,
        match=found.match,
    )


def _index(prices: Mapping[str, Price]) -> tuple[dict[str, tuple[str, Price]], ...]:
    exact: dict[str, tuple[str, Price]] = {}
    normalized: dict[str, tuple[str, Price]] = {}
    for name, price in prices.items():
        exact[name.strip().lower()] = (name, price)
        normalized.setdefault(normalize_model(name), (name, price))
    return exact, normalized


def _digest(prices: Mapping[str, Price]) -> str:
    canonical = json.dumps(
        {name: repr(price) for name, price in sorted(prices.items())}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


# --- the bundled file -----------------------------------------------------------------------


@cache
def _bundled() -> PriceTable:
    text = resources.files("heron.llm").joinpath("prices.json").read_text(encoding="utf-8")
    return load_prices(text)


def load_prices(text: str) -> PriceTable:
    """A table from a price file (the bundled format); ValueError when it is malformed."""
    try:
        raw = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise ValueError(f"price file is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("models"), dict):
        raise ValueError("price file has no models object")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError("price file has no version")
    prices: dict[str, Price] = {}
    for name, entry in raw["models"].items():
        price = _price(name, entry)
        prices[name] = price
        for alias in entry.get("aliases", ()):
            prices[str(alias)] = price
    return PriceTable(prices, f"bundled-{version}")


def _price(name: str, entry: Any) -> Price:
    if not isinstance(entry, dict):
        raise ValueError(f"price of {name!r} is not an object")
    tiers = tuple(
        Tier(int(_rate(name, tier, "above_input_tokens")), _price(name, tier))
        for tier in entry.get("tiers", ())
    )
    return Price(
        input=_rate(name, entry, "input"),
        output=_rate(name, entry, "output"),
        cached_input=_optional_rate(name, entry, "cached_input"),
        cache_write=_optional_rate(name, entry, "cache_write"),
        reasoning=_optional_rate(name, entry, "reasoning"),
        tiers=tiers,
    )


def _rate(name: str, entry: dict[str, Any], key: str) -> Decimal:
    rate = _optional_rate(name, entry, key)
    if rate is None:
        raise ValueError(f"price of {name!r} has no {key}")
    return rate


def _optional_rate(name: str, entry: dict[str, Any], key: str) -> Decimal | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"price of {name!r}: {key} is not a non-negative number")
    return value
