"""normalize_event and scrub_event never raise, whatever JSON arrives."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.normalize import event_tags, normalize_event, scrub_event, user_key
from heron.normalize.levels import LEVELS

# Field names the normaliser looks at, so random dicts reach its interesting paths.
KEYS = [
    "event_id", "timestamp", "start_timestamp", "level", "platform", "logger", "transaction",
    "release", "environment", "message", "logentry", "formatted", "params", "exception",
    "sentry.interfaces.Exception", "sentry.interfaces.Message", "sentry.interfaces.Http",
    "values", "type", "value", "module", "mechanism", "handled", "stacktrace", "frames",
    "in_app", "abs_path", "filename", "function", "lineno", "vars", "pre_context", "threads",
    "fingerprint", "tags", "breadcrumbs", "data", "category", "contexts", "runtime", "os",
    "name", "version", "request", "url", "method", "headers", "cookies", "query_string",
    "env", "user", "id", "email", "username", "ip_address", "extra", "_meta", "password",
    "token", "Authorization", "culprit",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "{{auto}}",
            "%s %d %(x)s {} {0} {x}",
            "2018-07-25T13:49:27Z",
            "4111 1111 1111 1111",
            "Bearer abcdefghijkl",
            "https://u:p@h/x?a=1#f",
            "a=1; b=2",
            "warn",
            "40",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)
events = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=12)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    raw=events, client_ip=st.none() | st.just("10.0.0.1"), event_id=st.none() | st.text(max_size=40)
)
def test_never_raises_and_keeps_guarantees(
    raw: dict[str, Any], client_ip: str | None, event_id: str | None
) -> None:
    event = normalize_event(raw, received_at=1795381800.0, client_ip=client_ip, event_id=event_id)
    assert len(event["event_id"]) == 32
    assert isinstance(event["timestamp"], float)
    assert event["level"] in LEVELS
    assert isinstance(event["platform"], str)
    assert event["title"]
    assert isinstance(event["culprit"], str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event["tags"])
    exception = event.get("exception")
    if exception is not None:
        for value in exception["values"]:
            assert value.get("type") or value.get("value")
            for frame in (value.get("stacktrace") or {"frames": []})["frames"]:
                assert isinstance(frame["in_app"], bool)
    if "fingerprint" in event:
        assert all(isinstance(part, str) for part in event["fingerprint"])
    if "logentry" in event:
        assert isinstance(event["logentry"]["formatted"], str)
        assert isinstance(event["logentry"]["params"], list)
    user_key(event)
    event_tags(event)
    scrubbed = scrub_event(event)
    assert scrubbed is event
    json.dumps(scrubbed, default=str)
