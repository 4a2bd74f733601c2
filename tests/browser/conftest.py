"""Headless Chromium (Debian's, driven by Playwright) against a live ``heron serve``.

Every page a test opens is watched: a console error, an uncaught exception or a Content
Security Policy violation fails the test that caused it. The browser is shared by the whole
session; each test gets fresh contexts (own cookies).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.live import ADMIN_PASSWORD, LiveServer

CHROMIUM = Path(os.environ.get("HERON_TEST_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_EMAIL = "admin@localhost"

# Collects CSP violations in the page itself: Chromium also logs them to the console, but the
# event says exactly which directive was broken. Init scripts run outside the page's CSP.
_CSP_PROBE = """
window.__heronCsp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__heronCsp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The browser, once per session. Without /usr/bin/chromium: skip locally, fail in CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; scripts/test does it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        driver.stop()


@dataclass
class Watch:
    """What went wrong in the pages of one test."""

    problems: list[str] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        self.pages.append(page)

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                where = msg.location.get("url") or page.url
                self.problems.append(f"console error on {page.url}: {msg.text} ({where})")

        def on_response(response: Any) -> None:
            if response.status >= 400:
                self.problems.append(f"{response.status} for {response.url} (from {page.url})")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught on {page.url}: {exc}"))

    def csp_violations(self) -> list[str]:
        found: list[str] = []
        for page in self.pages:
            if page.is_closed():
                continue
            try:
                found += page.evaluate("(window.__heronCsp || []).splice(0)")
            except Exception as exc:  # a page mid-navigation: look again in the next check
                found.append(f"could not read CSP violations of {page.url}: {exc}")
        return found

    def check(self) -> None:
        """Fail on anything the pages reported so far."""
        problems = self.problems + self.csp_violations()
        self.problems.clear()
        assert not problems, "the pages reported problems:\n" + "\n".join(problems)


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_page(chromium: Any, server: LiveServer, watch: Watch) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context (own cookies) on the live server; checked at the end."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = chromium.new_context(base_url=server.url, **options)
        context.set_default_timeout(15_000)
        context.add_init_script(_CSP_PROBE)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    try:
        yield make
        watch.check()
    finally:
        for context in contexts:
            context.close()


def log_in(page: Any, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/issues/"))


@pytest.fixture
def admin_page(new_page: Callable[..., Any]) -> Any:
    """A page with the admin logged in."""
    page = new_page()
    log_in(page)
    return page


def csrf_token(page: Any) -> str:
    """The CSRF token of the page's session (every logged-in page has the logout form)."""
    return str(page.locator("input[name=csrf_token]").first.get_attribute("value"))
