"""The project list, a new project, and a project's settings: name, platform, issue
tracker link, apdex threshold, grouping rules, deletion. The keys and setup tabs live beside
this."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Project, Viewer
from heron.web import key_views, setup_views
from heron.web.project_pages import (
    MANAGERS_ONLY,
    PLATFORMS,
    ViewerDep,
    dsn,
    keys_changed,
    project_or_404,
    project_url,
    render_project,
    require_manager,
)
from heron.web.session import require_csrf
from heron.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(key_views.router)
router.include_router(setup_views.router)

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
TRACKER_EXAMPLE = "https://github.com/acme/shop/issues/new?title={title}&body={url}"
Text = Annotated[str, Form()]


@router.get("/projects/")
def project_list(request: Request, viewer: ViewerDep) -> Response:
    db = request.app.state.db
    projects = query.list_projects(db, viewer).items
    context = {
        "projects": projects,
        "may_create": bool(_managed_orgs(request, viewer)),
        "deleted": request.query_params.get("deleted", ""),
    }
    return render(request, "projects.html", context, viewer=viewer)


@router.get("/projects/new")
def new_project_form(request: Request, viewer: ViewerDep) -> Response:
    orgs = _managed_orgs(request, viewer)
    if not orgs:
        raise HTTPException(403, MANAGERS_ONLY)
    form = {"organization": orgs[0].slug, "name": "", "platform": "python"}
    return _new_page(request, viewer, orgs, form)


@router.post("/projects/new")
def new_project(
    request: Request,
    viewer: ViewerDep,
    organization: Text = "",
    name: Text = "",
    platform: Text = "python",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    db = request.app.state.db
    org = query.get_organization(db, viewer, organization)
    if org is None:
        raise HTTPException(404, "No such organization")
    if not viewer.may_manage(org.id):
        raise HTTPException(403, MANAGERS_ONLY)
    form = {"organization": org.slug, "name": name, "platform": platform}
    try:
        _id, slug = actions.new_project(db, org.slug, name, platform, actor_id=viewer.user_id)
    except actions.PermissionDenied:
        raise
    except actions.ActionError as exc:
        orgs = _managed_orgs(request, viewer)
        return _new_page(request, viewer, orgs, form, error=str(exc), status_code=400)
    return RedirectResponse(f"/projects/{org.slug}/{slug}/setup/", status_code=303)


@router.get("/projects/{org}/{project}/")
def project_home(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = project_or_404(request, viewer, org, project)
    return RedirectResponse(project_url(found), status_code=302)


@router.get("/projects/{org}/{project}/settings/")
def project_settings(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = project_or_404(request, viewer, org, project)
    notices = {
        "1": "The grouping rules were saved. They apply to events received from now on; "
        "existing issues keep their events.",
        "general": "The project was saved.",
        "llm": "The LLM usage settings were saved. They apply to calls received from now on.",
    }
    notice = notices.get(request.query_params.get("saved", ""), "")
    return _settings_page(request, viewer, found, notice=notice)


@router.post("/projects/{org}/{project}/settings/")
def save_grouping_rules(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    fingerprinting_rules: Text = "",
    grouping_enhancements: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    rules = {
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
            actor_id=viewer.user_id,
        )
    except actions.InvalidRulesError as exc:
        errors = {
            "fingerprinting_rules": exc.errors.get("fingerprinting_rules", ""),
            "grouping_enhancements": exc.errors.get("enhancements", ""),
        }
        return _settings_page(
            request, viewer, found, rules=rules, rule_errors=errors, status_code=400
        )
    return RedirectResponse(project_url(found) + "?saved=1", status_code=303)


@router.post("/projects/{org}/{project}/settings/general")
def save_general(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    name: Text = "",
    platform: Text = "",
    issue_tracker_url: Text = "",
    apdex_threshold_ms: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    general = {
        "name": name,
        "platform": platform,
        "issue_tracker_url": issue_tracker_url,
        "apdex_threshold_ms": apdex_threshold_ms,
    }
    try:
        actions.update_project(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            name=name,
            platform=platform,
            issue_tracker_url=issue_tracker_url,
            apdex_threshold_ms=_milliseconds(apdex_threshold_ms),
            actor_id=viewer.user_id,
        )
    except actions.PermissionDenied:
        raise
    except actions.ActionError as exc:
        return _settings_page(
            request, viewer, found, general=general, error=str(exc), status_code=400
        )
    return RedirectResponse(project_url(found) + "?saved=general", status_code=303)


@router.post("/projects/{org}/{project}/settings/llm")
def save_llm(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    llm_job_tag: Text = "",
    llm_channel_tag: Text = "",
    llm_store_prompts: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    llm = {
        "llm_job_tag": llm_job_tag,
        "llm_channel_tag": llm_channel_tag,
        "llm_store_prompts": bool(llm_store_prompts),
    }
    try:
        actions.update_project(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            llm_job_tag=llm_job_tag,
            llm_channel_tag=llm_channel_tag,
            llm_store_prompts=bool(llm_store_prompts),
            actor_id=viewer.user_id,
        )
    except actions.PermissionDenied:
        raise
    except actions.ActionError as exc:
        return _settings_page(request, viewer, found, llm=llm, error=str(exc), status_code=400)
    return RedirectResponse(project_url(found) + "?saved=llm", status_code=303)


@router.post("/projects/{org}/{project}/delete")
def delete_project(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    confirm: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    if confirm.strip().lower() != found.slug:
        message = f"Nothing was deleted: type the project's slug, {found.slug}, to confirm."
        return _settings_page(request, viewer, found, delete_error=message, status_code=400)
    actions.delete_project(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        confirm=confirm,
        actor_id=viewer.user_id,
        keys_disabled=lambda: keys_changed(request),
    )
    keys_changed(request)
    deleted = quote(f"{found.organization.slug}/{found.slug}", safe="/")
    return RedirectResponse(f"/projects/?deleted={deleted}", status_code=303)


def _milliseconds(text: str) -> int | None:
    """The apdex field: None when left out (older forms), else a whole number."""
    cleaned = text.strip().removesuffix("ms").strip()
    if not text.strip():
        return None
    if not cleaned.isascii() or not cleaned.isdigit():
        raise actions.ActionError(
            "The apdex threshold must be a whole number of milliseconds, e.g. 300."
        )
    return int(cleaned)


def _managed(request: Request, viewer: Viewer, org: str, project: str) -> Project:
    found = project_or_404(request, viewer, org, project)
    require_manager(viewer, found)
    return found


def _managed_orgs(request: Request, viewer: Viewer) -> list[query.Organization]:
    orgs = query.list_organizations(request.app.state.db, viewer)
    return [o for o in orgs if viewer.may_manage(o.id)]


def _new_page(
    request: Request,
    viewer: Viewer,
    orgs: list[query.Organization],
    form: dict[str, str],
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    context = {"orgs": orgs, "form": form, "error": error, "platforms": PLATFORMS}
    return render(request, "project_new.html", context, status_code=status_code, viewer=viewer)


def _settings_page(
    request: Request,
    viewer: Viewer,
    project: Project,
    *,
    general: dict[str, str] | None = None,
    rules: dict[str, str] | None = None,
    llm: dict[str, Any] | None = None,
    rule_errors: dict[str, str] | None = None,
    error: str = "",
    delete_error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    db = request.app.state.db
    grouping = actions.grouping_settings(db, project.id)
    active = [k for k in query.list_keys(db, project) if k.is_active]
    context: dict[str, Any] = {
        "general": general
        or {
            "name": project.name,
            "platform": project.platform,
            "issue_tracker_url": project.issue_tracker_url,
            "apdex_threshold_ms": str(project.apdex_threshold_ms),
        },
        "llm": llm
        or {
            "llm_job_tag": project.llm_job_tag,
            "llm_channel_tag": project.llm_channel_tag,
            "llm_store_prompts": project.llm_store_prompts,
        },
        "form": rules
        or {
            "fingerprinting_rules": grouping.fingerprinting_rules,
            "grouping_enhancements": grouping.enhancements,
        },
        "errors": rule_errors or {"fingerprinting_rules": "", "grouping_enhancements": ""},
        "error": error,
        "delete_error": delete_error,
        "notice": notice,
        "dsn": dsn(request, active[0]) if active else "",
        "strategy": grouping.grouping_config,
        "fingerprint_examples": FINGERPRINT_EXAMPLES,
        "enhancement_examples": ENHANCEMENT_EXAMPLES,
        "tracker_example": TRACKER_EXAMPLE,
        "tracker_fields": query.TRACKER_FIELDS,
    }
    return render_project(
        request, viewer, project, "project_settings.html", context, status_code=status_code
    )
