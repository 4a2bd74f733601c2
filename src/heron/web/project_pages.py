"""What the project pages share: the project lookup, the tabs, who may change things.

Every member of the organization sees a project's settings, keys and setup (the DSN goes
into their apps); only admins and owners get the forms. Another organization's project is
"not found", never "forbidden".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response

from heron import query
from heron.bootstrap import dsn_for
from heron.query import ClientKey, Project, Viewer
from heron.web.session import page_viewer
from heron.web.templating import render

ViewerDep = Annotated[Viewer, Depends(page_viewer)]
MANAGERS_ONLY = "Only admins and owners of the organization may change projects and keys."

# The tabs of a project, in order: (label, path under /projects/{org}/{project}/).
TABS = (("Settings", "settings/"), ("Client keys", "keys/"), ("Setup", "setup/"))

# The platforms offered when a project is made or changed (Sentry's platform ids).
PLATFORMS = (
    ("python", "Python"),
    ("python-fastapi", "FastAPI"),
    ("python-django", "Django"),
    ("javascript", "JavaScript (browser)"),
    ("javascript-react", "React"),
    ("other", "Other"),
)


def project_or_404(request: Request, viewer: Viewer, org: str, project: str) -> Project:
    found = query.get_project(request.app.state.db, viewer, org, project)
    if found is None:
        raise HTTPException(404, "No such project")
    return found


def require_manager(viewer: Viewer, project: Project) -> None:
    """403 for a member who may see the project but not change it."""
    if not viewer.may_manage(project.organization.id):
        raise HTTPException(403, MANAGERS_ONLY)


def project_url(project: Project, tab: str = "settings/") -> str:
    return f"/projects/{project.organization.slug}/{project.slug}/{tab}"


def keys_changed(request: Request) -> None:
    """Ingest in this process forgets its cached keys: a change applies to the next event."""
    request.app.state.key_cache.invalidate()


def dsn(request: Request, key: ClientKey) -> str:
    return dsn_for(request.app.state.config, key.public_key, key.project_id)


def render_project(
    request: Request,
    viewer: Viewer,
    project: Project,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A project page with its tabs; ``may_manage`` says whether to show the forms."""
    values = {
        "project": project,
        "tabs": [(label, project_url(project, path)) for label, path in TABS],
        "may_manage": viewer.may_manage(project.organization.id),
        "platforms": PLATFORMS,
        "notice": "",
        "error": "",
        **context,
    }
    return render(request, template, values, status_code=status_code, viewer=viewer)
