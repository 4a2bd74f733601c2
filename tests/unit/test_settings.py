from __future__ import annotations

import pytest

from heron import docs
from heron.settings import SETTINGS, SettingsError, describe, load


def test_generated_docs_are_current() -> None:
    assert docs.main(["--check"]) == 0, "run: python -m heron.docs"


def test_every_setting_has_help_and_env_name() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert s.help.strip(), s.name
        assert s.env == "HERON_" + s.name.upper()


def test_environment_overrides_defaults_with_types() -> None:
    config = load({"HERON_PORT": "9001", "HERON_DIGEST_IN_PROCESS": "yes"})
    assert config.port == 9001
    assert config.digest_in_process is True
    assert load({}).port == 8000


def test_bad_value_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="HERON_PORT"):
        load({"HERON_PORT": "eighty"})


def test_secrets_are_masked() -> None:
    config = load({"HERON_ADMIN_PASSWORD": "hunter22", "HERON_SECRET_KEY": "s3cr3t"})
    shown = dict((env, value) for env, value, _ in describe(config))
    assert shown["HERON_ADMIN_PASSWORD"] == "****"
    assert "hunter22" not in repr(config) and "s3cr3t" not in repr(config)


def test_database_url_defaults_to_sqlite_in_data_dir(tmp_path: object) -> None:
    config = load({"HERON_DATA_DIR": "/srv/heron"})
    assert config.effective_database_url == "sqlite:////srv/heron/heron.sqlite3"
    pg = load({"HERON_DATABASE_URL": "postgresql://u@h/db"})
    assert pg.effective_database_url == "postgresql+psycopg://u@h/db"
