from typing import Any

import pytest

from heron.normalize.user import normalize_user, user_key


def test_auto_ip_uses_the_client_address() -> None:
    assert normalize_user({"ip_address": "{{auto}}"}, "10.0.0.1") == {"ip_address": "10.0.0.1"}


def test_auto_ip_is_removed_without_a_client_address() -> None:
    assert normalize_user({"id": "u", "ip_address": "{{auto}}"}, None) == {"id": "u"}


def test_identity_fields_become_strings() -> None:
    user = normalize_user({"id": 42, "email": None, "username": "", "data": "x", "geo": {}}, None)
    assert user == {"id": "42", "geo": {}}


@pytest.mark.parametrize("value", [None, "u1", [], {}, {"id": None}])
def test_unusable_user(value: Any) -> None:
    assert normalize_user(value, "1.1.1.1") is None


@pytest.mark.parametrize(
    ("user", "key"),
    [
        ({"id": "u-1", "email": "a@b.c"}, "id:u-1"),
        ({"id": 7}, "id:7"),
        ({"email": "a@b.c", "username": "ann"}, "email:a@b.c"),
        ({"username": "ann", "ip_address": "1.2.3.4"}, "username:ann"),
        ({"ip_address": "1.2.3.4"}, "ip:1.2.3.4"),
        ({"ip_address": "{{auto}}"}, None),
        ({"name": "Ann"}, None),
        ({}, None),
    ],
)
def test_user_key(user: dict[str, Any], key: str | None) -> None:
    assert user_key({"user": user}) == key


def test_user_key_without_user() -> None:
    assert user_key({}) is None
    assert user_key({"user": "x"}) is None
