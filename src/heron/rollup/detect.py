"""Performance problems in one transaction's span tree (N+1 queries, slow queries, …).

`detect()` is pure and runs in O(n log n) over the spans (grouping by parent, one sort per
sibling list). Each `Finding` carries fingerprint parts that hold no timings or ids, so the
same problem in later events groups into the same issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from heron.rollup.describe import is_db_op, normalize_description
from heron.rollup.spans import Span

__all__ = ["Finding", "Kind", "SpanLike", "SpanView", "Thresholds", "detect"]


class SpanLike(Protocol):
    """The span fields the detectors read; `heron.rollup.spans.Span` satisfies it."""

    @property
    def span_id(self) -> str: ...
    @property
    def parent_span_id(self) -> str | None: ...
    @property
    def op(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class SpanView:
    """A minimal span for callers (and tests) that hold no richer record."""

    span_id: str
    parent_span_id: str | None
    op: str | None
    description: str | None
    start: float
    end: float
    data: Mapping[str, Any] = field(default_factory=dict)


class Kind(StrEnum):
    N_PLUS_ONE_DB = "n_plus_one_db"
    SLOW_DB_QUERY = "slow_db_query"
    CONSECUTIVE_HTTP = "consecutive_http"
    LARGE_HTTP_PAYLOAD = "large_http_payload"


TITLES = {
    Kind.N_PLUS_ONE_DB: "N+1 Query",
    Kind.SLOW_DB_QUERY: "Slow DB Query",
    Kind.CONSECUTIVE_HTTP: "Consecutive HTTP",
    Kind.LARGE_HTTP_PAYLOAD: "Large HTTP payload",
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a pattern is worth an issue; a project may override any of them."""

    n_plus_one_min_count: int = 5
    n_plus_one_min_total_ms: float = 50.0  # the repeats together must take longer than this
    slow_db_min_ms: float = 500.0
    http_min_count: int = 3
    http_min_span_ms: float = 100.0
    http_min_saved_ms: float = 500.0  # total - longest: what running them in parallel saves
    http_payload_min_bytes: int = 1_000_000


@dataclass(frozen=True, slots=True)
class Finding:
    """One performance problem found in one transaction.

    `fingerprint` is `(kind, parent op or "*", normalized statement/URL)`: group issues on it.
    `evidence` holds counts, `total_ms`, `slowest_ms` and `subtitle` (the statement or URL).
    """

    kind: Kind
    title: str
    culprit: str
    fingerprint: tuple[str, ...]
    span_ids: tuple[str, ...]
    evidence: Mapping[str, Any] = field(hash=False)


PAYLOAD_SIZE_KEYS = (
    "http.response_content_length",
    "http.response.body.size",
    "http.response_transfer_size",
)


def detect(
    transaction_name: str, spans: Sequence[SpanLike], thresholds: Thresholds = Thresholds()
) -> list[Finding]:
    """Run every detector over one transaction's spans; findings in a stable order.

    A parent missing from `spans` has op "" in fingerprints: callers should pass the root
    span too (or never), the same way for every event, so fingerprints stay comparable.
    """
    tree = _Tree(spans)
    return [
        *_n_plus_one(transaction_name, tree, thresholds),
        *_slow_db(transaction_name, tree, thresholds),
        *_consecutive_http(transaction_name, tree, thresholds),
        *_large_payload(transaction_name, tree, thresholds),
    ]


class _Tree:
    """Spans indexed by id and by parent, siblings sorted by start time."""

    def __init__(self, spans: Sequence[SpanLike]) -> None:
        self.spans = spans
        self.op_by_id = {s.span_id: s.op or "" for s in spans}
        children: dict[str | None, list[SpanLike]] = {}
        for span in spans:
            children.setdefault(span.parent_span_id, []).append(span)
        for siblings in children.values():
            siblings.sort(key=lambda s: (s.start, s.span_id))
        self.children = children
        self._db_shapes: dict[tuple[str, str, object], str] = {}

    def parent_op(self, span: SpanLike) -> str:
        # The root span may be absent from the list: an unknown parent is "".
        return self.op_by_id.get(span.parent_span_id or "", "")

    def shape(self, span: SpanLike) -> str:
        """The span's description with parameters taken out."""
        if isinstance(span, Span):
            return span.normalized_description  # kept on the span for the rollups too
        op, description = span.op or "", span.description or ""
        data = span.data if isinstance(span.data, dict) else dict(span.data)
        if not is_db_op(op):
            return normalize_description(op, description, data)
        # Memoized because N+1 means the same statement many times; db.system is the one
        # data key that changes a db span's shape.
        key = (op, description, data.get("db.system"))
        if key not in self._db_shapes:
            self._db_shapes[key] = normalize_description(op, description, data)
        return self._db_shapes[key]


def _n_plus_one(name: str, tree: _Tree, t: Thresholds) -> list[Finding]:
    found: dict[tuple[str, ...], Finding] = {}
    shape = tree.shape
    for siblings in tree.children.values():
        run: list[SpanLike] = []
        run_shape = ""  # shape(run[0]) while there is a run
        # Non-db siblings neither extend nor break a run; a None sentinel flushes the last one.
        for span in [*filter(_is_db, siblings), None]:
            if span is not None and run and shape(span) == run_shape:
                run.append(span)
                continue
            if len(run) >= t.n_plus_one_min_count and _total(run) > t.n_plus_one_min_total_ms:
                finding = _finding(name, Kind.N_PLUS_ONE_DB, tree, run, run_shape)
                kept = found.get(finding.fingerprint)
                if kept is None or kept.evidence["total_ms"] < finding.evidence["total_ms"]:
                    found[finding.fingerprint] = finding
            # A db span without a description has no shape to repeat: it only breaks runs.
            if span is not None and span.description:
                run, run_shape = [span], shape(span)
            else:
                run = []
    return sorted(found.values(), key=_order)


def _slow_db(name: str, tree: _Tree, t: Thresholds) -> list[Finding]:
    slow: dict[str, list[SpanLike]] = {}
    for span in tree.spans:
        if _is_db(span) and _ms(span) >= t.slow_db_min_ms:
            slow.setdefault(tree.shape(span), []).append(span)
    # A slow statement is the same problem under any parent: "*" for the parent op.
    found = [
        _finding(name, Kind.SLOW_DB_QUERY, tree, group, shape, parent_op="*")
        for shape, group in slow.items()
    ]
    return sorted(found, key=_order)


def _consecutive_http(name: str, tree: _Tree, t: Thresholds) -> list[Finding]:
    found: dict[tuple[str, ...], Finding] = {}
    for siblings in tree.children.values():
        calls = [s for s in siblings if _is_http(s) and _ms(s) >= t.http_min_span_ms]
        chain: list[SpanLike] = []
        for span in [*calls, None]:
            # Overlap means they already run in parallel; the same URL again is likely a
            # retry or a page cursor, which must wait for the previous answer.
            if (
                span is not None
                and chain
                and span.start >= chain[-1].end
                and _url_key(span) != _url_key(chain[-1])
            ):
                chain.append(span)
                continue
            durations = [_ms(s) for s in chain]
            saved = sum(durations) - max(durations, default=0.0)
            if len(chain) >= t.http_min_count and saved >= t.http_min_saved_ms:
                shape = " | ".join(sorted({tree.shape(s) for s in chain}))
                finding = _finding(
                    name, Kind.CONSECUTIVE_HTTP, tree, chain, shape, saved_ms=round(saved, 3)
                )
                found.setdefault(finding.fingerprint, finding)
            chain = [span] if span is not None else []
    return sorted(found.values(), key=_order)


def _large_payload(name: str, tree: _Tree, t: Thresholds) -> list[Finding]:
    large: dict[tuple[str, str], list[tuple[SpanLike, float]]] = {}
    for span in tree.spans:
        size = _payload_size(span.data) if _is_http(span) else None
        if size is not None and size >= t.http_payload_min_bytes:
            key = (tree.parent_op(span), tree.shape(span))
            large.setdefault(key, []).append((span, size))
    found = [
        _finding(
            name,
            Kind.LARGE_HTTP_PAYLOAD,
            tree,
            [span for span, _ in group],
            shape,
            max_bytes=max(size for _, size in group),
        )
        for (_, shape), group in large.items()
    ]
    return sorted(found, key=_order)


def _finding(
    name: str,
    kind: Kind,
    tree: _Tree,
    group: Sequence[SpanLike],
    shape: str,
    parent_op: str | None = None,
    **extra: Any,
) -> Finding:
    durations = [_ms(s) for s in group]
    if parent_op is None:
        parent_op = tree.parent_op(group[0])
    evidence = {
        "count": len(group),
        "total_ms": round(sum(durations), 3),
        "slowest_ms": round(max(durations), 3),
        "subtitle": shape,
        "parent_op": parent_op,
        "example": group[0].description or "",
        **extra,
    }
    return Finding(
        kind=kind,
        title=TITLES[kind],
        culprit=name,
        fingerprint=(kind.value, parent_op, shape),
        span_ids=tuple(s.span_id for s in group),
        evidence=evidence,
    )


def _order(finding: Finding) -> tuple[str, ...]:
    return (*finding.fingerprint, *finding.span_ids[:1])


def _is_db(span: SpanLike) -> bool:
    return is_db_op(span.op or "")


def _is_http(span: SpanLike) -> bool:
    return span.op == "http.client"


def _ms(span: SpanLike) -> float:
    # Clock skew and broken SDKs send end < start; such a span took no measurable time.
    duration = (span.end - span.start) * 1000.0
    return duration if duration > 0 else 0.0


def _total(spans: Iterable[SpanLike]) -> float:
    return sum(_ms(s) for s in spans)


def _payload_size(data: Mapping[str, Any]) -> float | None:
    sizes = []
    for key in PAYLOAD_SIZE_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                continue
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            sizes.append(float(value))
    return max(sizes, default=None)


def _url_key(span: SpanLike) -> str:
    """Method, host and path: query strings do not make a call to another place."""
    method, url = _split_http(span.description or "")
    parts = urlsplit(url)
    return f"{method} {parts.netloc}{parts.path}"


def _split_http(description: str) -> tuple[str, str]:
    method, _, rest = description.strip().partition(" ")
    if rest and method.isalpha() and method.isupper():
        return method, rest.strip()
    return "", description.strip()
