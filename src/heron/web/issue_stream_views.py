"""The issue stream: search, filters, sort, sparklines, paging, and bulk actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from heron import actions, query
from heron.query import Issue, QueryError, Search, Viewer
from heron.web.charts import sparkline
from heron.web.issue_common import PAGE_SIZE, ViewerDep, back_to, find_issue, int_param, page_url
from heron.web.session import require_csrf
from heron.web.templating import render

router = APIRouter(include_in_schema=False)

PERIODS = ("", "1h", "24h", "7d", "14d", "30d", "90d")
SORT_LABELS = {"date": "Last seen", "new": "First seen", "freq": "Events", "user": "Users"}
STATUS_TABS = (
    ("Unresolved", "is:unresolved"),
    ("For me", "is:unresolved assigned:me"),
    ("Regressed", "is:regressed"),
    ("Escalating", "is:escalating"),
    ("Bookmarked", "is:bookmarked"),
    ("Resolved", "is:resolved"),
    ("Ignored", "is:ignored"),
    ("All", ""),
)
BULK_ACTIONS = {"resolve": "resolved", "unresolve": "unresolved", "ignore": "ignored"}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/issues/", status_code=302)


@router.get("/issues/")
def issue_list(request: Request, viewer: ViewerDep) -> Response:
    params = request.query_params
    raw_query = params.get("query")
    text = query.DEFAULT_QUERY if raw_query is None else raw_query
    project = params.get("project", "")
    period = params.get("statsPeriod", "")
    sort = params.get("sort") or "date"
    offset = int_param(params.get("offset"), 0)
    base = {"query": text, "project": project, "statsPeriod": period, "sort": sort}
    chosen = params.get("environment")
    if chosen is not None and chosen != params.get("environment_was", ""):
        # The environment menu changed: it becomes (or stops being) a filter of the search,
        # so the address says everything and the search box shows it.
        try:
            base["query"] = query.replace_filter(text, "environment", chosen or None)
        except QueryError:
            pass
        else:
            return RedirectResponse(page_url("/issues/", base), status_code=302)
    db = request.app.state.db
    context: dict[str, Any] = {
        "query": text,
        "project": project,
        "projects": query.list_projects(db, viewer).items,
        "environment": "",
        "environments": [],
        "period": period,
        "periods": PERIODS,
        "sort": sort,
        "sorts": SORT_LABELS,
        "tabs": STATUS_TABS,
        "issues": [],
        "sparks": {},
        "total": 0,
        "error": "",
        "previous_url": None,
        "next_url": None,
        "may_delete": any(viewer.may_manage(o) for o in viewer.organization_ids),
    }
    try:
        search = query.parse_query(text)
        seconds = query.parse_period(period) if period else None
        query.check_sort(sort)
        if project and not project.isdigit():
            raise QueryError(f"invalid project {project!r}")
        project_ids = [int(project)] if project else None
    except QueryError as exc:
        context["error"] = str(exc)
        return render(request, "issues.html", context, status_code=400, viewer=viewer)
    context["environments"] = query.list_environments(db, viewer, project_ids=project_ids)
    context["environment"] = _environment_of(search)
    scope: dict[str, Any] = {"project_ids": project_ids, "period": seconds}
    page = query.list_issues(db, viewer, search, sort=sort, offset=offset, limit=PAGE_SIZE, **scope)
    lines = query.sparklines(db, [i.id for i in page.items])
    context.update(
        issues=page.items,
        sparks={i.id: _spark(i, lines.get(i.id, [])) for i in page.items},
        total=query.count_issues(db, viewer, search, **scope),
    )
    if page.has_previous:
        context["previous_url"] = page_url("/issues/", base, offset=max(offset - PAGE_SIZE, 0))
    if page.has_next:
        context["next_url"] = page_url("/issues/", base, offset=offset + PAGE_SIZE)
    return render(request, "issues.html", context, viewer=viewer)


@router.post("/issues/bulk")
def issues_bulk(
    request: Request,
    viewer: ViewerDep,
    issue: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Resolve, unresolve, ignore, merge or delete the ticked issues, then go back."""
    require_csrf(request, csrf_token)
    chosen = _chosen(request, viewer, issue)
    db = request.app.state.db
    back = back_to(next, "/issues/")
    if action in BULK_ACTIONS:
        for one in chosen:
            actions.set_issue_status(db, one.id, BULK_ACTIONS[action], actor_id=viewer.user_id)
    elif action == "merge":
        return RedirectResponse(f"/issues/{_merge(db, viewer, chosen)}/", status_code=303)
    elif action == "delete":
        actions.delete_issues(db, [i.id for i in chosen], actor_id=viewer.user_id)
    else:
        raise HTTPException(400, "Choose resolve, unresolve, ignore, merge or delete.")
    return RedirectResponse(back, status_code=303)


@router.post("/issues/merge")
def issues_merge(
    request: Request,
    viewer: ViewerDep,
    issue: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Merge the issues ticked on the list (all of one project) into the one with most events."""
    require_csrf(request, csrf_token)
    parent = _merge(request.app.state.db, viewer, _chosen(request, viewer, issue))
    return RedirectResponse(f"/issues/{parent}/", status_code=303)


def _chosen(request: Request, viewer: Viewer, ids: list[str] | None) -> list[Issue]:
    chosen = [find_issue(request, viewer, i) for i in dict.fromkeys(ids or [])]
    if not chosen:
        raise HTTPException(400, "Tick at least one issue.")
    return chosen


def _merge(db: Any, viewer: Viewer, chosen: list[Issue]) -> int:
    if len(chosen) < 2:
        raise HTTPException(400, "Tick at least two issues to merge.")
    if len({i.project.id for i in chosen}) != 1:
        raise HTTPException(400, "Only issues of the same project can be merged.")
    ids = [i.id for i in chosen]
    return actions.merge_issues(db, chosen[0].project.id, ids, user_id=viewer.user_id)


def _environment_of(search: Search) -> str:
    """The environment the search filters on, when it is exactly one (the menu shows it)."""
    terms = [t for t in search.terms_for("environment") if not t.negated]
    if len(terms) == 1 and len(terms[0].values) == 1:
        return terms[0].values[0]
    return ""


def _spark(issue: Issue, counts: list[int]) -> Markup:
    total = sum(counts)
    return sparkline(counts, title=f"{total} event{'' if total == 1 else 's'} in the last 24 hours")
