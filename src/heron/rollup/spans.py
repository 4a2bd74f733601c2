"""Every shape of performance data the SDKs send, as one flat record type.

Classic ``transaction`` items (root span in ``contexts.trace``, children in ``spans``) and
span-v2 containers (``@sentry/node`` 11, Python with ``trace_lifecycle="stream"``, AI spans)
both end up as :class:`Span` and :class:`Transaction` records. Odd input never raises: fields
that are missing or of the wrong type are defaulted, spans without an id or a start are
skipped. ``Transaction.spans`` holds the children only; the root is the transaction itself.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from heron.rollup.describe import normalize_description

UNLABELED = "<unlabeled transaction>"
# Statuses that do not count as a failure; everything else (internal_error, error, …) does.
_HEALTHY = frozenset({"ok", "unset", "unknown"})
_MAX_SECONDS = 253402300799.0  # year 9999
_fromisoformat = datetime.fromisoformat


@dataclass(frozen=True, slots=True)
class Span:
    """One span of any origin; times are unix seconds, ``duration_ms`` is ``end - start``."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    segment_id: str | None
    op: str
    description: str
    status: str
    start: float
    end: float
    duration_ms: float
    is_segment: bool
    transaction: str
    data: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    environment: str | None = None
    release: str | None = None
    # normalize_description's result, kept once asked for: problem detection and the rollups
    # both need it, often in different processes (it is pickled along). Not an argument, so
    # ``dataclasses.replace`` starts a copy without it.
    _normalized: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def normalized_description(self) -> str:
        """The description's grouping shape (``normalize_description``), computed once."""
        normalized = self._normalized
        if normalized is None:
            normalized = normalize_description(self.op, self.description, self.data)
            object.__setattr__(self, "_normalized", normalized)
        return normalized

    def __reduce__(self) -> tuple[Any, ...]:
        # The prepare pool pickles every span back to the writer. Unpickling through the
        # constructor beats dataclass' __setstate__, which looks the fields up again for
        # every span: a batch of transactions unpickles in about a quarter less time.
        return (_rebuild_span, (_span_arguments(self), self._normalized))


_span_arguments = operator.attrgetter(*(f.name for f in fields(Span) if f.init))


def _rebuild_span(arguments: tuple[Any, ...], normalized: str | None) -> Span:
    span = Span(*arguments)
    object.__setattr__(span, "_normalized", normalized)
    return span


@dataclass(frozen=True, slots=True)
class Transaction:
    """A segment (transaction) with its child spans; ``is_failure`` drives failure rates."""

    event_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    op: str
    status: str
    start: float
    end: float
    duration_ms: float
    environment: str | None
    release: str | None
    user: str | None
    http_status: int | None
    measurements: dict[str, tuple[float, str]]
    platform: str
    sdk: str
    spans: tuple[Span, ...]
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def is_failure(self) -> bool:
        """True when the status is not ok/unset/unknown or the HTTP status is 5xx."""
        if self.status not in _HEALTHY:
            return True
        return self.http_status is not None and self.http_status >= 500


# --- field coercion -----------------------------------------------------------------------


def _seconds(value: Any) -> float | None:
    """Unix seconds from a number or an ISO 8601 string (Python sends strings, JS floats)."""
    if type(value) is float:  # the cheapest test first: this runs twice per span
        seconds = value
    elif isinstance(value, str):
        try:
            parsed = _fromisoformat(value.strip())
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # naive SDK timestamps are UTC
        try:
            seconds = parsed.timestamp()
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        return None
    return seconds if math.isfinite(seconds) and 0.0 <= seconds <= _MAX_SECONDS else None


def _str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _tags(value: Any) -> dict[str, str]:
    pairs: list[Any]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):  # the older list-of-pairs form
        pairs = [p for p in value if isinstance(p, list | tuple) and len(p) == 2]
    else:
        return {}
    return {k: str(v) for k, v in pairs if isinstance(k, str) and v is not None}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _status(value: Any) -> str:
    return value.lower() if isinstance(value, str) and value else "unknown"


def _times(start: Any, end: Any) -> tuple[float, float] | None:
    begin, finish = _seconds(start), _seconds(end)
    if begin is None:
        return None
    # A missing or backwards end counts as zero duration rather than dropping the span.
    return begin, finish if finish is not None and finish >= begin else begin


def _measurements(value: Any) -> dict[str, tuple[float, str]]:
    result: dict[str, tuple[float, str]] = {}
    if not isinstance(value, dict):
        return result
    for name, entry in value.items():
        raw = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            continue
        if isinstance(name, str) and math.isfinite(raw):
            result[name] = (float(raw), _str(entry.get("unit")))
    return result


def _user_key(user: dict[str, Any]) -> str | None:
    for key in ("id", "email", "username", "ip_address"):
        value = user.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f"{key}:{value}"
    return None


def _http_status(*sources: Any) -> int | None:
    for source in sources:
        if isinstance(source, dict):
            for key in ("http.response.status_code", "status_code", "http.status_code"):
                code = _int(source.get(key))
                if code is not None:
                    return code
    return None


# --- classic transaction events -------------------------------------------------------------


def from_transaction_event(event: dict[str, Any]) -> Transaction:
    """Records from a ``transaction`` item payload; ValueError if it is not a transaction."""
    if not isinstance(event, dict):
        raise ValueError("transaction payload is not a JSON object")
    contexts = _dict(event.get("contexts"))
    trace = _dict(contexts.get("trace"))
    kind = event.get("type")
    if kind != "transaction" and (kind is not None or not trace):
        raise ValueError(f"not a transaction event (type={kind!r})")
    times = _times(event.get("start_timestamp"), event.get("timestamp"))
    if times is None:
        # No usable start: fall back to the end so the event still counts, with zero duration.
        end = _seconds(event.get("timestamp")) or 0.0
        times = (end, end)
    start, end = times
    name = _str(event.get("transaction")) or UNLABELED
    root_id = _str(trace.get("span_id"))
    trace_id = _str(trace.get("trace_id"))
    environment = _opt_str(event.get("environment"))
    release = _opt_str(event.get("release"))
    tags = _tags(event.get("tags"))
    children = []
    raw_spans = event.get("spans")
    for raw in raw_spans if isinstance(raw_spans, list) else ():
        span = _classic_span(raw, trace_id, root_id, name, environment, release)
        if span is not None:
            children.append(span)
    sdk = _dict(event.get("sdk"))
    return Transaction(
        event_id=_str(event.get("event_id")),
        trace_id=trace_id,
        span_id=root_id,
        parent_span_id=_opt_str(trace.get("parent_span_id")),
        name=name,
        op=_str(trace.get("op")) or "default",
        status=_status(trace.get("status")),
        start=start,
        end=end,
        duration_ms=(end - start) * 1000.0,
        environment=environment,
        release=release,
        user=_user_key(_dict(event.get("user"))),
        http_status=_http_status(contexts.get("response"), trace.get("data"), tags),
        measurements=_measurements(event.get("measurements")),
        platform=_str(event.get("platform")) or "other",
        sdk=_str(sdk.get("name")),
        spans=tuple(children),
        tags=tags,
    )


def _classic_span(
    raw: Any, trace_id: str, root_id: str, name: str, env: str | None, release: str | None
) -> Span | None:
    # The hot loop of the digest's parsing: the field helpers are inlined for the common case
    # (strings where strings belong, no tags) and called for anything else.
    if not isinstance(raw, dict):
        return None
    get = raw.get
    span_id = get("span_id")
    if not isinstance(span_id, str) or not span_id:
        return None
    times = _times(get("start_timestamp"), get("timestamp"))
    if times is None:
        return None
    start, end = times
    own_trace, parent, op, description = (
        get("trace_id"),
        get("parent_span_id"),
        get("op"),
        get("description"),
    )
    data, tags = get("data"), get("tags")
    return Span(
        trace_id=own_trace if isinstance(own_trace, str) and own_trace else trace_id,
        span_id=span_id,
        parent_span_id=parent if isinstance(parent, str) and parent else None,
        segment_id=root_id or None,
        op=op if isinstance(op, str) and op else "default",
        description=description if isinstance(description, str) else "",
        status=_status(get("status")),
        start=start,
        end=end,
        duration_ms=(end - start) * 1000.0,
        is_segment=False,
        transaction=name,
        data=dict(data) if isinstance(data, dict) else {},
        tags=_tags(tags) if tags else {},
        environment=env,
        release=release,
    )


# --- span v2 containers --------------------------------------------------------------------


def _attributes(value: Any) -> dict[str, Any]:
    """Flatten ``{key: {"type": …, "value": …}}``; bare values are accepted as they are."""
    if not isinstance(value, dict):
        return {}
    flat: dict[str, Any] = {}
    for key, entry in value.items():
        if isinstance(key, str):
            flat[key] = entry.get("value") if isinstance(entry, dict) else entry
    return flat


def from_span_v2_items(payload: dict[str, Any]) -> list[Span]:
    """Spans from a span-v2 container ``{"items": [...]}``; ValueError if it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ValueError("span v2 payload is not an object with an items list")
    spans = []
    for raw in payload["items"]:
        span = _v2_span(raw)
        if span is not None:
            spans.append(span)
    return spans


def _v2_span(raw: Any) -> Span | None:
    if not isinstance(raw, dict):
        return None
    span_id = _str(raw.get("span_id"))
    times = _times(raw.get("start_timestamp"), raw.get("end_timestamp"))
    if not span_id or times is None:
        return None
    start, end = times
    data = _attributes(raw.get("attributes"))
    segment_id = _opt_str(data.get("sentry.segment.id")) or _opt_str(raw.get("segment_id"))
    flag = raw.get("is_segment")
    is_segment = flag is True or (flag is None and segment_id == span_id)
    if is_segment:
        segment_id = span_id
    return Span(
        trace_id=_str(raw.get("trace_id")),
        span_id=span_id,
        parent_span_id=_opt_str(raw.get("parent_span_id")),
        segment_id=segment_id,
        op=_str(data.get("sentry.op")) or _str(raw.get("op")) or "default",
        description=_str(raw.get("name")) or _str(raw.get("description")),
        status=_status(raw.get("status")),
        start=start,
        end=end,
        duration_ms=(end - start) * 1000.0,
        is_segment=is_segment,
        transaction=_str(data.get("sentry.segment.name")),
        data=data,
        tags=_tags(raw.get("tags")),
        environment=_opt_str(data.get("sentry.environment")),
        release=_opt_str(data.get("sentry.release")),
    )


def segments(spans: list[Span]) -> list[Transaction]:
    """Transactions for every segment span in ``spans``, with that segment's children.

    Children whose segment span is not in the list are left out (the digest decides what to
    do with them); a segment arriving without children yields a transaction with none.
    """
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for span in spans:
        if not span.is_segment and span.segment_id:
            children[(span.trace_id, span.segment_id)].append(span)
    return [
        _segment_transaction(span, children.get((span.trace_id, span.span_id), []))
        for span in spans
        if span.is_segment
    ]


def segment_event_id(trace_id: str, span_id: str) -> str:
    """The event id of a span-v2 segment's transaction: span v2 has none, so it is derived,
    stable, from the segment's ids (a re-sent segment deduplicates; late spans find it)."""
    return hashlib.sha1(f"{trace_id}:{span_id}".encode()).hexdigest()[:32]


def _platform(data: dict[str, Any], sdk: str) -> str:
    platform = _str(data.get("sentry.platform"))
    if platform:
        return platform
    if sdk.startswith("sentry.python"):
        return "python"
    if sdk.startswith("sentry.javascript.node"):
        return "node"
    return "javascript" if sdk.startswith("sentry.javascript") else "other"


def _segment_transaction(root: Span, children: list[Span]) -> Transaction:
    data = root.data
    name = _str(data.get("sentry.segment.name")) or root.description or UNLABELED
    sdk = _str(data.get("sentry.sdk.name"))
    user = {key: data.get(f"user.{key}") for key in ("id", "email", "username", "ip_address")}
    event_id = segment_event_id(root.trace_id, root.span_id)
    measurements = _measurements(data.get("sentry.measurements") or data.get("measurements"))
    return Transaction(
        event_id=event_id,
        trace_id=root.trace_id,
        span_id=root.span_id,
        parent_span_id=root.parent_span_id,
        name=name,
        op=root.op,
        status=root.status,
        start=root.start,
        end=root.end,
        duration_ms=root.duration_ms,
        environment=root.environment,
        release=root.release,
        user=_user_key(user),
        http_status=_http_status(data),
        measurements=measurements,
        platform=_platform(data, sdk),
        sdk=sdk,
        spans=tuple(sorted(children, key=lambda span: span.start)),
        tags=root.tags,
    )
