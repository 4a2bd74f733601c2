from __future__ import annotations

import orjson
import pytest
from tests.live import CAPTURED

from heron.protocol import EnvelopeError, parse_auth_header, parse_dsn, parse_envelope
from heron.protocol.envelope import serialize_envelope


def test_items_with_and_without_length() -> None:
    payload = b'{"a":1}'
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n'
        + b'{"type":"event","length":7}\n'
        + payload
        + b"\n"
        + b'{"type":"session"}\n{"sid":"x"}\n'
        + b'{"type":"attachment","length":3}\nab\n\n'
    )
    env = parse_envelope(body)
    assert env.headers["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [i.type for i in env.items] == ["event", "session", "attachment"]
    assert env.items[0].payload == payload
    assert env.items[1].payload == b'{"sid":"x"}'
    assert env.items[2].payload == b"ab\n"  # a newline inside a length-framed payload is data


def test_payload_may_contain_a_type_key() -> None:
    body = b'{}\n{"type":"transaction"}\n{"type":"transaction","spans":[]}'
    env = parse_envelope(body)
    assert len(env.items) == 1
    assert orjson.loads(env.items[0].payload)["type"] == "transaction"


def test_header_only_envelope() -> None:
    assert parse_envelope(b"{}").items == []
    assert parse_envelope(b"{}\n").items == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json\n",
        b"[1,2]\n",
        b'{}\n{"length":2}\nab',
        b'{}\n{"type":"event","length":50}\n{}',
        b'{}\n{"type":"event","length":-1}\n{}',
        b'{}\n{"type":"event","length":"2"}\n{}',
        b'{}\n{"type":"event","length":2}\n{}X',
        b'{}\n{"type":""}\n{}',
        b"{}\nnot-a-header\n",
    ],
)
def test_malformed_envelopes_are_rejected(body: bytes) -> None:
    with pytest.raises(EnvelopeError):
        parse_envelope(body)


def test_round_trip_adds_lengths() -> None:
    env = parse_envelope(b'{"x":1}\n{"type":"log"}\n{"items":[]}\n')
    again = parse_envelope(serialize_envelope(env))
    assert again.items[0].headers["length"] == len(b'{"items":[]}')
    assert again.items[0].payload == b'{"items":[]}'


def test_every_captured_envelope_parses() -> None:
    files = sorted(CAPTURED.glob("*/*/*.envelope"))
    assert len(files) > 30
    for path in files:
        env = parse_envelope(path.read_bytes())
        assert env.items, path


def test_auth_header_and_dsn() -> None:
    pairs = parse_auth_header("Sentry sentry_key=abc, sentry_version=7,sentry_client=x/1")
    assert pairs == {"sentry_key": "abc", "sentry_version": "7", "sentry_client": "x/1"}
    assert parse_auth_header("sentry_key=k")["sentry_key"] == "k"
    dsn = parse_dsn("https://key:secret@example.com/sentry/42")
    assert (dsn.public_key, dsn.project_id) == ("key", "42")
