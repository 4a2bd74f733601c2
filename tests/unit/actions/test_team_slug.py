"""A team's slug comes from its name."""

from __future__ import annotations

import pytest

from heron.actions import team_slug


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Backend", "backend"),
        ("Backend & Payments", "backend-payments"),
        ("  ops_2 ", "ops-2"),
        ("--Front--End--", "front-end"),
        ("Équipe données", "equipe-donnees"),
        ("東京", ""),
        ("!!!", ""),
        ("", ""),
        ("a" * 70, "a" * 64),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_team_slug(name: str, slug: str) -> None:
    assert team_slug(name) == slug
