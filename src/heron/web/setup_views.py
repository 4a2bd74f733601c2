"""Setup instructions with the project's DSN filled in: Python, FastAPI, Django, browser
JavaScript and React. Short on purpose: install, initialize, send a test error."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from heron import query
from heron.web.project_pages import ViewerDep, dsn, project_or_404, render_project

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Guide:
    id: str
    name: str
    platforms: tuple[str, ...]  # project platforms this guide is the first one for
    install: str
    where: str  # where the code goes
    code: str
    check: str  # how to send a test error…
    check_code: str  # …and the code that does it


_PYTHON_INIT = """\
import sentry_sdk

sentry_sdk.init(
    dsn="{dsn}",
    # Trace this share of requests (0.0 to 1.0); 0 sends errors only.
    traces_sample_rate=1.0,
    # True also sends user IPs, cookies and request headers and bodies.
    send_default_pii=False,
)
"""

_JS_INIT = """\
import * as Sentry from "{package}";

Sentry.init({{
  dsn: "{dsn}",
  // Page loads and navigations become traces; keep this share of them.
  integrations: [Sentry.browserTracingIntegration()],
  tracesSampleRate: 1.0,
  // true also sends user IPs and request headers.
  sendDefaultPii: false,
}});
"""


def guides(project_dsn: str) -> list[Guide]:
    python = _PYTHON_INIT.format(dsn=project_dsn)
    return [
        Guide(
            "python",
            "Python",
            ("python",),
            'pip install --upgrade "sentry-sdk"',
            "As early as possible when your program starts:",
            python,
            "Then raise an error:",
            "division_by_zero = 1 / 0",
        ),
        Guide(
            "fastapi",
            "FastAPI",
            ("python-fastapi", "python-starlette"),
            'pip install --upgrade "sentry-sdk[fastapi]"',
            "Before the app is created; sentry-sdk turns on its FastAPI integration by itself:",
            python + "\nfrom fastapi import FastAPI\n\napp = FastAPI()\n",
            "Add a route that fails, then open it:",
            '@app.get("/heron-test")\nasync def heron_test():\n    return 1 / 0',
        ),
        Guide(
            "django",
            "Django",
            ("python-django",),
            'pip install --upgrade "sentry-sdk[django]"',
            "In settings.py; sentry-sdk turns on its Django integration by itself:",
            python,
            "Add a view that fails, route a URL to it, then open it:",
            "def heron_test(request):\n    return 1 / 0",
        ),
        Guide(
            "javascript",
            "JavaScript",
            ("javascript",),
            "npm install --save @sentry/browser",
            "In the first script your page loads:",
            _JS_INIT.format(package="@sentry/browser", dsn=project_dsn),
            "Then send a test error:",
            'Sentry.captureException(new Error("Heron test error"));',
        ),
        Guide(
            "react",
            "React",
            ("javascript-react",),
            "npm install --save @sentry/react",
            "In your entry file (main.jsx or index.js), before the app renders:",
            _JS_INIT.format(package="@sentry/react", dsn=project_dsn),
            "Then send a test error:",
            'Sentry.captureException(new Error("Heron test error"));',
        ),
    ]


@router.get("/projects/{org}/{project}/setup/")
def project_setup(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = project_or_404(request, viewer, org, project)
    active = [k for k in query.list_keys(request.app.state.db, found) if k.is_active]
    project_dsn = dsn(request, active[0]) if active else ""
    shown = guides(project_dsn or "<no active key>")
    # The project's own platform first; the others follow in their usual order.
    shown.sort(key=lambda g: found.platform not in g.platforms)
    context = {"dsn": project_dsn, "guides": shown}
    return render_project(request, viewer, found, "project_setup.html", context)
