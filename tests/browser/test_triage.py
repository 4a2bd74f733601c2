"""The triage path in a real browser: an error a real sentry-sdk process sent, seen, read,
resolved, and regressed when it comes back."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.live import LiveServer, wait_for
from tests.sdk.helpers import SDK_INIT, marker, run_sdk_file, wait_issues


def checkout_script(mark: str) -> str:
    """A small app whose checkout fails; ``mark`` names its function and error."""
    return (
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
sentry_sdk.set_user({{"id": "buyer-{mark}", "email": "buyer@example.com"}})


def checkout_{mark}(basket):
    total = sum(item["price"] for item in basket)
    raise ValueError("basket {mark} is empty")


try:
    checkout_{mark}([])
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
"""
    )


def issue_status(server: LiveServer, issue_id: str) -> tuple[str, str]:
    body = server.api(f"/api/0/issues/{issue_id}/").json()
    return str(body["status"]), str(body["substatus"])


def test_see_read_resolve_and_regress_an_sdk_error(
    server: LiveServer, new_page: Callable[..., Any], tmp_path: Path
) -> None:
    mark = marker("co")
    title = f"ValueError: basket {mark} is empty"
    run_sdk_file(tmp_path, checkout_script(mark), server.dsn)
    [sent] = wait_issues(server, f"marker:{mark}")

    page = new_page()
    page.goto("/issues/")
    expect(page).to_have_url(re.compile(r"/login\?next=/issues/"))
    log_in(page)

    # The default stream (unresolved, last seen first) shows the fresh issue.
    link = page.get_by_role("link", name=title)
    expect(link).to_be_visible()
    # The search box finds it by a word of its title, and only it.
    page.get_by_label("Search issues").fill(f"is:unresolved {mark}")
    page.get_by_label("Search issues").press("Enter")
    expect(page).to_have_url(re.compile(rf"query=is%3Aunresolved\+{mark}"))
    expect(page.locator("a.title")).to_have_count(1)
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/issues/{sent['id']}/"))

    # The stack trace: the app's function, its source line, the system frames below it.
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    frame = page.locator(".frame", has_text=f"checkout_{mark}").first
    expect(frame.locator(".function")).to_have_text(f"checkout_{mark}")
    expect(frame.locator(".context .current")).to_contain_text(
        f'raise ValueError("basket {mark} is empty")'
    )
    expect(frame.locator(".context")).to_contain_text('total = sum(item["price"] for item')
    expect(page.get_by_text(f"buyer-{mark}").first).to_be_visible()
    shot = tmp_path / "issue.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    state = page.locator(".issue-head .state")
    expect(state).to_contain_text("unresolved")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/issues/{sent['id']}/"))
    expect(state).not_to_contain_text("unresolved")
    expect(state).to_contain_text("resolved")
    expect(page.locator(".activity")).to_contain_text("resolved it")
    assert issue_status(server, sent["id"])[0] == "resolved"

    # The same error again, from a new SDK process: the issue comes back as regressed.
    run_sdk_file(tmp_path, checkout_script(mark), server.dsn)
    wait_for(lambda: issue_status(server, sent["id"]) == ("unresolved", "regressed"))
    page.reload()
    expect(state).to_contain_text("unresolved")
    expect(state).to_contain_text("regressed")
    expect(page.locator(".facts div", has_text="Events").locator("dd")).to_have_text("2")
    expect(page.locator(".activity")).to_contain_text("marked it as a regression")
    page.goto("/issues/?query=is:regressed")
    expect(page.get_by_role("link", name=title)).to_be_visible()
