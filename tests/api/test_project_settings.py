"""Project settings through the API: grouping rules in Sentry's syntaxes, checked and applied.

``PUT /api/0/projects/{org}/{project}/`` takes ``fingerprintingRules`` and
``groupingEnhancements`` (and ``name``, ``platform``); a rule that does not parse is a 400
naming its line; saved rules group the events digested from then on.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from heron import actions
from heron.store import tables
from tests.api.harness import Heron, error_event

PATH = "/api/0/projects/heron/default/"


def put(heron: Heron, body: Any, *, path: str = PATH, token: str | None = None) -> Any:
    return heron.client.put(path, json=body, headers=heron.auth(token))


def issue_count(heron: Heron) -> int:
    with heron.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.issues)).scalar_one())


def project_issues(heron: Heron) -> list[dict[str, Any]]:
    response = heron.api(PATH + "issues/", params={"query": ""})
    assert response.status_code == 200, response.text
    issues: list[dict[str, Any]] = response.json()
    return issues


def with_log_frame(function: str, value: str) -> dict[str, Any]:
    """An error whose crashing frame is a logging helper called ``function``."""
    event = error_event("RuntimeError", value, function="charge")
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    helper = copy.deepcopy(frames[-1])
    helper.update(
        function=function,
        module="shop.logs",
        filename="shop/logs.py",
        abs_path="/srv/shop/logs.py",
        context_line="    raise RuntimeError(message)",
    )
    frames.append(helper)
    return event


def test_detail_shows_the_grouping_settings(heron: Heron) -> None:
    body = heron.api(PATH).json()
    assert body["fingerprintingRules"] == ""
    assert body["groupingEnhancements"] == ""
    assert body["groupingConfig"] == "newstyle:2023-01-11"
    assert body["secondaryGroupingConfig"] is None
    assert body["secondaryGroupingExpiry"] is None


def test_put_saves_the_rules_and_returns_the_project(heron: Heron) -> None:
    rules = (
        "error.type:ConnectionError -> network-errors\n"
        'message:"*timeout*" -> timeouts\n'
        "tags.job_id:* -> {{ default }}"
    )
    stack = "path:**/vendor/** -app\r\nfunction:log_* -group\r\n"
    response = put(heron, {"fingerprintingRules": rules, "groupingEnhancements": stack})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slug"] == "default"
    assert body["fingerprintingRules"] == rules
    # Line endings from a browser are stored as plain newlines, trailing blank lines dropped.
    assert body["groupingEnhancements"] == "path:**/vendor/** -app\nfunction:log_* -group"
    assert heron.api(PATH).json()["fingerprintingRules"] == rules

    # A field left out (or null) keeps its value; an empty string clears it.
    kept = put(heron, {"groupingEnhancements": "", "fingerprintingRules": None}).json()
    assert kept["fingerprintingRules"] == rules
    assert kept["groupingEnhancements"] == ""


def test_put_changes_name_and_platform(heron: Heron) -> None:
    body = put(heron, {"name": "  Shop backend ", "platform": "python-django"}).json()
    assert (body["name"], body["platform"]) == ("Shop backend", "python-django")
    assert heron.api("/api/0/projects/").json()[0]["name"] == "Shop backend"
    response = put(heron, {"name": "   "})
    assert response.status_code == 400
    assert "name" in response.json()["detail"]


def test_invalid_rules_are_400_with_the_line_and_nothing_is_saved(heron: Heron) -> None:
    put(heron, {"fingerprintingRules": "error.type:KeyError -> keys"})
    response = put(
        heron,
        {
            "fingerprintingRules": "error.type:ValueError -> values\nerror.type:KeyError keys",
            "groupingEnhancements": "path:**/vendor/** -app\n\nfunction:log_* group",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["fingerprintingRules"] == ["line 2: missing '->' between matchers and fingerprint"]
    assert body["groupingEnhancements"] == ["line 3: invalid action 'group'"]
    assert "line 2" in body["detail"]
    assert heron.api(PATH).json()["fingerprintingRules"] == "error.type:KeyError -> keys"

    only_one = put(heron, {"fingerprintingRules": "unknown:thing -> x"}).json()
    assert only_one["fingerprintingRules"] == ["line 1: unknown matcher 'unknown'"]
    assert "groupingEnhancements" not in only_one


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fingerprintingRules": ["error.type:X -> y"]}, "fingerprintingRules must be a string"),
        ({"groupingEnhancements": 3}, "groupingEnhancements must be a string"),
        ([], "the body must be a JSON object"),
    ],
)
def test_malformed_bodies_are_400(heron: Heron, body: Any, message: str) -> None:
    response = put(heron, body)
    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_a_body_that_is_not_json_is_400(heron: Heron) -> None:
    response = heron.client.put(PATH, content=b"{nope", headers=heron.auth())
    assert response.status_code == 400
    assert response.json() == {"detail": "the body is not valid JSON"}


def test_other_organizations_unknown_projects_and_bad_tokens(heron: Heron) -> None:
    _, rival_token = heron.other_org()
    rules = {"fingerprintingRules": "error.type:X -> y"}
    for path in (
        "/api/0/projects/rivals/secret-app/",
        "/api/0/projects/heron/nope/",
        "/api/0/projects/nope/default/",
    ):
        response = put(heron, rules, path=path)
        assert response.status_code == 404, path
        assert "detail" in response.json()
    assert put(heron, rules, token=rival_token).status_code == 404
    assert heron.client.put(PATH, json=rules).status_code == 401
    forged = heron.client.put(PATH, json=rules, headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401
    assert heron.api(PATH).json()["fingerprintingRules"] == ""


def test_members_may_read_but_not_edit(heron: Heron) -> None:
    actions.create_user(heron.db, "member@example.com", "a long password")
    actions.add_member(heron.db, "heron", "member@example.com")
    token = actions.create_token(heron.db, "member@example.com")
    response = put(heron, {"groupingEnhancements": "function:log_* -group"}, token=token)
    assert response.status_code == 403, response.text
    assert "admins" in response.json()["detail"]
    assert heron.api(PATH, token=token).json()["groupingEnhancements"] == ""


def test_fingerprint_rules_group_new_events(heron: Heron) -> None:
    heron.send(
        error_event("ConnectionError", "refused", function="fetch_prices"),
        error_event("ConnectionError", "reset", function="push_orders"),
    )
    assert issue_count(heron) == 2

    rules = "error.type:ConnectionError -> network-errors"
    assert put(heron, {"fingerprintingRules": rules}).status_code == 200
    heron.send(
        error_event("ConnectionError", "refused again", function="fetch_prices"),
        error_event("ConnectionError", "reset again", function="push_orders"),
        error_event("ValueError", "not a network error", function="fetch_prices"),
    )
    # The new connection errors share one new issue; earlier issues keep their events.
    assert issue_count(heron) == 4
    issues = {i["title"]: int(i["count"]) for i in project_issues(heron)}
    assert sorted(issues.values()) == [1, 1, 1, 2]
    [grouped] = [title for title, count in issues.items() if count == 2]
    assert grouped.startswith("ConnectionError: ")


def test_stack_trace_rules_group_new_events(heron: Heron) -> None:
    heron.send(with_log_frame("log_warning", "before"), with_log_frame("log_error", "before"))
    assert issue_count(heron) == 2, "the logging frames tell the errors apart"

    assert put(heron, {"groupingEnhancements": "function:log_* -group"}).status_code == 200
    heron.send(with_log_frame("log_warning", "after"), with_log_frame("log_error", "after"))
    assert issue_count(heron) == 3
    assert sorted(int(i["count"]) for i in project_issues(heron)) == [1, 1, 2]


def test_the_action_names_the_line_and_the_problem(heron: Heron) -> None:
    with pytest.raises(actions.ActionError, match=r"stack-trace rules, line 2: invalid action"):
        actions.set_grouping_rules(
            heron.db, "heron", "default", enhancements="function:a -group\nfunction:b nope"
        )
    with pytest.raises(actions.NotFoundError):
        actions.set_grouping_rules(heron.db, "heron", "nope", fingerprinting_rules="")
    saved = actions.set_grouping_rules(
        heron.db, "heron", "default", fingerprinting_rules="# a comment\n\nerror.type:X -> y"
    )
    assert saved.fingerprinting_rules == "# a comment\n\nerror.type:X -> y"
    assert saved.enhancements == ""
