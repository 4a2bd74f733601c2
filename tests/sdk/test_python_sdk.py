"""The official Python SDK, in a child process, reporting to the live server.

Every script puts this test's marker into function names (so its stack traces group apart
from every other test's) and into a ``marker`` tag (so the test can find its issues).
"""

from __future__ import annotations

from pathlib import Path

from tests.live import LiveServer
from tests.sdk.helpers import (
    SDK_INIT,
    entry,
    latest_event,
    marker,
    run_sdk_file,
    stored_event,
    tag_values,
    wait_issues,
)


def test_handled_exception_with_tags_user_and_breadcrumbs(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker()
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
sentry_sdk.set_tag("job_id", "job-42")
sentry_sdk.set_tag("user_id", "u-7")
sentry_sdk.set_tag("model", "claude 3")
sentry_sdk.set_user({{"id": "u-7", "email": "u7@example.com"}})
sentry_sdk.add_breadcrumb(category="job", message="starting job-42", level="info")


def average_{mark}(payload):
    return payload["total"] / payload["count"]


try:
    average_{mark}({{"total": 10, "count": 0}})
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
""",
        server.dsn,
    )
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["title"] == "ZeroDivisionError: division by zero"
    assert issue["metadata"]["type"] == "ZeroDivisionError"
    assert issue["metadata"]["value"] == "division by zero"
    assert issue["culprit"].endswith(f"average_{mark}")
    assert issue["level"] == "error"
    assert issue["status"] == "unresolved"
    assert issue["count"] == "1"
    assert issue["userCount"] == 1
    assert issue["shortId"].startswith("DEFAULT-")

    # The tags are searchable and listed with their values.
    assert [i["id"] for i in server.issues(f'job_id:job-42 model:"claude 3" marker:{mark}')] == [
        issue["id"]
    ]
    assert tag_values(server, issue["id"], "job_id") == {"job-42": 1}
    assert tag_values(server, issue["id"], "user_id") == {"u-7": 1}
    assert tag_values(server, issue["id"], "model") == {"claude 3": 1}
    detail = server.api(f"/api/0/issues/{issue['id']}/").json()
    assert {"job_id", "user_id", "model", "marker"} <= {t["key"] for t in detail["tags"]}

    event = latest_event(server, issue["id"])
    assert event["groupID"] == issue["id"]
    assert {"key": "job_id", "value": "job-42"} in event["tags"]
    assert event["user"]["id"] == "u-7"
    assert event["user"]["email"] == "u7@example.com"
    [exception] = entry(event, "exception")["values"]
    assert exception["type"] == "ZeroDivisionError"
    frames = exception["stacktrace"]["frames"]
    crashing = frames[-1]
    assert crashing["function"] == f"average_{mark}"
    assert crashing["vars"]["payload"]
    lines = dict((number, line) for number, line in crashing["context"])
    assert lines[crashing["lineNo"]].strip() == 'return payload["total"] / payload["count"]'
    assert len(lines) > 1, "pre/post context lines are kept"
    crumbs = entry(event, "breadcrumbs")["values"]
    assert any(c["message"] == "starting job-42" and c["category"] == "job" for c in crumbs)


def test_same_code_path_is_one_issue_different_call_sites_are_two(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker()
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")


def parse_{mark}(raw):
    return int(raw)


sentry_sdk.set_tag("case", "loop")
for raw in ["seven", "eight"]:
    try:
        parse_{mark}(raw)
    except ValueError:
        sentry_sdk.capture_exception()


def lookup_{mark}(key):
    raise LookupError("no such key: " + key)


def first_site():
    lookup_{mark}("a")


def second_site():
    lookup_{mark}("b")


sentry_sdk.set_tag("case", "sites")
try:
    first_site()
except LookupError:
    sentry_sdk.capture_exception()
try:
    second_site()
except LookupError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
""",
        server.dsn,
    )
    [loop] = wait_issues(server, f"marker:{mark} case:loop", events=2)
    assert loop["count"] == "2"
    assert loop["metadata"]["type"] == "ValueError"
    sites = wait_issues(server, f"marker:{mark} case:sites", issues=2)
    assert sorted(i["count"] for i in sites) == ["1", "1"]
    assert {i["metadata"]["type"] for i in sites} == {"LookupError"}


def test_logging_error_becomes_an_issue_with_its_params(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    run_sdk_file(
        tmp_path,
        f"""
import logging
import os

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=0,
    integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
)
sentry_sdk.set_tag("marker", "{mark}")
log = logging.getLogger("billing")
log.setLevel(logging.INFO)
log.info("charging order %s", "ord-17")
log.error("charge failed for order %s in {mark}: %s", "ord-17", "card declined")
sentry_sdk.flush()
""",
        server.dsn,
    )
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["level"] == "error"
    assert issue["logger"] == "billing"
    event = latest_event(server, issue["id"])
    formatted = f"charge failed for order ord-17 in {mark}: card declined"
    assert event["message"] == formatted
    message = entry(event, "message")
    assert message["message"] == f"charge failed for order %s in {mark}: %s"
    assert message["params"] == ["ord-17", "card declined"]
    assert message["formatted"] == formatted
    # The INFO record before it arrives as a breadcrumb.
    crumbs = entry(event, "breadcrumbs")["values"]
    assert any(c["message"] == "charging order ord-17" for c in crumbs)


def test_capture_message_is_an_info_issue_found_by_its_text(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker()
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
sentry_sdk.capture_message("nightly export finished for {mark}")
sentry_sdk.flush()
""",
        server.dsn,
    )
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["level"] == "info"
    assert issue["title"] == f"nightly export finished for {mark}"
    # Free text finds it too, and the level filter agrees.
    assert [i["id"] for i in server.issues(mark)] == [issue["id"]]
    assert [i["id"] for i in server.issues(f"level:info {mark}")] == [issue["id"]]
    assert server.issues(f"level:error {mark}") == []
    event = latest_event(server, issue["id"])
    assert event["message"] == f"nightly export finished for {mark}"
    assert event["level"] == "info"


def test_secrets_are_scrubbed_on_the_server(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    # The values are built at run time so the source lines (never scrubbed) do not hold them.
    output = run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
TOKEN = "tok" + "-" + "{mark}" * 2
PASSWORD = "pw" + "-" + "{mark}" * 2


def charge_{mark}(order_id):
    api_token = TOKEN
    raise PermissionError("gateway refused order " + order_id)


try:
    charge_{mark}("ord-99")
except PermissionError:
    sentry_sdk.set_extra(
        "request_ish", {{"db_password": PASSWORD, "password": PASSWORD, "path": "/pay"}}
    )
    print(sentry_sdk.capture_exception())
sentry_sdk.flush()
""",
        server.dsn,
    )
    event_id = output.strip().splitlines()[-1]
    wait_issues(server, f"marker:{mark}")
    event = stored_event(server, event_id)
    raw = server.api(f"/api/0/projects/heron/default/events/{event_id}/").text
    assert f"tok-{mark}{mark}" not in raw
    assert f"pw-{mark}{mark}" not in raw
    frame = entry(event, "exception")["values"][0]["stacktrace"]["frames"][-1]
    assert frame["function"] == f"charge_{mark}"
    assert frame["vars"]["api_token"] == "[Filtered]"
    assert frame["vars"]["order_id"] == "'ord-99'", "harmless values are kept"
    extra = event["context"]["request_ish"]
    assert extra["db_password"] == "[Filtered]"
    assert extra["password"] == "[Filtered]"
    assert extra["path"] == "/pay"


def test_credit_card_numbers_are_filtered(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    output = run_sdk_file(
        tmp_path,
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")
card = "4242" + " 4242" * 3
sentry_sdk.set_extra("note", "customer paid with " + card + " yesterday")
print(sentry_sdk.capture_message("payment note for {mark}"))
sentry_sdk.flush()
""",
        server.dsn,
    )
    event_id = output.strip().splitlines()[-1]
    wait_issues(server, f"marker:{mark}")
    event = stored_event(server, event_id)
    raw = server.api(f"/api/0/projects/heron/default/events/{event_id}/").text
    assert "4242 4242 4242 4242" not in raw
    note = event["context"]["note"]
    assert "[Filtered]" in note
    assert note.startswith("customer paid with ")


def test_resolved_issue_regresses_when_the_error_returns(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker()
    source = (
        SDK_INIT
        + f"""
sentry_sdk.set_tag("marker", "{mark}")


def sync_{mark}():
    raise TimeoutError("upstream did not answer")


try:
    sync_{mark}()
except TimeoutError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
"""
    )
    run_sdk_file(tmp_path, source, server.dsn)
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["substatus"] == "new"

    resolved = server.api(f"/api/0/issues/{issue['id']}/", "PUT", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert server.issues(f"is:resolved marker:{mark}")[0]["id"] == issue["id"]
    assert server.issues(f"is:unresolved marker:{mark}") == []

    run_sdk_file(tmp_path, source, server.dsn)
    [again] = wait_issues(server, f"marker:{mark}", events=2)
    assert again["id"] == issue["id"]
    assert again["status"] == "unresolved"
    assert again["substatus"] == "regressed"
    assert [i["id"] for i in server.issues(f"is:regressed marker:{mark}")] == [issue["id"]]
