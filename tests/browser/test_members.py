"""Inviting a member by link, in two browsers, and what a member may and may not do."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import csrf_token, log_in
from tests.live import LiveServer
from tests.sdk.helpers import SDK_INIT, marker, run_sdk_file, wait_issues


def post(page: Any, path: str, **form: str) -> int:
    """POST a form with the page's session and CSRF token, as a crafted request would."""
    fields = {"csrf_token": csrf_token(page), **form}
    return int(page.request.post(path, form=fields, max_redirects=0).status)


def test_invite_a_member_who_triages_but_does_not_manage(
    server: LiveServer, new_page: Callable[..., Any], tmp_path: Path
) -> None:
    mark = marker("mb")
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")


def import_{mark}(rows):
    return rows[0]


try:
    import_{mark}([])
except IndexError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
""",
        server.dsn,
    )
    [issue] = wait_issues(server, f"marker:{mark}")
    email = f"{mark}@example.com"

    admin = new_page()
    log_in(admin)
    admin.goto("/settings/heron/members/")
    invite_form = admin.locator("form", has=admin.get_by_role("button", name="Create invitation"))
    invite_form.get_by_label("E-mail").fill(email)
    invite_form.get_by_label("Role").select_option("member")
    invite_form.get_by_role("button", name="Create invitation").click()
    link = admin.locator(".invite-link").inner_text().strip()
    assert re.fullmatch(r"https?://\S+/invite/[\w-]{20,}", link), link
    expect(admin.locator(".invites")).to_contain_text(email)

    # A second browser, no cookies: the invited person makes an account and is in.
    member = new_page()
    member.goto(urlsplit(link).path)
    expect(member.get_by_role("heading", name=re.compile("Join"))).to_be_visible()
    member.get_by_label("Name").fill("Mia Member")
    member.get_by_label("Password", exact=True).fill("a long member password")
    member.get_by_label("Password again").fill("a long member password")
    member.get_by_role("button", name=re.compile("join", re.I)).click()
    member.wait_for_url(re.compile(r"/issues/"))
    expect(member.locator("header.top")).to_contain_text(email)
    # The link works once.
    assert member.request.get(urlsplit(link).path).status == 404

    # Members manage nothing: no forms on the settings pages, and crafted POSTs get 403.
    member.goto("/settings/heron/members/")
    expect(member.locator(".members")).to_contain_text(email)
    expect(member.get_by_role("button", name="Create invitation")).to_have_count(0)
    expect(member.get_by_role("button", name="Remove")).to_have_count(0)
    assert post(member, "/settings/heron/invites/", email="x@example.com", role="admin") == 403
    admin.goto("/projects/heron/default/keys/")
    assert admin.locator("main form[method=post]").count() > 0  # what the member must not see
    member.goto("/projects/heron/default/keys/")
    expect(member.locator("main").get_by_text("Default", exact=True).first).to_be_visible()
    expect(member.locator("main form[method=post]")).to_have_count(0)
    assert post(member, "/projects/heron/default/keys/", label="sneaky") == 403
    assert post(member, "/settings/heron/teams/", name="sneaky") == 403

    # Members triage: no delete button, a crafted delete is refused; resolving works.
    delete_form = f"form[action='/issues/{issue['id']}/delete']"
    admin.goto(f"/issues/{issue['id']}/")
    expect(admin.locator(delete_form)).to_have_count(1)
    member.goto(f"/issues/{issue['id']}/")
    expect(member.locator(delete_form)).to_have_count(0)
    assert post(member, f"/issues/{issue['id']}/delete") == 403
    assert server.api(f"/api/0/issues/{issue['id']}/").status_code == 200
    member.get_by_role("button", name="Resolve", exact=True).click()
    expect(member.locator(".issue-head .state")).not_to_contain_text("unresolved")
    expect(member.locator(".activity")).to_contain_text("Mia Member")
    assert server.api(f"/api/0/issues/{issue['id']}/").json()["status"] == "resolved"
