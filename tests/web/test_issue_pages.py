"""The issue list and the issue page: what a person sees, and the status buttons."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, update

from heron.store import tables
from tests.api.harness import Heron, TestClient, error_event
from tests.web.conftest import csrf_of, log_in, new_client


def _rows(page: str) -> list[str]:
    return re.findall(r'<a class="title" href="/issues/\d+/">(.*?)</a>', page)


def test_issue_list(site: Heron, browser: TestClient) -> None:
    response = browser.get("/issues/")
    assert response.status_code == 200
    page = response.text
    titles = [html.unescape(t) for t in _rows(page)]
    assert "ValueError: invalid order total" in titles
    assert "KeyError: 'sku'" in titles
    assert "ValueError: rival secret" not in titles
    assert "3 issues" in page
    assert 'value="is:unresolved"' in page
    assert "level-warning" in page
    assert re.search(r"DEFAULT-[0-9A-Z]+", page)
    assert "just now" in page
    assert f'<option value="{site.project_id}"' in page
    assert "rivals" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level:warning", ["KeyError: 'sku'"]),
        ("job_id:job-8", ["ValueError: invalid order total"]),
        ("environment:staging", ["KeyError: 'sku'"]),
        ("invalid", ["ValueError: invalid order total"]),
        ("is:resolved", []),
    ],
)
def test_issue_list_search(browser: TestClient, query: str, expected: list[str]) -> None:
    response = browser.get("/issues/", params={"query": query})
    assert response.status_code == 200
    assert [html.unescape(t) for t in _rows(response.text)] == expected


def test_issue_list_project_filter_and_sort(site: Heron, browser: TestClient) -> None:
    mine = browser.get("/issues/", params={"project": site.project_id, "sort": "freq"})
    assert html.unescape(_rows(mine.text)[0]) == "ValueError: invalid order total"
    assert _rows(browser.get("/issues/", params={"project": "99999"}).text) == []


@pytest.mark.parametrize(
    "params",
    [
        {"query": "is:bogus"},
        {"query": 'x:"open'},
        {"statsPeriod": "ever"},
        {"sort": "x"},
        {"project": "x"},
    ],
)
def test_issue_list_bad_search_says_why(browser: TestClient, params: dict[str, str]) -> None:
    response = browser.get("/issues/", params=params)
    assert response.status_code == 400
    assert 'class="error"' in response.text
    assert "Traceback" not in response.text


def test_issue_page(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("invalid order total")
    response = browser.get(f"/issues/{issue_id}/")
    assert response.status_code == 200
    page = response.text
    assert "ValueError: invalid order total" in page
    assert "<dt>Events</dt><dd>2</dd>" in page
    assert "<dt>Users</dt><dd>2</dd>" in page
    # Stack trace: newest frame first, file, function, line, in-app emphasis.
    assert page.index(">charge<") < page.index(">run<")
    assert "shop/orders.py" in page
    assert "/usr/lib/python3.11/threading.py" in page
    assert '<li class="frame in-app">' in page
    assert '<li class="frame system">' in page
    assert '<span class="lineno">42</span>' in page
    # Context lines, the crashing one highlighted, locals behind a <details>.
    assert '<ol class="context" start="40">' in page
    current = re.search(
        r'<li class="current"><span class="ln">(\d+)</span><code>(.*?)</code>', page
    )
    assert current and current.groups() == ("42", "    ratio = total / order.count")
    assert "<summary>Local variables (2)</summary>" in page
    assert "&lt;Order 42&gt;" in page
    # Breadcrumbs, request, user, tags, contexts.
    assert "user logged in" in page
    assert '<code class="method">POST</code>' in page
    assert '<code class="url">https://shop.example/orders/42</code>' in page
    assert "<h4>Query</h4>" in page and "<tr><th>debug</th><td>1</td></tr>" in page
    assert "pytest-agent" in page
    assert "u1@example.com" in page or "u-2" in page
    assert "CPython" in page
    assert '<span class="k">job_id</span>' in page
    # Tag distribution with bars.
    assert re.search(r'<svg class="bar"[^>]*><rect width="50.0"', page)
    assert "job-7" in page and "job-8" in page
    # Buttons for the statuses it is not in.
    assert 'value="resolved"' in page and 'value="ignored"' in page
    assert 'value="unresolved"' not in page


def test_issue_page_escapes_event_text(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("alert(")
    page = browser.get(f"/issues/{issue_id}/").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page
    listing = browser.get("/issues/").text
    assert "<script>alert" not in listing


def test_events_page_and_choosing_an_event(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("invalid order total")
    response = browser.get(f"/issues/{issue_id}/events/")
    assert response.status_code == 200
    event_ids = re.findall(rf'href="/issues/{issue_id}/\?event=([0-9a-f]{{32}})"', response.text)
    assert len(event_ids) == 2
    older = event_ids[1]
    page = browser.get(f"/issues/{issue_id}/", params={"event": older})
    assert page.status_code == 200
    assert f"<code>{older}</code>" in page.text
    assert "Newer event" in page.text
    assert browser.get(f"/issues/{issue_id}/", params={"event": "0" * 32}).status_code == 404


@pytest.mark.parametrize("suffix", ["", "events/"])
def test_another_organizations_issue_is_404(site: Heron, browser: TestClient, suffix: str) -> None:
    issue_id = site.issue_id("rival secret")
    response = browser.get(f"/issues/{issue_id}/{suffix}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "rival secret" not in response.text
    assert "404" in response.text


@pytest.mark.parametrize("path", ["/issues/999999/", "/issues/abc/", "/nowhere"])
def test_not_found_pages(browser: TestClient, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not Found" in response.text


def test_api_paths_get_json_errors(anonymous: TestClient) -> None:
    response = anonymous.get("/api/0/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_static_css(anonymous: TestClient) -> None:
    response = anonymous.get("/static/heron.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_status_buttons(heron: Heron) -> None:
    heron.send(error_event("ValueError", "boom"))
    issue_id = heron.issue_id("boom")
    client = new_client(heron)
    log_in(client)
    token = csrf_of(client.get(f"/issues/{issue_id}/").text)

    forged = client.post(
        f"/issues/{issue_id}/status", data={"status": "resolved", "csrf_token": "x"}
    )
    assert forged.status_code == 403
    assert "unresolved" in client.get(f"/issues/{issue_id}/").text

    response = client.post(
        f"/issues/{issue_id}/status",
        data={"status": "resolved", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/issues/{issue_id}/"
    page = client.get(f"/issues/{issue_id}/").text
    assert 'class="status status-resolved">resolved' in page
    assert 'value="unresolved"' in page
    assert _rows(client.get("/issues/").text) == []
    assert len(_rows(client.get("/issues/", params={"query": "is:resolved"}).text)) == 1

    for status in ("ignored", "unresolved"):
        client.post(f"/issues/{issue_id}/status", data={"status": status, "csrf_token": token})
        assert f'class="status status-{status}">{status}' in client.get(f"/issues/{issue_id}/").text

    bad = client.post(f"/issues/{issue_id}/status", data={"status": "deleted", "csrf_token": token})
    assert bad.status_code == 400


def test_status_of_another_organizations_issue_is_404(heron: Heron) -> None:
    project, _ = heron.other_org()
    heron.send(error_event("ValueError", "theirs"), project_id=project)
    issue_id = heron.issue_id("theirs")
    client = new_client(heron)
    log_in(client)
    token = csrf_of(client.get("/issues/").text)
    response = client.post(
        f"/issues/{issue_id}/status", data={"status": "resolved", "csrf_token": token}
    )
    assert response.status_code == 404


def test_server_errors_show_a_page_without_a_traceback(
    heron: Heron, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heron import query

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    client = TestClient(
        heron.client.app, base_url="https://testserver", raise_server_exceptions=False
    )
    log_in(client)
    monkeypatch.setattr(query, "list_issues", broken)
    response = client.get("/issues/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert "database on fire" not in response.text and "Traceback" not in response.text
    monkeypatch.setattr(query, "get_organization", broken)
    api = client.get("/api/0/organizations/heron/issues/", headers=heron.auth())
    assert api.status_code == 500
    assert api.json() == {"detail": "Internal server error"}


def test_issue_page_chart_switches_between_24_hours_and_30_days(
    site: Heron, browser: TestClient
) -> None:
    issue_id = site.issue_id("invalid order total")
    day = browser.get(f"/issues/{issue_id}/").text
    bars = re.findall(r"<g><title>([^<]*)</title>", day)
    assert len(bars) == 24
    assert bars[-1].endswith(": 2 events")  # this hour
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:00 UTC: 0 events", bars[0])
    assert '<strong>2</strong> <span class="muted">events in the last 24 hours' in day
    assert 'href="?chart=30d"' in day and 'href="?chart=24h" aria-current="true"' in day

    month = browser.get(f"/issues/{issue_id}/", params={"chart": "30d"}).text
    bars = re.findall(r"<g><title>([^<]*)</title>", month)
    assert len(bars) == 30
    assert re.fullmatch(r"\d{4}-\d\d-\d\d: 2 events", bars[-1])
    assert 'href="?chart=30d" aria-current="true"' in month
    # An unknown period is the default one; the chosen event stays in the switch's links.
    assert len(re.findall(r"<g><title>", browser.get(f"/issues/{issue_id}/?chart=x").text)) == 24
    event_id = re.search(r"<h2>Event <code>([0-9a-f]{32})</code>", day)
    assert event_id
    chosen = browser.get(f"/issues/{issue_id}/", params={"event": event_id.group(1)}).text
    assert f'href="?event={event_id.group(1)}&amp;chart=30d"' in chosen


def test_issue_page_event_navigation_and_raw_json(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("invalid order total")
    latest = browser.get(f"/issues/{issue_id}/").text
    newest = re.search(r"<h2>Event <code>([0-9a-f]{32})</code>", latest)
    assert newest
    assert f'href="/issues/{issue_id}/?event=oldest" class="nav-oldest"' in latest
    assert '<span class="muted">Latest »</span>' in latest  # the latest is shown
    oldest = browser.get(f"/issues/{issue_id}/", params={"event": "oldest"}).text
    first = re.search(r"<h2>Event <code>([0-9a-f]{32})</code>", oldest)
    assert first and first.group(1) != newest.group(1)
    assert f'href="/issues/{issue_id}/" class="nav-latest"' in oldest
    assert '<span class="muted">« Oldest</span>' in oldest
    same = browser.get(f"/issues/{issue_id}/", params={"event": "latest"}).text
    assert f"<code>{newest.group(1)}</code>" in same

    link = f"/issues/{issue_id}/events/{newest.group(1)}/json"
    assert f'href="{link}"' in latest
    raw = browser.get(link)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.headers["x-content-type-options"] == "nosniff"
    body = raw.json()
    assert body["event_id"] == newest.group(1)
    assert body["exception"]["values"][0]["type"] == "ValueError"
    assert browser.get(f"/issues/{issue_id}/events/{'0' * 32}/json").status_code == 404
    other = site.issue_id("'sku'")
    assert browser.get(f"/issues/{other}/events/{newest.group(1)}/json").status_code == 404


def test_raw_json_of_another_organization_is_404(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("rival secret")
    with site.db.read() as conn:
        event_id = conn.execute(
            select(tables.events.c.event_id).where(tables.events.c.issue_id == issue_id)
        ).scalar_one()
    response = browser.get(f"/issues/{issue_id}/events/{event_id}/json")
    assert response.status_code == 404
    assert "rival secret" not in response.text


def test_stack_trace_starts_with_in_app_frames(site: Heron, browser: TestClient) -> None:
    page = browser.get(f"/issues/{site.issue_id('invalid order total')}/").text
    # A checkbox and its label switch between in-app and full traces (CSS, no script).
    toggle = '<input type="checkbox" id="full-trace" class="full-trace">'
    assert toggle in page
    assert page.index(toggle) < page.index('<section class="exception">')
    assert "1 system frame hidden" in page
    assert "Showing in-app frames" in page
    css = browser.get("/static/heron.css").text
    assert ".full-trace:not(:checked) ~ .exception .frame.system { display: none; }" in css


def test_event_highlights_and_sdk(site: Heron, browser: TestClient) -> None:
    page = browser.get(f"/issues/{site.issue_id('invalid order total')}/").text
    assert "<div><dt>Runtime</dt><dd>CPython 3.11.7</dd></div>" in page
    assert '<span class="release" title="First release">shop@1.0</span>' in page
    assert '<span class="release" title="Last release">shop@1.0</span>' in page


def test_events_page_searches(site: Heron, browser: TestClient) -> None:
    issue_id = site.issue_id("invalid order total")

    def rows(q: str) -> int:
        response = browser.get(f"/issues/{issue_id}/events/", params={"query": q})
        assert response.status_code == 200, response.text
        return len(re.findall(rf'href="/issues/{issue_id}/\?event=', response.text))

    assert rows("") == 2
    assert rows("user:u-2") == 1
    assert rows("user:id:u-1") == 1
    assert rows("user:u1@example.com") == 0  # the first identity (id) keys a user
    assert rows("release:shop@1.0 environment:production level:error") == 2
    assert rows("!environment:production") == 0
    assert rows("level:warning") == 0
    assert rows("invalid order") == 2
    assert rows("nothing-like-this") == 0
    bad = browser.get(f"/issues/{issue_id}/events/", params={"query": "job_id:job-7"})
    assert bad.status_code == 400
    assert "events cannot be filtered by job_id" in html.unescape(bad.text)


def test_tracker_link_is_filled_and_encoded(heron: Heron) -> None:
    heron.send(error_event("ValueError", "bad & odd?", function="charge"))
    issue_id = heron.issue_id("bad & odd")
    client = new_client(heron)
    log_in(client)
    assert "Create issue in tracker" not in client.get(f"/issues/{issue_id}/").text
    template = (
        "https://github.com/acme/shop/issues/new?title={title}&body={url}%20{short_id}%20{culprit}"
    )
    with heron.db.write() as conn:
        conn.execute(
            update(tables.projects)
            .where(tables.projects.c.id == heron.project_id)
            .values(issue_tracker_url=template)
        )
    page = client.get(f"/issues/{issue_id}/").text
    link = re.search(r'<a class="button tracker" href="([^"]+)"', page)
    assert link
    assert html.unescape(link.group(1)) == (
        "https://github.com/acme/shop/issues/new?title=ValueError%3A%20bad%20%26%20odd%3F"
        f"&body=https%3A%2F%2Fheron.example%2Fissues%2F{issue_id}%2F%20DEFAULT-1"
        "%20shop.orders%20in%20charge"
    )
    with heron.db.write() as conn:
        conn.execute(
            update(tables.projects)
            .where(tables.projects.c.id == heron.project_id)
            .values(issue_tracker_url="javascript:alert({title})")
        )
    assert "Create issue in tracker" not in client.get(f"/issues/{issue_id}/").text


def test_theme_switch_sets_a_cookie_the_page_reads(heron: Heron) -> None:
    client = new_client(heron)
    log_in(client)
    page = client.get("/issues/").text
    assert '<html lang="en">' in page
    assert 'name="theme" value="auto" aria-pressed="true"' in page
    token = csrf_of(page)
    response = client.post(
        "/theme",
        data={"theme": "dark", "next": "/issues/?query=is%3Aresolved", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/issues/?query=is%3Aresolved"
    assert "heron_theme=dark" in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()
    page = client.get("/issues/").text
    assert '<html lang="en" data-theme="dark">' in page
    assert 'name="theme" value="dark" aria-pressed="true"' in page
    elsewhere = client.post(
        "/theme",
        data={"theme": "auto", "next": "//evil.example/", "csrf_token": token},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/issues/"
    assert '<html lang="en">' in client.get("/issues/").text
    assert client.post("/theme", data={"theme": "dark", "csrf_token": "x"}).status_code == 403
    # Anyone may pick (the login page has the switch); a bogus value is "auto".
    anonymous = new_client(heron)
    login = anonymous.get("/login").text
    assert 'action="/theme"' in login
    anonymous.post("/theme", data={"theme": "light", "csrf_token": csrf_of(login)})
    assert 'data-theme="light"' in anonymous.get("/login").text
    anonymous.post("/theme", data={"theme": "<x>", "csrf_token": csrf_of(login)})
    assert "data-theme" not in anonymous.get("/login").text
