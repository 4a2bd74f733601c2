import re

import pytest

from heron.normalize.ids import normalize_event_id, parse_event_id

HEX = "b1effe6f11c64f8692f66b59529a4758"


@pytest.mark.parametrize(
    "value",
    [
        HEX,
        HEX.upper(),
        "b1effe6f-11c6-4f86-92f6-6b59529a4758",
        "{b1effe6f-11c6-4f86-92f6-6b59529a4758}",
        f"  {HEX} ",
    ],
)
def test_accepts_common_uuid_spellings(value: str) -> None:
    assert parse_event_id(value) == HEX


@pytest.mark.parametrize("value", ["", "nope", "b1effe6f11c64f86", 42, None, ["x"]])
def test_rejects_non_uuids(value: object) -> None:
    assert parse_event_id(value) is None


def test_first_valid_candidate_wins() -> None:
    other = "0" * 31 + "1"
    assert normalize_event_id(None, "bad", other, HEX) == other


def test_generates_an_id_when_none_is_valid() -> None:
    generated = normalize_event_id(None, "bad")
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert generated != normalize_event_id()
