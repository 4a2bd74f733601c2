"""The issue page explains its grouping and unmerges hashes; the issue list merges issues."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from heron.store import tables
from tests.api.harness import Heron, TestClient, error_event
from tests.web.conftest import csrf_of, log_in, new_client


def _browser(heron: Heron) -> TestClient:
    client = new_client(heron)
    log_in(client)
    return client


def _routing_hash(heron: Heron, issue_id: int) -> str:
    with heron.db.read() as conn:
        value = conn.execute(
            select(tables.events.c.hash).where(tables.events.c.issue_id == issue_id).limit(1)
        ).scalar_one()
    return str(value)


def _section(page: str, css_class: str) -> str:
    match = re.search(rf'<section class="{css_class}".*?</section>', page, re.S)
    assert match, f"no {css_class} section"
    return html.unescape(match.group(0))


def test_grouped_by_shows_variants_and_values(heron: Heron) -> None:
    heron.send(error_event("ValueError", "invalid order total", function="charge"))
    issue_id = heron.issue_id("invalid order total")
    page = _browser(heron).get(f"/issues/{issue_id}/").text
    grouped = _section(page, "grouped-by")
    assert "newstyle:2023-01-11" in grouped
    # Both variants with their hashes; the app variant routed the event.
    assert "app" in grouped and "system" in grouped
    routing = _routing_hash(heron, issue_id)
    routed = re.search(r'<details class="variant routed".*?</details>', grouped, re.S)
    assert routed and routing in routed.group(0) and "routed this event" in routed.group(0)
    # The in-app frame's values, labelled by component; the system frame only in "system".
    app_values = routed.group(0)
    assert re.search(r"<th[^>]*>function</th><td>charge</td>", app_values)
    assert re.search(r"<th[^>]*>module</th><td>shop.orders</td>", app_values)
    assert "ratio = total / order.count" in app_values
    assert re.search(r"<th[^>]*>type</th><td>ValueError</td>", app_values)
    assert "threading" not in app_values
    assert "self._target(*self._args)" in grouped
    # One event, two hashes (app and system): both listed, each with an unmerge button.
    hashes = _section(page, "issue-hashes")
    assert routing in hashes
    assert hashes.count('action="/issues/' + str(issue_id) + '/unmerge"') == 2


def test_unmerge_button_splits_the_issue(heron: Heron) -> None:
    heron.send(error_event("ValueError", "invalid order total", function="charge"))
    heron.send(error_event("KeyError", "'sku'", function="lookup"))
    charge, lookup = heron.issue_id("invalid order total"), heron.issue_id("'sku'")
    browser = _browser(heron)

    # Merge from the issue list: tick both, press Merge.
    listing = browser.get("/issues/").text
    assert 'form="bulk-form" name="issue"' in listing
    response = browser.post(
        "/issues/merge",
        data={"issue": [str(charge), str(lookup)], "csrf_token": csrf_of(listing)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    parent = int(response.headers["location"].strip("/").split("/")[-1])
    assert parent in (charge, lookup)
    child = lookup if parent == charge else charge
    assert browser.get(f"/issues/{child}/").status_code == 404

    page = browser.get(f"/issues/{parent}/").text
    assert _section(page, "issue-hashes").count("Unmerge") == 4
    lookup_hash = _routing_hash_of_title(heron, parent, "KeyError: 'sku'")
    missing_csrf = browser.post(f"/issues/{parent}/unmerge", data={"hash": lookup_hash})
    assert missing_csrf.status_code == 403
    response = browser.post(
        f"/issues/{parent}/unmerge",
        data={"hash": lookup_hash, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_page = browser.get(response.headers["location"])
    assert new_page.status_code == 200
    assert "KeyError: &#39;sku&#39;" in new_page.text
    # A lone hash has no unmerge button.
    assert "Unmerge" not in _section(new_page.text, "issue-hashes")
    unknown = browser.post(
        f"/issues/{parent}/unmerge", data={"hash": "f" * 32, "csrf_token": csrf_of(page)}
    )
    assert unknown.status_code == 404


def test_merge_needs_two_issues_of_one_project(heron: Heron) -> None:
    heron.send(error_event("ValueError", "invalid order total"))
    issue_id = heron.issue_id("invalid order total")
    browser = _browser(heron)
    token = csrf_of(browser.get("/issues/").text)
    one = browser.post("/issues/merge", data={"issue": [str(issue_id)], "csrf_token": token})
    assert one.status_code == 400
    other_project, _ = heron.other_org()
    heron.send(error_event("ValueError", "rival secret"), project_id=other_project)
    rival = heron.issue_id("rival secret")
    foreign = browser.post(
        "/issues/merge", data={"issue": [str(issue_id), str(rival)], "csrf_token": token}
    )
    assert foreign.status_code == 404


def _routing_hash_of_title(heron: Heron, issue_id: int, title: str) -> str:
    e = tables.events
    with heron.db.read() as conn:
        value = conn.execute(
            select(e.c.hash).where(e.c.issue_id == issue_id, e.c.title == title).limit(1)
        ).scalar_one()
    return str(value)
