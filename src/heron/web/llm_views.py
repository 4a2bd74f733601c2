"""LLM usage: a project's spend, calls and tokens over a period (figures, spend over time
stacked by model, breakdowns by model, job, user, endpoint and channel), and one job's
model calls with links to their traces. Below the overview, the project's budgets and
where they stand; admins and owners create, change and delete them there (plain forms under
``/llm/{project id}/budgets/``, the page again with the form kept when one is refused).

A call without a price adds nothing to a spend and is counted apart ("N unpriced calls"),
so an unknown model never reads as free.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape

from heron import actions, query
from heron.query import LlmScope, Project, Usage, Viewer, llm_budgets
from heron.query.llm_series import SpendSeries, llm_latency, llm_spend_series
from heron.web.charts import CHART_BAR, CHART_HEIGHT
from heron.web.issue_common import ViewerDep
from heron.web.llm_budget_forms import (
    BUDGET_MANAGERS,
    NOTICES,
    BudgetForm,
    budget_fields,
    budget_form_context,
    budget_or_404,
)
from heron.web.perf_charts import Chart
from heron.web.perf_common import (
    FORMATS,
    MAX_FILTER_CHARS,
    bucket_label,
    named_project,
    pct,
    url,
    user_label,
)
from heron.web.session import require_csrf
from heron.web.settings_base import path_id
from heron.web.templating import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

DEFAULT_PERIOD = "24h"
# period → (label, seconds, bucket size in seconds)
PERIODS = {
    "24h": ("Last 24 hours", 86400, 3600),
    "7d": ("Last 7 days", 7 * 86400, 86400),
    "30d": ("Last 30 days", 30 * 86400, 86400),
}
TOP = 20  # rows of each breakdown
CHART_MODELS = 6  # models drawn apart in the spend chart; the rest are "Other models"
# The breakdowns: (dimension, heading).
BREAKDOWNS = (
    ("model", "Model"),
    ("job", "Job"),
    ("user", "User"),
    ("transaction", "Endpoint"),
    ("channel", "Channel"),
)


class PageError(ValueError):
    """A filter the page cannot use (shown above the page with a 400)."""


@router.get("/llm/")
def llm_overview(request: Request, viewer: ViewerDep) -> Response:
    params = request.query_params
    projects = query.list_projects(request.app.state.db, viewer).items
    project = named_project(projects, params.get("project", "")) or next(iter(projects), None)
    editing = None
    if project is not None and params.get("budget") and viewer.may_manage(project.organization.id):
        editing = budget_or_404(request, project, params["budget"])
    return _overview_page(
        request, viewer, projects, project, editing, notice=NOTICES.get(params.get("saved", ""), "")
    )


def _overview_page(
    request: Request,
    viewer: Viewer,
    projects: Sequence[Project],
    project: Project | None,
    editing: llm_budgets.Budget | None = None,
    *,
    notice: str = "",
    form: dict[str, str] | None = None,
    problem: actions.ActionError | None = None,
    status_code: int = 200,
) -> Response:
    """The overview of ``project`` with the filters of the address. Below it the budgets, with
    a ``notice`` after a change, and for admins the form: a new budget, or the one ``editing``;
    after a ``problem``, ``form`` as it was typed."""
    params = request.query_params
    context: dict[str, Any] = {
        "projects": projects,
        "project": project,
        "periods": {key: label for key, (label, _, _) in PERIODS.items()},
        "period": DEFAULT_PERIOD,
        "environment": "",
        "error": "",
        "totals": None,
        "budgets": [],
        **budget_form_context(viewer, project, editing, form, problem),
        "notice": notice,
        **FORMATS,
        "usd": usd,
    }
    try:
        period, environment = _filters(params)
    except PageError as exc:
        context["error"] = str(exc)
        return render(request, "llm.html", context, status_code=400, viewer=viewer)
    context.update(period=period, environment=environment)
    if project is None:
        return render(request, "llm.html", context, viewer=viewer)
    _label, seconds, size = PERIODS[period]
    end = time.time()
    scope = LlmScope(project.id, end - seconds, end, environment or None)
    db = request.app.state.db
    # Budgets stand in their own (calendar) periods, whatever the page's range.
    context["budgets"] = llm_budgets.budget_statuses(
        db, llm_budgets.list_budgets(db, project.id), end
    )
    totals = query.llm_totals(db, scope)
    context["totals"] = totals
    if totals.calls:
        context.update(
            figures=_figures(totals),
            latency=llm_latency(db, scope),
            chart=spend_chart(llm_spend_series(db, scope, size)),
            breakdowns=[
                {
                    "heading": heading,
                    "rows": [
                        _row(project, dimension, value, usage)
                        for value, usage in query.llm_breakdown(db, scope, dimension, TOP)
                    ],
                }
                for dimension, heading in BREAKDOWNS
            ],
        )
    return render(request, "llm.html", context, status_code=status_code, viewer=viewer)


@router.get("/llm/jobs/{job_id}")
def llm_job(request: Request, viewer: ViewerDep, job_id: str) -> Response:
    db = request.app.state.db
    projects = query.list_projects(db, viewer).items
    project = named_project(projects, request.query_params.get("project", ""), required=True)
    assert project is not None  # required=True raised otherwise
    calls = query.llm_job_calls(db, project.id, job_id)
    if not calls:
        raise HTTPException(404, "No such job")
    priced = [c.cost_usd for c in calls if c.cost_usd is not None]
    context = {
        "project": project,
        "job_id": job_id,
        "calls": calls,
        "spend": usd(sum(priced)) if priced else "—",
        "unpriced": len(calls) - len(priced),
        "tokens": {
            name: sum(c.tokens[name] or 0 for c in calls)
            for name in ("input", "output", "cache_read", "reasoning")
        },
        "errors": sum(1 for c in calls if c.status == "error"),
        "error_events": query.trace_errors(db, [project.id], [c.trace_id for c in calls]),
        "kept_text": any(c.prompt is not None or c.response is not None for c in calls),
        "overview_url": url("/llm/", {"project": str(project.id)}),
        **FORMATS,
        "usd": usd,
    }
    return render(request, "llm_job.html", context, viewer=viewer)


@router.post("/llm/{project_id}/budgets/new")
def create_budget(
    request: Request, viewer: ViewerDep, project_id: str, form: BudgetForm, csrf_token: Text = ""
) -> Response:
    require_csrf(request, csrf_token)
    projects, project = _managed(request, viewer, project_id)
    try:
        actions.create_llm_budget(
            request.app.state.db,
            project.organization.slug,
            project.slug,
            budget_fields(form),
            actor_id=viewer.user_id,
        )
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _overview_page(
            request, viewer, projects, project, form=form, problem=exc, status_code=400
        )
    return _saved(project, "created")


@router.post("/llm/{project_id}/budgets/{budget_id}")
def change_budget(
    request: Request,
    viewer: ViewerDep,
    project_id: str,
    budget_id: str,
    form: BudgetForm,
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    projects, project = _managed(request, viewer, project_id)
    budget = budget_or_404(request, project, budget_id)
    try:
        fields = budget_fields(form)
        if fields["name"] == budget.name:
            del fields["name"]  # left as it was: a name made from the scope keeps following it
        actions.update_llm_budget(
            request.app.state.db,
            project.organization.slug,
            project.slug,
            budget.id,
            fields,
            actor_id=viewer.user_id,
        )
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _overview_page(
            request, viewer, projects, project, budget, form=form, problem=exc, status_code=400
        )
    return _saved(project, "changed")


@router.post("/llm/{project_id}/budgets/{budget_id}/delete")
def delete_budget(
    request: Request, viewer: ViewerDep, project_id: str, budget_id: str, csrf_token: Text = ""
) -> Response:
    require_csrf(request, csrf_token)
    _projects, project = _managed(request, viewer, project_id)
    # A budget of another project is not found (404), like a missing one.
    actions.delete_llm_budget(
        request.app.state.db,
        project.organization.slug,
        project.slug,
        path_id(budget_id),
        actor_id=viewer.user_id,
    )
    return _saved(project, "deleted")


def _managed(request: Request, viewer: Viewer, project_id: str) -> tuple[list[Project], Project]:
    """The viewer's projects and the one named: 404 when not theirs, 403 for a member."""
    projects = query.list_projects(request.app.state.db, viewer).items
    project = named_project(projects, project_id, required=True)
    assert project is not None  # required=True raised otherwise
    if not viewer.may_manage(project.organization.id):
        raise HTTPException(403, BUDGET_MANAGERS)
    return projects, project


def _saved(project: Project, notice: str) -> Response:
    target = url("/llm/", {"project": str(project.id), "saved": notice}) + "#budgets"
    return RedirectResponse(target, status_code=303)


def _filters(params: Any) -> tuple[str, str]:
    period = params.get("period", "") or DEFAULT_PERIOD
    if period not in PERIODS:
        raise PageError(f"Unknown period {period!r}: choose one of {', '.join(PERIODS)}.")
    environment = params.get("environment", "").strip()
    if len(environment) > MAX_FILTER_CHARS:
        raise PageError(f"An environment is at most {MAX_FILTER_CHARS} characters.")
    return period, environment


def _figures(totals: Usage) -> dict[str, str]:
    tokens = totals.tokens
    cache = tokens["cache_read"] / tokens["input"] if tokens["input"] else None
    return {
        "spend": _spend(totals),
        "errors": pct(totals.errors / totals.calls if totals.calls else None),
        "cache": pct(cache),
        "savings": usd(totals.cache_savings_usd),
    }


def _row(project: Project, dimension: str, value: str | None, usage: Usage) -> dict[str, Any]:
    label = value if value is not None else "(none)"
    if dimension == "user" and value:
        label = user_label(value)
    link = ""
    if dimension == "job" and value:
        link = url(f"/llm/jobs/{quote(value, safe='')}", {"project": str(project.id)})
    return {"label": label, "url": link, "usage": usage, "spend": _spend(usage)}


def _spend(usage: Usage) -> str:
    """The priced calls' cost; "—" when no call had a price (never a false $0)."""
    return "—" if usage.unpriced >= usage.calls else usd(usage.cost_usd)


def usd(value: float) -> str:
    """``$1,234.56``; under a dollar to a hundredth of a cent (``$0.0045``), since single
    calls cost fractions of a cent."""
    if value == 0:
        return "$0.00"
    if value < 1e-4:
        return "<$0.0001"
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def spend_chart(series: SpendSeries) -> Chart:
    """Spend per bucket as bars stacked by model (the most expensive at the bottom)."""
    named = list(series.by_model.items())[:CHART_MODELS]
    rest = list(series.by_model.values())[CHART_MODELS:]
    if rest:
        named.append(("Other models", [sum(vs) for vs in zip(*rest, strict=True)]))
    labels = [bucket_label(s, series.size) for s in series.starts]
    totals = [sum(values[i] for _, values in named) for i in range(len(labels))]
    return Chart(
        title="Spend by model",
        svg=stacked_bars(named, labels, title="Spend by model"),
        peak=usd(max(totals, default=0.0)),
        first=labels[0] if labels else "",
        last=labels[-1] if labels else "",
        legend=[(model, f"s{index}") for index, (model, _) in enumerate(named)],
    )


def stacked_bars(
    stacks: Sequence[tuple[str, Sequence[float]]], labels: Sequence[str], *, title: str
) -> Markup:
    """One bar per bucket of ``labels``, split into the ``stacks`` (series class ``s0``…),
    scaled to the highest bucket. Hovering a bucket names its spend per model."""
    totals = [sum(values[i] for _, values in stacks) for i in range(len(labels))]
    peak = max(totals, default=0.0)
    width = max(len(labels), 1) * CHART_BAR
    groups = []
    for index, label in enumerate(labels):
        x = index * CHART_BAR
        shown = "; ".join(f"{name} {usd(vs[index])}" for name, vs in stacks if vs[index] > 0)
        rects, y = [], float(CHART_HEIGHT)
        for order, (_name, values) in enumerate(stacks):
            height = CHART_HEIGHT * values[index] / peak if peak > 0 else 0.0
            if height <= 0:
                continue
            y -= height
            rects.append(
                f'<rect class="s{order % 8}" x="{x}" y="{y:.2f}" width="{CHART_BAR - 2}" '
                f'height="{height:.2f}"></rect>'
            )
        groups.append(
            f"<g><title>{escape(label)}: {escape(shown or 'no spend')}</title>"
            f'<rect class="hit" x="{x}" y="0" width="{CHART_BAR}" height="{CHART_HEIGHT}"></rect>'
            + "".join(rects)
            + "</g>"
        )
    return Markup(
        f'<svg class="chart share" viewBox="0 0 {width} {CHART_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
        f'<line class="axis" x1="0" y1="{CHART_HEIGHT}" x2="{width}" y2="{CHART_HEIGHT}"></line>'
        + "".join(groups)
        + "</svg>"
    )
