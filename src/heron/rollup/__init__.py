"""Transactions and spans into performance figures (pure: no database, no I/O).

Durations go into mergeable sketches (percentiles with a bounded relative error), span
descriptions are normalized so alike spans group together, and span trees are searched for
the slow patterns worth an issue of their own (N+1 queries, slow queries, …).
"""

from heron.rollup.aggregate import (
    DAY,
    HOUR,
    MINUTE,
    SpanRollup,
    TransactionRollup,
    aggregate,
    apdex,
    bucket_start,
    combine,
    distinct_users,
    failure_rate,
    miserable_users,
    percentiles,
    roll_up,
    throughput,
    user_misery,
)
from heron.rollup.codec import (
    decode_durations,
    decode_rollup,
    encode_rollup_data,
    holds_durations,
)
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
    segment_event_id,
    segments,
)

__all__ = [
    "DAY",
    "HOUR",
    "MINUTE",
    "DurationSketch",
    "Finding",
    "Span",
    "SpanRollup",
    "Thresholds",
    "Transaction",
    "TransactionRollup",
    "aggregate",
    "apdex",
    "bucket_start",
    "combine",
    "decode_durations",
    "decode_rollup",
    "detect",
    "distinct_users",
    "encode_rollup_data",
    "failure_rate",
    "from_span_v2_items",
    "from_transaction_event",
    "holds_durations",
    "is_db_op",
    "miserable_users",
    "normalize_description",
    "normalize_http",
    "normalize_sql",
    "percentiles",
    "roll_up",
    "segment_event_id",
    "segments",
    "span_group",
    "throughput",
    "user_misery",
]
