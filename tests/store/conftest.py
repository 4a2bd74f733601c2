from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store import Database, migrate


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'heron.sqlite3'}"
        database = Database(url)
    else:
        pg_url = request.getfixturevalue("pg_url")
        database = Database("postgresql+psycopg://" + pg_url.split("://", 1)[1])
    migrate(database)
    try:
        yield database
    finally:
        database.dispose()
