"""Performance figures in Sentry's shapes: ``/events/`` (tables of transactions, single
transactions or span groups, chosen by ``field``) and ``/events-stats/`` (series for charts).

Figures come from heron.query's rollups; durations are milliseconds. Field names follow
Sentry's (``p95()``, ``failure_rate()``, ``tpm()``, ``count_unique(user)``…); one that Heron
does not know is a 400 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import query
from heron.api.auth import api_viewer
from heron.api.paging import page_request
from heron.api.responses import json_response
from heron.api.time_range import iso, time_range
from heron.query import PerfScope, QueryError, TransactionFigures, Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


Getter = Callable[[TransactionFigures], Any]

# Aggregates over transactions: field → (getter, Sentry's type, sort key in heron.query).
_PERCENTILES = {"p50": "p50_ms", "p75": "p75_ms", "p95": "p95_ms", "p99": "p99_ms"}
AGGREGATES: dict[str, tuple[Getter, str, str | None]] = {
    "count()": (lambda f: f.count, "integer", "count"),
    "failure_count()": (lambda f: f.failures, "integer", None),
    "failure_rate()": (lambda f: f.failure_rate, "percentage", "failure_rate"),
    "tpm()": (lambda f: f.tpm, "rate", "tpm"),
    "epm()": (lambda f: f.tpm, "rate", "tpm"),
    "tps()": (lambda f: f.tpm / 60, "rate", "tpm"),
    "eps()": (lambda f: f.tpm / 60, "rate", "tpm"),
    "avg(transaction.duration)": (lambda f: f.avg_ms, "duration", "avg"),
    "apdex()": (lambda f: f.apdex, "number", "apdex"),
    "user_misery()": (lambda f: f.user_misery, "number", "user_misery"),
    "count_unique(user)": (lambda f: round(f.users), "integer", "users"),
    "count_miserable(user)": (lambda f: round(f.miserable_users), "integer", None),
}


def _attribute(name: str) -> Getter:
    return lambda figures: getattr(figures, name)


for _name, _attr in _PERCENTILES.items():
    for _field in (f"{_name}()", f"{_name}(transaction.duration)"):
        AGGREGATES[_field] = (_attribute(_attr), "duration", _name)

# Aggregates read off counts and durations alone (no users, no measurements).
DURATION_AGGREGATES = frozenset(AGGREGATES) - {
    "user_misery()",
    "count_unique(user)",
    "count_miserable(user)",
}

_MEASUREMENT = re.compile(r"^(p50|p75|p95)\(measurements\.([A-Za-z0-9_.\-]{1,100})\)$")
GROUP_FIELDS = ("transaction", "project", "project.id")

# One row per stored transaction (no aggregate asked for).
EVENT_FIELDS: dict[str, tuple[Callable[[Any, dict[int, str]], Any], str]] = {
    "id": (lambda e, _p: e.event_id, "string"),
    "trace": (lambda e, _p: e.trace_id, "string"),
    "transaction": (lambda e, _p: e.name, "string"),
    "transaction.duration": (lambda e, _p: e.duration_ms, "duration"),
    "transaction.op": (lambda e, _p: e.op, "string"),
    "transaction.status": (lambda e, _p: e.status, "string"),
    "timestamp": (lambda e, _p: iso(e.timestamp), "date"),
    "release": (lambda e, _p: e.release or None, "string"),
    "environment": (lambda e, _p: e.environment or None, "string"),
    "user": (lambda e, _p: e.user_key, "string"),
    "http.status_code": (lambda e, _p: e.http_status, "integer"),
    "project": (lambda e, p: p.get(e.project_id, ""), "string"),
    "project.id": (lambda e, _p: e.project_id, "integer"),
    "profile.id": (lambda e, _p: e.event_id if e.has_profile else None, "string"),
}
EVENT_SORTS = {"timestamp": "timestamp", "transaction.duration": "duration"}

# Span groups (dataset=spans).
SPAN_FIELDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "span.op": (lambda g: g.op, "string"),
    "span.group": (lambda g: g.group, "string"),
    "span.description": (lambda g: g.description, "string"),
    "transaction": (lambda g: g.transaction, "string"),
    "count()": (lambda g: g.count, "integer"),
    "sum(span.duration)": (lambda g: g.total_ms, "duration"),
    "avg(span.duration)": (lambda g: g.avg_ms, "duration"),
    "p50(span.duration)": (lambda g: g.p50_ms, "duration"),
    "p75(span.duration)": (lambda g: g.p75_ms, "duration"),
    "p95(span.duration)": (lambda g: g.p95_ms, "duration"),
    "p99(span.duration)": (lambda g: g.p99_ms, "duration"),
}


@router.get("/api/0/organizations/{org}/events/")
def events(request: Request, viewer: ViewerDep, org: str) -> Response:
    db = request.app.state.db
    projects = _projects(request, viewer, org)
    params = request.query_params
    fields = params.getlist("field")
    if not fields:
        raise HTTPException(400, "at least one field is required")
    dataset = params.get("dataset", "transactions")
    try:
        spans = dataset in ("spans", "spansMetrics", "spansIndexed")
        scope, span_op = _scope(request, projects, spans=spans)
        if spans:
            body = _span_table(db, scope, fields, params.get("sort"), span_op)
        elif dataset not in ("transactions", "discover", "metrics", "metricsEnhanced"):
            raise HTTPException(400, f"unknown dataset {dataset!r}: use transactions or spans")
        elif any(f.endswith(")") for f in fields):
            body = _aggregate_table(request, scope, projects, fields)
        else:
            body = _event_table(request, scope, projects, fields)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return json_response(body)


@router.get("/api/0/organizations/{org}/events-stats/")
def events_stats(request: Request, viewer: ViewerDep, org: str) -> Response:
    db = request.app.state.db
    projects = _projects(request, viewer, org)
    axes = request.query_params.getlist("yAxis") or ["count()"]
    for axis in axes:
        _aggregate(axis)
    try:
        scope, _op = _scope(request, projects)
        interval = _interval(request.query_params.get("interval"))
        points = query.perf_series(
            db,
            scope,
            interval=interval,
            apdex_ms=query.apdex_thresholds(db, scope.project_ids),
            durations_only=all(axis in DURATION_AGGREGATES for axis in axes),
        )
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    start, end = scope.aligned()

    def series(axis: str) -> dict[str, Any]:
        get = _aggregate(axis)[0]
        data = [[int(p.start), [{"count": _number(get(p.figures))}]] for p in points]
        return {"data": data, "start": start, "end": end, "meta": {"fields": {axis: "number"}}}

    if len(axes) == 1:
        return json_response(series(axes[0]))
    return json_response({axis: {**series(axis), "order": i} for i, axis in enumerate(axes)})


# --- tables ----------------------------------------------------------------------------------


def _aggregate(name: str) -> tuple[Getter, str, str | None]:
    known = AGGREGATES.get(name)
    if known is not None:
        return known
    match = _MEASUREMENT.match(name)
    if match:
        which, key = match.group(1), match.group(2)

        def measurement(f: TransactionFigures) -> Any:
            m = f.measurements.get(key)
            return getattr(m, which) if m is not None else None

        return measurement, "number", None
    raise HTTPException(400, f"unknown field {name!r}")


def _aggregate_table(
    request: Request, scope: PerfScope, projects: dict[int, str], fields: list[str]
) -> dict[str, Any]:
    db = request.app.state.db
    plain = [f for f in fields if not f.endswith(")")]
    for f in plain:
        if f not in GROUP_FIELDS:
            raise HTTPException(400, f"cannot group by {f!r}: use {', '.join(GROUP_FIELDS)}")
    getters = {f: _aggregate(f) for f in fields if f.endswith(")")}
    sort_key = _aggregate_sort(request.query_params.get("sort"), getters)
    apdex_ms = query.apdex_thresholds(db, scope.project_ids)
    paging = page_request(request, default_limit=50)
    if "transaction" in plain:
        rows = query.transaction_figures(
            db, scope, apdex_ms=apdex_ms, sort=sort_key, limit=paging.offset + paging.limit
        )
    elif plain:
        per_project = [
            PerfScope(
                (pid,), scope.start, scope.end, scope.environment, scope.release, scope.transaction
            )
            for pid in scope.project_ids
        ]
        rows = [query.perf_totals(db, s, apdex_ms=apdex_ms) for s in per_project]
        rows = [r for r in rows if r.count]
    else:
        rows = [query.perf_totals(db, scope, apdex_ms=apdex_ms)]
    page = rows[paging.offset : paging.offset + paging.limit]
    data = []
    for figures in page:
        item: dict[str, Any] = {}
        for f in fields:
            if f == "transaction":
                item[f] = figures.name
            elif f == "project":
                item[f] = projects.get(figures.project_id, "")
            elif f == "project.id":
                item[f] = figures.project_id
            else:
                item[f] = _number(getters[f][0](figures))
        data.append(item)
    meta = {
        f: "integer" if f == "project.id" else "string" if f in GROUP_FIELDS else getters[f][1]
        for f in fields
    }
    return {"data": data, "meta": {"fields": meta, "units": _units(meta)}}


def _aggregate_sort(sort: str | None, getters: dict[str, tuple[Getter, str, str | None]]) -> str:
    if not sort:
        return "-count"
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    known = getters.get(name) or AGGREGATES.get(name)
    key: str | None = "name" if name == "transaction" else known[2] if known else None
    if key is None:
        raise HTTPException(400, f"cannot sort by {sort!r}")
    return ("-" if descending else "") + key


def _event_table(
    request: Request, scope: PerfScope, projects: dict[int, str], fields: list[str]
) -> dict[str, Any]:
    unknown = [f for f in fields if f not in EVENT_FIELDS]
    if unknown:
        raise HTTPException(400, f"unknown field {unknown[0]!r}")
    sort = request.query_params.get("sort") or "-timestamp"
    key = EVENT_SORTS.get(sort.lstrip("-"))
    if key is None:
        raise HTTPException(400, f"cannot sort by {sort!r}: use timestamp or transaction.duration")
    paging = page_request(request, default_limit=50)
    events = query.list_transaction_events(
        request.app.state.db,
        scope,
        sort=("-" if sort.startswith("-") else "") + key,
        limit=paging.limit,
        offset=paging.offset,
    )
    data = [{f: EVENT_FIELDS[f][0](e, projects) for f in fields} for e in events]
    meta = {f: EVENT_FIELDS[f][1] for f in fields}
    return {"data": data, "meta": {"fields": meta, "units": _units(meta)}}


def _span_table(
    db: Any, scope: PerfScope, fields: list[str], sort: str | None, op: str | None
) -> dict[str, Any]:
    unknown = [f for f in fields if f not in SPAN_FIELDS]
    if unknown:
        raise HTTPException(400, f"unknown span field {unknown[0]!r}")
    groups = query.span_groups(db, scope, limit=1000)
    if op is not None:
        groups = [g for g in groups if g.op == op]
    if sort:
        name = sort.lstrip("-")
        if name not in SPAN_FIELDS:
            raise HTTPException(400, f"cannot sort by {sort!r}")
        get = SPAN_FIELDS[name][0]
        present = [g for g in groups if get(g) is not None]
        present.sort(key=get, reverse=sort.startswith("-"))
        groups = present + [g for g in groups if get(g) is None]
    data = [{f: _number(SPAN_FIELDS[f][0](g)) for f in fields} for g in groups[:100]]
    meta = {f: SPAN_FIELDS[f][1] for f in fields}
    return {"data": data, "meta": {"fields": meta, "units": _units(meta)}}


# --- request parsing -------------------------------------------------------------------------


def _projects(request: Request, viewer: Viewer, org: str) -> dict[int, str]:
    """The organization's projects the request asks for (all when none or -1), id → slug."""
    db = request.app.state.db
    if query.get_organization(db, viewer, org) is None:
        raise HTTPException(404, "The requested resource does not exist")
    available = {p.id: p.slug for p in query.list_projects(db, viewer, organization_slug=org).items}
    try:
        wanted = {int(p) for p in request.query_params.getlist("project")}
    except ValueError:
        raise HTTPException(400, "project must be a list of project ids") from None
    if not wanted or -1 in wanted:
        return available
    missing = wanted - set(available)
    if missing:
        raise HTTPException(403, f"no access to project {sorted(missing)[0]}")
    return {pid: available[pid] for pid in sorted(wanted)}


def _scope(
    request: Request, projects: dict[int, str], *, spans: bool = False
) -> tuple[PerfScope, str | None]:
    """The scope of the request and, for span groups, the ``span.op`` filter."""
    params = request.query_params
    start, end = time_range(params)
    environment = params.get("environment")
    transaction: str | None = None
    release: str | None = None
    span_op: str | None = None
    search = query.parse_query(params.get("query", ""))
    if search.text or search.negated_text:
        raise QueryError("free text is not supported here: use key:value filters")
    for term in search.terms:
        if term.negated or len(term.values) != 1:
            raise QueryError(f"{term.key}: only one plain value is supported")
        value = term.values[0]
        if term.key == "transaction":
            transaction = value
        elif term.key == "environment":
            environment = value
        elif term.key == "release":
            release = value
        elif term.key == "event.type":
            if value != "transaction":
                raise QueryError("event.type: only transaction is supported here")
        elif term.key == "span.op" and spans:
            span_op = value
        else:
            raise QueryError(f"unknown filter {term.key!r}")
    scope = PerfScope(tuple(projects), start, end, environment or None, release, transaction)
    return scope, span_op


_INTERVALS = {"1m": 60, "60s": 60, "1h": 3600, "60m": 3600, "1d": 86400, "24h": 86400}


def _interval(text: str | None) -> int | None:
    if not text:
        return None
    if text not in _INTERVALS:
        raise QueryError(f"invalid interval {text!r}: use 1m, 1h or 1d")
    return _INTERVALS[text]


def _number(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def _units(meta: dict[str, str]) -> dict[str, str | None]:
    return {f: ("millisecond" if t == "duration" else None) for f, t in meta.items()}
