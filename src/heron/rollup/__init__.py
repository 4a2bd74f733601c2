"""Transactions and spans into performance figures (pure: no database, no I/O).

Durations go into mergeable sketches (percentiles with a bounded relative error), span
descriptions are normalized so alike spans group together, and span trees are searched for
the slow patterns worth an issue of their own (N+1 queries, slow queries, …).
"""

from heron.rollup.describe import (
    is_db_op,
    normalize_description,
    normalize_http,
    normalize_sql,
    span_group,
)
from heron.rollup.detect import Finding, Thresholds, detect
from heron.rollup.sketch import DurationSketch
from heron.rollup.spans import (
    Span,
    Transaction,
    from_span_v2_items,
    from_transaction_event,
    segments,
)

__all__ = [
    "DurationSketch",
    "Finding",
    "Span",
    "Thresholds",
    "Transaction",
    "detect",
    "from_span_v2_items",
    "from_transaction_event",
    "is_db_op",
    "normalize_description",
    "normalize_http",
    "normalize_sql",
    "segments",
    "span_group",
]
