"""Access control over every route of the app, found by walking the app's routes.

For each route and method: anonymous → a redirect to /login (pages) or 401 (/api/); a user
(session or API token) of another organization → 404 for anything naming an object of
organization A, and nothing of A on the pages that name no object. A route with a path
parameter this file does not know fails the test: a new route cannot go without access
coverage.

Not covered here, on purpose: the static files, the SDK ingest endpoints (authenticated by
the project key, tested in tests/ingest and tests/sdk), /healthz, the OpenAPI description
and docs, and the login form itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import Table, select

from heron import actions
from heron.store import accounts as acc
from heron.store import activity_row, record_activity, tables
from tests.api.harness import BACKENDS, Heron, TestClient, error_event, running
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.perf_helpers import send_transactions, trace_of, transaction

SECRET = "zebrafish"  # in every name of organization A: must never show to anyone else
PASSWORD = "zebrafish password 1"

NOT_COVERED = {
    "/healthz": "liveness probe, public",
    "/api/0/openapi.json": "the API description, public",
    "/api/0/docs": "the API docs page, public",
    "/docs/oauth2-redirect": "FastAPI's docs helper, public",
    "/login": "the login form itself",
    "/theme": "sets the caller's colour-scheme cookie, nothing else; public",
}
# The secret in the path is the credential: anyone may open a valid link, an unknown one is 404.
BY_SECRET_LINK = {"/invite/{token}"}
# POSTs that name no object in the path and act only on the caller's own account or session.
OWN_ACCOUNT = {
    "/logout": "ends the caller's session",
    "/settings/account/": "the caller's name and password",
    "/settings/account/tokens/": "creates a token for the caller",
}
# Path parameters that do not name an object of an organization by themselves.
PLAIN_PARAMS = {"key": "job_id"}
# API changes that name their objects in the query string: query parameter → path parameter.
API_QUERY = {
    "/api/0/projects/{org}/{project}/issues/": {"id": "issue_id"},
    "/api/0/organizations/{org}/issues/": {"id": "issue_id"},
    "/api/0/issues/{issue_id}/hashes/": {"id": "hash"},
}
# Pages that name their objects in the query string: query parameter → path parameter.
PAGE_QUERY = {
    "/performance/": {"project": "project_id"},
    "/performance/summary/": {"project": "project_id", "transaction": "transaction"},
    "/llm/": {"project": "project_id"},
    "/llm/jobs/{job_id}": {"project": "project_id"},
}


@dataclass
class World:
    """Organization A (``zebrafish``) with one of everything; clients of organization B."""

    heron: Heron
    params: dict[str, str]  # path parameter → an object of organization A
    forms: dict[str, dict[str, Any]]  # POSTs without path parameters → a form naming A's objects
    org_a: int
    other: TestClient  # logged in as the first-run admin: owner of "heron", a superuser
    anonymous: TestClient


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with running(tmp_path_factory.mktemp("access"), request.param) as heron:
        yield _build(heron)


def _build(heron: Heron) -> World:
    t = tables
    now = time.time()
    with heron.db.write() as conn:
        org = acc.create_organization(conn, SECRET, "Zebrafish Inc")
        project = acc.create_project(conn, org, f"{SECRET}-app", name="Zebrafish App")
        owner = acc.create_user(conn, f"{SECRET}-owner@a.example", PASSWORD, name="Zed")
        acc.add_member(conn, org, owner, role="owner")
        member = acc.create_user(conn, f"{SECRET}-member@a.example", PASSWORD)
        acc.add_member(conn, org, member)
        acc.create_token(conn, member, f"{SECRET}-token")
        team = conn.execute(
            t.teams.insert().values(
                organization_id=org, slug=f"{SECRET}-team", name="Zebrafish team", created_at=now
            )
        ).inserted_primary_key[0]
        conn.execute(t.team_members.insert().values(team_id=team, user_id=member))
        invite = conn.execute(
            t.invites.insert().values(
                organization_id=org,
                email=f"{SECRET}-invitee@a.example",
                role="member",
                token_hash=acc.hash_token(f"{SECRET}-invite-token"),
                invited_by=owner,
                created_at=now,
                expires_at=now + 86400,
            )
        ).inserted_primary_key[0]
    heron.send(
        error_event("ValueError", f"{SECRET} ledger broke", tags={"job_id": f"{SECRET}-job"}),
        error_event("KeyError", f"{SECRET} account", function="lookup"),
        project_id=project,
    )
    # A traced, profiled transaction: the performance pages, the trace and the profile.
    traced = transaction(f"GET /{SECRET}/ledger", 120.0, spans=2)
    send_transactions(heron, traced, project_id=project, profile=True)
    # A job's model call: the LLM pages and API.
    llm_job = transaction(f"tasks.{SECRET}", 900.0, spans=0)
    llm_job["tags"] = {"job_id": f"{SECRET}-job"}
    llm_job["spans"] = [
        {
            "trace_id": llm_job["contexts"]["trace"]["trace_id"],
            "span_id": "e" * 16,
            "parent_span_id": llm_job["contexts"]["trace"]["span_id"],
            "op": "gen_ai.chat",
            "description": f"chat {SECRET}-model",
            "start_timestamp": llm_job["start_timestamp"],
            "timestamp": llm_job["timestamp"],
            "data": {"gen_ai.request.model": f"{SECRET}-model", "gen_ai.usage.input_tokens": 7},
        }
    ]
    send_transactions(heron, llm_job, project_id=project)
    budget = actions.create_llm_budget(
        heron.db, SECRET, f"{SECRET}-app", {"name": f"{SECRET} budget", "amount": 1}
    )
    with heron.db.write() as conn:
        issue, other_issue = (
            int(i)
            for i in conn.execute(
                select(t.issues.c.id).where(t.issues.c.project_id == project).order_by("id")
            ).scalars()
        )
        record_activity(
            conn, [activity_row(issue, project, "note", {"text": f"{SECRET} note"}, user_id=owner)]
        )
        activity = conn.execute(
            select(t.activity.c.id).where(t.activity.c.kind == "note")
        ).scalar_one()
        key_id = conn.execute(
            select(t.project_keys.c.id).where(t.project_keys.c.project_id == project)
        ).scalar_one()
        token_id = conn.execute(
            select(t.api_tokens.c.id).where(t.api_tokens.c.user_id == member)
        ).scalar_one()
        event = conn.execute(
            select(t.events.c.event_id, t.events.c.hash).where(t.events.c.issue_id == issue)
        ).one()
    params = {
        "org": SECRET,
        "project": f"{SECRET}-app",
        "issue_id": str(issue),
        "key_id": str(key_id),
        "team": f"{SECRET}-team",
        "user_id": str(member),
        "token_id": str(token_id),
        "invite_id": str(invite),
        "event_id": str(event.event_id),
        "activity_id": str(activity),
        "hash": str(event.hash),
        # Invitation links: an unknown token (a real one is a credential, see BY_SECRET_LINK).
        "token": "no-such-invite-token",
        "project_id": str(project),
        "trace_id": trace_of(traced),
        "transaction_id": str(traced["event_id"]),
        "transaction": str(traced["transaction"]),
        "job_id": f"{SECRET}-job",
        "budget_id": str(budget),
    }
    ids = [str(issue), str(other_issue)]
    forms = {
        "/issues/merge": {"issue": ids},
        "/issues/bulk": {"issue": ids, "action": "delete"},
        "/projects/new": {"organization": SECRET, "name": "intruder", "platform": "python"},
    }
    other = new_client(heron)
    log_in(other)
    return World(heron, params, forms, org, other, new_client(heron))


# --- the routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def names_an_object(self) -> bool:
        return any(p not in PLAIN_PARAMS for p in self.params)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(heron: Heron) -> list[Endpoint]:
    found = []
    for route in iter_route_contexts(heron.client.app.routes):
        path = route.path
        methods = route.methods or set()
        module = getattr(route.endpoint, "__module__", "") or ""
        if not methods or path in NOT_COVERED or module.startswith("heron.ingest"):
            continue  # mounts (/static) have no methods
        params = tuple(getattr(route, "param_convertors", {}) or {})
        found += [Endpoint(path, m, params) for m in sorted(methods) if m != "HEAD"]
    assert len(found) > 20, found  # the walk found the app's routes
    return found


def fill(endpoint: Endpoint, params: dict[str, str]) -> str:
    unknown = [p for p in endpoint.params if p not in params and p not in PLAIN_PARAMS]
    assert not unknown, (
        f"{endpoint} has path parameter(s) {unknown} that tests/web/test_access.py does not "
        "know: add each to the params of _build() with an object of organization A"
    )
    return endpoint.path.format(**{**PLAIN_PARAMS, **params})


def call(
    client: TestClient,
    endpoint: Endpoint,
    params: dict[str, str],
    *,
    csrf: str = "",
    token: str = "",
) -> Any:
    url = fill(endpoint, params)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if endpoint.method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if endpoint.is_api:
        body: dict[str, Any] = {"status": "resolved", "name": "intruder", "isBookmarked": True}
        query = {k: params[v] for k, v in API_QUERY.get(endpoint.path, {}).items()}
        return client.request(
            endpoint.method, url, json=body, params=query, headers=headers, follow_redirects=False
        )
    return client.request(
        endpoint.method, url, data=_form(csrf), headers=headers, follow_redirects=False
    )


def _form(csrf: str) -> dict[str, Any]:
    """A plausible body for any form: the access check must come before it matters."""
    return {
        "csrf_token": csrf,
        "status": "resolved",
        "role": "owner",
        "name": "intruder",
        "email": "intruder@b.example",
        "label": "intruder",
        "rate_limit": "1",
        "confirm": f"{SECRET}-app",
        "text": "intruder",
        "assignee": "",
        "bookmarked": "1",
        "action": "delete",
        "platform": "python",
    }


# --- the tests ------------------------------------------------------------------------------


def test_every_path_parameter_is_known(world: World) -> None:
    for endpoint in endpoints(world.heron):
        fill(endpoint, world.params)


def test_anonymous_is_sent_to_login_or_gets_401(world: World) -> None:
    client = world.anonymous
    wrong = []
    for endpoint in endpoints(world.heron):
        # A fresh token each time: POST /logout clears the session, and with it the token.
        csrf = csrf_of(client.get("/login").text)
        response = call(client, endpoint, world.params, csrf=csrf)
        hops = 0
        # A page that only forwards (/ → /issues/) must forward to something behind the login.
        while endpoint.method == "GET" and response.status_code in (302, 303) and hops < 3:
            location = response.headers["location"]
            if location.startswith("/login"):
                break
            response, hops = client.get(location, follow_redirects=False), hops + 1
        status = response.status_code
        if endpoint.path in BY_SECRET_LINK:
            ok = status == 404
        elif endpoint.is_api:
            ok = status == 401
        else:
            ok = status in (302, 303) and response.headers["location"].startswith("/login")
        if not ok:
            wrong.append(f"{endpoint}: {status} {response.headers.get('location', '')}")
    assert not wrong, "anonymous requests not refused:\n" + "\n".join(wrong)


def test_another_organization_gets_404_and_changes_nothing(world: World) -> None:
    before = org_state(world)
    client, token = world.other, world.heron.token
    wrong, unknown = [], []
    for endpoint in endpoints(world.heron):
        if endpoint.path in BY_SECRET_LINK or endpoint.path in OWN_ACCOUNT:
            continue
        csrf = csrf_of(client.get("/issues/").text)
        url = fill(endpoint, world.params)
        if endpoint.path in PAGE_QUERY:
            query = {k: world.params[v] for k, v in PAGE_QUERY[endpoint.path].items()}
            response = client.get(url, params=query, follow_redirects=False)
            if response.status_code != 404:
                wrong.append(f"{endpoint}?{query} → {response.status_code}")
            continue
        if not endpoint.names_an_object and endpoint.method == "GET":
            continue  # test_pages_without_objects_show_nothing_of_another_organization
        if not endpoint.names_an_object:
            if endpoint.path not in world.forms:
                unknown.append(str(endpoint))
                continue
            response = client.post(
                url, data={**world.forms[endpoint.path], "csrf_token": csrf}, follow_redirects=False
            )
        else:
            response = call(client, endpoint, world.params, csrf=csrf, token=token)
        if response.status_code != 404:
            wrong.append(f"{endpoint} → {response.status_code}")
    assert not unknown, (
        "POST routes without path parameters that tests/web/test_access.py does not know: add "
        "each to the forms of _build() (a form naming A's objects) or to OWN_ACCOUNT:\n"
        + "\n".join(unknown)
    )
    assert not wrong, "another organization's objects were not 404:\n" + "\n".join(wrong)
    assert org_state(world) == before, "another organization changed organization A"


def test_pages_without_objects_show_nothing_of_another_organization(world: World) -> None:
    client, token = world.other, world.heron.token
    leaks = []
    for endpoint in endpoints(world.heron):
        if endpoint.method != "GET" or endpoint.names_an_object:
            continue
        url = fill(endpoint, world.params)
        headers = {"Authorization": f"Bearer {token}"} if endpoint.is_api else {}
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            leaks.append(f"{endpoint}: {response.status_code} (expected 200)")
        elif SECRET in response.text.lower():
            at = response.text.lower().index(SECRET)
            leaks.append(f"{endpoint} shows {response.text[max(at - 60, 0) : at + 40]!r}")
    assert not leaks, "pages of another organization:\n" + "\n".join(leaks)


def test_the_other_user_sees_their_own_organization(world: World) -> None:
    """The checks above are not passing because the other user sees nothing at all."""
    assert world.other.get("/issues/", params={"query": ""}).status_code == 200
    response = world.other.get("/projects/heron/default/settings/")
    assert response.status_code == 200
    assert world.heron.api("/api/0/projects/heron/default/").status_code == 200
    assert world.other.get(f"/issues/{world.params['issue_id']}/").status_code == 404


def test_organization_a_sees_what_the_other_organization_may_not(world: World) -> None:
    """The 404s above for traces, profiles and performance pages are not for want of data."""
    member = new_client(world.heron)
    log_in(member, f"{SECRET}-member@a.example", PASSWORD)
    params = world.params
    paths = [
        f"/traces/{params['trace_id']}/",
        f"/profiles/{params['project_id']}/{params['transaction_id']}.json",
    ]
    for path, query in PAGE_QUERY.items():
        paths.append(
            path.format(**params) + "?" + urlencode({k: params[v] for k, v in query.items()})
        )
    for path in paths:
        response = member.get(path)
        assert response.status_code == 200, path
    assert params["transaction"] in member.get("/performance/").text


# --- organization A, row by row --------------------------------------------------------------


def org_state(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to organization A (to compare before and after)."""
    t = tables
    org = world.org_a
    projects = select(t.projects.c.id).where(t.projects.c.organization_id == org)
    users = select(t.members.c.user_id).where(t.members.c.organization_id == org)
    issues = select(t.issues.c.id).where(t.issues.c.project_id.in_(projects))
    teams = select(t.teams.c.id).where(t.teams.c.organization_id == org)
    scopes: list[tuple[Table, Any]] = [
        (t.organizations, t.organizations.c.id == org),
        (t.projects, t.projects.c.organization_id == org),
        (t.project_keys, t.project_keys.c.project_id.in_(projects)),
        (t.members, t.members.c.organization_id == org),
        (t.users, t.users.c.id.in_(users)),
        (t.api_tokens, t.api_tokens.c.user_id.in_(users)),
        (t.teams, t.teams.c.organization_id == org),
        (t.team_members, t.team_members.c.team_id.in_(teams)),
        (t.invites, t.invites.c.organization_id == org),
        (t.issues, t.issues.c.project_id.in_(projects)),
        (t.issue_hashes, t.issue_hashes.c.project_id.in_(projects)),
        (t.issue_tags, t.issue_tags.c.issue_id.in_(issues)),
        (t.bookmarks, t.bookmarks.c.issue_id.in_(issues)),
        (t.activity, t.activity.c.project_id.in_(projects)),
        (t.events, t.events.c.project_id.in_(projects)),
    ]
    state = {}
    with world.heron.db.read() as conn:
        for table, where in scopes:
            cols = [c for c in table.c if c.name not in ("data", "last_used_at")]
            rows = conn.execute(select(*cols).where(where)).all()
            state[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return state


def test_org_state_sees_changes(world: World) -> None:
    """The before/after comparison above can fail."""
    before = org_state(world)
    with world.heron.db.write() as conn:
        conn.execute(
            tables.invites.update()
            .where(tables.invites.c.organization_id == world.org_a)
            .values(role="admin")
        )
    try:
        assert org_state(world) != before
    finally:
        with world.heron.db.write() as conn:
            conn.execute(
                tables.invites.update()
                .where(tables.invites.c.organization_id == world.org_a)
                .values(role="member")
            )
