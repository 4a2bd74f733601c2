"""LLM calls from AI spans: token usage per model call and what it cost (pure, no I/O).

:func:`model_calls` turns a transaction's AI spans (whatever vocabulary recorded them) into
normalised :class:`ModelCall` records, counting model calls only; :func:`price_call` prices
one against a :class:`PriceTable` (the bundled snapshot, with people's overrides on top).
"""

from heron.llm.extract import (
    AGENT,
    HANDOFF,
    MODEL_CALL,
    OTHER,
    TOOL,
    ModelCall,
    classify,
    model_calls,
)
from heron.llm.pricing import (
    Cost,
    Price,
    PriceMatch,
    PriceTable,
    Tier,
    Usage,
    load_prices,
    model_name,
    normalize_model,
    price_call,
)

__all__ = [
    "AGENT",
    "HANDOFF",
    "MODEL_CALL",
    "OTHER",
    "TOOL",
    "Cost",
    "ModelCall",
    "Price",
    "PriceMatch",
    "PriceTable",
    "Tier",
    "Usage",
    "classify",
    "load_prices",
    "model_calls",
    "model_name",
    "normalize_model",
    "price_call",
]
