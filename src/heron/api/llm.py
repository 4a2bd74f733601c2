"""LLM usage and cost of a project: totals and a breakdown over a time range (JSON or CSV),
one job's model calls, and the price table in use."""

from __future__ import annotations

import csv
import io
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.responses import found_project, json_object
from heron.api.time_range import iso, time_range
from heron.query import QueryError, Viewer, llm_budgets
from heron.query.llm_series import llm_usage_series
from heron.rollup import DAY, HOUR

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]

_PREFIX = "/api/0/projects/{org}/{project}/llm"
_INTERVALS = {"1h": HOUR, "1d": DAY}


@router.get(_PREFIX + "/usage/")
def usage(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """``?statsPeriod=7d`` (or ``start``/``end``), ``environment``, ``groupBy`` (one of
    model, provider, user, job, channel, transaction, release, environment, operation),
    ``interval`` of the JSON's time series (``1h`` or ``1d``; by default hours up to two
    days, else days), ``format=csv``. Ranges are read in whole hours."""
    found = found_project(request, viewer, org, project)
    params = request.query_params
    db = request.app.state.db
    group_by = params.get("groupBy")
    try:
        scope = _scope(request, found.id)
        groups = query.llm_breakdown(db, scope, group_by) if group_by else []
        if params.get("format") not in (None, "json", "csv"):
            raise QueryError("format: use json or csv")
        interval = params.get("interval") or ("1h" if scope.end - scope.start <= 2 * DAY else "1d")
        if interval not in _INTERVALS:
            raise QueryError("interval: use 1h or 1d")
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    if params.get("format") == "csv":
        return _csv(group_by or "all", groups or [(None, query.llm_totals(db, scope))])
    body: dict[str, Any] = {
        "start": iso(scope.start),
        "end": iso(scope.end),
        "totals": query.llm_totals(db, scope).as_json(),
        "interval": interval,
        "series": [
            {"start": iso(start), **u.as_json()}
            for start, u in llm_usage_series(db, scope, _INTERVALS[interval])
        ],
    }
    if group_by:
        body["groupBy"] = group_by
        body["groups"] = [{"value": value, **u.as_json()} for value, u in groups]
    return JSONResponse(body)


@router.get(_PREFIX + "/jobs/{job_id}/")
def job(request: Request, viewer: ViewerDep, org: str, project: str, job_id: str) -> Response:
    found = found_project(request, viewer, org, project)
    calls = query.llm_job_calls(request.app.state.db, found.id, job_id)
    if not calls:
        raise HTTPException(404, "The requested resource does not exist")
    priced = [c.cost_usd for c in calls if c.cost_usd is not None]
    errors = query.trace_errors(request.app.state.db, [found.id], [c.trace_id for c in calls])
    return JSONResponse(
        {
            "job": job_id,
            "calls": [
                {
                    "traceId": c.trace_id,
                    "spanId": c.span_id,
                    "eventId": c.event_id,
                    "timestamp": iso(c.timestamp),
                    "durationMs": c.duration_ms,
                    "timeToFirstTokenMs": c.ttft_ms,
                    "status": c.status,
                    "operation": c.operation,
                    "provider": c.provider,
                    "model": c.model,
                    "tokens": c.tokens,
                    "costUsd": c.cost_usd,
                    "priceVersion": c.price_version,
                    "transaction": c.transaction,
                    "user": c.user,
                    "promptChars": c.prompt_chars,
                    "responseChars": c.response_chars,
                    "prompt": c.prompt,
                    "response": c.response,
                    "trace": f"/api/0/organizations/{org}/trace/{c.trace_id}/",
                }
                for c in calls
            ],
            "errors": [
                {
                    "eventId": e.event_id,
                    "issueId": str(e.issue_id) if e.issue_id is not None else None,
                    "shortId": e.short_id,
                    "title": e.title,
                    "level": e.level,
                    "timestamp": iso(e.timestamp),
                    "traceId": e.trace_id,
                }
                for e in errors
            ],
            "totals": {
                "calls": len(calls),
                "errors": sum(c.status == "error" for c in calls),
                "costUsd": round(sum(priced), 12),
                "unpricedCalls": len(calls) - len(priced),
            },
        }
    )


@router.get(_PREFIX + "/prices/")
def prices(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """The prices the project's calls are costed at: the bundled table, its own over it."""
    found = found_project(request, viewer, org, project)
    table = query.llm_price_table(request.app.state.db, found.id)
    return JSONResponse({"version": table.version, "models": table.as_json()})


@router.put(_PREFIX + "/prices/")
async def set_price(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """``{"model": "...", "input": 2.5, "output": 10, "cached_input": …, "cache_write": …,
    "reasoning": …}`` in USD per 1M tokens (admins)."""
    found = found_project(request, viewer, org, project)
    body = json_object(await request.body())
    model = body.pop("model", None)
    if not isinstance(model, str):
        raise HTTPException(400, "model: the model name the price is for")
    await run_in_threadpool(
        actions.set_llm_price,
        request.app.state.db,
        found.organization.slug,
        found.slug,
        model,
        body,
        actor_id=viewer.user_id,
    )
    return await run_in_threadpool(prices, request, viewer, org, project)


@router.delete(_PREFIX + "/prices/")
def delete_price(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """``?model=…``: back to the bundled price, if any (admins)."""
    found = found_project(request, viewer, org, project)
    model = request.query_params.get("model")
    if not model:
        raise HTTPException(400, "model: the model whose own price goes")
    actions.delete_llm_price(
        request.app.state.db, found.organization.slug, found.slug, model, actor_id=viewer.user_id
    )
    return Response(status_code=204)


@router.post(_PREFIX + "/reprice/")
def reprice(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """Cost the calls of the range (``statsPeriod`` or ``start``/``end``) again at the
    project's current prices (admins)."""
    found = found_project(request, viewer, org, project)
    try:
        start, end = time_range(request.query_params)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    changed = actions.reprice_llm_calls(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        start,
        end,
        actor_id=viewer.user_id,
    )
    return JSONResponse({"start": iso(start), "end": iso(end), "changed": changed})


@router.get(_PREFIX + "/budgets/")
def budgets(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """The project's budgets, each with where it stands in its current period."""
    found = found_project(request, viewer, org, project)
    db = request.app.state.db
    statuses = llm_budgets.budget_statuses(db, llm_budgets.list_budgets(db, found.id), time.time())
    return JSONResponse([_budget_json(s) for s in statuses])


@router.post(_PREFIX + "/budgets/")
async def create_budget(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """``{"name", "scope": "project|environment|model|user|job|channel|transaction",
    "scopeValue", "period": "day|week|month", "unit": "usd|tokens", "amount",
    "thresholds": [50, 80, 100]}`` (admins)."""
    found = found_project(request, viewer, org, project)
    body = json_object(await request.body())
    budget_id = await run_in_threadpool(
        actions.create_llm_budget,
        request.app.state.db,
        found.organization.slug,
        found.slug,
        body,
        actor_id=viewer.user_id,
    )
    response = await run_in_threadpool(budget, request, viewer, org, project, str(budget_id))
    response.status_code = 201
    return response


@router.get(_PREFIX + "/budgets/{budget_id}/")
def budget(request: Request, viewer: ViewerDep, org: str, project: str, budget_id: str) -> Response:
    """One budget and where it stands: what an app polls to throttle itself."""
    found = found_project(request, viewer, org, project)
    db = request.app.state.db
    wanted = _found_budget(db, found.id, budget_id)
    (status,) = llm_budgets.budget_statuses(db, [wanted], time.time())
    return JSONResponse(_budget_json(status))


@router.put(_PREFIX + "/budgets/{budget_id}/")
async def update_budget(
    request: Request, viewer: ViewerDep, org: str, project: str, budget_id: str
) -> Response:
    """Change the fields given, as POST takes them (admins); the others stay."""
    found = found_project(request, viewer, org, project)
    body = json_object(await request.body())
    wanted = await run_in_threadpool(_found_budget, request.app.state.db, found.id, budget_id)
    await run_in_threadpool(
        actions.update_llm_budget,
        request.app.state.db,
        found.organization.slug,
        found.slug,
        wanted.id,
        body,
        actor_id=viewer.user_id,
    )
    return await run_in_threadpool(budget, request, viewer, org, project, budget_id)


@router.delete(_PREFIX + "/budgets/{budget_id}/")
def delete_budget(
    request: Request, viewer: ViewerDep, org: str, project: str, budget_id: str
) -> Response:
    found = found_project(request, viewer, org, project)
    wanted = _found_budget(request.app.state.db, found.id, budget_id)
    actions.delete_llm_budget(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        wanted.id,
        actor_id=viewer.user_id,
    )
    return Response(status_code=204)


def _found_budget(db: Any, project_id: int, budget_id: str) -> llm_budgets.Budget:
    try:
        number = int(budget_id)
    except ValueError:
        number = 0
    found = llm_budgets.get_budget(db, project_id, number) if number > 0 else None
    if found is None:
        raise HTTPException(404, "The requested resource does not exist")
    return found


def _budget_json(status: llm_budgets.BudgetStatus) -> dict[str, Any]:
    b = status.budget
    return {
        "id": str(b.id),
        "name": b.name,
        "scope": b.scope,
        "scopeValue": b.scope_value,
        "period": b.period,
        "unit": b.unit,
        "amount": float(b.amount),
        "thresholds": list(b.thresholds),
        "status": {
            "periodStart": iso(status.period_start),
            "periodEnd": iso(status.period_end),
            "spent": round(status.spent, 12),
            "remaining": round(status.remaining, 12),
            "percent": round(status.percent, 4),
            "over": status.over,
            "thresholdsCrossed": list(status.crossed),
        },
    }


def _scope(request: Request, project_id: int) -> query.LlmScope:
    start, end = time_range(request.query_params)
    return query.LlmScope(project_id, start, end, request.query_params.get("environment") or None)


def _csv(dimension: str, groups: list[tuple[str | None, query.Usage]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    tokens = [f"{name}_tokens" for name in query.llm.TOKEN_FIELDS]
    writer.writerow([dimension, "calls", "errors", *tokens, "cost_usd", "unpriced_calls"])
    for value, u in groups:
        writer.writerow(
            [
                value if value is not None else "",
                u.calls,
                u.errors,
                *(u.tokens[name] for name in query.llm.TOKEN_FIELDS),
                f"{u.cost_usd:.12f}".rstrip("0").rstrip(".") or "0",
                u.unpriced,
            ]
        )
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
