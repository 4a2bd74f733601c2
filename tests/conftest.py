"""Fixtures shared by every test directory: the databases and a live server per backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import LiveServer, PostgresUnavailable, create_pg_database, drop_pg_database

BACKENDS = ("sqlite", "postgres")


def _pg_or_skip() -> str:
    try:
        return create_pg_database()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the backend: '' (SQLite in the data dir) or a fresh PostgreSQL db."""
    if backend == "sqlite":
        yield ""
        return
    url = _pg_or_skip()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def server(
    database_url: str, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live ``heron serve`` per backend for the whole session."""
    data_dir: Path = tmp_path_factory.mktemp(f"heron-{backend}")
    live = LiveServer(data_dir, database_url).start()
    try:
        yield live
    finally:
        live.stop()
    errors = live.unexpected_errors()
    assert not errors, "server logged unexpected errors:\n" + live.log()[-5000:]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test."""
    url = _pg_or_skip()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest) -> str:
    """For tests that run their own ``heron`` (CLI or server): '' (SQLite in the test's data
    dir) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return ""
    return str(request.getfixturevalue("pg_url"))
