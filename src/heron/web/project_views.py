"""The project list and a project's settings page: its DSN and its grouping rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.bootstrap import dsn_for
from heron.query import Project, Viewer
from heron.web.session import page_viewer, require_csrf
from heron.web.templating import render

router = APIRouter(include_in_schema=False)
ViewerDep = Annotated[Viewer, Depends(page_viewer)]

# Shown under each textarea: what a rule looks like, with examples people can copy.
FINGERPRINT_EXAMPLES = (
    "error.type:ConnectionError -> network-errors",
    'message:"*timeout*" -> timeouts',
    "tags.job_id:* -> {{ default }}",
)
ENHANCEMENT_EXAMPLES = (
    "path:**/vendor/** -app",
    "function:log_* -group",
    "module:myapp.* +app",
)


@router.get("/projects/")
def project_list(request: Request, viewer: ViewerDep) -> Response:
    projects = query.list_projects(request.app.state.db, viewer).items
    return render(request, "projects.html", {"projects": projects}, viewer=viewer)


@router.get("/projects/{org}/{project}/settings/")
def project_settings(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = _project(request, viewer, org, project)
    grouping = actions.grouping_settings(request.app.state.db, found.id)
    form = {
        "fingerprinting_rules": grouping.fingerprinting_rules,
        "grouping_enhancements": grouping.enhancements,
    }
    saved = request.query_params.get("saved") == "1"
    return _page(request, viewer, found, form, saved=saved)


@router.post("/projects/{org}/{project}/settings/")
def save_project_settings(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    fingerprinting_rules: Annotated[str, Form()] = "",
    grouping_enhancements: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _project(request, viewer, org, project)
    form = {
        "fingerprinting_rules": fingerprinting_rules,
        "grouping_enhancements": grouping_enhancements,
    }
    try:
        actions.set_grouping_rules(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            fingerprinting_rules=fingerprinting_rules,
            enhancements=grouping_enhancements,
        )
    except actions.NotFoundError:
        raise HTTPException(404, "No such project") from None
    except actions.InvalidRulesError as exc:
        errors = {
            "fingerprinting_rules": exc.errors.get("fingerprinting_rules", ""),
            "grouping_enhancements": exc.errors.get("enhancements", ""),
        }
        return _page(request, viewer, found, form, errors=errors, status_code=400)
    url = f"/projects/{found.organization.slug}/{found.slug}/settings/?saved=1"
    return RedirectResponse(url, status_code=303)


def _page(
    request: Request,
    viewer: Viewer,
    project: Project,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    db = request.app.state.db
    config = request.app.state.config
    keys = [
        {
            "label": k.label,
            "active": k.is_active,
            "dsn": dsn_for(config, k.public_key, k.project_id),
        }
        for k in query.list_keys(db, project)
    ]
    context: dict[str, Any] = {
        "project": project,
        "keys": keys,
        "form": form,
        "errors": errors or {"fingerprinting_rules": "", "grouping_enhancements": ""},
        "saved": saved,
        "strategy": actions.grouping_settings(db, project.id).grouping_config,
        "fingerprint_examples": FINGERPRINT_EXAMPLES,
        "enhancement_examples": ENHANCEMENT_EXAMPLES,
    }
    return render(request, "project_settings.html", context, status_code=status_code, viewer=viewer)


def _project(request: Request, viewer: Viewer, org: str, project: str) -> Project:
    found = query.get_project(request.app.state.db, viewer, org, project)
    if found is None:
        raise HTTPException(404, "No such project")
    return found
