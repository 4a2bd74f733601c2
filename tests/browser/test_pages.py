"""Every page a logged-in admin can reach by following links: it loads, with no console
error, no failed request and no Content Security Policy violation; and dark mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Watch, log_in
from tests.live import LiveServer, wait_for
from tests.sdk.helpers import SDK_INIT, marker, run_sdk_file, wait_issues

MAX_PAGES = 60
# Links that change state on GET would be a bug of their own; these only leave or download.
SKIP = re.compile(r"^/(logout|static/|profiles/)|/json/?$")


def _shape(path: str) -> str:
    """One page per URL shape: /issues/12/ and /issues/13/ are the same page."""
    return re.sub(r"/\d+(?=/|$)", "/N", re.sub(r"/[0-9a-f]{32}(?=/|$)", "/ID", path))


@pytest.fixture
def sent_error(server: LiveServer, tmp_path: Path) -> str:
    """A real SDK error with breadcrumbs, request-like tags and a user; its issue id."""
    mark = marker("pg")
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
sentry_sdk.set_tag("job_id", "job-{mark}")
sentry_sdk.set_user({{"id": "u-{mark}"}})
sentry_sdk.add_breadcrumb(category="job", message="picked up job-{mark}", level="info")


def render_{mark}(template):
    context = {{"name": "<b>not html</b>"}}
    return template.format(**context)


try:
    render_{mark}("{{missing}}")
except KeyError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
""",
        server.dsn,
    )
    [issue] = wait_issues(server, f"marker:{mark}")
    return str(issue["id"])


@pytest.fixture
def sent_trace(server: LiveServer, tmp_path: Path) -> str:
    """A real SDK transaction with spans and an error raised in one of them; its trace id."""
    mark = marker("tr")
    output = run_sdk_file(
        tmp_path,
        SDK_INIT.replace("traces_sample_rate=0", "traces_sample_rate=1.0")
        + f"""
import time

with sentry_sdk.start_transaction(op="task", name="job-{mark}") as transaction:
    with sentry_sdk.start_span(op="db", name="SELECT * FROM jobs WHERE id = 1"):
        time.sleep(0.01)
    with sentry_sdk.start_span(op="render", name="report"):
        try:
            raise ValueError("failed in a span {mark}")
        except ValueError:
            sentry_sdk.capture_exception()
    print(transaction.trace_id)
sentry_sdk.flush()
""",
        server.dsn,
    )
    trace_id = output.strip().splitlines()[-1]

    def stored() -> bool:
        response = server.api(f"/api/0/organizations/heron/trace/{trace_id}/")
        return response.status_code == 200 and bool(response.json()["errors"])

    wait_for(stored)
    return trace_id


def test_every_linked_page_loads_cleanly(
    admin_page: Any, watch: Watch, server: LiveServer, sent_error: str, sent_trace: str
) -> None:
    page = admin_page
    queue = ["/issues/", f"/issues/{sent_error}/", "/projects/", f"/traces/{sent_trace}/"]
    seen_shapes: set[str] = set()
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        shape = _shape(urlsplit(path).path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        assert page.url.startswith(server.url), f"{path} left the site: {page.url}"
        visited.append(path)
        watch.check()
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if href.startswith(server.url) and not SKIP.search(parts.path):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    shapes = {_shape(urlsplit(p).path) for p in visited}
    reachable = {"/issues/", "/issues/N/", "/issues/N/events/", "/projects/", "/settings/account/"}
    reachable |= {"/projects/heron/default/keys/", "/projects/heron/default/setup/"}
    reachable |= {"/settings/account/tokens/", "/settings/heron/members/", "/settings/heron/teams/"}
    reachable |= {"/performance/", "/performance/summary/", "/traces/ID/"}
    assert reachable <= shapes, visited


def test_the_watch_sees_csp_violations_and_console_errors(
    new_page: Callable[..., Any], watch: Watch, server: LiveServer
) -> None:
    """The checks above can fail: inline code under Heron's policy, and console errors."""
    page = new_page()
    pages = {
        "/csp-probe": ("<style>b{}</style><script>1</script>", "default-src 'self'"),
        "/console-probe": ("<script>console.error('boom')</script>", ""),
    }

    def serve(route: Any) -> None:
        html, policy = pages[urlsplit(route.request.url).path]
        headers = {"Content-Type": "text/html"}
        if policy:
            headers["Content-Security-Policy"] = policy
        route.fulfill(status=200, body=html, headers=headers)

    page.route("**/*-probe", serve)
    page.goto(server.url + "/csp-probe")
    page.wait_for_function("window.__heronCsp.length >= 2")
    with pytest.raises(AssertionError, match="style-src-elem inline"):
        watch.check()
    page.goto(server.url + "/console-probe")
    with pytest.raises(AssertionError, match=r"console error .*boom"):
        watch.check()
    watch.check()  # reported once, then cleared


def test_dark_mode_changes_the_colours(new_page: Callable[..., Any]) -> None:
    colours = {}
    pages = {}
    for scheme in ("light", "dark"):
        page = pages[scheme] = new_page(color_scheme=scheme)
        log_in(page)
        expect(page.locator("header.top")).to_be_visible()
        colours[scheme] = _colours(page)
    assert colours["light"] != colours["dark"]
    light_bg, dark_bg = (_luminance(colours[s][0]) for s in ("light", "dark"))
    assert light_bg > 0.8 > 0.2 > dark_bg, colours
    assert _luminance(colours["dark"][1]) > 0.6, "dark mode text must be light"

    # The switch in the header overrides the system's choice, and "Auto" follows it again.
    page = pages["light"]
    switch = page.get_by_role("form", name="Colour scheme")
    switch.get_by_role("button", name="Dark").click()
    expect(switch.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    assert _colours(page) == colours["dark"]
    switch.get_by_role("button", name="Auto").click()
    expect(switch.get_by_role("button", name="Auto")).to_have_attribute("aria-pressed", "true")
    assert _colours(page) == colours["light"]


def _colours(page: Any) -> list[str]:
    """The page's background and text colours, as the browser computed them."""
    return list(
        page.evaluate(
            "() => [getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.body).color]"
        )
    )


def _luminance(css: str) -> float:
    """0 (black) … 1 (white) from ``rgb(r, g, b)``."""
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
