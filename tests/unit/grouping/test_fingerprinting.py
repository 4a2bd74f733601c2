from __future__ import annotations

import pytest

from heron.grouping import (
    GroupingConfig,
    GroupingRuleError,
    get_grouping,
    parse_fingerprint_rules,
    rules_to_text,
)
from heron.grouping.fingerprinting import is_default_value, resolve_variables

from .factories import exception_event, message_event, python_frame


def group(event: dict[str, object], rules: str) -> tuple[list[str], dict[str, str | None]]:
    result = get_grouping(event, GroupingConfig(fingerprint_rules=rules))
    return result.fingerprint, {name: v.hash for name, v in result.variants.items()}


# -- parsing ---------------------------------------------------------------------------


def test_parses_the_documented_examples() -> None:
    rules = parse_fingerprint_rules(
        """
        # network problems are one issue
        error.type:ConnectionError -> network-errors
        message:"*timeout*" -> timeouts
        tags.job_id:* -> {{ default }}
        """
    )
    assert [r.text for r in rules.rules] == [
        'type:"ConnectionError" -> "network-errors"',
        'message:"*timeout*" -> "timeouts"',
        'tags.job_id:"*" -> "{{ default }}"',
    ]


def test_attributes_and_several_values() -> None:
    (rule,) = parse_fingerprint_rules(
        'logger:"app.*" level:error -> a "b c" title="Broken {{ type }}"'
    ).rules
    assert rule.fingerprint == ("a", "b c")
    assert rule.attributes == {"title": "Broken {{ type }}"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error.type:Foo", "missing '->'"),
        ("-> foo", "no matchers"),
        ("error.type:Foo ->", "no fingerprint values"),
        ("colour:red -> x", "unknown matcher 'colour'"),
        ("type:Foo -> x colour=red", "unknown attribute 'colour'"),
        ('type:Foo -> x title="t" y', "values must come before attributes"),
        ("type:Foo bar -> x", "expected matcher:value"),
        ("app:maybe -> x", "app: expects yes or no"),
        ('message:"open -> x', "unterminated"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(GroupingRuleError) as info:
        parse_fingerprint_rules("type:Ok -> ok\n" + text)
    assert info.value.lineno == 2
    assert message in str(info.value)


def test_structured_rules_round_trip_through_text() -> None:
    text = rules_to_text(
        [
            {"matchers": [["type", 'Weird "Error"'], ["!tags.env", "prod"]], "fingerprint": ["x"]},
            {"matchers": [["message", "a b"]], "fingerprint": ["y"], "attributes": {"title": "T"}},
        ]
    )
    rules = parse_fingerprint_rules(text)
    assert [m.pattern for m in rules.rules[0].matchers] == ['Weird "Error"', "prod"]
    assert rules.rules[0].matchers[1].negated
    assert rules.rules[1].attributes == {"title": "T"}


# -- matching --------------------------------------------------------------------------


def test_error_type_rule_gives_a_custom_fingerprint() -> None:
    event = exception_event([python_frame("app.net", "fetch")], type="ConnectionError")
    fingerprint, hashes = group(event, "error.type:ConnectionError -> network-errors")
    assert fingerprint == ["network-errors"]
    assert set(hashes) == {"custom_fingerprint", "app", "system"}
    assert hashes["app"] is None and hashes["system"] is None


def test_message_rule_matches_messages_and_exception_values() -> None:
    rules = 'message:"*timeout*" -> timeouts'
    assert group(message_event("read TIMEOUT after 3s"), rules)[0] == ["timeouts"]
    assert group(exception_event(value="socket timeout"), rules)[0] == ["timeouts"]
    assert group(message_event("all good"), rules)[0] == ["{{ default }}"]


def test_hybrid_rule_with_tag_matcher() -> None:
    rules = "tags.job_id:* -> {{ default }} {{ tags.job_id }}"
    plain = group(message_event("boom"), "")[1]["default"]
    fingerprint, hashes = group(message_event("boom", tags=[["job_id", "7"]]), rules)
    assert fingerprint == ["{{ default }}", "7"]
    assert hashes["default"] not in (None, plain)


def test_first_matching_rule_wins_and_negation() -> None:
    rules = "!level:fatal -> not-fatal\nlevel:* -> anything"
    assert group(message_event("x", level="error"), rules)[0] == ["not-fatal"]
    assert group(message_event("x", level="fatal"), rules)[0] == ["anything"]


def test_frame_matchers_must_hit_the_same_frame() -> None:
    event = exception_event(
        [python_frame("app.db", "query"), python_frame("app.web", "view", in_app=False)]
    )
    assert group(event, "module:app.db function:query -> db")[0] == ["db"]
    assert group(event, "module:app.db function:view -> db")[0] != ["db"]
    assert group(event, "module:app.web app:no -> web")[0] == ["web"]
    assert group(event, "stack.abs_path:**/app/db.py -> path")[0] == ["path"]


def test_other_event_matchers() -> None:
    event = message_event("x", logger="app.jobs", release="1.2", sdk={"name": "sentry.python"})
    assert group(event, "logger:app.* sdk:sentry.* release:1.* -> ok")[0] == ["ok"]
    assert group(event, "family:javascript -> js")[0] != ["js"]
    assert group(event, "family:other -> other")[0] == ["other"]


def test_title_attribute_is_resolved() -> None:
    event = exception_event(type="KeyError")
    result = get_grouping(
        event, GroupingConfig(fingerprint_rules='type:KeyError -> k title="Missing {{ type }}"')
    )
    assert result.title_override == "Missing KeyError"


# -- variables -------------------------------------------------------------------------


def test_variables() -> None:
    variables = {"type": "KeyError", "tags.env": "prod"}
    assert resolve_variables("{{ type }}-{{type}}", variables) == "KeyError-KeyError"
    assert resolve_variables("{{ tags.env }}", variables) == "prod"
    assert resolve_variables("{{ tags.missing }}", variables) == "<no-value-for-tag-missing>"
    assert resolve_variables("{{ default }}", variables) == "{{ default }}"
    assert resolve_variables("{{ nope }}", variables) == "{{ nope }}"
    assert is_default_value("{{default}}") and not is_default_value("default")


def test_client_fingerprint_variables_are_resolved() -> None:
    event = exception_event(
        [python_frame("app.jobs", "run")],
        type="KeyError",
        fingerprint=["{{ type }}", "{{ function }}"],
    )
    result = get_grouping(event)
    assert result.fingerprint == ["KeyError", "run"]
    assert result.variants["custom_fingerprint"].values == ["KeyError", "run"]
